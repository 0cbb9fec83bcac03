//! The event table's columns on screen. Which columns exist, their titles and filter fields
//! live in the core (`trailscope_query::columns`, shared with the CSV that follows the table);
//! here is only how a cell reads on screen.

use trailscope_query::columns::ColumnKind;
use trailscope_query::EventRow;

pub use trailscope_query::columns::{default_ids, COLUMNS, PATH_PREFIX};

/// A column of the table as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Its id (`user`, `path:requestParameters.bucketName`).
    pub id: String,
    /// The CSS class suffix and `data-testid="cell-<key>"` (path columns share `path`).
    pub key: &'static str,
    /// Header text.
    pub title: String,
    /// The filter field a click on a value adds a term for.
    pub field: Option<String>,
    /// For a column read from the record: where its values sit in a row's `extra`.
    pub extra: Option<usize>,
}

/// The columns `ids` name, in that order, with the positions of the record columns' values.
/// An id that names no column (a link from a newer version, say) is left out of the table.
pub fn visible(ids: &[String]) -> Vec<Column> {
    let mut extra = 0;
    ids.iter()
        .filter_map(|id| {
            let kind = ColumnKind::of(id).ok()?;
            let at = kind.reads_record().then(|| {
                extra += 1;
                extra - 1
            });
            Some(Column {
                id: id.clone(),
                key: match &kind {
                    ColumnKind::BuiltIn(c) => c.id,
                    ColumnKind::Path(_) => "path",
                },
                title: kind.title(),
                field: kind.filter_field().map(str::to_string),
                extra: at,
            })
        })
        .collect()
}

/// Narrowest a column can be dragged to, and the width one takes before it is given one.
pub const MIN_WIDTH_PX: u32 = 60;
/// The width a column is laid out at before the user sets one (for the table's total width).
pub const DEFAULT_WIDTH_PX: u32 = 120;

/// Local storage: the widths the user gave columns, so they survive a reload (a layout
/// preference of this browser, not part of a view's link).
const WIDTHS_KEY: &str = "trailscope.columns.widths";

/// Widths as kept (`[["id", px], ...]`): unreadable text gives none, and each width is held
/// between [`MIN_WIDTH_PX`] and [`MAX_WIDTH_PX`], as dragging would.
pub fn widths_from_json(text: &str) -> Vec<(String, u32)> {
    serde_json::from_str::<Vec<(String, u32)>>(text)
        .unwrap_or_default()
        .into_iter()
        .filter(|(id, _)| !id.is_empty())
        .map(|(id, px)| (id, px.clamp(MIN_WIDTH_PX, MAX_WIDTH_PX)))
        .collect()
}

/// The widths kept in this browser.
pub fn kept_widths() -> Vec<(String, u32)> {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(WIDTHS_KEY).ok().flatten())
        .map(|text| widths_from_json(&text))
        .unwrap_or_default()
}

/// Keeps `widths` in this browser (silently not, where it keeps no local storage: the widths
/// then last until the page closes, which is all they are for).
pub fn keep_widths(widths: &[(String, u32)]) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(
            WIDTHS_KEY,
            &serde_json::to_string(widths).unwrap_or_default(),
        );
    }
}

/// Widest a column can be dragged to.
pub const MAX_WIDTH_PX: u32 = 2000;

/// `ids` with `id` moved to `to` (an index into the list without it); unchanged when `id` is
/// not there. Dragging a header onto another, or Alt+arrow on a header, reorders this way.
pub fn moved(ids: &[String], id: &str, to: usize) -> Vec<String> {
    let Some(from) = ids.iter().position(|i| i == id) else {
        return ids.to_vec();
    };
    let mut out = ids.to_vec();
    let taken = out.remove(from);
    out.insert(to.min(out.len()), taken);
    out
}

/// The inline style that holds a column at the width the user gave it (none: the stylesheet's).
pub fn width_style(widths: &[(String, u32)], id: &str) -> String {
    widths
        .iter()
        .find(|(i, _)| i == id)
        .map(|(_, px)| format!("flex: 0 0 {px}px; min-width: {px}px; max-width: {px}px"))
        .unwrap_or_default()
}

/// The ids among `ids` whose values come from the record (asked for with each window of rows,
/// in this order, which is the order of [`Column::extra`]).
pub fn record_ids(ids: &[String]) -> Vec<String> {
    ids.iter()
        .filter(|id| ColumnKind::of(id).is_ok_and(|k| k.reads_record()))
        .cloned()
        .collect()
}

/// What a cell shows, and the value a click filters on (the raw value, not the display).
pub fn cell(column: &Column, row: &EventRow) -> (String, Option<String>) {
    let text = |v: &Option<String>| (v.clone().unwrap_or_default(), v.clone());
    match column.key {
        "time" => (
            row.time
                .map(crate::format::time_millis)
                .unwrap_or_else(|| "no time".into()),
            None,
        ),
        "event-name" => text(&row.event_name),
        "event-source" => text(&row.event_source),
        "user" => text(&row.user),
        "identity-type" => text(&row.identity_type),
        "access-key" => text(&row.access_key_id),
        "principal" => text(&row.principal_arn),
        "source-ip" => text(&row.source_ip),
        "region" => text(&row.region),
        "account" => text(&row.account),
        "read-write" => match row.read_only {
            Some(true) => ("read".into(), Some("true".into())),
            Some(false) => ("write".into(), Some("false".into())),
            None => (String::new(), None),
        },
        "error" => text(&row.error),
        "event-id" => text(&row.event_id),
        "user-agent" => text(&row.user_agent),
        "event-type" => text(&row.event_type),
        "category" => text(&row.event_category),
        // An event whose files disagree says so first: the copy shown is one of several.
        "integrity" => match (row.integrity.as_deref(), row.conflict) {
            (Some(raw), true) => (
                format!("{} · conflict", integrity_label(raw)),
                Some(raw.to_string()),
            ),
            (None, true) => ("conflict".into(), None),
            (Some(raw), false) => (integrity_label(raw).to_string(), Some(raw.to_string())),
            (None, false) => (String::new(), None),
        },
        _ => (String::new(), None),
    }
}

/// How an integrity status reads in the table.
pub fn integrity_label(raw: &str) -> &'static str {
    match raw {
        "verified" => "verified",
        "failed" => "file failed",
        "unverified" => "unverified",
        "not_covered" => "not covered",
        _ => "unknown",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    // The app builds for wasm32 only, so its unit tests run in the browser (the wasm tests of
    // scripts/test.sh), where a plain #[test] would not run.
    use wasm_bindgen_test::wasm_bindgen_test;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[wasm_bindgen_test]
    fn kept_widths_read_back_and_stay_in_bounds() {
        let widths = vec![("time".to_string(), 180), ("path:a.b".to_string(), 75)];
        let text = serde_json::to_string(&widths).unwrap();
        assert_eq!(widths_from_json(&text), widths);
        assert_eq!(
            widths_from_json(r#"[["user", 5], ["ip", 99999], ["", 100]]"#),
            vec![
                ("user".to_string(), MIN_WIDTH_PX),
                ("ip".to_string(), MAX_WIDTH_PX)
            ]
        );
        assert!(widths_from_json("not json").is_empty());
        assert!(widths_from_json(r#"{"time": 100}"#).is_empty());
    }

    #[wasm_bindgen_test]
    fn a_column_moves_to_its_new_place_and_nothing_else_changes() {
        let cols = ids(&["time", "event-name", "user", "source-ip"]);
        assert_eq!(
            moved(&cols, "source-ip", 0),
            ids(&["source-ip", "time", "event-name", "user"])
        );
        assert_eq!(
            moved(&cols, "time", 2),
            ids(&["event-name", "user", "time", "source-ip"])
        );
        assert_eq!(
            moved(&cols, "time", 99),
            ids(&["event-name", "user", "source-ip", "time"])
        );
        assert_eq!(moved(&cols, "user", 2), cols, "to where it is");
        assert_eq!(moved(&cols, "nope", 0), cols);
    }

    #[wasm_bindgen_test]
    fn only_a_column_given_a_width_is_held_at_it() {
        let widths = vec![("user".to_string(), 240)];
        assert_eq!(
            width_style(&widths, "user"),
            "flex: 0 0 240px; min-width: 240px; max-width: 240px"
        );
        assert_eq!(width_style(&widths, "time"), "");
    }
}
