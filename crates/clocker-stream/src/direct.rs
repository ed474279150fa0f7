//! The SSE routes answered straight off the socket: `GET /stream` (the
//! random feed) and `GET /stream/time?tz=` (clock frames), the routes with
//! thousands of listeners.
//!
//! The stream's front door (`clocker_fanout::door`) reads each new
//! connection's request head; these two it answers here with the response
//! head ([`response`]) and hands the socket to its shard's subscribers,
//! whose writer writes every event, encoded once for everyone, straight to
//! it. The answer is HTTP/1.1 with `Connection: close`: the body is the raw
//! event stream, ending when the connection does (no chunked framing, so
//! every client is sent the very bytes the event was encoded in). Every
//! other request, and these two as a later request on a kept-alive
//! connection or with an unknown zone, go on to the router, which answers
//! them the same way with a task per response (`sse`).

mod response;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use clocker_fanout::door::{Connection, FrontDoor, Head};
use clocker_fanout::subscribers::{Listening, Shard, ShardConfig, Subscription, Wire};
use clocker_fanout::{Channel, Hub, sse};
use clocker_runtime::{CancellationToken, record_http_request, within};
use jiff::tz::TimeZone;
use tokio::io::AsyncWriteExt;

use crate::feed::Feed;

pub use response::fuzz_stream_head;

/// The feed's route.
const FEED_ROUTE: &str = "/stream";
/// The clock's route.
const CLOCK_ROUTE: &str = "/stream/time";

/// How the stream's shards treat their subscribers.
pub fn shard_config(write_timeout: Duration, keep_alive: Duration) -> ShardConfig {
    ShardConfig {
        wire: Wire::Sse,
        write_timeout,
        keepalive_every: keep_alive,
        keepalive: bytes::Bytes::from_static(sse::KEEP_ALIVE),
        silence_limit: None,
        goodbye: None,
        max_message: 0,
    }
}

/// The stream's front door.
#[derive(Debug)]
pub struct StreamDoor {
    pub shard: Arc<Shard<Listening>>,
    pub feed: Arc<Feed>,
    pub hub: Arc<Hub>,
    /// Origins whose pages may read the streams (CORS).
    pub origins: Vec<String>,
    /// How long a write may make no progress before the client is dropped.
    pub write_timeout: Duration,
    pub shutdown: CancellationToken,
}

/// A request answered here.
#[derive(Debug)]
pub struct Route {
    what: Followed,
    origin: Option<String>,
}

/// What the client follows.
#[derive(Debug)]
enum Followed {
    /// The feed, resuming after this id.
    Feed { last_event_id: Option<u64> },
    /// One zone's clock frames.
    Clock { zone: TimeZone },
}

impl FrontDoor for StreamDoor {
    type Route = Route;
    type Handler = Listening;

    fn shard(&self) -> &Arc<Shard<Listening>> {
        &self.shard
    }

    fn starts(&self) -> &'static [&'static [u8]] {
        &[b"GET /stream"]
    }

    fn route(&self, head: &Head<'_>) -> Option<Route> {
        route(head)
    }

    async fn answer(&self, route: Route, connection: Connection) -> Option<Subscription<()>> {
        let started = Instant::now();
        let mut tcp = connection.tcp;
        let head = response::head(route.origin.as_deref(), &self.origins);
        if !matches!(
            within(self.write_timeout, &self.shutdown, tcp.write_all(&head)).await,
            Some(Ok(()))
        ) {
            return None;
        }
        let (path, channel, after): (_, Arc<Channel>, _) = match route.what {
            Followed::Feed { last_event_id } => (
                FEED_ROUTE,
                self.feed.clone(),
                self.feed.resume_after(last_event_id),
            ),
            Followed::Clock { zone } => (CLOCK_ROUTE, self.hub.subscribe(&zone), 0),
        };
        record_http_request(
            crate::NAME,
            path.to_owned(),
            StatusCode::OK,
            started.elapsed(),
        );
        Some(Subscription {
            tcp,
            permit: connection.permit,
            channel: Some(channel),
            after,
            first: None,
            // Anything a client sends is ignored; its end is the stream's.
            early: bytes::Bytes::new(),
            state: (),
        })
    }
}

/// `GET /stream` and `GET /stream/time` with a known zone (empty or none
/// is UTC), over HTTP/1.x.
fn route(head: &Head<'_>) -> Option<Route> {
    if head.method != "GET" {
        return None;
    }
    let what = match head.path {
        FEED_ROUTE => Followed::Feed {
            last_event_id: sse::resume_after(
                head.header("last-event-id"),
                head.query_param("last_event_id").as_deref(),
            ),
        },
        CLOCK_ROUTE => {
            let zone = head.query_param("tz").filter(|tz| !tz.is_empty());
            let zone = clocker_runtime::time_zone(zone.as_deref().unwrap_or("UTC")).ok()?;
            Followed::Clock { zone }
        }
        _ => return None,
    };
    Some(Route {
        what,
        origin: head.header("origin").map(str::to_owned),
    })
}
