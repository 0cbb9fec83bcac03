//! The case kept in this browser's local storage (never sent anywhere), so pins, tags and
//! notes survive a reload. What a case is lives in the core (`trailscope_query::case`).

use trailscope_query::case::Case;

const KEY: &str = "trailscope.case";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The case kept from earlier, or an empty one; a kept case that no longer reads is reported,
/// not silently replaced (it stays in storage until the user saves over it).
pub fn load() -> (Case, Option<String>) {
    let Some(text) = storage().and_then(|s| s.get_item(KEY).ok().flatten()) else {
        return (Case::new(), None);
    };
    match Case::from_json(&text) {
        Ok(case) => (case, None),
        Err(e) => (
            Case::new(),
            Some(format!("The case kept in this browser could not be read ({e}); it was left as it is until this case is saved over it.")),
        ),
    }
}

/// Keeps the case; says why when the browser refuses (storage full or turned off).
pub fn store(case: &Case) -> Result<(), String> {
    let storage = storage().ok_or("this browser keeps no local storage for the page, so the case lasts only until the page closes: export it")?;
    if case.items.is_empty()
        && case.title.is_empty()
        && case.notes.is_empty()
        && case.analyst.is_empty()
    {
        return storage
            .remove_item(KEY)
            .map_err(|_| "the browser refused to clear the kept case".to_string());
    }
    storage.set_item(KEY, &case.to_json()).map_err(|_| {
        "the browser refused to keep the case (its storage is full or turned off): export it as JSON so nothing is lost".to_string()
    })
}
