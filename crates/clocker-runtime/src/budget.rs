//! The per-method budget, as one tower layer around every gRPC service.
//!
//! A call that has not answered within its budget (default 50 ms, or the
//! client's own `grpc-timeout` when that is shorter) is answered with
//! `DEADLINE_EXCEEDED`. A method that is slow by design (password hashing)
//! may be given a budget of its own ([`BudgetLayer::with_method_budget`]).
//! Every call is counted and timed in the RPC metrics
//! ([`crate::telemetry`]); overruns are logged at most once a second.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use http::{Request, Response};
use tonic::Status;
use tower::{Layer, Service};

use crate::grpc_timeout::grpc_timeout;
use crate::log_rate_limit::LogRateLimit;
use crate::telemetry::{record_deadline_exceeded, record_rpc_answer};

/// Wraps a gRPC router with the method budget and the RPC metrics.
#[derive(Debug, Clone)]
pub struct BudgetLayer {
    service: &'static str,
    budget: Duration,
    method_budgets: Arc<[(String, Duration)]>,
    overrun_log: Arc<LogRateLimit>,
}

impl BudgetLayer {
    /// `service` labels the metrics; `budget` is the longest a call may take.
    pub fn new(service: &'static str, budget: Duration) -> Self {
        Self {
            service,
            budget,
            method_budgets: Arc::new([]),
            overrun_log: Arc::default(),
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

impl<S> Layer<S> for BudgetLayer {
    type Service = Budgeted<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Budgeted {
            inner,
            service: self.service,
            budget: self.budget,
            method_budgets: self.method_budgets.clone(),
            overrun_log: self.overrun_log.clone(),
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
    overrun_log: Arc<LogRateLimit>,
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
        let overrun_log = self.overrun_log.clone();
        // The clone that was made ready is the one that must be called.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let response = match tokio::time::timeout(limit, inner.call(request)).await {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(_elapsed) => {
                    record_deadline_exceeded(service, method.clone(), cause);
                    if let Some(overruns) = overrun_log.record_event() {
                        tracing::warn!(
                            service,
                            method = method.as_str(),
                            ?limit,
                            cause,
                            overruns,
                            "calls overran their deadline (overruns: how many, of any method, since the last such line)"
                        );
                    }
                    Status::deadline_exceeded(format!(
                        "{method} did not answer within {} ms",
                        limit.as_millis()
                    ))
                    .into_http::<Body>()
                }
            };
            record_rpc_answer(service, method, response.headers(), started.elapsed());
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::response_code;
    use axum::Router;
    use axum::routing::post;
    use tonic::Code;
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
