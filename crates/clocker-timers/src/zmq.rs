//! The ZeroMQ front door (seed 002): a ROUTER socket, so any number of REQ
//! clients are served at once, each request in a task of its own.
//!
//! A request is three frames (hours, minutes, seconds as decimal text, the
//! seed's three `send_string` calls sent as one message) or one JSON frame:
//! `{"hours":h,"minutes":m,"seconds":s,"label":…,"token":…}` to set, or
//! `{"op":"get"|"cancel","id":…,"token":…}` / `{"op":"list","token":…}`.
//! Every request gets exactly one JSON reply, `{"ok":true,…}` or
//! `{"ok":false,"error":"…"}`; nothing a client sends stops the service.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};
use zeromq::{RouterSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

use clocker_runtime::CancellationToken;

use crate::TimerError;
use crate::callers::Caller;
use crate::duration::TimerDuration;
use crate::json::{SetTimerJson, TimerJson};
use crate::service::timer_message;
use crate::timers::Timers;

/// The largest frame read as a request (a timer request is tiny).
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Requests handled at once; more wait for a slot.
const IN_FLIGHT: usize = 256;

/// Why the ZeroMQ socket could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen for ZeroMQ on {endpoint}: {reason}")]
pub struct ZmqBindError {
    pub endpoint: String,
    pub reason: String,
}

/// Binds `endpoint` (`tcp://host:port`, port 0 for any) and serves requests
/// until `shutdown`; returns the endpoint actually bound.
pub async fn serve(
    endpoint: &str,
    timers: Arc<Timers>,
    shutdown: CancellationToken,
) -> Result<String, ZmqBindError> {
    let mut socket = RouterSocket::new();
    let bound = socket.bind(endpoint).await.map_err(|err| ZmqBindError {
        endpoint: endpoint.to_owned(),
        reason: err.to_string(),
    })?;
    let bound = bound.to_string();
    let (mut send, mut recv) = socket.split();
    let (replies, mut outbox) = mpsc::unbounded_channel::<ZmqMessage>();
    tokio::spawn(async move {
        while let Some(reply) = outbox.recv().await {
            // A client that left before its reply is not an error of ours.
            if let Err(err) = send.send(reply).await {
                tracing::debug!(%err, "a ZeroMQ reply could not be delivered");
            }
        }
    });
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    tokio::spawn(async move {
        loop {
            let message = tokio::select! {
                () = shutdown.cancelled() => break,
                message = recv.recv() => message,
            };
            let message = match message {
                Ok(message) => message,
                Err(err) => {
                    tracing::debug!(%err, "ZeroMQ receive failed");
                    continue;
                }
            };
            let Ok(slot) = slots.clone().acquire_owned().await else {
                break;
            };
            let (timers, replies) = (timers.clone(), replies.clone());
            tokio::spawn(async move {
                if let Some(reply) = answer(&timers, message).await {
                    let _ = replies.send(reply);
                }
                drop(slot);
            });
        }
    });
    tracing::info!(endpoint = %bound, "timers serving ZeroMQ");
    Ok(bound)
}

/// The reply to one routed message: its envelope, then one JSON frame.
async fn answer(timers: &Timers, message: ZmqMessage) -> Option<ZmqMessage> {
    let mut frames: Vec<_> = message.into_vec();
    if frames.is_empty() {
        return None;
    }
    let identity = frames.remove(0);
    // REQ clients put an empty delimiter frame before the request.
    let delimited = frames.first().is_some_and(|frame| frame.is_empty());
    if delimited {
        frames.remove(0);
    }
    let body = match handle(timers, &frames).await {
        Ok(value) => value,
        Err(err) => json!({"ok": false, "error": err.public_message()}),
    };
    metrics::counter!(
        "clocker_timers_zmq_requests_total",
        "ok" => if body["ok"] == Value::Bool(true) { "true" } else { "false" },
    )
    .increment(1);
    let mut reply = ZmqMessage::from(identity);
    if delimited {
        reply.push_back(Vec::<u8>::new().into());
    }
    reply.push_back(body.to_string().into_bytes().into());
    Some(reply)
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

async fn handle(timers: &Timers, frames: &[bytes::Bytes]) -> Result<Value, TimerError> {
    if let Some(large) = frames.iter().find(|frame| frame.len() > MAX_FRAME_BYTES) {
        return Err(TimerError::Invalid(format!(
            "a frame of {} bytes is too large (at most {MAX_FRAME_BYTES})",
            large.len()
        )));
    }
    match frames {
        [hours, minutes, seconds] => {
            let duration = TimerDuration::parse(hours, minutes, seconds)?;
            let timer = timers
                .set(duration, String::new(), &Caller::anonymous_from(None))
                .await?;
            Ok(ok_timer(&json_of(&timer)))
        }
        [json] => {
            const EXAMPLE: &str = "send three frames (hours, minutes, seconds) or JSON such as \
                {\"hours\":0,\"minutes\":1,\"seconds\":30} or {\"op\":\"get\",\"id\":\"…\"}";
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
                let duration = TimerDuration::new(set.hours, set.minutes, set.seconds)?;
                let caller = timers.caller(&set.token, None).await?;
                let timer = timers.set(duration, set.label, &caller).await?;
                return Ok(ok_timer(&json_of(&timer)));
            }
            let op: Operation = serde_json::from_value(value)
                .map_err(|err| TimerError::Invalid(format!("not an operation: {err}")))?;
            let caller = timers.caller(&op.token, None).await?;
            match op.op.as_str() {
                "get" => Ok(ok_timer(&json_of(&timers.get(&op.id, &caller).await?))),
                "cancel" => Ok(ok_timer(&json_of(&timers.cancel(&op.id, &caller).await?))),
                "list" => {
                    let list = timers.list(&caller, 0).await?;
                    let list: Vec<TimerJson> = list.iter().map(json_of).collect();
                    Ok(json!({"ok": true, "timers": list}))
                }
                other => Err(TimerError::Invalid(format!(
                    "unknown op '{}' (expected get, cancel or list)",
                    other.chars().take(32).collect::<String>().escape_debug()
                ))),
            }
        }
        other => Err(TimerError::Invalid(format!(
            "expected 3 frames (hours, minutes, seconds) or 1 JSON frame, got {}",
            other.len()
        ))),
    }
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
