//! The response head of an SSE route answered off the socket: the SSE
//! headers, `Connection: close`, CORS for an allowed origin, and the body's
//! first bytes, the `retry:` hint.

use clocker_fanout::door::{Decision, decide};
use clocker_fanout::sse::{HEADERS, RETRY};
use clocker_runtime::http::allowed_origin;

/// Fuzzing entry point (`fuzz/fuzz_targets/stream_head.rs`, replayed on
/// stable from `fuzz/corpus/stream_head`): decides `data` as the first bytes
/// of a connection, as the front door does, and for a route answered here
/// builds the response head it would send. Panics only on a defect: a head
/// that is not one well-formed HTTP head (CORS must not let a request add
/// lines).
pub fn fuzz_stream_head(data: &[u8]) {
    let Decision::Here(route, _) = decide(data, &[b"GET /stream"], super::route) else {
        return;
    };
    let allowed = ["http://127.0.0.1:8080".to_owned(), "*".to_owned()];
    for origins in [&allowed[..1], &allowed[1..]] {
        let origin = route.origin.as_deref();
        let head = head(origin, origins);
        let head = &head[..head.len() - RETRY.len()];
        let lines = head.split(|&b| b == b'\n').count();
        let cors_lines = if origin.is_some_and(|o| allowed_origin(origins, o).is_some()) {
            2
        } else {
            0
        };
        assert_eq!(
            lines,
            HEADERS.len() + cors_lines + 4,
            "a response head of unexpected shape: {:?}",
            String::from_utf8_lossy(head)
        );
        assert!(head.ends_with(b"\r\n\r\n"));
    }
}

/// The response head: the SSE [`HEADERS`], `Connection: close`, and CORS for an
/// allowed origin (as the router's CORS layer answers a simple `GET`);
/// then the `retry:` hint that starts every stream.
pub(super) fn head(origin: Option<&str>, origins: &[String]) -> Vec<u8> {
    let mut head = String::from("HTTP/1.1 200 OK\r\n");
    for (name, value) in HEADERS {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("connection: close\r\n");
    if let Some(allowed) = origin.and_then(|origin| allowed_origin(origins, origin)) {
        head.push_str(&format!(
            "access-control-allow-origin: {allowed}\r\nvary: origin\r\n"
        ));
    }
    head.push_str("\r\n");
    let mut head = head.into_bytes();
    head.extend_from_slice(RETRY);
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_is_answered_for_allowed_origins_only() {
        let origins = vec!["http://127.0.0.1:8080".to_owned()];
        let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("ASCII");
        let answer = text(head(Some("http://127.0.0.1:8080"), &origins));
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"));
        assert!(answer.contains("access-control-allow-origin: http://127.0.0.1:8080\r\n"));
        assert!(answer.ends_with("\r\n\r\nretry: 1000\n\n"));
        let answer = text(head(Some("http://evil"), &origins));
        assert!(!answer.contains("access-control"));
        let any = vec!["*".to_owned()];
        let answer = text(head(Some("http://any"), &any));
        assert!(answer.contains("access-control-allow-origin: *\r\n"));
    }
}
