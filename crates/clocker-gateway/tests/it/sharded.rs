//! The gateway as `clocker serve gateway` runs it: on real sockets, on two
//! shards, each with its own clients of the services behind it.

use std::net::SocketAddr;
use std::time::Duration;

use clocker_gateway::GatewayConfig;
use clocker_runtime::{AddressBook, CancellationToken, RuntimeConfig, bind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Enough new connections that the kernel lands some on each shard.
const CONNECTIONS: usize = 64;

/// `GET path` on a new connection: the whole answer.
async fn get(addr: SocketAddr, path: &str) -> String {
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.expect("send");
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), tcp.read_to_string(&mut answer))
        .await
        .expect("an answer within 5 s")
        .expect("read");
    answer
}

/// The value of the Prometheus sample `name{labels…}` carrying every one
/// of `labels`.
fn sample(metrics: &str, name: &str, labels: &[&str]) -> Option<f64> {
    metrics
        .lines()
        .filter(|line| line.starts_with(&format!("{name}{{")))
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit_once(' '))
        .and_then(|(_, value)| value.parse().ok())
}

#[tokio::test]
async fn a_sharded_gateway_answers_on_every_connection_counts_them_all_and_drains() {
    let shutdown = CancellationToken::new();
    let any: SocketAddr = "127.0.0.1:0".parse().expect("literal");
    let settings = RuntimeConfig {
        budget: Duration::from_secs(2),
        shards: 2,
        ..RuntimeConfig::default()
    };
    let random = clocker_random::launch(
        bind("random", any).await.expect("port"),
        &settings,
        shutdown.clone(),
    )
    .await
    .expect("random starts");
    // Only random is needed here; what else the gateway calls is away.
    let closed = std::net::TcpListener::bind(any)
        .and_then(|listener| listener.local_addr())
        .expect("a free port");
    let mut book = AddressBook::default();
    for away in [
        clocker_proto::v1::current_time_server::SERVICE_NAME,
        clocker_proto::v1::accounts_server::SERVICE_NAME,
        clocker_proto::v1::timers_server::SERVICE_NAME,
    ] {
        book.set(away, closed);
    }
    book.set(
        clocker_proto::random::random_service_server::SERVICE_NAME,
        random.addr,
    );
    let gateway = clocker_gateway::launch(
        bind("gateway", any).await.expect("port"),
        book,
        &GatewayConfig::default(),
        &settings,
        shutdown.clone(),
    )
    .await
    .expect("every shard starts");
    for _ in 0..CONNECTIONS {
        let answer = get(gateway.addr, "/random/number?min=1&max=100").await;
        assert!(
            answer.starts_with("HTTP/1.1 200 OK") && answer.contains("\"number\":"),
            "{answer}"
        );
    }
    // One registry for the process: whichever shard serves /metrics counts
    // what every shard answered.
    let metrics = get(gateway.addr, "/metrics").await;
    let answered = sample(
        &metrics,
        "clocker_http_requests_total",
        &[
            "service=\"gateway\"",
            "route=\"/random/number\"",
            "status=\"200\"",
        ],
    );
    assert!(
        answered.is_some_and(|n| n >= CONNECTIONS as f64),
        "{answered:?} in {metrics}"
    );
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(10), gateway.stopped())
        .await
        .expect("every shard drains")
        .expect("a clean stop");
    random.stopped().await.expect("random stops");
}
