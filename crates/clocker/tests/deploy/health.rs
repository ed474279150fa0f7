//! `clocker health NAME`, what every container's healthcheck runs: exit 0
//! for a ready service (with `--live`: a live one), 1 with one line naming
//! what failed otherwise.

use std::process::Output;

use clocker_fleet::FleetConfig;
use clocker_fleet::ServiceName;
use clocker_runtime::{AddressBook, ServiceThread};
use tokio::net::TcpListener;

fn clocker_health(args: &[&str], envs: &[(&str, String)]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_clocker"))
        .arg("health")
        .args(args)
        .env_remove("CLOCKER_LISTEN")
        .env_remove("CLOCKER_HOST")
        .envs(envs.iter().map(|(key, value)| (key, value)))
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

async fn start(name: ServiceName) -> ServiceThread {
    start_finding(name, AddressBook::default()).await
}

/// `name`, finding what it requires through `book`.
async fn start_finding(name: ServiceName, book: AddressBook) -> ServiceThread {
    ServiceThread::start(name.as_str(), move |shutdown| async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        clocker_fleet::launch_service(name, listener, book, &FleetConfig::default(), shutdown).await
    })
    .await
    .unwrap_or_else(|err| panic!("{name} starts: {err}"))
}

/// A port nothing listens on (bound, then let go).
fn free_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A gateway whose four upstreams are a port nothing listens on: live, not
/// ready.
async fn gateway_without_upstreams() -> ServiceThread {
    let closed = free_addr().parse().expect("an address");
    let mut book = AddressBook::default();
    for name in ServiceName::Gateway.requires() {
        book.set(name.contract(), closed);
    }
    start_finding(ServiceName::Gateway, book).await
}

#[tokio::test]
async fn a_live_service_that_is_not_ready_exits_1_naming_what_it_lacks_but_0_with_live() {
    let gateway = gateway_without_upstreams().await;
    let addr = gateway.addr.to_string();
    let output = clocker_health(&["gateway", "--addr", &addr], &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    for part in ["not ready", "GET /health", "503", "timers: not answering"] {
        assert!(
            stderr.contains(part),
            "the error should name {part:?}: {stderr}"
        );
    }
    let output = clocker_health(&["gateway", "--addr", &addr, "--live"], &[]);
    assert!(
        output.status.success(),
        "clocker health gateway --live: {:?}, stderr: {}",
        output.status,
        text(&output.stderr)
    );
    assert!(text(&output.stdout).contains("GET /livez"));
    gateway.stop().await;
}

#[tokio::test]
async fn a_healthy_service_exits_0() {
    for (name, live) in [(ServiceName::Random, false), (ServiceName::Gateway, true)] {
        // The gateway runs here without the services it requires: live, not ready.
        let service = match name {
            ServiceName::Gateway => gateway_without_upstreams().await,
            _ => start(name).await,
        };
        let addr = service.addr.to_string();
        let live = if live { "--live" } else { "--timeout=2s" };
        let output = clocker_health(&[name.as_str(), "--addr", &addr, live], &[]);
        let stdout = text(&output.stdout);
        assert!(
            output.status.success(),
            "clocker health {name} --addr {addr}: {:?}, stderr: {}",
            output.status,
            text(&output.stderr)
        );
        assert!(
            stdout.trim().lines().count() <= 1,
            "one short line at most: {stdout}"
        );
        // Without --addr: CLOCKER_LISTEN as serve reads it, 0.0.0.0 read as loopback.
        let listen = format!("0.0.0.0:{}", service.addr.port());
        let output = clocker_health(
            &[name.as_str(), live],
            &[("CLOCKER_LISTEN", listen.clone())],
        );
        assert!(
            output.status.success(),
            "clocker health {name} with CLOCKER_LISTEN={listen}: {:?}, stderr: {}",
            output.status,
            text(&output.stderr)
        );
        service.stop().await;
    }
}

#[test]
fn nothing_listening_exits_1_with_one_line_naming_the_service_the_address_and_the_probe() {
    for (name, probe) in [
        (ServiceName::Random, "grpc.health.v1.Health/Check"),
        (ServiceName::Stream, "GET /health"),
    ] {
        let addr = free_addr();
        let output = clocker_health(&[name.as_str(), "--addr", &addr, "--timeout", "2s"], &[]);
        let stderr = text(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(1),
            "clocker health {name} --addr {addr}: {stderr}"
        );
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        for part in [name.as_str(), &addr, probe, "refused"] {
            assert!(
                stderr.contains(part),
                "the error should name {part:?}: {stderr}"
            );
        }
    }
}
