//! `GET /ws`: one task per WebSocket, forwarding its zone's latest frame.
//!
//! A client picks its zone with `/ws?tz=Area/City` or by sending
//! `{"tz":"Area/City"}`; a bad zone gets `{"error":"…"}` and the socket stays
//! open. A client that falls behind skips to the newest frame; one whose
//! send has been stuck for `send_timeout`, or that has not been heard from
//! (not even a Pong) for two ping periods, is closed.

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Query, State};
use axum::response::Response;
use futures_util::{FutureExt, SinkExt};
use serde::Deserialize;
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use crate::AppState;

/// Incoming messages are tiny; anything larger is a misbehaving client.
const MAX_MESSAGE_BYTES: usize = 4 * 1024;

/// How often an otherwise silent client is pinged to see it is still there.
const PING_EVERY: Duration = Duration::from_secs(20);

/// How long goodbyes (our Close, or the reply to the client's) may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug, Deserialize)]
pub struct WsQuery {
    tz: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientMessage {
    tz: String,
}

pub async fn upgrade(
    ws: WebSocketUpgrade,
    Query(query): Query<WsQuery>,
    State(state): State<AppState>,
) -> Response {
    ws.read_buffer_size(MAX_MESSAGE_BYTES)
        .write_buffer_size(0)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| {
            let tasks = state.tasks.clone();
            tasks.track_future(serve(socket, query.tz, state))
        })
}

/// Counts a connected socket for as long as it lives.
struct Connected(Arc<AtomicUsize>);

impl Connected {
    fn new(clients: &Arc<AtomicUsize>) -> Self {
        let now = clients.fetch_add(1, Ordering::Relaxed) + 1;
        metrics::gauge!("clocker_funnel_clients").set(now as f64);
        Connected(clients.clone())
    }
}

impl Drop for Connected {
    fn drop(&mut self) {
        let now = self.0.fetch_sub(1, Ordering::Relaxed) - 1;
        metrics::gauge!("clocker_funnel_clients").set(now as f64);
    }
}

async fn serve(mut socket: WebSocket, tz: Option<String>, state: AppState) {
    let _connected = Connected::new(&state.clients);
    let requested = tz.unwrap_or_else(|| state.default_zone.to_string());
    let mut frames = None;
    if !subscribe(&mut socket, &state, &requested, &mut frames).await {
        return;
    }
    let mut shutdown = pin!(state.shutdown.cancelled());
    let mut keepalive = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    keepalive.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    loop {
        tokio::select! {
            () = &mut shutdown => {
                let goodbye = Message::Close(Some(CloseFrame {
                    code: close_code::AWAY,
                    reason: Utf8Bytes::from_static("funnel is shutting down"),
                }));
                send(&mut socket, goodbye, CLOSE_TIMEOUT).await;
                return;
            }
            frame = next_frame(&mut frames) => {
                let Some(frame) = frame else { return };
                if !send(&mut socket, Message::Text(frame), state.send_timeout).await {
                    return;
                }
            }
            _ = keepalive.tick() => {
                if last_heard.elapsed() > 2 * PING_EVERY {
                    tracing::debug!("closing a WebSocket not heard from in {:?}", 2 * PING_EVERY);
                    return;
                }
                if !send(&mut socket, Message::Ping(Default::default()), state.send_timeout).await {
                    return;
                }
            }
            message = socket.recv() => {
                last_heard = Instant::now();
                match message {
                    Some(Ok(Message::Text(text))) => {
                        if !on_text(&mut socket, &state, &text, &mut frames).await {
                            return;
                        }
                    }
                    Some(Ok(Message::Close(_))) => {
                        // The reply to the client's Close is queued; send it.
                        let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.flush()).await;
                        return;
                    }
                    Some(Err(_)) | None => return,
                    Some(Ok(_)) => {}
                }
            }
        }
    }
}

/// Handles `{"tz":"Area/City"}`. False when the socket is gone.
async fn on_text(
    socket: &mut WebSocket,
    state: &AppState,
    text: &str,
    frames: &mut Option<watch::Receiver<Utf8Bytes>>,
) -> bool {
    match serde_json::from_str::<ClientMessage>(text) {
        Ok(message) => subscribe(socket, state, &message.tz, frames).await,
        Err(_) => {
            let error = error_json(r#"expected {"tz":"Area/City"}"#);
            send(socket, error, state.send_timeout).await
        }
    }
}

/// Switches `frames` to `zone`, or tells the client why not. False when the
/// socket is gone.
async fn subscribe(
    socket: &mut WebSocket,
    state: &AppState,
    zone: &str,
    frames: &mut Option<watch::Receiver<Utf8Bytes>>,
) -> bool {
    match jiff::tz::db().get(zone) {
        Ok(found) => {
            *frames = Some(state.hub.subscribe(&found));
            true
        }
        Err(_) => {
            let error = error_json(&format!(
                "unknown time zone '{zone}' (expected an IANA name such as Europe/Paris or UTC)"
            ));
            send(socket, error, state.send_timeout).await
        }
    }
}

async fn next_frame(frames: &mut Option<watch::Receiver<Utf8Bytes>>) -> Option<Utf8Bytes> {
    match frames {
        Some(receiver) => {
            receiver.changed().await.ok()?;
            Some(receiver.borrow_and_update().clone())
        }
        None => std::future::pending().await,
    }
}

/// Sends `message`; false when the client is gone or stuck for `timeout`.
/// A send that completes at once (the usual case) arms no timer.
async fn send(socket: &mut WebSocket, message: Message, timeout: Duration) -> bool {
    let mut sending = pin!(socket.send(message));
    if let Some(sent) = (&mut sending).now_or_never() {
        return sent.is_ok();
    }
    matches!(tokio::time::timeout(timeout, sending).await, Ok(Ok(())))
}

fn error_json(message: &str) -> Message {
    Message::Text(serde_json::json!({ "error": message }).to_string().into())
}
