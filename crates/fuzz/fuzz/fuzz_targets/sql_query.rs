#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trailscope_fuzz::sql_query(data));
