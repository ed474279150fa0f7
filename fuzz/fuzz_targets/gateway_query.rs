#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clocker_gateway::fuzz_gateway_query(data));
