//! An account's world clock over REST: `GET /api/account/world-clock` and
//! `PUT /api/account/world-clock` act on the bearer token's account, as
//! `GET /api/accounts/me` does; the accounts service keeps the list and
//! says what it may hold.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use clocker_proto::v1::{GetWorldClockRequest, SetWorldClockRequest};
use clocker_runtime::http::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::{BodyFields, Field};
use super::time::KnownZone;
use super::{ErrorBody, JsonBody};
use crate::state::Shared;

/// The service behind these routes, as errors name it.
const UPSTREAM: &str = "accounts";

pub fn router() -> OpenApiRouter<Shared> {
    OpenApiRouter::new().routes(routes!(get_world_clock, set_world_clock))
}

/// A world clock: the time zones an account keeps, in its order.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorldClockJson {
    /// At most 12 zones (`clocker_wire::MAX_WORLD_CLOCK_ZONES`), answered
    /// by their canonical names (`Asia/Tokyo` for `asia/tokyo`, `UTC` for
    /// `Etc/UTC`), each once, where it first appears; empty for none.
    #[schema(value_type = Vec<KnownZone>, max_items = 12, example = json!(["Europe/Paris", "Asia/Tokyo"]))]
    zones: Vec<String>,
}

impl BodyFields for WorldClockJson {
    const FIELDS: &'static [Field] = &[Field::TextList { name: "zones" }];
}

/// The bearer token's account's world clock.
#[utoipa::path(get, path = "/api/account/world-clock", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, body = WorldClockJson, description = "The account's world clock (empty for a new account)"),
        (status = 401, body = ErrorBody, description = "No token, or the session ended"),
    ))]
async fn get_world_clock(
    State(state): State<Shared>,
    headers: HeaderMap,
) -> Result<Json<WorldClockJson>, ApiError> {
    let request = state.request(GetWorldClockRequest::default(), &headers);
    let reply = state
        .call(UPSTREAM, state.accounts.clone().get_world_clock(request))
        .await?;
    Ok(Json(WorldClockJson { zones: reply.zones }))
}

/// Replaces the bearer token's account's world clock; answers it as stored.
#[utoipa::path(put, path = "/api/account/world-clock", tag = "accounts",
    security(("bearer" = [])),
    request_body = WorldClockJson,
    responses(
        (status = 200, body = WorldClockJson, description = "The world clock as stored: canonical names, each once"),
        (status = 400, body = ErrorBody, description = "More than 12 zones, an unknown zone (the message names it), or a body that is not {\"zones\": [...]}"),
        (status = 401, body = ErrorBody, description = "No token, or the session ended"),
    ))]
async fn set_world_clock(
    State(state): State<Shared>,
    headers: HeaderMap,
    JsonBody(WorldClockJson { zones }): JsonBody<WorldClockJson>,
) -> Result<Json<WorldClockJson>, ApiError> {
    let message = SetWorldClockRequest {
        zones,
        ..SetWorldClockRequest::default()
    };
    let request = state.request(message, &headers);
    let reply = state
        .call(UPSTREAM, state.accounts.clone().set_world_clock(request))
        .await?;
    Ok(Json(WorldClockJson { zones: reply.zones }))
}

#[cfg(test)]
mod tests {
    use clocker_wire::MAX_WORLD_CLOCK_ZONES;

    #[test]
    fn the_document_declares_the_services_limit_and_the_zone_names() {
        let document = serde_json::to_value(crate::routes::openapi()).expect("serializes");
        let zones = &document["components"]["schemas"]["WorldClockJson"]["properties"]["zones"];
        assert_eq!(zones["maxItems"], MAX_WORLD_CLOCK_ZONES);
        let names = zones["items"]["enum"]
            .as_array()
            .or_else(|| {
                let target = zones["items"]["$ref"].as_str()?.strip_prefix('#')?;
                document.pointer(target)?["enum"].as_array()
            })
            .expect("the zone names");
        assert!(names.iter().any(|name| name == "Europe/Paris"));
        assert!(!names.iter().any(|name| name == ""), "empty is no zone");
    }
}
