//! `GET /health`: the gateway answers (seed 004's shape).

use axum::Json;
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
    /// Always `ok` when the gateway answers.
    #[schema(example = "ok")]
    status: &'static str,
}

/// Whether the gateway is up.
#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, body = Health)))]
async fn get_health() -> Json<Health> {
    Json(Health { status: "ok" })
}
