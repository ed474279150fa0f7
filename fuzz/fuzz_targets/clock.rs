#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clocker_time::fuzz_clock(data));
