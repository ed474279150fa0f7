//! A gateway over a live random service and a frozen current-time; the
//! accounts and timer services point at a closed port.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use clocker_gateway::AppState;
use clocker_runtime::{AddressBook, CancellationToken, Locator, RuntimeConfig, bind};
use clocker_time::Clock;
use tower::ServiceExt;

/// Where the funnel would be, for CORS.
pub const FUNNEL_ORIGIN: &str = "http://127.0.0.1:4321";
/// The frozen instant current-time answers.
pub const FROZEN: &str = "2026-07-01T12:00:00.042Z";

/// The gateway's router; the services behind it stop when it is dropped.
pub struct Gateway {
    pub router: Router,
    shutdown: CancellationToken,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn settings() -> RuntimeConfig {
    RuntimeConfig {
        budget: Duration::from_secs(2),
        ..RuntimeConfig::default()
    }
}

async fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}

/// A gateway whose random service is up, or (with `random_up` false) a
/// closed port.
pub async fn start(random_up: bool) -> Gateway {
    start_frozen_at(random_up, FROZEN).await
}

/// [`start`] with current-time frozen at `frozen` (RFC 3339).
pub async fn start_frozen_at(random_up: bool, frozen: &str) -> Gateway {
    let shutdown = CancellationToken::new();
    let any = "127.0.0.1:0".parse().expect("literal");
    let mut book = AddressBook::default();
    let closed = free_port().await;
    book.set(clocker_proto::v1::accounts_server::SERVICE_NAME, closed);
    book.set(clocker_proto::v1::timers_server::SERVICE_NAME, closed);
    book.set(
        clocker_proto::random::random_service_server::SERVICE_NAME,
        closed,
    );
    if random_up {
        let listener = bind("random", any).await.expect("port");
        let random = clocker_random::launch(listener, &settings(), shutdown.clone())
            .await
            .expect("random starts");
        book.set(
            clocker_proto::random::random_service_server::SERVICE_NAME,
            random.addr,
        );
    }
    let listener = bind("current-time", any).await.expect("port");
    let clock = Clock::Frozen(frozen.parse().expect("an RFC 3339 instant"));
    let current_time =
        clocker_time::launch_current_time(listener, clock, &settings(), shutdown.clone())
            .await
            .expect("current-time starts");
    book.set(
        clocker_proto::v1::current_time_server::SERVICE_NAME,
        current_time.addr,
    );
    let locator = Locator::new("gateway", clocker_gateway::REQUIRES, book);
    let state = AppState::locate(&locator, Duration::from_secs(2)).expect("declared");
    let router = clocker_gateway::app(state, &[FUNNEL_ORIGIN.to_owned()], Duration::from_secs(10));
    Gateway { router, shutdown }
}

impl Gateway {
    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible")
    }

    /// `GET uri`: the status and the JSON body.
    pub async fn get(&self, uri: &str) -> (StatusCode, serde_json::Value) {
        let response = self
            .send(Request::get(uri).body(Body::empty()).expect("request"))
            .await;
        json(response).await
    }
}

pub async fn json(response: Response<Body>) -> (StatusCode, serde_json::Value) {
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    let value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| panic!("JSON body, got {:?}", String::from_utf8_lossy(&body)));
    (status, value)
}
