//! Truthful health: readiness (gRPC health `""` and each service's name,
//! `GET /health`) fails with its reason while a service's database or a
//! service it requires is away, and recovers by itself; liveness
//! (`clocker.liveness`, `GET /livez`) answers throughout.

use std::net::SocketAddr;
use std::time::Duration;

use clocker_fleet::ServiceName;
use clocker_testdb::PgCluster;
use tokio::time::Instant;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::supervisor::Up;
use crate::support::{Served, TestFleet, http_request};

/// How long readiness may take to follow what it checks (checks run every
/// second, each within a second).
const FOLLOWS_WITHIN: Duration = Duration::from_secs(8);

/// `clocker serve NAME` on `database_url`, as a process of its own.
fn serve_on(name: &str, database_url: &str) -> Served {
    let args: &[&str] = if name == "timers" {
        &["--zmq-addr", "tcp://127.0.0.1:0"]
    } else {
        &[]
    };
    Served::start(
        name,
        args,
        &[("DATABASE_URL", database_url), ("RUST_LOG", "info")],
    )
}

/// What one gRPC health check says of `service`, and the reason the server
/// gave in `clocker-not-ready` metadata.
async fn grpc_health(addr: SocketAddr, service: &str) -> (ServingStatus, Option<String>) {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("a valid URI")
        .connect()
        .await
        .expect("connects");
    let mut client = HealthClient::new(channel);
    let reply = tokio::time::timeout(
        Duration::from_secs(5),
        client.check(HealthCheckRequest {
            service: service.to_owned(),
        }),
    )
    .await
    .expect("health answers in time")
    .expect("health answers");
    let reason = reply
        .metadata()
        .get("clocker-not-ready")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    (reply.into_inner().status(), reason)
}

/// Polls `probe` until `done` holds of what it returns, within `within`;
/// what it returned last.
async fn poll_until<T, F, Fut>(within: Duration, mut probe: F, done: impl Fn(&T) -> bool) -> T
where
    T: std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let start = Instant::now();
    loop {
        let seen = probe().await;
        if done(&seen) {
            return seen;
        }
        assert!(
            start.elapsed() < within,
            "not within {within:?}; last seen: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The status and JSON body of `GET path`.
async fn http_json(addr: SocketAddr, path: &str) -> (u16, serde_json::Value) {
    let response = http_request(addr, path, &[]).await;
    let body = serde_json::from_str(&response.body)
        .unwrap_or_else(|_| serde_json::Value::String(response.body.clone()));
    (response.status, body)
}

/// Both liveness probes answer healthy.
async fn assert_live(addr: SocketAddr) {
    let (status, _) = grpc_health(addr, "clocker.liveness").await;
    assert_eq!(status, ServingStatus::Serving, "liveness over gRPC");
    let (code, _) = http_json(addr, "/livez").await;
    assert_eq!(code, 200, "GET /livez");
}

#[tokio::test]
async fn timers_and_accounts_are_not_ready_while_their_database_is_away_and_recover_by_themselves()
{
    let mut cluster = tokio::task::spawn_blocking(PgCluster::start)
        .await
        .expect("joins")
        .expect("a throwaway PostgreSQL cluster");
    cluster.create_database("health").expect("a database");
    let url = cluster.url("health");
    let mut services = [serve_on("timers", &url), serve_on("accounts", &url)];
    let names = ["clocker.v1.Timers", "clocker.v1.Accounts"];

    for (served, name) in services.iter_mut().zip(names) {
        assert_ready(served, name).await;
    }

    let stopped = Instant::now();
    // Blocks this test's thread for a moment; the services run elsewhere.
    cluster.stop().expect("the cluster stops");

    for (served, name) in services.iter_mut().zip(names) {
        let addr = served.addr;
        let (status, reason) = poll_until(
            FOLLOWS_WITHIN,
            || grpc_health(addr, ""),
            |(status, _)| *status == ServingStatus::NotServing,
        )
        .await;
        assert_eq!(status, ServingStatus::NotServing);
        let reason = reason.expect("the reason travels in clocker-not-ready");
        assert!(reason.starts_with("database: "), "{reason}");
        eprintln!("{name} not ready: {reason}");
        let (status, _) = grpc_health(addr, name).await;
        assert_eq!(status, ServingStatus::NotServing, "{name}");
        let (code, body) = http_json(addr, "/health").await;
        assert_eq!(code, 503, "{body}");
        assert_eq!(body["status"], "not ready", "{body}");
        assert_eq!(body["failing"][0]["check"], "database", "{body}");
        let why = body["failing"][0]["reason"].as_str().expect("a reason");
        assert!(!why.is_empty(), "{body}");
        assert_live(addr).await;
        served.assert_alive();
    }
    eprintln!(
        "both not ready {:?} after the database stopped",
        stopped.elapsed()
    );

    cluster.start_again().expect("the cluster starts again");
    let restarted = Instant::now();
    for (served, name) in services.iter_mut().zip(names) {
        assert_ready(served, name).await;
    }
    eprintln!(
        "both ready again {:?} after the database came back",
        restarted.elapsed()
    );
    drop(services);
    drop(cluster);
}

#[tokio::test]
async fn the_gateway_is_not_ready_while_timers_or_accounts_is_down() {
    let mut fleet = TestFleet::start_only(&[ServiceName::Gateway], &[]).await;
    let gateway = fleet.addr(ServiceName::Gateway);
    let ready = |gateway| async move { http_json(gateway, "/health").await };
    let (_, body) = poll_until(FOLLOWS_WITHIN, || ready(gateway), |(code, _)| *code == 200).await;
    assert_eq!(body, serde_json::json!({"status": "ok"}));

    for down in [ServiceName::Timers, ServiceName::Accounts] {
        fleet.stop_service(down).await;
        let (_, body) =
            poll_until(FOLLOWS_WITHIN, || ready(gateway), |(code, _)| *code == 503).await;
        assert_eq!(body["status"], "not ready", "{body}");
        assert_eq!(body["failing"][0]["check"], down.as_str(), "{body}");
        let (code, _) = http_json(gateway, "/livez").await;
        assert_eq!(
            code, 200,
            "liveness does not depend on what the gateway requires"
        );

        fleet.restart_service(down).await;
        poll_until(FOLLOWS_WITHIN, || ready(gateway), |(code, _)| *code == 200).await;
    }
    fleet.stop().await;
}

#[test]
fn the_supervisor_keeps_a_service_whose_database_is_away_and_ps_says_why() {
    let mut cluster = PgCluster::start().expect("a throwaway PostgreSQL cluster");
    cluster.create_database("supervised").expect("a database");
    let url = cluster.url("supervised");
    let up = Up::start(&["--only", "timers", "--database-url", &url]);
    let ready = up.wait_for("timers", "ready", |row| row.state == "ready");
    let pid = ready.pid.expect("a pid");

    cluster.stop().expect("the cluster stops");
    let row = up.wait_for("timers", "not ready", |row| row.state == "not ready");
    let why = row.not_ready.clone().expect("ps says why");
    assert!(why.starts_with("database: "), "{why}");
    // Not ready is not stuck: it keeps answering its liveness probes, and
    // is neither killed nor restarted, for several kill periods (1 s each).
    let watched = std::time::Instant::now();
    while watched.elapsed() < Duration::from_secs(3) {
        let row = up.row("timers");
        assert_eq!((row.pid, row.restarts), (Some(pid), 0), "{row:?}");
        assert_eq!(row.state, "not ready", "{row:?}");
        std::thread::sleep(Duration::from_millis(100));
    }

    cluster.start_again().expect("the cluster starts again");
    let row = up.wait_for("timers", "ready again", |row| row.state == "ready");
    assert_eq!((row.pid, row.restarts, row.not_ready), (Some(pid), 0, None));
}

/// `served` becomes ready (gRPC health for "" and `name` SERVING, `/health`
/// 200) within [`FOLLOWS_WITHIN`], is live, and is still the same process.
async fn assert_ready(served: &mut Served, name: &str) {
    let addr = served.addr;
    for service in ["", name] {
        poll_until(
            FOLLOWS_WITHIN,
            || grpc_health(addr, service),
            |(status, _)| *status == ServingStatus::Serving,
        )
        .await;
    }
    let (code, body) = http_json(addr, "/health").await;
    assert_eq!(code, 200, "{body}");
    assert_live(addr).await;
    served.assert_alive();
}
