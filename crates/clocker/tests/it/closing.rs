//! WebSocket goodbyes: both ways, the close handshake completes.

use clocker_fleet::ServiceName;
use futures_util::{SinkExt, StreamExt};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::support::{FAST_TICKS, PATIENCE, TestFleet, connect, next_frame};

/// Reads until the server's Close arrives, and returns it.
async fn close_from_server(socket: &mut crate::support::Socket) -> Option<CloseFrame> {
    loop {
        let message = timeout(PATIENCE, socket.next())
            .await
            .expect("the server closes within the deadline")
            .expect("a Close before the end of the stream")
            .expect("a clean close, not a broken connection");
        if let Message::Close(frame) = message {
            return frame;
        }
    }
}

#[tokio::test]
async fn a_client_close_is_answered_with_a_close() {
    let fleet = TestFleet::start_only(&[ServiceName::Funnel], &FAST_TICKS).await;
    let mut socket = connect(fleet.addr(ServiceName::Funnel), "?tz=UTC").await;
    next_frame(&mut socket).await;
    socket
        .send(Message::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        })))
        .await
        .expect("close sent");
    let reply = close_from_server(&mut socket).await;
    assert_eq!(reply.map(|f| f.code), Some(CloseCode::Normal));
    fleet.stop().await;
}

#[tokio::test]
async fn stopping_the_funnel_says_going_away_to_every_client() {
    let mut fleet = TestFleet::start_only(&[ServiceName::Funnel], &FAST_TICKS).await;
    let funnel = fleet.addr(ServiceName::Funnel);
    let mut first = connect(funnel, "?tz=UTC").await;
    let mut second = connect(funnel, "?tz=Asia/Tokyo").await;
    next_frame(&mut first).await;
    next_frame(&mut second).await;

    fleet.stop_service(ServiceName::Funnel).await;
    for socket in [&mut first, &mut second] {
        let goodbye = close_from_server(socket)
            .await
            .expect("a close frame with a code");
        assert_eq!(goodbye.code, CloseCode::Away);
        assert!(
            goodbye.reason.contains("shutting down"),
            "{}",
            goodbye.reason
        );
    }
    fleet.stop().await;
}
