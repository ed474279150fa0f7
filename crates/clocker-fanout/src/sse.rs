//! Server-Sent Events on the wire: the one place that writes their lines
//! (`event:`, `id:`, `data:`, comments, the `retry:` hint) and reads the id
//! a reconnecting client resumes after. Events are written once, as bytes,
//! and shared between clients; nothing here runs per client.

use std::fmt::Display;

use axum::http::HeaderMap;
use bytes::Bytes;

/// The headers of every SSE response (besides CORS).
pub const HEADERS: [(&str, &str); 3] = [
    ("content-type", "text/event-stream"),
    ("cache-control", "no-cache"),
    // Tells nginx (the Ingress) not to buffer the stream.
    ("x-accel-buffering", "no"),
];

/// How long a reconnecting `EventSource` waits (the browser default is 3 s),
/// sent first on every stream.
pub const RETRY: &[u8] = b"retry: 1000\n\n";

/// A comment sent on idle streams, so proxies keep them open.
pub const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

/// One complete event: `event: <kind>`, `id: <id>`, `data: <data>`.
/// `data` must be one line (JSON as `serde_json` writes it is).
pub fn event(kind: &str, id: impl Display, data: &str) -> Bytes {
    Bytes::from(format!("event: {kind}\nid: {id}\ndata: {data}\n\n"))
}

/// The id a reconnecting client last saw: the `Last-Event-ID` header (what
/// `EventSource` sends), else a `last_event_id` query parameter.
pub fn last_event_id(headers: &HeaderMap, query: Option<&str>) -> Option<u64> {
    let header = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok());
    resume_after(header, query)
}

/// The id to resume after: the `Last-Event-ID` header's, else the query's.
pub fn resume_after(header: Option<&str>, query: Option<&str>) -> Option<u64> {
    header.or(query).and_then(|id| id.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_its_three_lines_and_a_blank_one() {
        assert_eq!(
            &event("frame", 7_u64, r#"{"seq":7}"#)[..],
            b"event: frame\nid: 7\ndata: {\"seq\":7}\n\n"
        );
    }

    #[test]
    fn the_header_wins_over_the_query_and_junk_is_no_id() {
        assert_eq!(resume_after(Some(" 9 "), Some("7")), Some(9));
        assert_eq!(resume_after(None, Some("7")), Some(7));
        assert_eq!(resume_after(Some("x"), None), None);
    }
}
