//! The greeting example: the service over real gRPC on 127.0.0.1:0, and the
//! client program as a user runs it.

mod client_program;
mod service;
