//! A client that never reads its WebSocket holds only its newest frame (and a
//! few KiB of unsent bytes), does not stop the others' frames, and is dropped
//! once its socket has been stuck for the send timeout.

use clocker_fleet::ServiceName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

use crate::support::{PATIENCE, TestFleet, connect, http_get, next_frame};

/// A client with a tiny receive buffer that completes the WebSocket
/// handshake and then never reads again.
async fn stuck_client(funnel: std::net::SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(1024).expect("rcvbuf");
    let mut stuck = socket.connect(funnel).await.expect("connects");
    stuck
        .write_all(
            format!(
                "GET /ws?tz=UTC HTTP/1.1\r\nHost: {funnel}\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                 Sec-WebSocket-Version: 13\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .expect("handshake sent");
    let mut head = [0u8; 12];
    stuck
        .read_exact(&mut head)
        .await
        .expect("handshake answered");
    assert_eq!(&head, b"HTTP/1.1 101");
    stuck
}

async fn connected_clients(funnel: std::net::SocketAddr) -> u64 {
    let health: serde_json::Value =
        serde_json::from_str(&http_get(funnel, "/health").await).expect("JSON");
    health["clients"].as_u64().expect("a client count")
}

#[tokio::test]
async fn a_client_that_never_reads_is_dropped_while_others_keep_their_frames() {
    let fleet = TestFleet::start_only(
        &[ServiceName::Funnel],
        &["--tick", "2ms", "--write-timeout", "300ms"],
    )
    .await;
    let funnel = fleet.addr(ServiceName::Funnel);

    let stuck = stuck_client(funnel).await;

    let mut healthy = connect(funnel, "?tz=UTC").await;
    let deadline = Instant::now() + PATIENCE;
    while connected_clients(funnel).await != 2 {
        assert!(
            Instant::now() < deadline,
            "the stuck client was never counted"
        );
        next_frame(&mut healthy).await;
    }
    let mut previous = next_frame(&mut healthy).await;
    let mut dropped = false;
    while Instant::now() < deadline {
        // The healthy client keeps getting fresh frames in order throughout.
        for _ in 0..25 {
            let frame = next_frame(&mut healthy).await;
            assert!(frame.seq > previous.seq);
            previous = frame;
        }
        if connected_clients(funnel).await == 1 {
            dropped = true;
            break;
        }
    }
    assert!(dropped, "the stuck client was never dropped");
    drop(stuck);
    fleet.stop().await;
}

#[tokio::test]
async fn a_stuck_client_does_not_hold_the_funnel_shutdown() {
    // Longer than the test's patience: only an interrupted send stops in time.
    let mut fleet = TestFleet::start_only(
        &[ServiceName::Funnel],
        &["--tick", "2ms", "--write-timeout", "60s", "--drain", "60s"],
    )
    .await;
    let funnel = fleet.addr(ServiceName::Funnel);
    let _stuck = stuck_client(funnel).await;
    let mut healthy = connect(funnel, "?tz=UTC").await;
    // Let frames pile up until the stuck socket's unsent limit is reached.
    for _ in 0..500 {
        next_frame(&mut healthy).await;
    }
    let started = Instant::now();
    assert!(
        fleet.stop_service(ServiceName::Funnel).await,
        "the funnel stops by itself, without waiting for the stuck client"
    );
    assert!(started.elapsed() < PATIENCE, "{:?}", started.elapsed());
    fleet.stop().await;
}
