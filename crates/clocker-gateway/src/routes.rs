//! The routes, one module per resource, merged into one router whose
//! OpenAPI document is collected from the same handlers.

mod accounts;
mod fuzz;
mod health;
mod params;
mod random;
mod time;
mod timers;

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

pub use fuzz::{fuzz_gateway_json, fuzz_gateway_query};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Clocker gateway",
        description = "REST over Clocker's gRPC services: seed 004's /health and /random/*, and /api/* for time, accounts and timers. Errors are {\"error\": \"...\"}.",
        license(name = "MIT")
    ),
    paths(get_metrics, get_liveness),
    components(schemas(ErrorBody)),
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
        .merge(timers::router())
        .routes(routes!(get_openapi))
        .split_for_parts();
    document_shared_errors(&mut api);
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

/// The routes that call a service behind the gateway, by path.
const UPSTREAM_PATHS: [&str; 2] = ["/api/", "/random/"];

/// Adds to each operation the errors that come from how it is served, not
/// from what it does: [`Upstream`] to every route that calls a service,
/// [`BodyErrors`] to every route that takes a body ([`JsonBody`]). So a new
/// route documents them without listing them.
fn document_shared_errors(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::IntoResponses;
    for (path, item) in api.paths.paths.iter_mut() {
        let calls_a_service = UPSTREAM_PATHS.iter().any(|prefix| path.starts_with(prefix));
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let mut shared = std::collections::BTreeMap::new();
            if calls_a_service {
                shared.extend(Upstream::responses());
            }
            if operation.request_body.is_some() {
                shared.extend(BodyErrors::responses());
            }
            for (status, response) in shared {
                operation
                    .responses
                    .responses
                    .entry(status)
                    .or_insert(response);
            }
        }
    }
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

/// A handler's JSON body: as [`axum::Json`], but a body that is not one is
/// answered as every other error (`{"error": "..."}`, see [`json_body`]).
struct JsonBody<T>(T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for JsonBody<T> {
    type Rejection = clocker_runtime::http::ApiError;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        json_body(axum::Json::from_request(request, state).await).map(JsonBody)
    }
}

/// A JSON body, or the error saying why it is not one (400, 413 or 415).
fn json_body<T>(
    body: Result<axum::Json<T>, axum::extract::rejection::JsonRejection>,
) -> Result<T, clocker_runtime::http::ApiError> {
    use axum::http::StatusCode;
    body.map(|axum::Json(body)| body).map_err(|rejection| {
        // JSON of the wrong shape is a bad request like any other (axum says 422).
        let status = match rejection.status() {
            StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
            status => status,
        };
        clocker_runtime::http::ApiError::Status(status, rejection.body_text())
    })
}

/// The request's idempotency key: the `Idempotency-Key` header, else what
/// the body named (empty for none). The service checks its form; a header
/// that is not text is a 400 here.
fn idempotency_key(
    headers: &axum::http::HeaderMap,
    from_body: String,
) -> Result<String, clocker_runtime::http::ApiError> {
    match headers.get("idempotency-key") {
        None => Ok(from_body),
        Some(value) => value.to_str().map(str::to_owned).map_err(|_| {
            clocker_runtime::http::ApiError::Status(
                axum::http::StatusCode::BAD_REQUEST,
                "the Idempotency-Key header is 1 to 128 printable ASCII characters".into(),
            )
        }),
    }
}

/// What any route that calls a service may answer when that service fails
/// (added to each by [`document_shared_errors`]).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
enum Upstream {
    /// The service behind the gateway is away; retry shortly.
    #[response(status = 503)]
    Unavailable(ErrorBody),
    /// The service behind the gateway did not answer in time.
    #[response(status = 504)]
    TimedOut(ErrorBody),
}

/// What a route that takes a JSON body may answer about the body itself
/// (added to each by [`document_shared_errors`]).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
enum BodyErrors {
    /// The body is over 16 KiB.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// The body is not `application/json`.
    #[response(status = 415)]
    NotJson(ErrorBody),
}

/// Every error body: what went wrong, for a person to read.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    #[schema(example = "Invalid 'min' parameter")]
    error: String,
}
