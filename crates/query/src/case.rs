//! A case: the events an analyst pinned, with tags and notes, the filter that found each, and
//! the evidence behind each (the original record, its source file's SHA-256 and integrity).
//!
//! The page keeps the case in the browser's storage and exports it as JSON (to reopen or hand
//! on) and as one self-contained HTML file (to read and print anywhere: no script, no link to
//! fetch, every value escaped).

use serde::{Deserialize, Serialize};

/// The format id of a case file.
pub const CASE_FORMAT: &str = "trailscope-case/1";

/// Most events one case holds: a case is the handful of events that tell what happened, and
/// it lives in the browser's local storage (a few MB), records included.
pub const MAX_CASE_ITEMS: usize = 500;

/// The integrity of a pinned event in a case opened from a file: the file's own verdict is a
/// claim this browser has not checked.
pub const NOT_RE_VERIFIED: &str = "not_checked";

/// Most tags on one event, and most characters in one tag.
const MAX_TAGS: usize = 20;
const MAX_TAG_CHARS: usize = 64;

/// A case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Case {
    /// [`CASE_FORMAT`].
    pub format: String,
    /// The case's name or reference (`IR-2024-017`).
    pub title: String,
    /// Who works it.
    pub analyst: String,
    /// Notes on the case as a whole.
    pub notes: String,
    /// When the first event was pinned (RFC 3339).
    pub created: String,
    /// The pinned events, in the order they were pinned.
    pub items: Vec<CaseItem>,
}

/// One pinned event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CaseItem {
    /// Its `eventID` (what identifies it across files and tools).
    pub event_id: String,
    /// Its time.
    pub event_time: String,
    /// Its name.
    pub event_name: String,
    /// Who made it, as people read it.
    pub principal: String,
    /// When it was pinned (RFC 3339).
    pub pinned_at: String,
    /// The filter in effect when it was pinned: the query that found it.
    pub found_with: String,
    /// The analyst's tags.
    pub tags: Vec<String>,
    /// The analyst's note.
    pub note: String,
    /// The original record, exactly as read.
    pub record: String,
    /// The file it came from.
    pub source: CaseSource,
}

/// Where a pinned event came from, and what vouches for it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CaseSource {
    /// The file's path as loaded.
    pub path: String,
    /// Its SHA-256 as stored.
    pub sha256: Option<String>,
    /// Its integrity when the event was pinned (`verified`, `failed`, ...; `not_checked`).
    pub integrity: String,
}

/// Why an event could not be pinned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// The event has no `eventID` to know it by.
    #[error("this event has no eventID, so a case cannot refer to it")]
    NoEventId,
    /// The case is full.
    #[error("a case holds at most {MAX_CASE_ITEMS} events; export this one and start another")]
    Full,
}

impl CaseItem {
    /// The item for an event's original record (its id, time and name read from it) and its
    /// caller as the store's `user` column reads it (the page has it from the store worker, so
    /// the page's module needs no copy of ingest's record model).
    pub fn from_record(
        record: &str,
        principal: &str,
        source: CaseSource,
        found_with: &str,
        pinned_at: &str,
    ) -> Self {
        let fields: serde_json::Value = serde_json::from_str(record).unwrap_or_default();
        let text = |key: &str| {
            fields
                .get(key)
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        CaseItem {
            event_id: text("eventID"),
            event_time: text("eventTime"),
            event_name: text("eventName"),
            principal: principal.to_string(),
            pinned_at: pinned_at.to_string(),
            found_with: found_with.to_string(),
            tags: Vec::new(),
            note: String::new(),
            record: record.to_string(),
            source,
        }
    }
}

impl Case {
    /// An empty case.
    pub fn new() -> Case {
        Case {
            format: CASE_FORMAT.to_string(),
            ..Case::default()
        }
    }

    /// Whether the event with `event_id` is pinned.
    pub fn contains(&self, event_id: &str) -> bool {
        self.items.iter().any(|i| i.event_id == event_id)
    }

    /// Pins `item`; pinning an event again keeps the first pin (and its notes).
    pub fn pin(&mut self, item: CaseItem) -> Result<(), PinError> {
        if item.event_id.is_empty() {
            return Err(PinError::NoEventId);
        }
        if self.contains(&item.event_id) {
            return Ok(());
        }
        if self.items.len() >= MAX_CASE_ITEMS {
            return Err(PinError::Full);
        }
        if self.created.is_empty() {
            self.created = item.pinned_at.clone();
        }
        self.format = CASE_FORMAT.to_string();
        self.items.push(item);
        Ok(())
    }

    /// Takes the event out of the case.
    pub fn unpin(&mut self, event_id: &str) {
        self.items.retain(|i| i.event_id != event_id);
    }

    /// Sets an event's tags from what the analyst typed (see [`parse_tags`]).
    pub fn set_tags(&mut self, event_id: &str, typed: &str) {
        if let Some(item) = self.items.iter_mut().find(|i| i.event_id == event_id) {
            item.tags = parse_tags(typed);
        }
    }

    /// Sets an event's note.
    pub fn set_note(&mut self, event_id: &str, note: &str) {
        if let Some(item) = self.items.iter_mut().find(|i| i.event_id == event_id) {
            item.note = note.to_string();
        }
    }

    /// Every tag in use, with how many events carry it, most used first.
    pub fn tag_counts(&self) -> Vec<(String, usize)> {
        let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
        for tag in self.items.iter().flat_map(|i| &i.tags) {
            *counts.entry(tag).or_default() += 1;
        }
        let mut out: Vec<(String, usize)> = counts
            .into_iter()
            .map(|(t, n)| (t.to_string(), n))
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// The case as JSON (indented), to keep, reopen and hand on.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// A case opened from a file. Its integrity verdicts are only what the file claims (anyone
    /// can write `"verified"` into a JSON file), so each is read as [`NOT_RE_VERIFIED`]: a
    /// verdict is only shown when this browser reached it with keys the user trusts.
    pub fn from_file_json(text: &str) -> Result<Case, String> {
        let mut case = Case::from_json(text)?;
        for item in &mut case.items {
            item.source.integrity = NOT_RE_VERIFIED.to_string();
        }
        Ok(case)
    }

    /// A case read back from [`Case::to_json`] as this browser kept it; anything else is
    /// refused with why. (A file from elsewhere goes through [`Case::from_file_json`].)
    pub fn from_json(text: &str) -> Result<Case, String> {
        let case: Case =
            serde_json::from_str(text).map_err(|e| format!("not a Trailscope case: {e}"))?;
        if case.format != CASE_FORMAT {
            return Err(format!(
                "not a Trailscope case: its format is {:?}, not {CASE_FORMAT:?}",
                case.format
            ));
        }
        if case.items.len() > MAX_CASE_ITEMS {
            return Err(format!(
                "the case holds {} events, more than the {MAX_CASE_ITEMS} a case may",
                case.items.len()
            ));
        }
        Ok(case)
    }

    /// The case as one self-contained HTML page: no script and nothing fetched, so it opens
    /// and prints the same anywhere, and every value from the logs is escaped.
    pub fn to_html(&self, exported_at: &str, tool: &str) -> String {
        let mut h = String::with_capacity(
            8 * 1024
                + self
                    .items
                    .iter()
                    .map(|i| i.record.len() * 2 + 600)
                    .sum::<usize>(),
        );
        let title = if self.title.trim().is_empty() {
            "Untitled case".to_string()
        } else {
            self.title.trim().to_string()
        };
        h.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">");
        h.push_str(&format!("<title>{}</title><style>", esc(&title)));
        h.push_str("body{font:13px/1.45 system-ui,sans-serif;color:#1c2330;margin:32px;max-width:1100px}h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:22px 0 6px}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #dfe3e8;padding:4px 6px;text-align:left;vertical-align:top}th{color:#5f6b7a;font-weight:600}.mono,pre{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}pre{white-space:pre-wrap;background:#f6f7f9;padding:8px}.muted{color:#5f6b7a}.tag{display:inline-block;background:#e8f0fc;border-radius:3px;padding:0 5px;margin-right:3px}.verified{color:#1e7d46;font-weight:600}.failed{color:#b42318;font-weight:600}.note{white-space:pre-wrap}@media print{body{margin:0}details{display:block}}");
        h.push_str("</style></head><body>");
        h.push_str(&format!("<h1 data-field=\"title\">{}</h1>", esc(&title)));
        let verified = self
            .items
            .iter()
            .filter(|i| i.source.integrity == "verified")
            .count();
        let failed = self
            .items
            .iter()
            .filter(|i| i.source.integrity == "failed")
            .count();
        h.push_str(&format!(
            "<p data-field=\"summary\"><strong>{} event{}</strong>: {verified} from files verified against a digest signed by a trusted key, {failed} from files that failed verification, {} not proven.</p>",
            self.items.len(),
            if self.items.len() == 1 { "" } else { "s" },
            self.items.len() - verified - failed
        ));
        let mut facts = Vec::new();
        if !self.analyst.trim().is_empty() {
            facts.push(format!(
                "Analyst <strong data-field=\"analyst\">{}</strong>",
                esc(self.analyst.trim())
            ));
        }
        if !self.created.is_empty() {
            facts.push(format!("opened {}", esc(&self.created)));
        }
        facts.push(format!("exported {} with {}", esc(exported_at), esc(tool)));
        h.push_str(&format!("<p class=\"muted\">{}</p>", facts.join(" · ")));
        if !self.notes.trim().is_empty() {
            h.push_str(&format!(
                "<h2>Notes</h2><p class=\"note\" data-field=\"notes\">{}</p>",
                esc(self.notes.trim())
            ));
        }
        let tags = self.tag_counts();
        if !tags.is_empty() {
            h.push_str("<p>");
            for (tag, n) in &tags {
                h.push_str(&format!("<span class=\"tag\">{} ({n})</span>", esc(tag)));
            }
            h.push_str("</p>");
        }
        h.push_str("<h2>Events</h2><table><thead><tr><th>Time</th><th>Event</th><th>Principal</th><th>Tags and note</th><th>Evidence</th></tr></thead><tbody>");
        for item in &self.items {
            h.push_str(&format!(
                "<tr data-event-id=\"{}\"><td class=\"mono\">{}</td><td>{}<div class=\"muted mono\">{}</div></td><td class=\"mono\">{}</td><td>",
                esc(&item.event_id),
                esc(&item.event_time),
                esc(&item.event_name),
                esc(&item.event_id),
                esc(&item.principal)
            ));
            for tag in &item.tags {
                h.push_str(&format!("<span class=\"tag\">{}</span>", esc(tag)));
            }
            if !item.note.trim().is_empty() {
                h.push_str(&format!(
                    "<div class=\"note\">{}</div>",
                    esc(item.note.trim())
                ));
            }
            if !item.found_with.is_empty() {
                h.push_str(&format!(
                    "<div class=\"muted\">found with <code>{}</code></div>",
                    esc(&item.found_with)
                ));
            }
            let class = match item.source.integrity.as_str() {
                "verified" => "verified",
                "failed" => "failed",
                _ => "muted",
            };
            h.push_str(&format!(
                "</td><td><span class=\"{class}\" data-field=\"integrity\">{}</span><div class=\"mono\">{}</div><div class=\"mono muted\">SHA-256 {}</div></td></tr>",
                esc(integrity_words(&item.source.integrity)),
                esc(&item.source.path),
                esc(item.source.sha256.as_deref().unwrap_or("not known"))
            ));
            h.push_str(&format!(
                "<tr><td></td><td colspan=\"4\"><details><summary>Original record</summary><pre>{}</pre></details></td></tr>",
                esc(&pretty(&item.record))
            ));
        }
        h.push_str("</tbody></table>");
        h.push_str("<p class=\"muted\">Each record is shown as read from its file. A file's integrity is what verification said when the event was pinned: verified means a valid CloudTrail digest, signed by a key the analyst supplied as trusted, holds the file's hash.</p>");
        h.push_str("</body></html>\n");
        h
    }
}

/// Tags from what the analyst typed: separated by commas or spaces, trimmed, lowercased, a
/// leading `#` dropped, duplicates removed, at most 20 of at most 64 characters each.
pub fn parse_tags(typed: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for raw in typed.split(|c: char| c == ',' || c.is_whitespace()) {
        let tag: String = raw
            .trim()
            .trim_start_matches('#')
            .to_lowercase()
            .chars()
            .take(MAX_TAG_CHARS)
            .collect();
        if !tag.is_empty() && !tags.contains(&tag) && tags.len() < MAX_TAGS {
            tags.push(tag);
        }
    }
    tags
}

fn integrity_words(integrity: &str) -> &str {
    match integrity {
        "verified" => "verified",
        "failed" => "failed verification",
        "unverified" => "unverified: only digests that could not be verified name the file",
        "not_covered" => "not covered by any digest",
        _ => "not checked",
    }
}

/// The record indented, or as it is when it is not JSON.
fn pretty(record: &str) -> String {
    serde_json::from_str::<serde_json::Value>(record)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| record.to_string())
}

use trailscope_model::html_escape as esc;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn item(id: &str, integrity: &str) -> CaseItem {
        CaseItem {
            event_id: id.into(),
            event_time: "2024-02-28T12:00:00Z".into(),
            event_name: "StopLogging".into(),
            principal: "alice".into(),
            pinned_at: format!("2026-11-29T10:00:0{}Z", id.len() % 10),
            found_with: "eventName:StopLogging".into(),
            record: format!(
                r#"{{"eventID":"{id}","eventName":"StopLogging","userAgent":"<script>alert(1)</script>"}}"#
            ),
            source: CaseSource {
                path: "AWSLogs/a.json.gz".into(),
                sha256: Some("ab".repeat(32)),
                integrity: integrity.into(),
            },
            ..CaseItem::default()
        }
    }

    #[test]
    fn an_item_reads_its_facts_from_the_record() {
        let record = r#"{"eventID":"e-1","eventTime":"2024-02-28T12:00:00Z","eventName":"StopLogging","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/admin/alice"}}"#;
        let item = CaseItem::from_record(
            record,
            "admin/alice",
            CaseSource::default(),
            "eventName:StopLogging",
            "now",
        );
        assert_eq!(
            (
                item.event_id.as_str(),
                item.event_time.as_str(),
                item.event_name.as_str(),
                item.principal.as_str()
            ),
            ("e-1", "2024-02-28T12:00:00Z", "StopLogging", "admin/alice")
        );
        assert_eq!(item.record, record, "the record is kept exactly as read");
        assert_eq!(item.found_with, "eventName:StopLogging");
        let odd = CaseItem::from_record("not json", "", CaseSource::default(), "", "now");
        assert!(odd.event_id.is_empty());
        assert_eq!(Case::new().pin(odd), Err(PinError::NoEventId));
    }

    #[test]
    fn pins_once_unpins_and_keeps_tags_and_notes() {
        let mut case = Case::new();
        case.pin(item("e1", "verified")).unwrap();
        case.set_tags("e1", "#Persistence, initial-access  persistence");
        case.set_note("e1", "first sign of the attacker");
        // Pinning again keeps the first pin with its notes.
        case.pin(item("e1", "failed")).unwrap();
        assert_eq!(case.items.len(), 1);
        assert_eq!(case.items[0].tags, ["persistence", "initial-access"]);
        assert_eq!(case.items[0].note, "first sign of the attacker");
        assert_eq!(case.items[0].source.integrity, "verified");
        assert_eq!(case.created, "2026-11-29T10:00:02Z");
        case.pin(item("e22", "failed")).unwrap();
        case.set_tags("e22", "persistence");
        assert_eq!(
            case.tag_counts(),
            [
                ("persistence".to_string(), 2),
                ("initial-access".to_string(), 1)
            ]
        );
        case.unpin("e1");
        assert!(!case.contains("e1") && case.contains("e22"));
        assert_eq!(
            case.pin(CaseItem::default()),
            Err(PinError::NoEventId),
            "an event without an id cannot be referred to"
        );
    }

    #[test]
    fn a_case_is_bounded() {
        let mut case = Case::new();
        for i in 0..MAX_CASE_ITEMS {
            case.pin(item(&format!("e{i}"), "verified")).unwrap();
        }
        assert_eq!(case.pin(item("one-more", "verified")), Err(PinError::Full));
        assert_eq!(parse_tags(&"x ".repeat(50)).len(), 1);
        let many: String = (0..40).map(|i| format!("t{i},")).collect();
        assert_eq!(parse_tags(&many).len(), 20);
        assert_eq!(parse_tags(&"a".repeat(100))[0].len(), 64);
    }

    #[test]
    fn json_round_trips_and_other_files_are_refused() {
        let mut case = Case::new();
        case.title = "IR-7".into();
        case.pin(item("e1", "verified")).unwrap();
        case.set_tags("e1", "exfil");
        assert_eq!(Case::from_json(&case.to_json()).unwrap(), case);
        assert!(Case::from_json("{\"findings\":[]}")
            .unwrap_err()
            .contains("format"));
        assert!(Case::from_json("not json").is_err());
        // A case file's verdicts are claims: opened from a file, none reads as verified.
        let opened = Case::from_file_json(&case.to_json()).unwrap();
        assert_eq!(opened.items[0].source.integrity, NOT_RE_VERIFIED);
        assert_eq!(opened.items[0].tags, ["exfil"]);
        let html = opened.to_html("now", "t");
        assert!(html.contains("0 from files verified") && !html.contains("class=\"verified\""));
    }

    #[test]
    fn the_html_is_self_contained_and_escapes_every_value() {
        let mut case = Case::new();
        case.title = "IR <7>".into();
        case.analyst = "Dana".into();
        case.notes = "Keys leaked\non 28 Feb".into();
        case.pin(item("e1", "verified")).unwrap();
        case.pin(item("e\"2", "failed")).unwrap();
        case.set_note("e1", "<b>bold</b>");
        let html = case.to_html("2026-11-29T12:00:00Z", "Trailscope 0.1.0");
        assert!(
            !html.contains("<script"),
            "no script, and the record's is escaped"
        );
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(
            !html.contains("src=") && !html.contains("href="),
            "nothing fetched"
        );
        assert!(html.contains("<h1 data-field=\"title\">IR &lt;7&gt;</h1>"));
        assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"));
        assert!(html.contains("<strong>2 events</strong>: 1 from files verified"));
        assert!(html.contains("1 from files that failed verification, 0 not proven"));
        assert!(html.contains("data-event-id=\"e&quot;2\""));
        assert!(html.contains(&format!("SHA-256 {}", "ab".repeat(32))));
        assert!(html.contains("found with <code>eventName:StopLogging</code>"));
    }
}
