//! `GET /stream/time?tz=Area/City`: the funnel's clock frames as SSE. The
//! stream runs the same tick loop as the funnel (`clocker-fanout`'s) over
//! its own hub, so a frame is built and encoded once per tick and zone
//! however many clients listen, and a slow client skips to the newest
//! frame. Each event's id is the frame's `seq`. The front door answers a
//! connection's first request (`direct`); this is the router's answer to
//! the others, and to an unknown zone.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use clocker_runtime::http::ApiError;
use futures_util::StreamExt;
use serde::Deserialize;

use crate::{AppState, sse};

#[derive(Debug, Deserialize)]
pub struct ZoneQuery {
    tz: Option<String>,
}

pub async fn stream_frames(
    State(state): State<AppState>,
    Query(query): Query<ZoneQuery>,
) -> Response {
    let name = query
        .tz
        .filter(|tz| !tz.is_empty())
        .unwrap_or_else(|| "UTC".into());
    let Ok(zone) = clocker_runtime::time_zone(&name) else {
        return ApiError::Invalid(format!("unknown time zone '{name}'")).into_response();
    };
    let events = state
        .hub
        .subscribe(&zone)
        .follow(0)
        .map(|frame| frame.bytes);
    sse::response(events, state.counters, state.keep_alive, state.shutdown)
}
