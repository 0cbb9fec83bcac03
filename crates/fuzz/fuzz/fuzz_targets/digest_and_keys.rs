#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trailscope_fuzz::digest_and_keys(data));
