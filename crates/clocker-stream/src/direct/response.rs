//! The SSE response writer: the response head (the SSE headers,
//! `Connection: close`, CORS for an allowed origin) and then the feed's
//! events, written straight to the socket until the client goes, the feed
//! ends or shutdown. A write that makes no progress for the write timeout
//! drops the client.

use std::pin::pin;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use clocker_fanout::sse::HEADERS;
use clocker_runtime::http::allowed_origin;
use clocker_runtime::{record_http_request, within};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::head::{Head, parse_head};
use super::{ROUTE, StreamResponder};
use crate::sse;

/// Fuzzing entry point (`fuzz/fuzz_targets/stream_head.rs`, replayed on
/// stable from `fuzz/corpus/stream_head`): decides `data` as the first bytes
/// of a connection, as the listener does, and for a `GET /stream` builds the
/// response head it would send. Panics only on a defect: a head that is
/// not one well-formed HTTP head (CORS must not let a request add lines).
pub fn fuzz_stream_head(data: &[u8]) {
    let Head::Stream { origin, .. } = parse_head(data) else {
        return;
    };
    let allowed = ["http://127.0.0.1:8080".to_owned(), "*".to_owned()];
    for origins in [&allowed[..1], &allowed[1..]] {
        let head = response_head(origin.as_deref(), origins);
        let lines = head.split(|&b| b == b'\n').count();
        let cors_lines = if origin
            .as_deref()
            .is_some_and(|o| allowed_origin(origins, o).is_some())
        {
            2
        } else {
            0
        };
        assert_eq!(
            lines,
            HEADERS.len() + cors_lines + 4,
            "a response head of unexpected shape: {:?}",
            String::from_utf8_lossy(&head)
        );
        assert!(head.ends_with(b"\r\n\r\n"));
    }
}

/// The response head: the SSE [`HEADERS`], `Connection: close`, and CORS for an
/// allowed origin (as the router's CORS layer answers a simple `GET`).
fn response_head(origin: Option<&str>, origins: &[String]) -> Vec<u8> {
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
    head.into_bytes()
}

/// Sends the feed to `tcp`, resuming after `last_event_id`, until the client
/// goes, the feed ends or shutdown.
pub(super) async fn send_events(
    tcp: TcpStream,
    last_event_id: Option<u64>,
    origin: Option<&str>,
    responder: &StreamResponder,
) {
    let started = Instant::now();
    let (mut reader, mut writer) = tcp.into_split();
    let head = response_head(origin, &responder.origins);
    let write_timeout = responder.write_timeout;
    let stop = &responder.shutdown;
    if !matches!(
        within(write_timeout, stop, writer.write_all(&head)).await,
        Some(Ok(()))
    ) {
        return;
    }
    record_http_request(
        crate::NAME,
        ROUTE.to_owned(),
        StatusCode::OK,
        started.elapsed(),
    );
    let events = responder
        .feed
        .subscribe(last_event_id)
        .map(|event| event.bytes);
    let mut body = pin!(sse::body(
        events,
        responder.counters.clone(),
        responder.keep_alive,
        responder.shutdown.clone(),
    ));
    // Anything the client sends now is ignored; its end is the stream's.
    let mut ignored = [0u8; 64];
    loop {
        let bytes = tokio::select! {
            bytes = body.next() => match bytes {
                Some(bytes) => bytes,
                None => break,
            },
            read = reader.read(&mut ignored) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            },
        };
        // A client that stopped reading is dropped, and cannot hold up
        // shutdown.
        match within(write_timeout, stop, writer.write_all(&bytes)).await {
            Some(Ok(())) => {}
            Some(Err(_)) => return,
            None => {
                if !stop.is_cancelled() {
                    tracing::debug!(
                        ?write_timeout,
                        "dropping a /stream client that stopped reading"
                    );
                }
                return;
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), writer.shutdown()).await;
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use clocker_runtime::CancellationToken;
    use tokio::net::TcpListener;

    use super::*;
    use crate::feed::{Event, Feed};

    #[tokio::test]
    async fn a_client_that_stops_reading_is_dropped_after_the_write_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr"))
            .await
            .expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        let feed = Feed::new(16);
        let write_timeout = Duration::from_millis(300);
        let responder = StreamResponder {
            feed: feed.clone(),
            counters: Arc::default(),
            keep_alive: Duration::from_secs(15),
            head_timeout: Duration::from_secs(1),
            write_timeout,
            origins: Vec::new(),
            shutdown: CancellationToken::new(),
        };
        let streaming =
            tokio::spawn(async move { send_events(server, None, None, &responder).await });
        let started = Instant::now();
        let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
        // The client never reads: its buffers fill, then writes stall.
        for id in 1.. {
            if streaming.is_finished() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "a client that stopped reading is still streamed to"
            );
            feed.publish(Event {
                id,
                bytes: chunk.clone(),
            });
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(started.elapsed() >= write_timeout);
        drop(client);
    }

    #[test]
    fn cors_is_answered_for_allowed_origins_only() {
        let origins = vec!["http://127.0.0.1:8080".to_owned()];
        let head = String::from_utf8(response_head(Some("http://127.0.0.1:8080"), &origins))
            .expect("ASCII");
        assert!(head.starts_with("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"));
        assert!(head.contains("access-control-allow-origin: http://127.0.0.1:8080\r\n"));
        assert!(head.ends_with("\r\n\r\n"));
        let head = String::from_utf8(response_head(Some("http://evil"), &origins)).expect("ASCII");
        assert!(!head.contains("access-control"));
        let any = vec!["*".to_owned()];
        let head = String::from_utf8(response_head(Some("http://any"), &any)).expect("ASCII");
        assert!(head.contains("access-control-allow-origin: *\r\n"));
    }
}
