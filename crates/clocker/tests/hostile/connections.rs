//! Findings 5 and 6: connection budgets. An attacker holding half-sent
//! request heads and idle connections on a hyper-served port (the gateway),
//! or on a gRPC port (hours), is refused past its per-address cap with a
//! `503` and closed after the header/idle timeout, while a client from
//! another address and the supervisor's health probe (a fresh connection
//! each time) are still served; a `GET /stream` client that stops reading
//! is dropped after the write timeout.
//!
//! Limits and timeouts are small, and given through the environment (as
//! `clocker up` hands them to its children).

use std::net::SocketAddr;
use std::time::Duration;

use clocker_fleet::ServiceName;
use clocker_supervisor::probe::Prober;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

use crate::support::{ATTACKER, PATIENCE, Served, attacker_connect, eventually};

/// Connections the attacker may hold at once.
const PER_ADDRESS: usize = 20;
/// Connections the attacker opens: past its cap, most are refused.
const OPENED: usize = 60;
/// How far resident memory may grow under the attack.
const RSS_BOUND_KIB: u64 = 16 * 1024;
/// How long a normal client may wait for its answer while the attack runs.
const CLIENT_BUDGET: Duration = Duration::from_millis(500);

const LIMITS: &[(&str, &str)] = &[
    ("CLOCKER_MAX_CONNECTIONS_PER_ADDRESS", "20"),
    ("CLOCKER_HEADER_TIMEOUT", "1s"),
    ("CLOCKER_IDLE_TIMEOUT", "2s"),
    ("CLOCKER_WRITE_TIMEOUT", "1s"),
];

/// What the peer sends before it falls silent.
#[derive(Debug, Clone, Copy)]
enum Hold {
    /// Part of a request head.
    HalfHead,
    /// Nothing at all.
    Idle,
}

/// Opens [`OPENED`] connections from [`ATTACKER`] at once, alternately
/// silent and with half a head; returns those that were not refused, after
/// checking that every refused one got a clear `503`. (All is done well
/// within the header timeout, so the attacker holds them all at once.)
async fn attack(addr: SocketAddr) -> Vec<TcpStream> {
    let mut opened = Vec::new();
    for i in 0..OPENED {
        let hold = if i % 2 == 0 {
            Hold::HalfHead
        } else {
            Hold::Idle
        };
        let mut tcp = attacker_connect(addr).await.expect("the port accepts");
        if let Hold::HalfHead = hold {
            // A refused connection may already be closed: that is fine.
            let _ = tcp.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").await;
        }
        opened.push((hold, tcp));
    }
    // A refusal comes at once; an admitted connection says nothing yet.
    let answers =
        futures_util::future::join_all(opened.into_iter().map(|(hold, mut tcp)| async move {
            let mut answer = Vec::new();
            let read =
                tokio::time::timeout(Duration::from_millis(200), tcp.read_to_end(&mut answer))
                    .await;
            (hold, tcp, read.is_ok(), answer)
        }))
        .await;
    let mut held = Vec::new();
    let mut refused = 0;
    for (i, (hold, tcp, ended, answer)) in answers.into_iter().enumerate() {
        if !ended {
            held.push(tcp);
            continue;
        }
        let text = String::from_utf8_lossy(&answer);
        assert!(
            text.starts_with("HTTP/1.1 503 ") && text.contains("retry-after: 1"),
            "connection {i} ({hold:?}) ended without a clear refusal: {text:?}"
        );
        assert!(text.contains("too many connections from your address"));
        refused += 1;
    }
    assert_eq!(
        held.len(),
        PER_ADDRESS,
        "the attacker holds exactly its cap ({refused} refused)"
    );
    held
}

/// `GET path` from 127.0.0.1 on a fresh connection: the status line, within
/// [`CLIENT_BUDGET`].
async fn client_get(addr: SocketAddr, path: &str) -> String {
    let started = Instant::now();
    let answer = tokio::time::timeout(CLIENT_BUDGET, async {
        let mut tcp = TcpStream::connect(addr).await.expect("connects");
        tcp.write_all(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .expect("sends");
        let mut answer = Vec::new();
        tcp.read_to_end(&mut answer).await.expect("reads");
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .unwrap_or_else(|_| panic!("GET {path} not answered within {CLIENT_BUDGET:?}"));
    assert!(started.elapsed() < CLIENT_BUDGET);
    answer.lines().next().unwrap_or_default().to_owned()
}

/// How many of `held` the server has closed (each read sees the end).
async fn closed_count(held: &mut [TcpStream]) -> usize {
    let mut closed = 0;
    for tcp in held.iter_mut() {
        let mut buf = [0_u8; 256];
        // Whatever the server said before closing (a 408, say) is skipped.
        loop {
            match tokio::time::timeout(Duration::from_millis(5), tcp.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => {
                    closed += 1;
                    break;
                }
                Ok(Ok(_)) => continue,
                Err(_) => break,
            }
        }
    }
    closed
}

/// Checks what every hostile test checks, with `probe` the supervisor's.
async fn assert_still_serving(served: &mut Served, pid: u32, rss_before: u64, probe: &Prober) {
    served.assert_alive();
    assert_eq!(served.pid(), pid, "the same process");
    let grown = served.rss_kib().saturating_sub(rss_before);
    assert!(grown < RSS_BOUND_KIB, "RSS grew by {grown} KiB");
    let rtt = probe
        .clone()
        .check(CLIENT_BUDGET)
        .await
        .unwrap_or_else(|why| panic!("the health probe failed under attack: {why}"));
    assert!(rtt < CLIENT_BUDGET);
}

#[tokio::test]
async fn half_sent_heads_and_idle_connections_are_capped_per_address_and_closed_in_time() {
    let mut gateway = Served::start("gateway", &[], LIMITS);
    let pid = gateway.pid();
    let probe = Prober::new(ServiceName::Gateway, gateway.addr);
    let files_before = gateway.open_files();
    let rss_before = gateway.rss_kib();

    let started = Instant::now();
    let mut held = attack(gateway.addr).await;
    // Another address is served, and so is the probe, while the attacker
    // holds its whole allowance. (This gateway runs without the services
    // behind it, so it is not ready: liveness is what answers 200.)
    assert_eq!(client_get(gateway.addr, "/livez").await, "HTTP/1.1 200 OK");
    assert_still_serving(&mut gateway, pid, rss_before, &probe).await;

    // After the header timeout (1 s; before its first request, a silent
    // connection has no longer) every held connection is closed.
    let all = held.len();
    eventually("every held connection is closed", async || {
        (closed_count(&mut held).await == all).then_some(())
    })
    .await;
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(1), "closed after {took:?}");
    let files = eventually("open files back to where they were", async || {
        let files = gateway.open_files();
        (files <= files_before + 2).then_some(files)
    })
    .await;
    assert!(
        files <= files_before + 2,
        "{files} files open, {files_before} before"
    );
    // The attacker's allowance is back: it is served like anyone.
    let mut again = attacker_connect(gateway.addr).await.expect("connects");
    again
        .write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("sends");
    let mut answer = String::new();
    again.read_to_string(&mut answer).await.expect("reads");
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert_still_serving(&mut gateway, pid, rss_before, &probe).await;
}

#[tokio::test]
async fn a_grpc_port_caps_an_address_and_closes_its_idle_and_half_sent_connections() {
    let mut hours = Served::start("hours", &[], LIMITS);
    let pid = hours.pid();
    let probe = Prober::new(ServiceName::Hours, hours.addr);
    let files_before = hours.open_files();
    let rss_before = hours.rss_kib();

    let mut held = attack(hours.addr).await;
    // gRPC from another address (a fresh HTTP/2 connection) and the
    // port's HTTP/1 /metrics are served.
    assert_still_serving(&mut hours, pid, rss_before, &probe).await;
    assert_eq!(client_get(hours.addr, "/metrics").await, "HTTP/1.1 200 OK");

    let all = held.len();
    eventually("every held connection is closed", async || {
        (closed_count(&mut held).await == all).then_some(())
    })
    .await;
    eventually("open files back to where they were", async || {
        (hours.open_files() <= files_before + 2).then_some(())
    })
    .await;
    assert_still_serving(&mut hours, pid, rss_before, &probe).await;
}

/// The stream's seed-004 metrics: how many clients it streams to.
async fn stream_clients(stream: SocketAddr) -> u64 {
    let mut tcp = TcpStream::connect(stream).await.expect("connects");
    tcp.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("sends");
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.expect("reads");
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    let metrics: serde_json::Value = serde_json::from_str(body).expect("JSON metrics");
    metrics["clients"].as_u64().expect("a client count")
}

#[tokio::test]
async fn a_stream_client_that_stops_reading_is_dropped_after_the_write_timeout() {
    let random = Served::start("random", &[], &[]);
    let random_addr = random.addr.to_string();
    let random_var = ServiceName::Random.addr_env_var();
    let mut env: Vec<(&str, &str)> = LIMITS.to_vec();
    env.push((random_var.as_str(), random_addr.as_str()));
    // Writes block as soon as anything is left unsent.
    env.push(("CLOCKER_UNSENT_LIMIT", "1"));
    let mut stream = Served::start("stream", &[], &env);
    let pid = stream.pid();
    let probe = Prober::new(ServiceName::Stream, stream.addr);
    let rss_before = stream.rss_kib();

    // A client with the smallest receive buffer that never reads.
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(1).expect("rcvbuf");
    socket
        .bind(SocketAddr::new(ATTACKER, 0))
        .expect("bind the attacker's address");
    let mut stuck = socket.connect(stream.addr).await.expect("connects");
    stuck
        .write_all(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("sends");
    eventually("the stuck client is streamed to", async || {
        (stream_clients(stream.addr).await == 1).then_some(())
    })
    .await;
    let started = Instant::now();
    // The feed sends ~1 KB a second: the client's buffer is full within a
    // few seconds, then its writes stall for the write timeout (1 s).
    let deadline = started + 2 * PATIENCE;
    while stream_clients(stream.addr).await != 0 {
        assert!(
            Instant::now() < deadline,
            "a client that stopped reading was still streamed to after {:?}",
            started.elapsed()
        );
        assert_still_serving(&mut stream, pid, rss_before, &probe).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_still_serving(&mut stream, pid, rss_before, &probe).await;
    drop(stuck);
    drop(random);
}
