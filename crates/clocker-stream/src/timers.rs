//! `GET /stream/timers`: the caller's timer events (`WatchTimers`) as SSE —
//! `event: timer`, `id: <seq>`, `data: {"seq":n,"kind":"set"|"fired"|"cancelled","timer":{…}}`.
//! A reconnecting client's `Last-Event-ID` replays what it missed; the
//! stream ends when the session does (logout, expiry).
//!
//! The session token comes as `Authorization: Bearer`, or — since
//! `EventSource` cannot set headers — as the `HttpOnly` cookie that
//! `POST /stream/session` (with the bearer header) sets and
//! `DELETE /stream/session` clears. Never in the URL: URLs end up in access
//! logs and browser history, so `?token=` is refused.
//!
//! Without a token, `?ids=a,b` names the anonymous timers to follow (at
//! most 100; anonymous timers are reached only by id). When retention
//! deleted events since `Last-Event-ID`, the first event has
//! `"kind":"dropped"` (and no timer).

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use clocker_fanout::sse::last_event_id;
use clocker_proto::v1::WatchTimersRequest;
use clocker_proto::v1::timer_event::Kind;
use clocker_runtime::http::ApiError;
use clocker_runtime::{bearer_token, forward_bearer};
use clocker_wire::{MAX_WATCH_IDS, TimerJson};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::{AppState, sse};

/// The service behind these streams, as errors name it.
const UPSTREAM: &str = "timers";

/// The cookie `POST /stream/session` sets: the session token, sent back
/// only to the stream's own paths, never readable by scripts.
pub const SESSION_COOKIE: &str = "clocker_session";

#[derive(Debug, Deserialize)]
pub struct TimerEventsQuery {
    /// Refused when present: see the module's docs.
    token: Option<String>,
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
    if query.token.is_some() {
        return ApiError::Status(
            StatusCode::BAD_REQUEST,
            "session tokens do not go in URLs (they end up in logs and browser history): send \
             Authorization: Bearer, or POST /stream/session with it once for a cookie"
                .into(),
        )
        .into_response();
    }
    let after_seq = last_event_id(&headers, query.last_event_id.as_deref())
        .and_then(|seq| i64::try_from(seq).ok());
    let ids = query
        .ids
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        // One more than the service takes, so too many is refused, not cut.
        .take(MAX_WATCH_IDS + 1)
        .map(str::to_owned)
        .collect();
    let mut request = tonic::Request::new(WatchTimersRequest {
        token: session_cookie(&headers).unwrap_or_default().to_owned(),
        after_seq,
        ids,
    });
    forward_bearer(&mut request, &headers);
    let mut timers = state.timers.clone();
    let watch = match tokio::time::timeout(state.call_timeout, timers.watch_timers(request)).await {
        Ok(Ok(response)) => response.into_inner(),
        Ok(Err(status)) => {
            return ApiError::Upstream {
                service: UPSTREAM,
                status,
            }
            .into_response();
        }
        Err(_) => return ApiError::timed_out(UPSTREAM).into_response(),
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
    Some(clocker_fanout::sse::event("timer", event.seq, &data))
}

/// `POST /stream/session` with `Authorization: Bearer TOKEN`: sets the
/// session cookie for `EventSource`, which cannot send headers. The token
/// is checked when a stream is opened with it.
pub async fn open_session(headers: HeaderMap) -> Response {
    let token = bearer_token(&headers).filter(|token| is_token(token));
    let Some(token) = token else {
        return ApiError::Status(
            StatusCode::UNAUTHORIZED,
            "send the session token as Authorization: Bearer TOKEN".into(),
        )
        .into_response();
    };
    session_cookie_response(&format!(
        "{SESSION_COOKIE}={token}; Path=/stream; HttpOnly; SameSite=Strict"
    ))
}

/// `DELETE /stream/session`: clears the session cookie.
pub async fn close_session() -> Response {
    session_cookie_response(&format!(
        "{SESSION_COOKIE}=; Path=/stream; HttpOnly; SameSite=Strict; Max-Age=0"
    ))
}

fn session_cookie_response(cookie: &str) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The session token in the request's `Cookie` headers, if any.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, token)| token)
        .filter(|token| is_token(token))
}

/// A session token's shape (URL-safe base64, bounded), so nothing else
/// can be smuggled into a cookie or a header.
fn is_token(token: &str) -> bool {
    (1..=128).contains(&token.len())
        && token
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others_and_checked() {
        let mut headers = HeaderMap::new();
        assert_eq!(session_cookie(&headers), None);
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; clocker_session=abc-_9"),
        );
        assert_eq!(session_cookie(&headers), Some("abc-_9"));
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("clocker_session=a b"),
        );
        assert_eq!(session_cookie(&headers), None);
        assert!(!is_token(""));
        assert!(!is_token(&"a".repeat(129)));
        assert!(!is_token("abc;Path=/"));
    }
}
