//! `GET /stream/timers`: the caller's timer events (`WatchTimers`) as SSE —
//! `event: timer`, `id: <seq>`, `data: {"seq":n,"kind":"set"|"fired"|"cancelled","timer":{…}}`.
//! The token comes as `Authorization: Bearer` or, since `EventSource`
//! cannot set headers, as `?token=`; without one, `?ids=a,b` names the
//! anonymous timers to follow (at most 100; anonymous timers are reached
//! only by id). A reconnecting client's `Last-Event-ID` replays what it
//! missed; when retention deleted events since, the first event has
//! `"kind":"dropped"` (and no timer).

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use clocker_proto::v1::WatchTimersRequest;
use clocker_proto::v1::timer_event::Kind;
use clocker_runtime::ServiceName;
use clocker_runtime::http::ApiError;
use clocker_timers::TimerJson;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::{AppState, sse};

#[derive(Debug, Deserialize)]
pub struct TimerEventsQuery {
    #[serde(default)]
    token: String,
    /// Comma-separated ids of anonymous timers.
    #[serde(default)]
    ids: String,
    last_event_id: Option<String>,
}

#[derive(Debug, Serialize)]
struct EventJson {
    seq: i64,
    kind: &'static str,
    timer: Option<TimerJson>,
}

pub async fn stream_timer_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<TimerEventsQuery>,
) -> Response {
    let after_seq = sse::last_event_id(&headers, query.last_event_id.as_deref())
        .and_then(|seq| i64::try_from(seq).ok());
    let ids = query
        .ids
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        // One more than the service takes, so too many is refused, not cut.
        .take(clocker_timers::MAX_WATCH_IDS + 1)
        .map(str::to_owned)
        .collect();
    let mut request = tonic::Request::new(WatchTimersRequest {
        token: query.token,
        after_seq,
        ids,
    });
    if let Some(value) = headers.get(axum::http::header::AUTHORIZATION)
        && let Ok(value) = value.to_str()
        && let Ok(value) = value.parse()
    {
        request.metadata_mut().insert("authorization", value);
    }
    let mut timers = state.timers.clone();
    let watch = match tokio::time::timeout(state.call_timeout, timers.watch_timers(request)).await {
        Ok(Ok(response)) => response.into_inner(),
        Ok(Err(status)) => {
            return ApiError::Upstream {
                service: ServiceName::Timers,
                status,
            }
            .into_response();
        }
        Err(_) => return ApiError::timed_out(ServiceName::Timers).into_response(),
    };
    let events = watch
        .take_while(|item| std::future::ready(item.is_ok()))
        .filter_map(|item| std::future::ready(item.ok().and_then(|event| encode(&event))));
    sse::response(events, state.counters, state.keep_alive, state.shutdown)
}

fn encode(event: &clocker_proto::v1::TimerEvent) -> Option<Bytes> {
    let kind = match event.kind() {
        Kind::Set => "set",
        Kind::Fired => "fired",
        Kind::Cancelled => "cancelled",
        Kind::Dropped => "dropped",
        Kind::Unspecified => return None,
    };
    let json = EventJson {
        seq: event.seq,
        kind,
        timer: event.timer.as_ref().map(TimerJson::from),
    };
    let data = serde_json::to_string(&json).ok()?;
    Some(Bytes::from(format!(
        "event: timer\nid: {}\ndata: {data}\n\n",
        event.seq
    )))
}
