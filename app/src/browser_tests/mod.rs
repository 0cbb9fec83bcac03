//! The app's tests in headless Chromium (wasm-bindgen-test) that reach past one module. They are
//! unit tests of the library, not files under `tests/`: an integration test makes cargo build
//! the app's two binaries too (minutes of CI for nothing these tests run).

mod spill;
mod ui;
mod wire;
