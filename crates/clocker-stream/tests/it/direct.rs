//! `GET /stream` is answered before the router (`clocker_stream::direct`);
//! everything else on the port still reaches the router, whole.

use std::net::SocketAddr;
use std::time::Duration;

use clocker_runtime::http::allowed_origins;

use crate::support::{FUNNEL, PATIENCE, Sse, StreamUnderTest};

#[tokio::test]
async fn the_stream_answers_cors_for_the_funnels_origin_only() {
    let services = StreamUnderTest::start(Duration::from_millis(10), 16).await;
    let funnel = allowed_origins(&[], Some(FUNNEL))[0].clone();
    let request = format!("GET /stream HTTP/1.1\r\nHost: x\r\nOrigin: {funnel}\r\n\r\n");
    let mut allowed = Sse::send(services.stream, &[request.as_bytes()]).await;
    assert_eq!(allowed.status, 200);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some(funnel.as_str())
    );
    assert_eq!(allowed.header("connection"), Some("close"));
    assert_eq!(allowed.header("cache-control"), Some("no-cache"));
    assert!(
        allowed
            .next()
            .await
            .is_some_and(|event| event.event == "data")
    );

    let request = b"GET /stream HTTP/1.1\r\nHost: x\r\nOrigin: http://elsewhere.example\r\n\r\n";
    let refused = Sse::send(services.stream, &[request]).await;
    assert_eq!(
        refused.status, 200,
        "the stream is public; browsers just may not read it"
    );
    assert_eq!(refused.header("access-control-allow-origin"), None);
}

/// `GET /stream{rest}` in `version`, sent in three pieces: cut inside
/// "/stream" (still possibly the direct path's) and inside the Host header.
async fn get_in_pieces(stream: SocketAddr, rest: &str, version: &str) -> Sse {
    let middle = format!("eam{rest} {version}\r\nHo");
    Sse::send(stream, &[b"GET /str", middle.as_bytes(), b"st: x\r\n\r\n"]).await
}

#[tokio::test]
async fn heads_arriving_in_pieces_reach_the_stream_and_the_router() {
    let services = StreamUnderTest::start(Duration::from_millis(10), 16).await;
    // Cut inside "GET /stream" (still possibly ours) and inside the headers;
    // however the server's reads cut them (the direct module's unit tests
    // feed a head in pieces deterministically), both answer whole requests.
    let mut stream = get_in_pieces(services.stream, "?last_event_id=1", "HTTP/1.1").await;
    assert_eq!(stream.status, 200);
    assert!(
        stream
            .next()
            .await
            .is_some_and(|event| event.event == "data")
    );
    // The same for the router: hyper must see every byte read, in order.
    let mut zone = get_in_pieces(services.stream, "/time?tz=Nowhere/Atall", "HTTP/1.0").await;
    assert_eq!(
        zone.status, 400,
        "an unknown zone, said by the router's handler"
    );
    let mut body = String::new();
    while let Some(line) = zone.line().await {
        body.push_str(&line);
    }
    assert!(body.contains("Nowhere/Atall"), "{body}");
}

#[tokio::test]
async fn shutdown_ends_the_stream_promptly() {
    let services = StreamUnderTest::start(Duration::from_millis(10), 16).await;
    let mut sse = Sse::open(services.stream, "/stream", None).await;
    assert!(sse.next().await.is_some());
    services.stop_stream();
    let ended = tokio::time::timeout(PATIENCE, async { while sse.next().await.is_some() {} }).await;
    assert!(ended.is_ok(), "the stream kept going after shutdown");
}
