//! Timers over REST, on the timer service's gRPC API: `POST /api/timers`
//! sets one (201; 429 at the caller's quota of pending timers), `GET
//! /api/timers` lists the caller's (401 without a token: anonymous timers
//! are never listed), `GET` and `DELETE /api/timers/{id}` read and cancel
//! one. `Authorization: Bearer` acts as that account; without it the timers
//! are anonymous, reached only by id, and counted against the client's
//! address, which the gateway forwards in `x-forwarded-for`. (Their live
//! events are an SSE stream on the stream service, `/stream/timers`.)

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use clocker_proto::v1::{ListTimersRequest, SetTimerRequest, TimerRequest};
use clocker_runtime::http::ApiError;
use clocker_wire::{SetTimerJson, TimerJson};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, JsonBody, idempotency_key};
use crate::state::{AppState, Shared};

pub(super) mod body;

use body::SetTimerBody;

/// The service behind these routes, as errors name it.
const UPSTREAM: &str = "timers";

pub fn router() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list_timers, create_timer))
        .routes(routes!(get_timer, cancel_timer))
}

/// The timer a route naming one timer is about.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
struct TimerId {
    /// The timer's id, a UUID (any other text is no timer: 404)
    #[param(format = "uuid")]
    id: String,
}

/// What naming one timer may answer besides the timer.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
enum LookupErrors {
    /// The bearer token is not a live session.
    #[response(status = 401)]
    Unauthenticated(ErrorBody),
    /// Another account's timer.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such timer.
    #[response(status = 404)]
    Missing(ErrorBody),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimerList {
    /// Newest first.
    timers: Vec<TimerJson>,
}

/// Sets a timer; it is stored before the answer, and fires once. With an
/// `Idempotency-Key` header (1 to 128 printable ASCII characters, a UUID
/// say), a retry of the same request answers the timer the first one set.
#[utoipa::path(post, path = "/api/timers", tag = "timers",
    request_body = SetTimerBody,
    params(("Idempotency-Key" = Option<String>, Header, max_length = 128, pattern = "^[!-~]*$",
        description = "1 to 128 printable ASCII characters (a UUID, say; empty is none). A retry with the key of an earlier set by the same caller answers that timer instead of setting another; reused for another timer it is 400. Kept for a day.")),
    security((), ("bearer" = [])),
    responses(
        (status = 201, body = TimerJson, description = "The timer, as stored (or as the first request with this idempotency key stored it)"),
        (status = 400, body = ErrorBody, description = "A bad duration (under 1 second or over 366 days in total), label or idempotency key, or malformed JSON (the message says which)"),
        (status = 401, body = ErrorBody, description = "The bearer token is not a live session"),
        (status = 429, body = ErrorBody, description = "The account, or this client address for anonymous timers, has its quota of pending timers"),
    ))]
async fn create_timer(
    State(state): State<Shared>,
    headers: HeaderMap,
    extensions: Extensions,
    JsonBody(body): JsonBody<SetTimerJson>,
) -> Result<(StatusCode, Json<TimerJson>), ApiError> {
    let message = SetTimerRequest {
        hours: body.hours,
        minutes: body.minutes,
        seconds: body.seconds,
        label: body.label,
        token: body.token,
        idempotency_key: idempotency_key(&headers, body.idempotency_key)?,
    };
    let request = state.request_from_client(message, &headers, &extensions);
    let timer = state
        .call(UPSTREAM, state.timers.clone().set_timer(request))
        .await?;
    Ok((StatusCode::CREATED, Json(TimerJson::from(&timer))))
}

/// The caller's timers (anonymous timers are never listed).
#[utoipa::path(get, path = "/api/timers", tag = "timers",
    security(("bearer" = [])),
    responses(
        (status = 200, body = TimerList, description = "The caller's timers, newest first (at most 500)"),
        (status = 401, body = ErrorBody, description = "No bearer token, or not a live session"),
    ))]
async fn list_timers(
    State(state): State<Shared>,
    headers: HeaderMap,
) -> Result<Json<TimerList>, ApiError> {
    let request = state.request(ListTimersRequest::default(), &headers);
    let reply = state
        .call(UPSTREAM, state.timers.clone().list_timers(request))
        .await?;
    Ok(Json(TimerList {
        timers: reply.timers.iter().map(TimerJson::from).collect(),
    }))
}

/// One timer.
#[utoipa::path(get, path = "/api/timers/{id}", tag = "timers",
    params(TimerId), security((), ("bearer" = [])),
    responses((status = 200, body = TimerJson, description = "The timer"), LookupErrors))]
async fn get_timer(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(TimerId { id }): Path<TimerId>,
) -> Result<Json<TimerJson>, ApiError> {
    act_on_timer(&state, &headers, id, TimerAction::Get).await
}

/// Cancels a pending timer (one that has ended is returned unchanged). The
/// timer is not removed: it stays readable, as cancelled, until the timer
/// service's retention deletes ended timers.
#[utoipa::path(delete, path = "/api/timers/{id}", tag = "timers",
    params(TimerId), security((), ("bearer" = [])),
    responses((status = 200, body = TimerJson, description = "The timer, cancelled (or as it ended)"), LookupErrors))]
async fn cancel_timer(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(TimerId { id }): Path<TimerId>,
) -> Result<Json<TimerJson>, ApiError> {
    act_on_timer(&state, &headers, id, TimerAction::Cancel).await
}

/// What a request naming one timer does to it.
enum TimerAction {
    Get,
    Cancel,
}

/// Gets or cancels the timer `id` as the caller of `headers`, and answers it.
async fn act_on_timer(
    state: &AppState,
    headers: &HeaderMap,
    id: String,
    action: TimerAction,
) -> Result<Json<TimerJson>, ApiError> {
    let message = TimerRequest {
        id,
        token: String::new(),
    };
    let request = state.request(message, headers);
    let mut timers = state.timers.clone();
    let timer = match action {
        TimerAction::Get => state.call(UPSTREAM, timers.get_timer(request)).await?,
        TimerAction::Cancel => state.call(UPSTREAM, timers.cancel_timer(request)).await?,
    };
    Ok(Json(TimerJson::from(&timer)))
}
