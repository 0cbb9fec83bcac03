//! Saving text the page made (reports, exports) as a file, without any server.

use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

/// Offers `text` as a download named `name`; returns why it could not.
pub fn save_text(name: &str, mime: &str, text: &str) -> Result<(), String> {
    save_parts(name, mime, &js_sys::Array::of1(&text.into()))
}

/// Offers the concatenation of `parts` (strings, byte arrays, blobs) as a download.
pub fn save_parts(name: &str, mime: &str, parts: &js_sys::Array) -> Result<(), String> {
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_u8_array_sequence_and_options(parts, &options)
        .map_err(|_| "the browser cannot make the file")?;
    let url =
        Url::create_object_url_with_blob(&blob).map_err(|_| "the browser cannot make a link")?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let anchor: HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| "cannot make a link")?
        .unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    // The click has started the download; the URL can go once the event loop turns.
    gloo_timers::callback::Timeout::new(1_000, move || {
        let _ = Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}
