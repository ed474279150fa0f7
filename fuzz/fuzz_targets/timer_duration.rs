#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clocker_wire::fuzz_timer_duration(data));
