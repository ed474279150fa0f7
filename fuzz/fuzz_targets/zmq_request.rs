#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clocker_timers::zmq::fuzz_request(data));
