//! The view's state in the URL's fragment, so a link reopens the same view once the same files
//! are loaded: `#q=<filter>&order=old&cols=time,eventName,...&event=<eventID>&cmp=<id>,<id>&tab=sql&sql=<query>`.
//!
//! The fragment never reaches a server, which suits a page whose data never leaves the browser.

/// Everything about the view that a link should carry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ViewState {
    /// The filter expression.
    pub filter: String,
    /// Oldest first instead of newest first.
    pub oldest_first: bool,
    /// The field the table is sorted by instead of time, and whether largest first
    /// (`sort=eventName`, `sort=-eventName`).
    pub sort: Option<(String, bool)>,
    /// Visible table columns by id, in order (empty: the default set).
    pub columns: Vec<String>,
    /// The `eventID` of the event open in the detail view.
    pub event: Option<String>,
    /// `eventID`s pinned for comparison.
    pub compare: Vec<String>,
    /// The open tab (`events`, `findings`, `anomalies`, `integrity`, `sql`); empty for the default.
    pub tab: String,
    /// The SQL tab's query.
    pub sql: String,
}

impl ViewState {
    /// The fragment for this state, without the leading `#`.
    pub fn to_fragment(&self) -> String {
        let mut parts = Vec::new();
        if !self.filter.is_empty() {
            parts.push(format!("q={}", encode(&self.filter)));
        }
        if self.oldest_first {
            parts.push("order=old".to_string());
        }
        if let Some((field, descending)) = &self.sort {
            let sign = if *descending { "-" } else { "" };
            parts.push(format!("sort={sign}{}", encode(field)));
        }
        if !self.columns.is_empty() {
            parts.push(format!("cols={}", encode(&self.columns.join(","))));
        }
        if let Some(id) = &self.event {
            parts.push(format!("event={}", encode(id)));
        }
        if !self.compare.is_empty() {
            parts.push(format!("cmp={}", encode(&self.compare.join(","))));
        }
        if !self.tab.is_empty() {
            parts.push(format!("tab={}", encode(&self.tab)));
        }
        if !self.sql.is_empty() {
            parts.push(format!("sql={}", encode(&self.sql)));
        }
        parts.join("&")
    }

    /// Reads a fragment (with or without its `#`); unknown keys are ignored, so older and
    /// newer links both open.
    pub fn from_fragment(fragment: &str) -> Self {
        let mut state = ViewState::default();
        let list = |v: String| -> Vec<String> {
            v.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        for part in fragment.trim_start_matches('#').split('&') {
            let Some((key, value)) = part.split_once('=') else {
                continue;
            };
            let value = decode(value);
            match key {
                "q" => state.filter = value,
                "order" => state.oldest_first = value == "old",
                "cols" => state.columns = list(value),
                "sort" => {
                    state.sort = match value.strip_prefix('-') {
                        Some(field) => Some((field.to_string(), true)),
                        None => Some((value, false)),
                    }
                    .filter(|(field, _)| !field.is_empty());
                }
                "event" => state.event = Some(value).filter(|v| !v.is_empty()),
                "cmp" => state.compare = list(value),
                "tab" => state.tab = value,
                "sql" => state.sql = value,
                _ => {}
            }
        }
        state
    }
}

fn encode(text: &str) -> String {
    String::from(js_sys::encode_uri_component(text))
}

fn decode(text: &str) -> String {
    js_sys::decode_uri_component(text)
        .map(String::from)
        .unwrap_or_else(|_| text.to_string())
}

/// The page's current fragment.
pub fn current() -> ViewState {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    ViewState::from_fragment(&hash)
}

/// Records `state` in the URL without adding a history entry per keystroke.
pub fn replace(state: &ViewState) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let fragment = state.to_fragment();
    let url = if fragment.is_empty() {
        // Keep the path and query; drop only the fragment.
        let location = window.location();
        format!(
            "{}{}",
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default()
        )
    } else {
        format!("#{fragment}")
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}
