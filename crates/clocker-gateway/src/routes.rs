//! The routes, one module per resource, merged into one router whose
//! OpenAPI document is collected from the same handlers.

mod accounts;
mod body;
mod fuzz;
mod health;
mod params;
mod random;
mod shared_errors;
mod time;
mod timers;
mod world_clock;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::state::Shared;

use body::JsonBody;
pub use fuzz::{fuzz_gateway_json, fuzz_gateway_query};
use shared_errors::{ErrorBody, document_shared_errors};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Clocker gateway",
        description = "REST over Clocker's gRPC services: seed 004's /health and /random/*, and /api/* for time, accounts and timers. Errors are {\"error\": \"...\"}.",
        license(name = "MIT")
    ),
    paths(get_metrics, get_liveness),
    components(schemas(ErrorBody, time::KnownZone)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// Every route, and the document of them all: each route's own part, and
/// the errors every route of a kind may answer ([`document_shared_errors`]).
fn documented_routes() -> (Router<Shared>, utoipa::openapi::OpenApi) {
    let (router, mut api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(random::router())
        .merge(time::router())
        .merge(accounts::router())
        .merge(world_clock::router())
        .merge(timers::router())
        .routes(routes!(get_openapi))
        .split_for_parts();
    document_shared_errors(&mut api);
    params::document_seed_query(&mut api, "/random/");
    (router, api)
}

/// Every route of the gateway, with `/openapi.json`.
pub fn router(state: AppState) -> Router {
    let (router, api) = documented_routes();
    let json = api
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    state.openapi.get_or_init(|| json);
    // Shared, so a request copies one pointer, not every service's client.
    router.with_state(Arc::new(state))
}

/// The OpenAPI document, as `/openapi.json` serves it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented_routes().1
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document of every route", content_type = "application/json")))]
async fn get_openapi(State(state): State<Shared>) -> impl IntoResponse {
    let json = state.openapi.get().cloned().unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], json)
}

/// Prometheus metrics of the gateway (served by the runtime).
#[utoipa::path(get, path = "/metrics", tag = "meta",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain")))]
#[allow(dead_code)]
async fn get_metrics() {}

/// Whether the gateway answers at all (liveness, served by the runtime):
/// 200 whatever the services behind it do; `/health` is readiness.
#[utoipa::path(get, path = "/livez", tag = "health",
    responses((status = 200, description = "The gateway answers", content_type = "application/json")))]
#[allow(dead_code)]
async fn get_liveness() {}

/// The `bearer` security scheme: a session token from `POST /api/sessions`.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The request's idempotency key: the `Idempotency-Key` header, else what
/// the body named (empty for none). The service checks the key it gets; a
/// header that is not text, or a body key of the wrong form when the
/// header wins over it, is a 400 here (a key left unchecked because the
/// other won would hide a client's mistake).
fn idempotency_key(
    headers: &axum::http::HeaderMap,
    from_body: String,
) -> Result<String, clocker_runtime::http::ApiError> {
    let refused = |why: &str| {
        clocker_runtime::http::ApiError::Status(axum::http::StatusCode::BAD_REQUEST, why.into())
    };
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(from_body);
    };
    let from_header = value.to_str().map_err(|_| {
        refused("the Idempotency-Key header is 1 to 128 printable ASCII characters")
    })?;
    if !timers::body::is_idempotency_key(&from_body) {
        return Err(refused(
            "idempotency_key is 1 to 128 printable ASCII characters (the Idempotency-Key header \
             wins over it, but it must still be well formed)",
        ));
    }
    Ok(from_header.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    /// Every `$ref` in `value`, as written.
    fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
        match value {
            Value::Object(object) => {
                if let Some(Value::String(target)) = object.get("$ref") {
                    found.push(target);
                }
                object.values().for_each(|v| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_in_the_document_resolves() {
        let document = serde_json::to_value(super::openapi()).expect("serializes");
        let mut found = Vec::new();
        refs(&document, &mut found);
        assert!(!found.is_empty());
        for target in found {
            let pointer = target.strip_prefix('#').expect("a local reference");
            assert!(
                document.pointer(pointer).is_some(),
                "{target} resolves to nothing"
            );
        }
    }
}
