//! Integration tests of the clock services over real gRPC on 127.0.0.1:0.

mod components;
mod current_time;
mod support;
