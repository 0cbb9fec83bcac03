//! The worker binary: everything it does lives in `trailscope_app::worker`.
fn main() {
    trailscope_app::worker::start();
}
