//! The per-method budget and the RPC metrics, as one tower layer around every
//! gRPC service.
//!
//! A call that has not answered within its budget (default 50 ms, or the
//! client's own `grpc-timeout` when that is shorter) is answered with
//! `DEADLINE_EXCEEDED`. A method that is slow by design (password hashing)
//! may be given a budget of its own ([`BudgetLayer::with_method_budget`]). Every call is counted and timed:
//!
//! - `clocker_rpc_requests_total{service, method, code}`
//! - `clocker_rpc_duration_seconds{service, method}` (histogram)
//! - `clocker_rpc_deadline_exceeded_total{service, method, cause="budget"|"client"}`
//!
//! Only trailers-only answers (how tonic sends every error of a unary call)
//! are seen with their code; a stream that fails after its first message
//! counts as `OK`. Unknown methods are counted under `method="unknown"` so a
//! scanner cannot grow the label set without bound.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use http::{HeaderMap, Request, Response};
use tonic::{Code, Status};
use tower::{Layer, Service};

/// Wraps a gRPC router with the method budget and the RPC metrics.
#[derive(Debug, Clone)]
pub struct BudgetLayer {
    service: &'static str,
    budget: Duration,
    method_budgets: Arc<[(String, Duration)]>,
    overruns: Arc<OverrunLog>,
}

impl BudgetLayer {
    /// `service` labels the metrics; `budget` is the longest a call may take.
    pub fn new(service: &'static str, budget: Duration) -> Self {
        Self {
            service,
            budget,
            method_budgets: Arc::new([]),
            overruns: Arc::default(),
        }
    }

    /// Gives the method at `path` (such as `/clocker.v1.Accounts/Login`) its
    /// own budget instead of the service's.
    pub fn with_method_budget(mut self, path: impl Into<String>, budget: Duration) -> Self {
        let mut budgets = self.method_budgets.to_vec();
        budgets.push((path.into(), budget));
        self.method_budgets = budgets.into();
        self
    }
}

/// Logs overruns at most once a second, with how many there were since:
/// under overload every call may overrun, and one line each would flood the log.
#[derive(Debug, Default)]
struct OverrunLog {
    state: Mutex<(Option<Instant>, u64)>,
}

const OVERRUN_LOG_EVERY: Duration = Duration::from_secs(1);

impl OverrunLog {
    fn record(&self, service: &str, method: &str, limit: Duration, cause: &str) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (last, unlogged) = &mut *state;
        *unlogged += 1;
        if last.is_none_or(|at| at.elapsed() >= OVERRUN_LOG_EVERY) {
            tracing::warn!(
                service,
                method,
                ?limit,
                cause,
                overruns = *unlogged,
                "calls overran their deadline (overruns: how many, of any method, since the last such line)"
            );
            *last = Some(Instant::now());
            *unlogged = 0;
        }
    }
}

impl<S> Layer<S> for BudgetLayer {
    type Service = Budgeted<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Budgeted {
            inner,
            service: self.service,
            budget: self.budget,
            method_budgets: self.method_budgets.clone(),
            overruns: self.overruns.clone(),
        }
    }
}

/// The service [`BudgetLayer`] makes.
#[derive(Debug, Clone)]
pub struct Budgeted<S> {
    inner: S,
    service: &'static str,
    budget: Duration,
    method_budgets: Arc<[(String, Duration)]>,
    overruns: Arc<OverrunLog>,
}

impl<S> Service<Request<Body>> for Budgeted<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let started = Instant::now();
        let method = request.uri().path().to_owned();
        let budget = self
            .method_budgets
            .iter()
            .find(|(path, _)| *path == method)
            .map_or(self.budget, |(_, budget)| *budget);
        let (limit, cause) = match grpc_timeout(request.headers()) {
            Some(client) if client < budget => (client, "client"),
            _ => (budget, "budget"),
        };
        let service = self.service;
        let overruns = self.overruns.clone();
        // The clone that was made ready is the one that must be called.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let response = match tokio::time::timeout(limit, inner.call(request)).await {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(_elapsed) => {
                    metrics::counter!(
                        "clocker_rpc_deadline_exceeded_total",
                        "service" => service,
                        "method" => method.clone(),
                        "cause" => cause,
                    )
                    .increment(1);
                    overruns.record(service, &method, limit, cause);
                    Status::deadline_exceeded(format!(
                        "{method} did not answer within {} ms",
                        limit.as_millis()
                    ))
                    .into_http::<Body>()
                }
            };
            let code = response_code(response.headers());
            let method = if code == Code::Unimplemented {
                "unknown".to_owned()
            } else {
                method
            };
            metrics::histogram!(
                "clocker_rpc_duration_seconds",
                "service" => service,
                "method" => method.clone(),
            )
            .record(started.elapsed().as_secs_f64());
            metrics::counter!(
                "clocker_rpc_requests_total",
                "service" => service,
                "method" => method,
                "code" => code_name(code),
            )
            .increment(1);
            Ok(response)
        })
    }
}

/// The client's `grpc-timeout` header: up to 8 digits and a unit.
fn grpc_timeout(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.saturating_mul(3600)),
        "M" => Duration::from_secs(amount.saturating_mul(60)),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

fn response_code(headers: &HeaderMap) -> Code {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map_or(Code::Ok, Code::from_i32)
}

fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeout_of(value: &str) -> Option<Duration> {
        let mut headers = HeaderMap::new();
        headers.insert("grpc-timeout", value.parse().expect("ascii"));
        grpc_timeout(&headers)
    }

    #[test]
    fn grpc_timeout_units_are_parsed() {
        assert_eq!(timeout_of("20m"), Some(Duration::from_millis(20)));
        assert_eq!(timeout_of("1S"), Some(Duration::from_secs(1)));
        assert_eq!(timeout_of("2M"), Some(Duration::from_secs(120)));
        assert_eq!(timeout_of("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(timeout_of("500u"), Some(Duration::from_micros(500)));
        assert_eq!(
            timeout_of("99999999n"),
            Some(Duration::from_nanos(99_999_999))
        );
    }

    #[test]
    fn malformed_grpc_timeouts_are_ignored() {
        assert_eq!(timeout_of("m"), None);
        assert_eq!(timeout_of("20x"), None);
        assert_eq!(timeout_of("123456789m"), None);
        assert_eq!(timeout_of("-1m"), None);
    }

    #[test]
    fn missing_status_header_means_ok() {
        assert_eq!(response_code(&HeaderMap::new()), Code::Ok);
        let mut headers = HeaderMap::new();
        headers.insert("grpc-status", "3".parse().expect("ascii"));
        assert_eq!(response_code(&headers), Code::InvalidArgument);
    }
}

#[cfg(test)]
mod layer_tests {
    use super::*;
    use axum::Router;
    use axum::routing::post;
    use tower::ServiceExt;

    /// A router with one method that takes `delay` to answer.
    fn slow_method(delay: Duration, budget: Duration) -> Router {
        Router::new()
            .route(
                "/test.Slow/Call",
                post(move || async move {
                    tokio::time::sleep(delay).await;
                    "done"
                }),
            )
            .layer(BudgetLayer::new("test", budget))
    }

    async fn call(router: Router, grpc_timeout: Option<&str>) -> Response<Body> {
        let mut request = Request::post("/test.Slow/Call");
        if let Some(timeout) = grpc_timeout {
            request = request.header("grpc-timeout", timeout);
        }
        router
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("infallible")
    }

    /// The (percent-encoded) `grpc-message`, with its spaces decoded.
    fn grpc_message(response: &Response<Body>) -> String {
        let message = response.headers().get("grpc-message").expect("a message");
        message.to_str().expect("ascii").replace("%20", " ")
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_over_budget_is_deadline_exceeded() {
        let response = call(
            slow_method(Duration::from_millis(200), Duration::from_millis(50)),
            None,
        )
        .await;
        assert_eq!(response_code(response.headers()), Code::DeadlineExceeded);
        assert!(grpc_message(&response).contains("within 50 ms"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_shorter_client_deadline_is_honoured() {
        let router = slow_method(Duration::from_millis(200), Duration::from_secs(1));
        let response = call(router, Some("20m")).await;
        assert_eq!(response_code(response.headers()), Code::DeadlineExceeded);
        assert!(grpc_message(&response).contains("within 20 ms"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_longer_client_deadline_does_not_extend_the_budget() {
        let router = slow_method(Duration::from_millis(200), Duration::from_millis(50));
        let response = call(router, Some("10S")).await;
        assert_eq!(response_code(response.headers()), Code::DeadlineExceeded);
    }

    #[tokio::test(start_paused = true)]
    async fn a_method_budget_replaces_the_service_budget_for_that_method_only() {
        let layer = BudgetLayer::new("test", Duration::from_millis(50))
            .with_method_budget("/test.Slow/Call", Duration::from_secs(1));
        let delay = Duration::from_millis(200);
        let router = Router::new()
            .route(
                "/test.Slow/Call",
                post(move || async move {
                    tokio::time::sleep(delay).await;
                    "done"
                }),
            )
            .route(
                "/test.Slow/Other",
                post(move || async move {
                    tokio::time::sleep(delay).await;
                    "done"
                }),
            )
            .layer(layer);
        let call = |path: &'static str| {
            router
                .clone()
                .oneshot(Request::post(path).body(Body::empty()).expect("request"))
        };
        let slow = call("/test.Slow/Call").await.expect("infallible");
        assert_eq!(response_code(slow.headers()), Code::Ok);
        let other = call("/test.Slow/Other").await.expect("infallible");
        assert_eq!(response_code(other.headers()), Code::DeadlineExceeded);
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_within_budget_passes_through() {
        let response = call(
            slow_method(Duration::from_millis(10), Duration::from_millis(50)),
            None,
        )
        .await;
        assert_eq!(response_code(response.headers()), Code::Ok);
        let body = axum::body::to_bytes(response.into_body(), 64)
            .await
            .expect("body");
        assert_eq!(&body[..], b"done");
    }
}
