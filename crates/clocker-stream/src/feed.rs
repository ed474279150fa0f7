//! The random feed: ONE `StreamRandomData` call to the random service,
//! however many clients listen. Each point becomes one SSE event, written
//! once as bytes into a [`Channel`] that keeps the last
//! [`FeedConfig::history`] events, so a client that reconnects with
//! `Last-Event-ID`, or falls behind, misses nothing still kept. A broken
//! upstream is re-called with backoff, and event ids keep counting across
//! it.

use std::sync::Arc;
use std::time::Duration;

use clocker_fanout::sse;
use clocker_fanout::{Channel, Message, Signal};
use clocker_proto::random::data_point::Value;
use clocker_proto::random::random_service_client::RandomServiceClient;
use clocker_proto::random::{DataPoint, DataType, StreamRequest};
use clocker_runtime::{Backoff, CancellationToken};
use serde::Serialize;
use tonic::transport::Channel as GrpcChannel;

/// What the feed asks the random service for, and how much it remembers.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// Time between points (100 ms: 10 Hz).
    pub every: Duration,
    pub min: i32,
    pub max: i32,
    /// Events kept for `Last-Event-ID` resume and for clients that fall
    /// behind.
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

/// The feed's events, each an SSE event whose id is its number.
pub type Feed = Channel;

/// A feed keeping `history` events, raising `signal` at each.
pub fn new(history: usize, signal: Signal) -> Arc<Feed> {
    Channel::new(history, signal)
}

/// Keeps one upstream stream open until `shutdown`, publishing every point.
pub async fn run(
    feed: Arc<Feed>,
    mut random: RandomServiceClient<GrpcChannel>,
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
                                feed.publish_and_raise(event);
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
fn event(point: &DataPoint, id: u64) -> Option<Message> {
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
    Some(Message {
        id,
        bytes: sse::event("data", id, &json),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
