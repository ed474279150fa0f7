#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clocker_stream::fuzz_stream_head(data));
