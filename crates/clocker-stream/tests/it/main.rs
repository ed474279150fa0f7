//! The stream over real sockets: a random service and the stream on
//! 127.0.0.1:0, read by a small SSE client as a browser's EventSource would.

mod direct;
mod fanout;
mod resume;
mod support;
