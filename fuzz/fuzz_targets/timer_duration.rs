#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clocker_timers::fuzz_timer_duration(data));
