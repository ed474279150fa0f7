//! `GET /ws`: the clock over WebSocket.
//!
//! The upgrade is answered by the funnel's front door, straight off the
//! socket ([`WebSocketDoor`]), and the socket joins its shard's subscribers:
//! from then on the shard's writer writes it each tick's frame of its zone,
//! the very bytes encoded once for everyone (`clocker_fanout::subscribers`).
//! An upgrade the door does not take (a foreign origin, a malformed one,
//! one that is not its connection's first request) reaches the router,
//! which says why ([`refuse`]).
//!
//! A client picks its zone with `/ws?tz=Area/City` or by sending
//! `{"tz":"Area/City"}`; a bad zone gets `{"error":"…"}` and the socket stays
//! open. A client that falls behind skips to the newest frame; one whose
//! writes have made no progress for the runtime's write timeout, or that has
//! not been heard from (not even a Pong) for two ping periods, is closed.
//!
//! Clock sync, NTP-style: a client sends `{"ping":t0}` (its clock, unix ms)
//! and gets `{"pong":t0,"received":t1,"sent":t2}`, the fleet's time
//! (current-time's clock, unix ms with µs digits) when the ping arrived and
//! when the pong left; both `null` while the funnel has not yet read
//! current-time. Pings beyond a small burst (a token bucket) are dropped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use clocker_fanout::door::{Connection, FrontDoor, Head};
use clocker_fanout::subscribers::{Handler, Reaction, Shard, ShardConfig, Subscription, Wire};
use clocker_fanout::websocket::{self, close_code};
use clocker_fanout::{FleetClock, Hub, nanos};
use clocker_runtime::http::{AllowedHosts, ApiError, request_authority};
use clocker_runtime::{CancellationToken, record_http_request, within};
use jiff::tz::TimeZone;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

/// Incoming messages are tiny; anything larger is a misbehaving client.
const MAX_MESSAGE_BYTES: usize = 4 * 1024;

/// How often every client is pinged to see it is still there.
const PING_EVERY: Duration = Duration::from_secs(20);

/// The route.
const ROUTE: &str = "/ws";

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

/// How the funnel's shards treat their WebSockets.
pub fn shard_config(write_timeout: Duration) -> ShardConfig {
    ShardConfig {
        wire: Wire::WebSocket,
        write_timeout,
        keepalive_every: PING_EVERY,
        keepalive: websocket::encode(websocket::Opcode::Ping, b""),
        silence_limit: Some(2 * PING_EVERY),
        goodbye: Some(websocket::close(
            close_code::AWAY,
            "funnel is shutting down",
        )),
        max_message: MAX_MESSAGE_BYTES,
    }
}

/// The answers to clients' messages: zone changes and clock-sync pings.
#[derive(Debug)]
pub struct ClientMessages {
    pub hub: Arc<Hub>,
    /// The fleet's time, for clock-sync pongs.
    pub clock: Arc<FleetClock>,
}

impl Handler for ClientMessages {
    type State = TokenBucket;

    fn on_text(&self, pings: &mut TokenBucket, text: &str, arrived: Instant) -> Reaction {
        match serde_json::from_str::<ClientMessage>(text) {
            Ok(ClientMessage::Zone { tz }) => match find_zone(&tz) {
                Ok((found, _)) => Reaction {
                    follow: Some(self.hub.subscribe(&found)),
                    reply: None,
                },
                Err(error) => reply(error),
            },
            Ok(ClientMessage::Ping { ping }) => {
                if !pings.try_take(arrived) {
                    return Reaction::default();
                }
                // One read of the fleet's time; the time since the ping
                // arrived is monotonic, so a pong never leaves before it
                // arrived.
                let since_arrival = nanos(arrived.elapsed());
                let sent = self.clock.now_nanos();
                let received = sent.map(|sent| sent.saturating_sub(since_arrival));
                reply(pong_json(ping, received, sent))
            }
            Err(_) => reply(error_json(EXPECTED_MESSAGE)),
        }
    }
}

fn reply(text: String) -> Reaction {
    Reaction {
        reply: Some(text),
        follow: None,
    }
}

/// The funnel's front door: takes `GET /ws` upgrades it may answer.
#[derive(Debug)]
pub struct WebSocketDoor {
    pub shard: Arc<Shard<ClientMessages>>,
    pub hosts: AllowedHosts,
    pub hub: Arc<Hub>,
    pub default_zone: Arc<str>,
    pub write_timeout: Duration,
    pub shutdown: CancellationToken,
}

/// An upgrade the door takes.
#[derive(Debug)]
pub struct Upgrade {
    key: String,
    zone: Option<String>,
}

impl FrontDoor for WebSocketDoor {
    type Route = Upgrade;
    type Handler = ClientMessages;

    fn shard(&self) -> &Arc<Shard<ClientMessages>> {
        &self.shard
    }

    fn starts(&self) -> &'static [&'static [u8]] {
        &[b"GET /ws"]
    }

    fn route(&self, head: &Head<'_>) -> Option<Upgrade> {
        if head.method != "GET" || head.path != ROUTE || head.version != 1 {
            return None;
        }
        let key = upgrade_key(|name| head.header(name)).ok()?;
        // The router's Host and Origin checks, on the same head.
        let uri: Uri = head.target.parse().ok()?;
        let headers = head.header_map();
        self.hosts.of_request(&uri, &headers).ok()?;
        if let Some(origin) = head.header("origin") {
            let authority = request_authority(&uri, &headers).ok().flatten();
            if !self.hosts.allows_origin(origin, authority) {
                return None;
            }
        }
        Some(Upgrade {
            key: key.to_owned(),
            zone: head.query_param("tz"),
        })
    }

    async fn answer(
        &self,
        upgrade: Upgrade,
        connection: Connection,
    ) -> Option<Subscription<TokenBucket>> {
        let started = Instant::now();
        let mut tcp = connection.tcp;
        let switching = websocket::handshake_response(upgrade.key.as_bytes());
        if !matches!(
            within(
                self.write_timeout,
                &self.shutdown,
                tcp.write_all(&switching)
            )
            .await,
            Some(Ok(()))
        ) {
            return None;
        }
        record_http_request(
            crate::NAME,
            ROUTE.to_owned(),
            StatusCode::SWITCHING_PROTOCOLS,
            started.elapsed(),
        );
        let requested = upgrade.zone.as_deref().unwrap_or(&self.default_zone);
        let (channel, first) = match find_zone(requested) {
            Ok((zone, _)) => (Some(self.hub.subscribe(&zone)), None),
            Err(error) => (None, Some(websocket::text(&error))),
        };
        Some(Subscription {
            tcp,
            permit: connection.permit,
            channel,
            after: 0,
            first,
            early: connection.early,
            state: TokenBucket::new(PING_BURST, PINGS_PER_SEC),
        })
    }
}

/// The client's `Sec-WebSocket-Key` when the headers (read by `header`) ask
/// for a WebSocket the funnel speaks; else what is wrong.
fn upgrade_key<'a>(header: impl Fn(&str) -> Option<&'a str>) -> Result<&'a str, &'static str> {
    let has_token = |name: &str, token: &str| {
        header(name).is_some_and(|value| {
            value
                .split(',')
                .any(|part| part.trim().eq_ignore_ascii_case(token))
        })
    };
    if !has_token("upgrade", "websocket") || !has_token("connection", "upgrade") {
        return Err("expected a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)");
    }
    if header("sec-websocket-version").map(str::trim) != Some("13") {
        return Err("only WebSocket version 13 is spoken (Sec-WebSocket-Version: 13)");
    }
    match header("sec-websocket-key").map(str::trim) {
        Some(key) if key.len() == 24 => Ok(key),
        _ => Err("Sec-WebSocket-Key must be 16 bytes in base64"),
    }
}

/// `GET /ws` as the router sees it: an upgrade the front door did not take
/// (it checks Host and Origin before this), so it says why.
pub async fn refuse(headers: HeaderMap) -> Response {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let why = match upgrade_key(header) {
        Err(why) => why,
        Ok(_) => "a WebSocket upgrade must be the first request on its connection: open a new one",
    };
    let mut response = ApiError::Invalid(why.to_owned()).into_response();
    if why.contains("version") {
        *response.status_mut() = StatusCode::UPGRADE_REQUIRED;
        response.headers_mut().insert(
            "sec-websocket-version",
            axum::http::HeaderValue::from_static("13"),
        );
    }
    response
}

/// The zone a client asked for, with its canonical name, or the error the
/// client is sent.
fn find_zone(zone: &str) -> Result<(TimeZone, String), String> {
    let Ok(found) = clocker_runtime::time_zone(zone) else {
        return Err(error_json(&format!(
            "unknown time zone '{zone}' (expected an IANA name such as Europe/Paris or UTC)"
        )));
    };
    let canonical = clocker_runtime::zone_name(&found).to_owned();
    Ok((found, canonical))
}

/// `{"pong":t0,"received":t1,"sent":t2}`, the fleet's times in unix
/// milliseconds with microsecond digits.
fn pong_json(ping: f64, received: Option<i64>, sent: Option<i64>) -> String {
    let millis = |nanos: Option<i64>| nanos.map(|n| (n / 1_000) as f64 / 1_000.0);
    serde_json::json!({ "pong": ping, "received": millis(received), "sent": millis(sent) })
        .to_string()
}

/// Fuzzing entry point (`fuzz/fuzz_targets/ws_message.rs`, replayed on
/// stable from `fuzz/corpus/ws_message`): handles `data` as a client's text
/// message, as a shard hands it to [`ClientMessages::on_text`]. Panics only
/// on a defect: a reply that is not JSON, or a pong that does not echo the
/// ping.
pub fn fuzz_ws_message(data: &[u8]) {
    // The shard hands over text messages only, checked UTF-8 and bounded.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.len() > MAX_MESSAGE_BYTES {
        return;
    }
    let messages = ClientMessages {
        hub: Arc::default(),
        clock: Arc::default(),
    };
    let mut pings = TokenBucket::new(PING_BURST, PINGS_PER_SEC);
    let reaction = messages.on_text(&mut pings, text, Instant::now());
    let Some(reply) = reaction.reply else {
        assert!(
            reaction.follow.is_some(),
            "{text:?} got neither a reply nor a zone"
        );
        return;
    };
    let reply: serde_json::Value = serde_json::from_str(&reply).expect("a reply is JSON");
    if let Ok(ClientMessage::Ping { ping }) = serde_json::from_str(text) {
        assert_eq!(
            reply["pong"].as_f64(),
            Some(ping),
            "the pong echoes the ping"
        );
    }
}

/// `burst` tokens at once, refilled at `per_sec`.
#[derive(Debug)]
pub struct TokenBucket {
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

fn error_json(message: &str) -> String {
    serde_json::json!({ "error": message }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let pong = pong_json(
            12.5,
            Some(1_795_426_867_042_123_456),
            Some(1_795_426_867_042_987_999),
        );
        assert_eq!(
            pong,
            r#"{"pong":12.5,"received":1795426867042.123,"sent":1795426867042.987}"#
        );
    }

    #[test]
    fn pongs_before_the_fleet_time_is_known_carry_nulls() {
        let pong = pong_json(7.0, None, None);
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
