//! Per-route HTTP request metrics of every HTTP port:
//!
//! - `clocker_http_requests_total{service, route, status}`
//! - `clocker_http_duration_seconds{service, route}` (histogram)

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// Middleware of every HTTP router: times and counts each request under its
/// matched route (`unmatched` for none, so a scanner cannot grow the labels).
pub(crate) async fn count_http_request(
    State(service): State<&'static str>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |path| path.as_str())
        .to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    record_http_request(service, route, response.status(), started.elapsed());
    response
}

/// Counts one answered request in the per-route HTTP metrics (what every
/// router's requests get; for requests a service answers before any).
pub fn record_http_request(
    service: &'static str,
    route: String,
    status: axum::http::StatusCode,
    took: Duration,
) {
    metrics::histogram!(
        "clocker_http_duration_seconds",
        "service" => service,
        "route" => route.clone(),
    )
    .record(took.as_secs_f64());
    metrics::counter!(
        "clocker_http_requests_total",
        "service" => service,
        "route" => route,
        "status" => status.as_str().to_owned(),
    )
    .increment(1);
}
