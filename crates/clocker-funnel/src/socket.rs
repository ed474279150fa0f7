//! `GET /ws`: one task per WebSocket, forwarding its zone's latest frame.
//!
//! A client picks its zone with `/ws?tz=Area/City` or by sending
//! `{"tz":"Area/City"}`; a bad zone gets `{"error":"…"}` and the socket stays
//! open. A client that falls behind skips to the newest frame; one whose
//! send has been stuck for `send_timeout`, or that has not been heard from
//! (not even a Pong) for two to three ping periods, is closed. Shutdown
//! interrupts a stuck send at once, so one dead client cannot hold the drain.

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
use tokio_util::sync::CancellationToken;

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

async fn serve(socket: WebSocket, tz: Option<String>, state: AppState) {
    let _connected = Connected::new(&state.clients);
    let requested = tz.unwrap_or_else(|| state.default_zone.to_string());
    let mut client = Client {
        socket,
        state,
        subscription: None,
    };
    if !client.subscribe(&requested).await {
        return;
    }
    let shutdown = client.state.shutdown.clone();
    let mut shutdown = pin!(shutdown.cancelled());
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
                // Shutdown has fired, so this send must not race it.
                let unstoppable = CancellationToken::new();
                send(&mut client.socket, goodbye, CLOSE_TIMEOUT, &unstoppable).await;
                return;
            }
            frame = next_frame(&mut client.subscription) => {
                let Some(frame) = frame else { return };
                if !client.send(Message::Text(frame)).await {
                    return;
                }
            }
            _ = keepalive.tick() => {
                if last_heard.elapsed() > 2 * PING_EVERY {
                    tracing::debug!("closing a WebSocket not heard from in {:?}", 2 * PING_EVERY);
                    return;
                }
                if !client.send(Message::Ping(Default::default())).await {
                    return;
                }
            }
            message = client.socket.recv() => {
                last_heard = Instant::now();
                match message {
                    Some(Ok(Message::Text(text))) => {
                        if !client.on_text(&text).await {
                            return;
                        }
                    }
                    Some(Ok(Message::Close(_))) => {
                        // The reply to the client's Close is queued; send it.
                        let _ = tokio::time::timeout(CLOSE_TIMEOUT, client.socket.flush()).await;
                        return;
                    }
                    Some(Err(_)) | None => return,
                    Some(Ok(_)) => {}
                }
            }
        }
    }
}

/// One connected socket and the zone it follows.
struct Client {
    socket: WebSocket,
    state: AppState,
    /// The zone's canonical name and its frames; `None` until a valid zone.
    subscription: Option<(String, watch::Receiver<Utf8Bytes>)>,
}

impl Client {
    /// Handles `{"tz":"Area/City"}`. False when the socket is gone.
    async fn on_text(&mut self, text: &str) -> bool {
        match serde_json::from_str::<ClientMessage>(text) {
            Ok(message) => self.subscribe(&message.tz).await,
            Err(_) => {
                self.send(error_json(r#"expected {"tz":"Area/City"}"#))
                    .await
            }
        }
    }

    /// Follows `zone` from now on (a no-op when it already does), or tells
    /// the client why not. False when the socket is gone.
    async fn subscribe(&mut self, zone: &str) -> bool {
        let Ok(found) = jiff::tz::db().get(zone) else {
            let error = error_json(&format!(
                "unknown time zone '{zone}' (expected an IANA name such as Europe/Paris or UTC)"
            ));
            return self.send(error).await;
        };
        let canonical = found.iana_name().unwrap_or(zone);
        if self
            .subscription
            .as_ref()
            .is_none_or(|(current, _)| current != canonical)
        {
            self.subscription = Some((canonical.to_owned(), self.state.hub.subscribe(&found)));
        }
        true
    }

    async fn send(&mut self, message: Message) -> bool {
        send(
            &mut self.socket,
            message,
            self.state.send_timeout,
            &self.state.shutdown,
        )
        .await
    }
}

/// The next frame of the zone followed; pending while there is none.
async fn next_frame(
    subscription: &mut Option<(String, watch::Receiver<Utf8Bytes>)>,
) -> Option<Utf8Bytes> {
    match subscription {
        Some((_, frames)) => {
            frames.changed().await.ok()?;
            Some(frames.borrow_and_update().clone())
        }
        None => std::future::pending().await,
    }
}

/// Sends `message`; false when the client is gone, stuck for `timeout`, or
/// `stop` fires first. A send that completes at once (the usual case) arms
/// no timer.
async fn send(
    socket: &mut WebSocket,
    message: Message,
    timeout: Duration,
    stop: &CancellationToken,
) -> bool {
    let mut sending = pin!(socket.send(message));
    if let Some(sent) = (&mut sending).now_or_never() {
        return sent.is_ok();
    }
    tokio::select! {
        sent = tokio::time::timeout(timeout, sending) => matches!(sent, Ok(Ok(()))),
        () = stop.cancelled() => false,
    }
}

fn error_json(message: &str) -> Message {
    Message::Text(serde_json::json!({ "error": message }).to_string().into())
}
