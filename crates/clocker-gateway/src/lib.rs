//! The REST gateway (seed 004): one HTTP front door to the gRPC services.
//!
//! # Layout
//! - `routes/`: one module per resource, each with its `router()`;
//!   handlers are `verb_noun` and only convert between JSON and gRPC.
//!   `/health` and `/random/*` answer exactly as seed 004's gateway does;
//!   `/api/time`, `/api/accounts`, `/api/sessions` and `/api/timers` are
//!   Clocker's own. `routes/body.rs` reads JSON bodies (each field checked
//!   against its type's table, errors in plain words naming the field);
//!   `routes/shared_errors.rs` documents the errors routes share.
//! - [`state`]: the located gRPC clients and the bounded upstream call.
//! - [`next_occurrence`]: when a time of day next occurs in a zone, DST
//!   days included (`GET /api/time/next`, for alarms).
//! - `GET /openapi.json`: an OpenAPI 3.1 document of every route, built
//!   from the handlers' annotations (utoipa), so it cannot drift from them;
//!   it declares every limit the gateway and the services behind it keep
//!   (lengths, ranges, formats, zone names) and every status each route
//!   can answer, and schemathesis holds the gateway to it with all its
//!   checks (`tests/python/test_gateway_schemathesis.py`).
//!
//! Every error is `{"error":"…"}`; a dead or slow service behind the
//! gateway is a 503 or 504 within [`GatewayConfig::call_timeout`], never a
//! hang. CORS admits the funnel's origin unless told otherwise; only the
//! hosts of [`GatewayConfig::allowed_hosts`] are answered (DNS rebinding).

pub mod next_occurrence;
mod routes;
pub mod state;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode, Uri};
use axum::middleware;
use clocker_proto::doors;
use clocker_proto::random::random_service_server;
use clocker_proto::v1::{accounts_server, current_time_server, timers_server};
use clocker_runtime::http::{AllowedHosts, ApiError, allowed_origins, check_host, cors};
use clocker_runtime::{
    AddressBook, CancellationToken, Gate, LaunchError, Launched, Locator, Readiness,
    ReadinessChecks, RuntimeConfig, Shard, TaskTracker, launch_http_shard, launch_shards,
    shard_listeners, start_readiness,
};
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;

pub use routes::{fuzz_gateway_json, fuzz_gateway_query, openapi};
pub use state::AppState;

/// What the gateway calls; any of them may be away (its routes answer 503,
/// and `/health` says which is).
pub const REQUIRES: &[&str] = &[
    random_service_server::SERVICE_NAME,
    current_time_server::SERVICE_NAME,
    accounts_server::SERVICE_NAME,
    timers_server::SERVICE_NAME,
];

/// The service's name (in logs, metrics and errors).
pub const NAME: &str = doors::GATEWAY;

/// The largest request body (every body here is a small JSON object).
pub const BODY_LIMIT: usize = 16 * 1024;

/// How the gateway behaves at its edges.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Origins browsers may call from; empty means the funnel's.
    pub cors_origins: Vec<String>,
    /// The longest one call to a service may take (login hashes a password,
    /// so this is more than the 50 ms method budget).
    pub call_timeout: Duration,
    /// The longest a whole request may take.
    pub request_timeout: Duration,
    /// Host names answered besides `localhost` and IP literals (`*`: any).
    pub allowed_hosts: Vec<String>,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            cors_origins: Vec::new(),
            call_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(10),
            allowed_hosts: Vec::new(),
        }
    }
}

/// Serves the gateway on `listener`, calling the services found in `book`,
/// on `settings.shards` shards (see [`clocker_runtime::shards`]): each
/// shard builds its own clients of those services and its own router on
/// its own thread; readiness is checked once for all of them.
pub async fn launch(
    listener: TcpListener,
    book: AddressBook,
    config: &GatewayConfig,
    settings: &RuntimeConfig,
    shutdown: CancellationToken,
) -> Result<Launched, LaunchError> {
    let service = NAME;
    let listeners = shard_listeners(service, listener, settings.shards)?;
    let gate = Gate::new(service, &settings.connections);
    let locator = Locator::new(service, REQUIRES, book.clone());
    // One tracker for the whole service: every shard waits for it to drain.
    let tasks = TaskTracker::new();
    // Ready while every service behind it answers (one health call each per
    // round, on a connection kept for it).
    let readiness = start_readiness(
        service,
        ReadinessChecks::new().requirements(&locator),
        settings.readiness,
        &tasks,
        shutdown.clone(),
    );
    let origins = allowed_origins(
        &config.cors_origins,
        book.resolve(doors::FUNNEL).map(String::as_str),
    );
    tracing::info!(?origins, "CORS allows");
    let shard = ShardRecipe {
        locator,
        readiness,
        origins,
        hosts: AllowedHosts::new(&config.allowed_hosts),
        config: config.clone(),
        settings: settings.clone(),
        tasks,
    };
    launch_shards(service, listeners, gate, shutdown, move |on| {
        std::future::ready(shard.launch(on))
    })
    .await
}

/// What every shard of the gateway is built from, on its own thread.
struct ShardRecipe {
    locator: Locator,
    readiness: Readiness,
    origins: Vec<String>,
    hosts: AllowedHosts,
    config: GatewayConfig,
    settings: RuntimeConfig,
    /// The service's own work (its readiness checks), drained by every shard.
    tasks: TaskTracker,
}

impl ShardRecipe {
    /// Locates the shard's own clients of the services behind the gateway
    /// (their connections live on the shard's runtime), and serves its
    /// router on `shard`.
    fn launch(&self, shard: Shard) -> Result<Launched, LaunchError> {
        let state = AppState::locate(&self.locator, self.config.call_timeout)
            .map_err(LaunchError::setup(
                NAME,
                "cannot find the services it calls",
            ))?
            .with_readiness(self.readiness.clone());
        let app = app(state, &self.origins, self.config.request_timeout).layer(
            middleware::from_fn_with_state(self.hosts.clone(), check_host),
        );
        launch_http_shard(shard, app, &self.settings, self.tasks.clone())
    }
}

/// Every route, with the body limit, the request timeout and CORS.
pub fn app(state: AppState, origins: &[String], request_timeout: Duration) -> Router {
    routes::router(state)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            request_timeout,
        ))
        .layer(cors(origins))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::Status(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{method} is not allowed on {}; see /openapi.json",
            uri.path()
        ),
    )
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::Status(
        StatusCode::NOT_FOUND,
        format!("no route for {method} {}; see /openapi.json", uri.path()),
    )
}
