//! Saved views: filters for the investigations users ask for most, and the user's own, kept in
//! this browser's local storage (never sent anywhere).

use serde::{Deserialize, Serialize};

/// Built-in views: (name, filter).
pub const PRESETS: &[(&str, &str)] = &[
    (
        "Why AccessDenied",
        "errorCode:AccessDenied* errorCode:*UnauthorizedOperation errorCode:*Unauthorized*",
    ),
    ("Console logins", "eventName:ConsoleLogin"),
    (
        "Console logins without MFA",
        "eventName:ConsoleLogin mfa:false",
    ),
    (
        "Console logins from new IPs",
        "finding:console-login-from-new-ip",
    ),
    ("Failed console logins", "eventName:ConsoleLogin error:*"),
    ("Root activity", "userIdentity.type:Root"),
    ("All changes", "readOnly:false"),
    (
        "IAM changes",
        "eventSource:iam.amazonaws.com readOnly:false",
    ),
    ("AssumeRole", "eventName:AssumeRole*"),
    (
        "Changes outside business hours",
        "finding:iam-change-outside-business-hours",
    ),
    ("Not verified", "-integrity:verified"),
];

/// A view the user saved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedView {
    /// Its name.
    pub name: String,
    /// Its filter.
    pub filter: String,
}

const KEY: &str = "trailscope.saved-views";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The user's saved views.
pub fn load() -> Vec<SavedView> {
    storage()
        .and_then(|s| s.get_item(KEY).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

/// Keeps the user's saved views; says why when the browser refuses (storage full or off).
pub fn store(views: &[SavedView]) -> Result<(), String> {
    let storage = storage().ok_or("this browser keeps no local storage for the page")?;
    let json = serde_json::to_string(views).map_err(|e| e.to_string())?;
    storage.set_item(KEY, &json).map_err(|_| {
        "the browser refused to store the saved views (storage full or turned off)".into()
    })
}

const HISTORY_KEY: &str = "trailscope.filter-history";

/// Filters kept in the history (the oldest are forgotten first).
pub const HISTORY_LENGTH: usize = 20;

/// Filters applied before, most recent first (kept in this browser only).
pub fn history() -> Vec<String> {
    storage()
        .and_then(|s| s.get_item(HISTORY_KEY).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

/// Puts `filter` first in the history (once), forgetting past [`HISTORY_LENGTH`]; says why when
/// the browser refuses to keep it.
pub fn remember(filter: &str) -> Result<Vec<String>, String> {
    let filter = filter.trim();
    let mut list = history();
    if filter.is_empty() {
        return Ok(list);
    }
    list.retain(|f| f != filter);
    list.insert(0, filter.to_string());
    list.truncate(HISTORY_LENGTH);
    let storage = storage().ok_or("this browser keeps no local storage for the page")?;
    let json = serde_json::to_string(&list).map_err(|e| e.to_string())?;
    storage.set_item(HISTORY_KEY, &json).map_err(|_| {
        "the browser refused to keep the filter history (storage full or turned off)".to_string()
    })?;
    Ok(list)
}
