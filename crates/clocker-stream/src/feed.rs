//! The random feed: ONE `StreamRandomData` call to the random service,
//! however many clients listen. Each point becomes one SSE event, written
//! once as bytes and shared by every client (a refcount, not a copy); the
//! last [`FeedConfig::history`] events are kept so a client that reconnects
//! with `Last-Event-ID` misses nothing. A client that falls behind the
//! broadcast skips ahead (bounded memory); a broken upstream is re-called
//! with backoff, and event ids keep counting across it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use clocker_fanout::sse;
use clocker_proto::random::data_point::Value;
use clocker_proto::random::random_service_client::RandomServiceClient;
use clocker_proto::random::{DataPoint, DataType, StreamRequest};
use clocker_runtime::{Backoff, CancellationToken};
use futures_util::Stream;
use serde::Serialize;
use tokio::sync::broadcast;
use tonic::transport::Channel;

/// What the feed asks the random service for, and how much it remembers.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// Time between points (100 ms: 10 Hz).
    pub every: Duration,
    pub min: i32,
    pub max: i32,
    /// Events kept for `Last-Event-ID` resume.
    pub history: usize,
}

impl Default for FeedConfig {
    fn default() -> Self {
        Self {
            every: Duration::from_millis(100),
            min: 0,
            max: 100,
            history: 1024,
        }
    }
}

/// One event as it goes on the wire, and its id.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: u64,
    pub bytes: Bytes,
}

/// The `data:` of seed 004's stream.
#[derive(Debug, Serialize)]
struct DataJson {
    timestamp: i64,
    value: Number,
    sequence: u64,
}

/// A point's value as a JSON number: `57` for integers, `12.5` otherwise.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Number {
    Integer(i32),
    Float(f32),
}

/// The shared feed: the broadcast of new events and the recent history.
#[derive(Debug)]
pub struct Feed {
    live: broadcast::Sender<Event>,
    history: Mutex<VecDeque<Event>>,
    capacity: usize,
}

/// How far a client may fall behind the broadcast before it skips ahead:
/// about 6 s at 10 Hz.
const BROADCAST_CAPACITY: usize = 64;

impl Feed {
    pub fn new(history: usize) -> Arc<Self> {
        Arc::new(Self {
            live: broadcast::channel(BROADCAST_CAPACITY).0,
            history: Mutex::new(VecDeque::with_capacity(history)),
            capacity: history.max(1),
        })
    }

    fn history(&self) -> std::sync::MutexGuard<'_, VecDeque<Event>> {
        self.history.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records and broadcasts an event.
    pub(crate) fn publish(&self, event: Event) {
        {
            let mut history = self.history();
            if history.len() == self.capacity {
                history.pop_front();
            }
            history.push_back(event.clone());
        }
        // No receivers is fine: the event is in the history.
        let _ = self.live.send(event);
    }

    /// The events after `last_id` still in the history, then every new one.
    /// An id newer than any sent (from before a restart) counts as none.
    pub fn subscribe(self: &Arc<Self>, last_id: Option<u64>) -> impl Stream<Item = Event> + use<> {
        // Subscribe before reading the history, so nothing falls between.
        let live = self.live.subscribe();
        // An id newer than any sent comes from before a restart: go live.
        let last_id = last_id.filter(|&last| self.newest_id().is_some_and(|newest| last <= newest));
        let replay: VecDeque<Event> = match last_id {
            Some(last) => self
                .history()
                .iter()
                .filter(|event| event.id > last)
                .cloned()
                .collect(),
            None => VecDeque::new(),
        };
        let after = replay.back().map(|event| event.id).or(last_id).unwrap_or(0);
        futures_util::stream::unfold(
            (replay, live, after),
            |(mut replay, mut live, mut after)| async move {
                if let Some(event) = replay.pop_front() {
                    return Some((event, (replay, live, after)));
                }
                loop {
                    match live.recv().await {
                        Ok(event) if event.id <= after => {}
                        Ok(event) => {
                            after = event.id;
                            return Some((event, (replay, live, after)));
                        }
                        Err(broadcast::error::RecvError::Lagged(skipped)) => {
                            metrics::counter!("clocker_stream_skipped_events_total")
                                .increment(skipped);
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            },
        )
    }

    /// The id of the newest event, if any.
    pub fn newest_id(&self) -> Option<u64> {
        self.history().back().map(|event| event.id)
    }
}

/// Keeps one upstream stream open until `shutdown`, publishing every point.
pub async fn run(
    feed: Arc<Feed>,
    mut random: RandomServiceClient<Channel>,
    config: FeedConfig,
    shutdown: CancellationToken,
) {
    let request = StreamRequest {
        data_type: DataType::Numeric.into(),
        frequency_ms: i32::try_from(config.every.as_millis()).unwrap_or(i32::MAX),
        min_value: config.min,
        max_value: config.max,
        history_size: 0,
    };
    let mut next_id: u64 = 1;
    let mut backoff = Backoff::default();
    while !shutdown.is_cancelled() {
        metrics::counter!("clocker_stream_upstream_connects_total").increment(1);
        let call = tokio::select! {
            call = random.stream_random_data(request) => call,
            () = shutdown.cancelled() => return,
        };
        match call {
            Ok(response) => {
                tracing::info!("upstream random stream open");
                let mut points = response.into_inner();
                loop {
                    let message = tokio::select! {
                        message = points.message() => message,
                        () = shutdown.cancelled() => return,
                    };
                    match message {
                        Ok(Some(point)) => {
                            backoff.reset();
                            if let Some(event) = event(&point, next_id) {
                                next_id += 1;
                                feed.publish(event);
                            }
                        }
                        Ok(None) => {
                            tracing::warn!("the random service ended the stream; calling again");
                            break;
                        }
                        Err(status) => {
                            tracing::warn!(code = ?status.code(), message = status.message(), "upstream random stream broke; calling again");
                            break;
                        }
                    }
                }
            }
            Err(status) => {
                tracing::warn!(code = ?status.code(), message = status.message(), retry_in = ?backoff.current(), "cannot open the upstream random stream");
            }
        }
        tokio::select! {
            () = tokio::time::sleep(backoff.step()) => {}
            () = shutdown.cancelled() => return,
        }
    }
}

/// The SSE event for a point, numbered `id` (`None` for a point without a
/// value, which the random service never sends).
fn event(point: &DataPoint, id: u64) -> Option<Event> {
    let value = match point.value? {
        Value::NumericValue(n) => Number::Integer(n),
        Value::FloatValue(f) => Number::Float(f),
        Value::BooleanValue(b) => Number::Integer(i32::from(b)),
    };
    let data = DataJson {
        timestamp: point.timestamp,
        value,
        sequence: id,
    };
    let json = serde_json::to_string(&data).ok()?;
    Some(Event {
        id,
        bytes: sse::event("data", id, &json),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn numbered(id: u64) -> Event {
        Event {
            id,
            bytes: Bytes::from(id.to_string()),
        }
    }

    #[test]
    fn points_become_seed_shaped_events() {
        let point = DataPoint {
            timestamp: 1_700_000_000_123,
            sequence: 1,
            value: Some(Value::NumericValue(57)),
            ..DataPoint::default()
        };
        let event = event(&point, 12).expect("a value");
        assert_eq!(
            &event.bytes[..],
            b"event: data\nid: 12\ndata: {\"timestamp\":1700000000123,\"value\":57,\"sequence\":12}\n\n"
        );
    }

    #[tokio::test]
    async fn resume_replays_what_followed_the_last_id_then_goes_live() {
        let feed = Feed::new(4);
        for id in 1..=6 {
            feed.publish(numbered(id));
        }
        let mut events = Box::pin(feed.subscribe(Some(3)));
        assert_eq!(events.next().await.map(|e| e.id), Some(4));
        assert_eq!(events.next().await.map(|e| e.id), Some(5));
        assert_eq!(events.next().await.map(|e| e.id), Some(6));
        feed.publish(numbered(7));
        assert_eq!(events.next().await.map(|e| e.id), Some(7));
    }

    #[tokio::test]
    async fn a_new_client_and_one_with_an_id_from_before_a_restart_start_live() {
        let feed = Feed::new(4);
        feed.publish(numbered(1));
        let mut fresh = Box::pin(feed.subscribe(None));
        let mut from_before_a_restart = Box::pin(feed.subscribe(Some(99)));
        feed.publish(numbered(2));
        assert_eq!(fresh.next().await.map(|e| e.id), Some(2));
        assert_eq!(from_before_a_restart.next().await.map(|e| e.id), Some(2));
    }

    #[tokio::test]
    async fn a_client_that_falls_behind_skips_ahead() {
        let feed = Feed::new(4);
        let mut slow = Box::pin(feed.subscribe(None));
        for id in 1..=(BROADCAST_CAPACITY as u64 * 2) {
            feed.publish(numbered(id));
        }
        let first = slow.next().await.map(|e| e.id).expect("an event");
        assert!(first > BROADCAST_CAPACITY as u64, "{first}");
    }
}
