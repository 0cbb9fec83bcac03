//! SHA-256 through the browser's WebCrypto, for verify-only mode.
//!
//! WebCrypto runs the browser's native SHA-256 (with the CPU's SHA instructions where it has
//! them), several times faster than `sha2` compiled to wasm, which has no SIMD or SHA-extension
//! backend (README, "Performance"). The core crates keep `sha2`; the page only uses this to hash
//! whole buffers it already holds, and `tests/ui.rs` checks both give the same digests.

use js_sys::{ArrayBuffer, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The SHA-256 of `bytes` as lowercase hex, or `None` when WebCrypto is not available (an
/// insecure context, say), so the caller hashes with `sha2` instead.
pub async fn sha256_hex(bytes: &[u8]) -> Option<String> {
    sha256_hex_of(start_sha256(bytes)?).await
}

/// Starts WebCrypto's SHA-256 of `bytes`, or `None` without WebCrypto. The browser hashes on its
/// own threads while the caller goes on; [`sha256_hex_of`] waits for the answer.
pub fn start_sha256(bytes: &[u8]) -> Option<js_sys::Promise> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    let subtle: web_sys::SubtleCrypto = Reflect::get(&crypto, &"subtle".into())
        .ok()?
        .dyn_into()
        .ok()?;
    // `digest` copies the bytes before it returns (WebCrypto spec), so passing a view of wasm
    // memory is safe even though the memory may grow while the promise is pending.
    subtle.digest_with_str_and_u8_array("SHA-256", bytes).ok()
}

/// The lowercase hex of a digest [`start_sha256`] started, or `None` if it failed.
pub async fn sha256_hex_of(digest: js_sys::Promise) -> Option<String> {
    let buffer: ArrayBuffer = JsFuture::from(digest).await.ok()?.dyn_into().ok()?;
    Some(trailscope_model::hex_lower(
        &Uint8Array::new(&buffer).to_vec(),
    ))
}
