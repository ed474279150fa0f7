//! `GET /ws`: one task per WebSocket, forwarding its zone's latest frame.
//!
//! A client picks its zone with `/ws?tz=Area/City` or by sending
//! `{"tz":"Area/City"}`; a bad zone gets `{"error":"…"}` and the socket stays
//! open. A client that falls behind skips to the newest frame; one whose
//! send has been stuck for `send_timeout` (the runtime's write timeout), or that has not been heard from
//! (not even a Pong) for two to three ping periods, is closed. Shutdown
//! interrupts a stuck send at once, so one dead client cannot hold the drain.
//!
//! Clock sync, NTP-style: a client sends `{"ping":t0}` (its clock, unix ms)
//! and gets `{"pong":t0,"received":t1,"sent":t2}`, the fleet's time
//! (current-time's clock, unix ms with µs digits) when the ping arrived and
//! when the pong left; both `null` while the funnel has not yet read
//! current-time. Pings beyond a small burst (a token bucket) are dropped.

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Query, State};
use axum::response::Response;
use clocker_fanout::{Published, nanos};
use clocker_runtime::within;
use futures_util::SinkExt;
use jiff::tz::TimeZone;
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

/// What a client may send.
#[derive(Debug, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
enum ClientMessage {
    /// Follow another zone: `{"tz":"Area/City"}`.
    Zone { tz: String },
    /// A clock-sync probe: `{"ping":t0}`, t0 the client's clock.
    Ping { ping: f64 },
}

/// What a message that is neither is told.
const EXPECTED_MESSAGE: &str = r#"expected {"tz":"Area/City"} or {"ping":<your clock, unix ms>}"#;

/// A client may send this many pings at once (a sync burst is 8)...
const PING_BURST: f64 = 16.0;
/// ...and this many per second after that.
const PINGS_PER_SEC: f64 = 4.0;

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
            tasks.track_future(serve_client(socket, query.tz, state))
        })
}

/// Counts a connected socket in the funnel's clients for as long as it lives.
struct CountedClient(Arc<AtomicUsize>);

impl CountedClient {
    fn new(clients: &Arc<AtomicUsize>) -> Self {
        let now = clients.fetch_add(1, Ordering::Relaxed) + 1;
        metrics::gauge!("clocker_funnel_clients").set(now as f64);
        CountedClient(clients.clone())
    }
}

impl Drop for CountedClient {
    fn drop(&mut self) {
        let now = self.0.fetch_sub(1, Ordering::Relaxed) - 1;
        metrics::gauge!("clocker_funnel_clients").set(now as f64);
    }
}

/// Pushes frames of the client's zone until it goes, answering its zone
/// changes and pings.
async fn serve_client(socket: WebSocket, tz: Option<String>, state: AppState) {
    let _counted = CountedClient::new(&state.clients);
    let requested = tz.unwrap_or_else(|| state.default_zone.to_string());
    let mut client = Client {
        socket,
        state,
        subscription: None,
        ping_tokens: TokenBucket::new(PING_BURST, PINGS_PER_SEC),
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
                        let arrival = Arrival {
                            fleet_nanos: client.state.clock.now_nanos(),
                            at: last_heard,
                        };
                        if !client.on_text(&text, arrival).await {
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

/// When a message arrived: the fleet's time (if known) and the monotonic clock.
#[derive(Debug, Clone, Copy)]
struct Arrival {
    fleet_nanos: Option<i64>,
    at: Instant,
}

/// One connected socket and the zone it follows.
struct Client {
    socket: WebSocket,
    state: AppState,
    /// The zone's canonical name and its frames; `None` until a valid zone.
    subscription: Option<(String, watch::Receiver<Published>)>,
    ping_tokens: TokenBucket,
}

impl Client {
    /// Handles `{"tz":"Area/City"}` and `{"ping":t0}`. False when the
    /// socket is gone.
    async fn on_text(&mut self, text: &str, arrival: Arrival) -> bool {
        match serde_json::from_str::<ClientMessage>(text) {
            Ok(ClientMessage::Zone { tz }) => self.subscribe(&tz).await,
            Ok(ClientMessage::Ping { ping }) => {
                if !self.ping_tokens.try_take(arrival.at) {
                    return true;
                }
                // The fleet's time is read once, at arrival; the time since
                // is monotonic, so a pong never leaves before it arrived.
                let sent = arrival
                    .fleet_nanos
                    .map(|received| received.saturating_add(nanos(arrival.at.elapsed())));
                self.send(pong_json(ping, arrival.fleet_nanos, sent)).await
            }
            Err(_) => self.send(error_json(EXPECTED_MESSAGE)).await,
        }
    }

    /// Follows `zone` from now on (a no-op when it already does), or tells
    /// the client why not. False when the socket is gone.
    async fn subscribe(&mut self, zone: &str) -> bool {
        let (found, canonical) = match find_zone(zone) {
            Ok(found) => found,
            Err(error) => return self.send(error).await,
        };
        if self
            .subscription
            .as_ref()
            .is_none_or(|(current, _)| *current != canonical)
        {
            self.subscription = Some((canonical, self.state.hub.subscribe(&found)));
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

/// The zone a client asked for, with its canonical name, or the error the
/// client is sent.
fn find_zone(zone: &str) -> Result<(TimeZone, String), Message> {
    let Ok(found) = clocker_runtime::time_zone(zone) else {
        return Err(error_json(&format!(
            "unknown time zone '{zone}' (expected an IANA name such as Europe/Paris or UTC)"
        )));
    };
    let canonical = found.iana_name().unwrap_or(zone).to_owned();
    Ok((found, canonical))
}

/// The next frame of the zone followed; pending while there is none.
async fn next_frame(
    subscription: &mut Option<(String, watch::Receiver<Published>)>,
) -> Option<Utf8Bytes> {
    match subscription {
        Some((_, frames)) => {
            frames.changed().await.ok()?;
            Some(frames.borrow_and_update().json.clone())
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
    matches!(
        within(timeout, stop, socket.send(message)).await,
        Some(Ok(()))
    )
}

/// `{"pong":t0,"received":t1,"sent":t2}`, the fleet's times in unix
/// milliseconds with microsecond digits.
fn pong_json(ping: f64, received: Option<i64>, sent: Option<i64>) -> Message {
    let millis = |nanos: Option<i64>| nanos.map(|n| (n / 1_000) as f64 / 1_000.0);
    let pong =
        serde_json::json!({ "pong": ping, "received": millis(received), "sent": millis(sent) });
    Message::Text(pong.to_string().into())
}

/// Fuzzing entry point (`fuzz/fuzz_targets/ws_message.rs`, replayed on
/// stable from `fuzz/corpus/ws_message`): handles `data` as a client's text
/// message, as [`Client::on_text`] does, without a socket: the zone looked
/// up, or the pong built, or the error. Panics only on a defect: a reply
/// that is not JSON, or a pong that does not echo the ping.
pub fn fuzz_ws_message(data: &[u8]) {
    // The socket hands over text messages only, checked UTF-8 and bounded.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.len() > MAX_MESSAGE_BYTES {
        return;
    }
    let reply = match serde_json::from_str::<ClientMessage>(text) {
        Ok(ClientMessage::Zone { tz }) => match find_zone(&tz) {
            Ok((_, canonical)) => {
                assert!(!canonical.is_empty(), "{tz:?} found with an empty name");
                return;
            }
            Err(error) => error,
        },
        Ok(ClientMessage::Ping { ping }) => {
            let start = Instant::now();
            let mut bucket = TokenBucket::new(PING_BURST, PINGS_PER_SEC);
            assert!(bucket.try_take(start), "the first ping is always answered");
            let reply = pong_json(ping, Some(i64::MAX - 1), Some(i64::MAX));
            let Message::Text(pong) = &reply else {
                unreachable!("pongs are text")
            };
            let pong: serde_json::Value = serde_json::from_str(pong).expect("a pong is JSON");
            assert_eq!(
                pong["pong"].as_f64(),
                Some(ping),
                "the pong echoes the ping"
            );
            reply
        }
        Err(_) => error_json(EXPECTED_MESSAGE),
    };
    let Message::Text(reply) = reply else {
        unreachable!("replies are text")
    };
    serde_json::from_str::<serde_json::Value>(&reply).expect("a reply is JSON");
}

/// `burst` tokens at once, refilled at `per_sec`.
#[derive(Debug)]
struct TokenBucket {
    tokens: f64,
    burst: f64,
    per_sec: f64,
    refilled: Instant,
}

impl TokenBucket {
    fn new(burst: f64, per_sec: f64) -> Self {
        Self {
            tokens: burst,
            burst,
            per_sec,
            refilled: Instant::now(),
        }
    }

    /// Takes one token; false when none is left.
    fn try_take(&mut self, now: Instant) -> bool {
        let earned = now.saturating_duration_since(self.refilled).as_secs_f64() * self.per_sec;
        self.tokens = (self.tokens + earned).min(self.burst);
        self.refilled = now;
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }
}

fn error_json(message: &str) -> Message {
    Message::Text(serde_json::json!({ "error": message }).to_string().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(message: Message) -> String {
        match message {
            Message::Text(text) => text.to_string(),
            other => panic!("expected text, got {other:?}"),
        }
    }

    #[test]
    fn client_messages_are_zones_or_pings() {
        let zone: ClientMessage = serde_json::from_str(r#"{"tz":"Asia/Tokyo"}"#).expect("zone");
        assert!(matches!(zone, ClientMessage::Zone { tz } if tz == "Asia/Tokyo"));
        let ping: ClientMessage =
            serde_json::from_str(r#"{"ping":1795426867042.125}"#).expect("ping");
        assert!(matches!(ping, ClientMessage::Ping { ping } if ping == 1_795_426_867_042.125));
        for bad in [
            r#"{"ping":"soon"}"#,
            r#"{"ping":1e999}"#,
            r#"{}"#,
            "[1]",
            r#"{"tz":3}"#,
            r#"{"tz":"UTC","ping":1}"#,
        ] {
            assert!(serde_json::from_str::<ClientMessage>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pongs_echo_the_ping_and_carry_microseconds() {
        let pong = text(pong_json(
            12.5,
            Some(1_795_426_867_042_123_456),
            Some(1_795_426_867_042_987_999),
        ));
        assert_eq!(
            pong,
            r#"{"pong":12.5,"received":1795426867042.123,"sent":1795426867042.987}"#
        );
    }

    #[test]
    fn pongs_before_the_fleet_time_is_known_carry_nulls() {
        let pong = text(pong_json(7.0, None, None));
        assert_eq!(pong, r#"{"pong":7.0,"received":null,"sent":null}"#);
    }

    #[test]
    fn pings_beyond_the_burst_are_refused_until_refilled() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(3.0, 2.0);
        assert!((0..3).all(|_| bucket.try_take(start)));
        assert!(!bucket.try_take(start));
        assert!(bucket.try_take(start + Duration::from_millis(500)));
        assert!(!bucket.try_take(start + Duration::from_millis(500)));
        assert!(bucket.try_take(start + Duration::from_secs(60)));
    }
}
