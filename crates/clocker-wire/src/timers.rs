//! The JSON form of a timer, as the ZeroMQ front door, the browser's REST
//! surface and the stream's timer events show it (one shape, made from the
//! API's `Timer` message), and the request that sets one.

use clocker_proto::v1::{Timer, TimerState};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The most timer ids one anonymous `WatchTimers` may name (the timer
/// service refuses more; the stream asks for no more).
pub const MAX_WATCH_IDS: usize = 100;

/// A request to set a timer, in JSON (ZeroMQ's one-frame form and the
/// browser's `POST /api/timers`): every field may be left out. (The
/// gateway documents it by hand, with the limits REST keeps.)
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetTimerJson {
    #[serde(default)]
    pub hours: i64,
    #[serde(default)]
    pub minutes: i64,
    #[serde(default)]
    pub seconds: i64,
    #[serde(default)]
    pub label: String,
    /// A session token; over HTTP the `Authorization: Bearer` header does.
    #[serde(default)]
    pub token: String,
    /// A retry with the key of an earlier set answers that timer instead of
    /// setting another (see `SetTimerRequest.idempotency_key`); over HTTP
    /// the `Idempotency-Key` header does.
    #[serde(default)]
    pub idempotency_key: String,
}

/// A timer in JSON: the request's fields echoed back (as the seed's server
/// "sends back the request"), with when it fires.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimerJson {
    #[schema(format = "uuid")]
    pub id: String,
    pub label: String,
    pub hours: i64,
    pub minutes: i64,
    pub seconds: i64,
    /// `pending`, `fired` or `cancelled`.
    #[schema(example = "pending", schema_with = state_schema)]
    pub state: &'static str,
    /// RFC 3339, UTC, with milliseconds.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// RFC 3339, UTC, with milliseconds.
    #[schema(format = DateTime)]
    pub fires_at: String,
    pub fires_at_unix_ms: i64,
    pub ended_at_unix_ms: Option<i64>,
    pub late_ms: i64,
    pub owned: bool,
}

/// The states [`TimerJson::state`] names, for the schema.
fn state_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(["pending", "fired", "cancelled"]))
        .build()
}

impl From<&Timer> for TimerJson {
    fn from(timer: &Timer) -> Self {
        let state = match timer.state() {
            TimerState::Pending => "pending",
            TimerState::Fired => "fired",
            TimerState::Cancelled => "cancelled",
            TimerState::Unspecified => "unknown",
        };
        let fires_at_unix_ms = timer.fires_at.as_ref().map_or(0, unix_ms);
        Self {
            id: timer.id.clone(),
            label: timer.label.clone(),
            hours: timer.hours,
            minutes: timer.minutes,
            seconds: timer.seconds,
            state,
            created_at: rfc3339(timer.created_at.as_ref().map_or(0, unix_ms)),
            fires_at: rfc3339(fires_at_unix_ms),
            fires_at_unix_ms,
            ended_at_unix_ms: timer.ended_at.as_ref().map(unix_ms),
            late_ms: timer.late_ms,
            owned: timer.owned,
        }
    }
}

/// A protobuf timestamp as milliseconds since the Unix epoch (what
/// [`rfc3339`] takes).
pub fn unix_ms(at: &prost_types::Timestamp) -> i64 {
    at.seconds * 1000 + i64::from(at.nanos) / 1_000_000
}

/// RFC 3339 in UTC with milliseconds, e.g. `2026-11-23T20:15:00.000Z`.
pub fn rfc3339(unix_ms: i64) -> String {
    Timestamp::from_millisecond(unix_ms)
        .map(|at| format!("{at:.3}"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_rfc3339_with_milliseconds() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_000_000_000_042), "2001-09-09T01:46:40.042Z");
    }
}
