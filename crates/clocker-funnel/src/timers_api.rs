//! `/api/timers`: the timer service for the browser, on the page's own
//! origin — a small REST surface and a Server-Sent Events stream over the
//! timer service's gRPC API (`clocker.v1.Timers`).
//!
//! - `POST /api/timers` `{"hours":0,"minutes":1,"seconds":30,"label":"tea"}`
//!   → 201 and the timer; `GET /api/timers` → `{"timers":[…]}`;
//!   `GET /api/timers/{id}`; `DELETE /api/timers/{id}` cancels.
//! - `GET /api/timers/events`: `event: timer`, `id: <seq>`,
//!   `data: {"seq":n,"kind":"set"|"fired"|"cancelled","timer":{…}}`;
//!   a reconnecting `EventSource` sends `Last-Event-ID` and misses nothing.
//! - `Authorization: Bearer <token>` acts as that account; errors are
//!   `{"error":"…"}` with the HTTP status of the gRPC code.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use clocker_proto::v1::timer_event::Kind;
use clocker_proto::v1::timers_client::TimersClient;
use clocker_proto::v1::{ListTimersRequest, SetTimerRequest, TimerRequest, WatchTimersRequest};
use clocker_timers::{SetTimerJson, TimerJson};
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

/// The largest request body (a timer request is tiny).
const BODY_LIMIT: usize = 16 * 1024;
/// How long one call to the timer service may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);
/// A comment on idle event streams, so proxies keep them open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The routes, over a client of the timer service.
pub fn router(timers: TimersClient<Channel>) -> Router {
    Router::new()
        .route("/api/timers", get(list_timers).post(create_timer))
        .route("/api/timers/events", get(timer_events))
        .route("/api/timers/{id}", get(get_timer).delete(cancel_timer))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(timers)
}

/// A JSON error with the HTTP status of a gRPC code.
#[derive(Debug)]
pub struct ApiError(Status);

impl From<Status> for ApiError {
    fn from(status: Status) -> Self {
        Self(status)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = http_status(self.0.code());
        let message = match self.0.code() {
            // tonic's own transport errors say nothing useful to a browser.
            Code::Unavailable | Code::DeadlineExceeded => {
                "the timer service is not answering; retry shortly".to_owned()
            }
            _ => self.0.message().to_owned(),
        };
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    }
}

/// The HTTP status for a gRPC code.
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::InvalidArgument | Code::OutOfRange | Code::FailedPrecondition => {
            StatusCode::BAD_REQUEST
        }
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[derive(Debug, Serialize)]
struct TimerList {
    timers: Vec<TimerJson>,
}

#[derive(Debug, Serialize)]
struct EventJson {
    seq: i64,
    kind: &'static str,
    timer: Option<TimerJson>,
}

/// `request` acting as the caller: their `Authorization: Bearer` header.
fn with_bearer<T>(mut request: Request<T>, headers: &HeaderMap) -> Request<T> {
    if let Some(value) = headers.get(axum::http::header::AUTHORIZATION)
        && let Ok(value) = value.to_str()
        && let Ok(value) = value.parse()
    {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

/// A unary call's request: the caller's token and the call timeout.
fn request<T>(message: T, headers: &HeaderMap) -> Request<T> {
    let mut request = with_bearer(Request::new(message), headers);
    request.set_timeout(CALL_TIMEOUT);
    request
}

/// The request naming timer `id`.
fn timer_request(id: String, headers: &HeaderMap) -> Request<TimerRequest> {
    request(
        TimerRequest {
            id,
            token: String::new(),
        },
        headers,
    )
}

async fn create_timer(
    State(mut timers): State<TimersClient<Channel>>,
    headers: HeaderMap,
    body: Result<Json<SetTimerJson>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<TimerJson>), ApiError> {
    let Json(body) = body.map_err(|rejection| Status::invalid_argument(rejection.body_text()))?;
    let message = SetTimerRequest {
        hours: body.hours,
        minutes: body.minutes,
        seconds: body.seconds,
        label: body.label,
        token: body.token,
    };
    let timer = timers
        .set_timer(request(message, &headers))
        .await?
        .into_inner();
    Ok((StatusCode::CREATED, Json(TimerJson::from(&timer))))
}

async fn list_timers(
    State(mut timers): State<TimersClient<Channel>>,
    headers: HeaderMap,
) -> Result<Json<TimerList>, ApiError> {
    let reply = timers
        .list_timers(request(ListTimersRequest::default(), &headers))
        .await?
        .into_inner();
    Ok(Json(TimerList {
        timers: reply.timers.iter().map(TimerJson::from).collect(),
    }))
}

async fn get_timer(
    State(mut timers): State<TimersClient<Channel>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<TimerJson>, ApiError> {
    let timer = timers
        .get_timer(timer_request(id, &headers))
        .await?
        .into_inner();
    Ok(Json(TimerJson::from(&timer)))
}

async fn cancel_timer(
    State(mut timers): State<TimersClient<Channel>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<TimerJson>, ApiError> {
    let timer = timers
        .cancel_timer(timer_request(id, &headers))
        .await?
        .into_inner();
    Ok(Json(TimerJson::from(&timer)))
}

async fn timer_events(
    State(mut timers): State<TimersClient<Channel>>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    // A reconnecting EventSource says what it saw last: replay from there.
    let after_seq = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<i64>().ok())
        .map(|seq| seq.max(0));
    let mut message = Request::new(WatchTimersRequest {
        token: String::new(),
        after_seq,
    });
    if let Some(value) = request((), &headers).metadata().get("authorization") {
        message
            .metadata_mut()
            .insert("authorization", value.clone());
    }
    let stream = tokio::time::timeout(CALL_TIMEOUT, timers.watch_timers(message))
        .await
        .map_err(|_| Status::deadline_exceeded("the timer service did not answer"))??
        .into_inner();
    let events = stream
        .take_while(|item| std::future::ready(item.is_ok()))
        .filter_map(|item| async move {
            let event = item.ok()?;
            let kind = match event.kind() {
                Kind::Set => "set",
                Kind::Fired => "fired",
                Kind::Cancelled => "cancelled",
                Kind::Unspecified => return None,
            };
            let json = EventJson {
                seq: event.seq,
                kind,
                timer: event.timer.as_ref().map(TimerJson::from),
            };
            let data = serde_json::to_string(&json).ok()?;
            Some(Ok(Event::default()
                .event("timer")
                .id(event.seq.to_string())
                .data(data)))
        });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}
