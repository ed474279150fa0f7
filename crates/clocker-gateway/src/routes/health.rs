//! `GET /health`: the gateway's readiness, in seed 004's shape when ready
//! (`{"status":"ok"}`); 503 naming each service behind it that does not
//! answer when not. `GET /livez` (served by the runtime) says only that the
//! gateway answers.

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::Shared;

pub fn router() -> OpenApiRouter<Shared> {
    OpenApiRouter::new().routes(routes!(get_health))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when every service behind the gateway answers, else `not ready`.
    #[schema(example = "ok")]
    status: &'static str,
    /// When not ready: each failing check (a service behind the gateway)
    /// and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    failing: Option<Vec<Failing>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Failing {
    #[schema(example = "timers")]
    check: String,
    #[schema(example = "not answering: tcp connect error: Connection refused (os error 111)")]
    reason: String,
}

/// Whether the gateway is ready: every service behind it answers.
#[utoipa::path(get, path = "/health", tag = "health",
    responses(
        (status = 200, body = Health, description = "Ready"),
        (status = 503, body = Health, description = "A service behind the gateway does not answer"),
    ))]
async fn get_health(State(state): State<Shared>) -> Response {
    state.readiness.answer(serde_json::Map::new()).await
}
