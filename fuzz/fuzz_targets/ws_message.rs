#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clocker_funnel::fuzz_ws_message(data));
