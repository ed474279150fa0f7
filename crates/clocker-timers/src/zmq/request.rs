//! What a ZeroMQ message asks for: frames decoded into a [`Request`] (pure),
//! then carried out against [`Timers`] and answered with one JSON body.
//!
//! A request is three frames (hours, minutes, seconds as decimal text, the
//! seed's three `send_string` calls sent as one message) or one JSON frame:
//! `{"hours":h,"minutes":m,"seconds":s,"label":…,"token":…,"idempotency_key":…}`
//! to set, or
//! `{"op":"get"|"cancel","id":…,"token":…}` / `{"op":"list","token":…}`.
//! A REQ peer's empty delimiter frame comes first and is not part of it.

use std::net::IpAddr;

use clocker_wire::{SetTimerJson, TimerDuration, TimerJson};
use serde::Deserialize;
use serde_json::{Value, json};

use super::zmtp::Message;
use crate::TimerError;
use crate::service::timer_message;
use crate::timers::Timers;

/// The largest request (all its frames) read; a timer request is tiny.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// One decoded request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Set {
        duration: TimerDuration,
        label: String,
        token: String,
        /// Empty for none.
        idempotency_key: String,
    },
    Get {
        id: String,
        token: String,
    },
    Cancel {
        id: String,
        token: String,
    },
    List {
        token: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Operation {
    op: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    token: String,
}

const EXAMPLE: &str = "send three frames (hours, minutes, seconds) or JSON such as \
    {\"hours\":0,\"minutes\":1,\"seconds\":30} or {\"op\":\"get\",\"id\":\"…\"}";

impl Request {
    /// The request a message carries (its delimiter, if any, left out).
    pub fn decode(message: &Message) -> Result<Self, TimerError> {
        if message.oversized {
            let limit = MAX_FRAME_BYTES;
            return Err(TimerError::Invalid(
                if message.largest_frame > limit as u64 {
                    format!(
                        "a frame of {} bytes is too large (at most {limit})",
                        message.largest_frame
                    )
                } else {
                    format!(
                        "a request of {} bytes is too large (at most {limit})",
                        message.total_bytes
                    )
                },
            ));
        }
        let frames = match &message.frames[..] {
            [delimiter, rest @ ..] if delimiter.is_empty() => rest,
            all => all,
        };
        match frames {
            [hours, minutes, seconds] => Ok(Request::Set {
                duration: TimerDuration::parse(hours, minutes, seconds)?,
                label: String::new(),
                token: String::new(),
                idempotency_key: String::new(),
            }),
            [json] => Self::from_json(json),
            other => Err(TimerError::Invalid(format!(
                "expected 3 frames (hours, minutes, seconds) or 1 JSON frame, got {}",
                other.len()
            ))),
        }
    }

    fn from_json(json: &[u8]) -> Result<Self, TimerError> {
        let value: Value = serde_json::from_slice(json)
            .map_err(|err| TimerError::Invalid(format!("not JSON ({err}); {EXAMPLE}")))?;
        let Value::Object(fields) = &value else {
            return Err(TimerError::Invalid(format!(
                "a JSON request is an object; {EXAMPLE}"
            )));
        };
        if !fields.contains_key("op") {
            let set: SetTimerJson = serde_json::from_value(value)
                .map_err(|err| TimerError::Invalid(format!("not a timer request: {err}")))?;
            return Ok(Request::Set {
                duration: TimerDuration::new(set.hours, set.minutes, set.seconds)?,
                label: set.label,
                token: set.token,
                idempotency_key: set.idempotency_key,
            });
        }
        let Operation { op, id, token } = serde_json::from_value(value)
            .map_err(|err| TimerError::Invalid(format!("not an operation: {err}")))?;
        match op.as_str() {
            "get" => Ok(Request::Get { id, token }),
            "cancel" => Ok(Request::Cancel { id, token }),
            "list" => Ok(Request::List { token }),
            other => Err(TimerError::Invalid(format!(
                "unknown op '{}' (expected get, cancel or list)",
                other.chars().take(32).collect::<String>().escape_debug()
            ))),
        }
    }

    /// Carries the request out for a peer at `from` (anonymous callers are
    /// counted by their address).
    pub async fn execute(self, timers: &Timers, from: IpAddr) -> Result<Value, TimerError> {
        match self {
            Request::Set {
                duration,
                label,
                token,
                idempotency_key,
            } => {
                let caller = timers.caller(&token, Some(from)).await?;
                let timer = timers
                    .set(duration, label, &caller, &idempotency_key)
                    .await?;
                Ok(ok_timer(&json_of(&timer)))
            }
            Request::Get { id, token } => {
                let caller = timers.caller(&token, Some(from)).await?;
                Ok(ok_timer(&json_of(&timers.get(&id, &caller).await?)))
            }
            Request::Cancel { id, token } => {
                let caller = timers.caller(&token, Some(from)).await?;
                Ok(ok_timer(&json_of(&timers.cancel(&id, &caller).await?)))
            }
            Request::List { token } => {
                let caller = timers.caller(&token, Some(from)).await?;
                let list = timers.list(&caller, 0).await?;
                let list: Vec<TimerJson> = list.iter().map(json_of).collect();
                Ok(json!({"ok": true, "timers": list}))
            }
        }
    }
}

/// The JSON reply to `message` from a peer at `from`: `{"ok":true,…}` or
/// `{"ok":false,"error":…}`.
pub async fn answer(timers: &Timers, message: &Message, from: IpAddr) -> Value {
    let result = match Request::decode(message) {
        Ok(request) => request.execute(timers, from).await,
        Err(err) => Err(err),
    };
    let body = result.unwrap_or_else(|err| error_body(&err.public_message()));
    metrics::counter!(
        "clocker_timers_zmq_requests_total",
        "ok" => if body["ok"] == Value::Bool(true) { "true" } else { "false" },
    )
    .increment(1);
    body
}

/// `{"ok":false,"error":message}`.
pub fn error_body(message: &str) -> Value {
    json!({"ok": false, "error": message})
}

fn json_of(timer: &clocker_store::TimerRecord) -> TimerJson {
    TimerJson::from(&timer_message(timer))
}

fn ok_timer(timer: &TimerJson) -> Value {
    let mut value = serde_json::to_value(timer).unwrap_or_default();
    if let Value::Object(map) = &mut value {
        map.insert("ok".into(), Value::Bool(true));
    }
    value
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn message(frames: &[&[u8]]) -> Message {
        Message {
            frames: frames.iter().map(|f| Bytes::copy_from_slice(f)).collect(),
            frame_count: frames.len(),
            total_bytes: frames.iter().map(|f| f.len() as u64).sum(),
            largest_frame: frames.iter().map(|f| f.len() as u64).max().unwrap_or(0),
            delimited: frames.first().is_some_and(|f| f.is_empty()),
            oversized: false,
        }
    }

    fn decoded(frames: &[&[u8]]) -> Request {
        Request::decode(&message(frames)).expect("a valid request")
    }

    fn error(frames: &[&[u8]]) -> String {
        Request::decode(&message(frames))
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn the_seeds_three_frames_set_an_anonymous_timer_with_or_without_a_delimiter() {
        let expected = Request::Set {
            duration: TimerDuration::new(0, 1, 30).expect("valid"),
            label: String::new(),
            token: String::new(),
            idempotency_key: String::new(),
        };
        assert_eq!(decoded(&[b"", b"0", b"1", b"30"]), expected);
        assert_eq!(decoded(&[b"0", b"1", b"30"]), expected);
    }

    #[test]
    fn json_sets_and_operations_decode() {
        let set = decoded(&[b"", br#"{"minutes":2,"label":"tea","token":"t"}"#]);
        assert!(
            matches!(set, Request::Set { ref label, ref token, .. } if label == "tea" && token == "t"),
            "{set:?}"
        );
        assert_eq!(
            decoded(&[br#"{"op":"cancel","id":"x"}"#]),
            Request::Cancel {
                id: "x".into(),
                token: String::new()
            }
        );
        assert_eq!(
            decoded(&[br#"{"op":"list","token":"t"}"#]),
            Request::List { token: "t".into() }
        );
    }

    #[test]
    fn bad_requests_say_what_is_wrong() {
        assert!(error(&[b"", b"0", b"1"]).ends_with("got 2"));
        assert!(error(&[b""]).ends_with("got 0"));
        assert!(error(&[b"", b""]).starts_with("not JSON"));
        assert!(error(&[b"[0,1,30]"]).starts_with("a JSON request is an object"));
        assert!(error(&[br#"{"op":"explode"}"#]).starts_with("unknown op 'explode'"));
        assert!(error(&[br#"{"hours":"1"}"#]).starts_with("not a timer request"));
        assert!(error(&[b"x", b"0", b"0"]).starts_with("hours:"));
    }

    #[test]
    fn an_oversized_message_names_its_largest_frame_or_its_total() {
        let mut big = message(&[b""]);
        big.oversized = true;
        (big.largest_frame, big.total_bytes) = (1 << 20, (1 << 20) + 2);
        assert_eq!(
            Request::decode(&big).expect_err("too large").to_string(),
            "a frame of 1048576 bytes is too large (at most 65536)"
        );
        big.largest_frame = 40_000;
        big.total_bytes = 80_000;
        assert_eq!(
            Request::decode(&big).expect_err("too large").to_string(),
            "a request of 80000 bytes is too large (at most 65536)"
        );
    }
}
