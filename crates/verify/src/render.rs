//! The report as JSON (the CLI's `--json`, the page's download) and as a printable HTML page
//! that records what was checked, with what, and when.

use serde::Serialize;

use crate::report::{IntegrityFinding, IntegritySeverity, ObjectType, Overall, Report, Summary};

/// Facts about a run that the report cannot know by itself: the caller's clock and inputs.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RunInfo {
    /// Tool name and version.
    pub tool: String,
    /// When the check ran (RFC 3339, from the caller's clock).
    pub checked_at: String,
    /// The window asked for, as given.
    pub window: Option<(String, String)>,
    /// `strict` or `aws-cli`.
    pub mode: String,
    /// Every input file: path, size in bytes, SHA-256 as stored.
    pub inputs: Vec<InputFile>,
    /// The keys given: fingerprint, and whether it is the MD5 of the key.
    pub keys: Vec<(String, bool)>,
    /// The case the check belongs to, as the analyst wrote it (empty: none).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub case: String,
    /// Who ran the check (empty: not given).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub analyst: String,
}

/// One input of a run.
#[derive(Clone, Debug, Serialize)]
pub struct InputFile {
    /// The path as given.
    pub path: String,
    /// Size as stored.
    pub bytes: u64,
    /// SHA-256 as stored, lowercase hex.
    pub sha256: String,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    overall: &'static str,
    headline: String,
    exit_code: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    fatal: Option<&'a str>,
    results: Vec<JsonResult<'a>>,
    notices: &'a [String],
    findings: &'a [IntegrityFinding],
    summary: &'a Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    run: Option<&'a RunInfo>,
}

#[derive(Serialize)]
struct JsonResult<'a> {
    #[serde(rename = "type")]
    object: &'static str,
    backfill: bool,
    bucket: &'a str,
    key: &'a str,
    verdict: &'a str,
    local_path: Option<&'a str>,
}

impl Report {
    /// `{"results":[{"type","bucket","key","verdict",...}],"findings":[...],"summary":{...}}`,
    /// pretty-printed; `run` adds what the check ran with.
    pub fn to_json(&self, run: Option<&RunInfo>) -> String {
        let json = JsonReport {
            overall: self.overall().id(),
            headline: self.headline(),
            exit_code: self.exit_code(),
            fatal: self.fatal.as_deref(),
            results: self
                .results
                .iter()
                .map(|r| JsonResult {
                    object: match r.object {
                        ObjectType::Digest => "digest",
                        ObjectType::Log => "log",
                    },
                    backfill: r.backfill,
                    bucket: &r.bucket,
                    key: &r.key,
                    verdict: &r.verdict,
                    local_path: r.local_path.as_deref(),
                })
                .collect(),
            notices: &self.notices,
            findings: &self.findings,
            summary: &self.summary,
            run,
        };
        serde_json::to_string_pretty(&json).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// A self-contained, printable HTML page of the report.
    pub fn to_html(&self, run: &RunInfo) -> String {
        let s = &self.summary;
        let mut h = String::with_capacity(64 * 1024 + self.results.len() * 300);
        h.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>CloudTrail log file integrity report</title><style>");
        h.push_str("body{font:13px/1.45 system-ui,sans-serif;color:#1c2330;margin:32px;}h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:24px 0 8px}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #dfe3e8;padding:4px 6px;text-align:left;vertical-align:top}th{color:#5f6b7a;font-weight:600}code,.mono{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}.bad{color:#b42318;font-weight:600}.warn{color:#a15c00}.ok{color:#1e7d46}.muted{color:#5f6b7a}.verdict{font-size:15px;margin:6px 0 10px}@media print{body{margin:0}}");
        h.push_str("</style></head><body>");
        h.push_str("<h1>CloudTrail log file integrity report</h1>");
        // The verdict first, in one line: what a reader of a printed report cites.
        let overall = self.overall();
        let class = match overall {
            Overall::Intact => "ok",
            Overall::NotIntact if !self.only_signatures_missing() => "bad",
            _ => "warn",
        };
        h.push_str(&format!(
            "<p class=\"verdict {class}\" data-overall=\"{}\"><strong>{}</strong></p>",
            overall.id(),
            esc(&self.headline())
        ));
        // The case and analyst, when given, right under the verdict: how a printed report is
        // filed and who answers for it.
        let mut case = Vec::new();
        if !run.case.trim().is_empty() {
            case.push(format!(
                "Case <strong data-field=\"case\">{}</strong>",
                esc(run.case.trim())
            ));
        }
        if !run.analyst.trim().is_empty() {
            case.push(format!(
                "Analyst <strong data-field=\"analyst\">{}</strong>",
                esc(run.analyst.trim())
            ));
        }
        if !case.is_empty() {
            h.push_str(&format!("<p class=\"case\">{}</p>", case.join(" · ")));
        }
        h.push_str(&format!(
            "<p class=\"muted\">Checked {} with {} ({} mode). Verified offline: SHA-256 of every log file against its digest, RSA signatures over the hourly digest chain.</p>",
            esc(&run.checked_at),
            esc(&run.tool),
            esc(&run.mode)
        ));
        h.push_str("<h2>Summary</h2><table>");
        let row = |h: &mut String, k: &str, v: String| {
            h.push_str(&format!("<tr><th>{}</th><td>{v}</td></tr>", esc(k)))
        };
        if let Some((a, b)) = &run.window {
            row(
                &mut h,
                "Window requested",
                format!("{} to {}", esc(a), esc(b)),
            );
        }
        if let Some(f) = &s.found {
            row(
                &mut h,
                "Covered by valid digests",
                format!("{} to {}", esc(&f.start), esc(&f.end)),
            );
        }
        let counts = |c: &crate::report::Counts| {
            format!(
                "<span class=\"ok\">{} valid</span>, <span class=\"{}\">{} invalid</span>, {} unverifiable, {} in all",
                c.valid,
                if c.invalid > 0 { "bad" } else { "muted" },
                c.invalid,
                c.unverifiable,
                c.total()
            )
        };
        row(&mut h, "Digest files", counts(&s.digests));
        if s.backfill_digests.total() > 0 {
            row(&mut h, "Backfill digest files", counts(&s.backfill_digests));
        }
        row(&mut h, "Log files", counts(&s.logs));
        row(
            &mut h,
            "Log files named by no digest",
            s.logs_not_covered.to_string(),
        );
        row(
            &mut h,
            "Time covered",
            s.covered
                .iter()
                .map(|r| format!("{} to {}", esc(&r.start), esc(&r.end)))
                .collect::<Vec<_>>()
                .join("<br>"),
        );
        if !s.gaps.is_empty() {
            row(
                &mut h,
                "Gaps",
                s.gaps
                    .iter()
                    .map(|r| {
                        format!(
                            "<span class=\"warn\">{} to {}</span>",
                            esc(&r.start),
                            esc(&r.end)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("<br>"),
            );
        }
        if let Some(n) = &s.newest_digest_end {
            row(&mut h, "Newest digest ends", esc(n));
        }
        row(
            &mut h,
            "Trails",
            s.trails
                .iter()
                .map(|t| esc(t))
                .collect::<Vec<_>>()
                .join("<br>"),
        );
        h.push_str("</table>");
        h.push_str("<h2>Public keys</h2><p class=\"muted\">The key list is the trust anchor: these keys were supplied by the user and trusted as given.</p><table><tr><th>Fingerprint</th><th>MD5 of key matches</th><th>Used</th></tr>");
        for (fp, matches) in &run.keys {
            let used = s.keys_used.iter().any(|k| k.starts_with(fp.as_str()));
            h.push_str(&format!(
                "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(fp),
                if *matches {
                    "yes"
                } else {
                    "<span class=\"bad\">no</span>"
                },
                if used { "yes" } else { "no" }
            ));
        }
        h.push_str("</table>");
        if !self.findings.is_empty() {
            h.push_str("<h2>Findings aws-cli does not report</h2><table><tr><th>IntegritySeverity</th><th>IntegrityFinding</th></tr>");
            for f in &self.findings {
                let class = match f.severity {
                    IntegritySeverity::Error => "bad",
                    IntegritySeverity::Warning => "warn",
                    IntegritySeverity::Info => "muted",
                };
                h.push_str(&format!(
                    "<tr><td class=\"{class}\">{:?}</td><td>{}</td></tr>",
                    f.severity,
                    esc(&f.message)
                ));
            }
            h.push_str("</table>");
        }
        if !self.notices.is_empty() {
            h.push_str("<h2>Notices</h2>");
            for n in &self.notices {
                h.push_str(&format!("<p>{}</p>", esc(n)));
            }
        }
        h.push_str("<h2>Files</h2><table><tr><th>Type</th><th>Object</th><th>Verdict</th></tr>");
        for r in &self.results {
            let class = if r.outcome.is_valid() {
                "ok"
            } else if r.outcome.is_invalid() {
                "bad"
            } else {
                "warn"
            };
            let kind = match (r.object, r.backfill) {
                (ObjectType::Digest, true) => "backfill digest",
                (ObjectType::Digest, false) => "digest",
                (ObjectType::Log, _) => "log",
            };
            h.push_str(&format!(
                "<tr><td>{kind}</td><td class=\"mono\">s3://{}/{}</td><td class=\"{class}\">{}</td></tr>",
                esc(&r.bucket),
                esc(&r.key),
                esc(&r.verdict)
            ));
        }
        h.push_str("</table>");
        h.push_str(
            "<h2>Inputs</h2><table><tr><th>File</th><th>Bytes</th><th>SHA-256 as stored</th></tr>",
        );
        for i in &run.inputs {
            h.push_str(&format!(
                "<tr><td class=\"mono\">{}</td><td>{}</td><td class=\"mono\">{}</td></tr>",
                esc(&i.path),
                i.bytes,
                esc(&i.sha256)
            ));
        }
        h.push_str("</table></body></html>\n");
        h
    }
}

/// HTML-escapes text.
fn esc(text: &str) -> String {
    trailscope_model::html_escape(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_it_prints() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        let run = RunInfo {
            tool: "t".into(),
            checked_at: "now".into(),
            mode: "strict".into(),
            ..RunInfo::default()
        };
        let mut report = Report::default();
        report.notices.push("<script>".into());
        let html = report.to_html(&run);
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
    }

    #[test]
    fn the_verdict_comes_first_in_one_line() {
        let run = RunInfo {
            tool: "t".into(),
            checked_at: "now".into(),
            mode: "strict".into(),
            ..RunInfo::default()
        };
        let report = Report::default();
        let html = report.to_html(&run);
        let verdict = format!(
            "<p class=\"verdict warn\" data-overall=\"nothing_to_verify\"><strong>{}</strong></p>",
            esc(&report.headline())
        );
        let at = html.find(&verdict).expect("the verdict line");
        assert!(
            at < html.find("Checked now").unwrap(),
            "before everything else"
        );
        assert!(at > html.find("</h1>").unwrap());
    }

    #[test]
    fn case_and_analyst_follow_the_verdict_escaped_and_only_when_given() {
        let mut run = RunInfo {
            tool: "t".into(),
            checked_at: "now".into(),
            mode: "strict".into(),
            ..RunInfo::default()
        };
        let report = Report::default();
        assert!(!report.to_html(&run).contains("class=\"case\""));
        run.case = " IR-7 <b> ".into();
        let html = report.to_html(&run);
        assert!(html.contains(
            "<p class=\"case\">Case <strong data-field=\"case\">IR-7 &lt;b&gt;</strong></p>"
        ));
        run.analyst = "Dana".into();
        let html = report.to_html(&run);
        let case = html.find("<p class=\"case\">").unwrap();
        assert!(html.contains("· Analyst <strong data-field=\"analyst\">Dana</strong>"));
        assert!(
            case > html.find("class=\"verdict").unwrap()
                && case < html.find("Checked now").unwrap()
        );
        let json: serde_json::Value = serde_json::from_str(&report.to_json(Some(&run))).unwrap();
        assert_eq!(json["run"]["case"], " IR-7 <b> ");
        assert_eq!(json["run"]["analyst"], "Dana");
    }
}
