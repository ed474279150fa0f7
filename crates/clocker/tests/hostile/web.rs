//! Finding 10 of issue 14: the Host header was trusted. An injected Host put
//! `'unsafe-inline'` into the funnel's Content-Security-Policy and into
//! `/config.json`; any Host was answered (DNS rebinding); a WebSocket from
//! `Origin: http://evil.example` was accepted; `/status.json` showed pids,
//! addresses and errors on the public port.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, timeout};

use crate::support::{PATIENCE, Served, attacker_connect};

/// How much the funnel's or gateway's memory may grow over one of these
/// tests (a few dozen requests).
const RSS_GROWTH_BOUND_KIB: u64 = 16 * 1024;

/// How long a normal client may wait for an answer while the attack runs.
const CLIENT_BUDGET: Duration = Duration::from_millis(500);

/// The Host that injected a policy before.
const INJECTED_HOST: &str = "x;script-src * 'unsafe-inline';x:1";

/// Sends `request` on `tcp` and reads the answer until the server closes or
/// stops sending: its status code and text.
async fn exchange(mut tcp: TcpStream, request: &str) -> (u16, String) {
    tcp.write_all(request.as_bytes())
        .await
        .expect("request sent");
    let mut answer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    // A 101 keeps the connection open: stop at the end of the head then.
    while let Ok(Ok(read)) = timeout(Duration::from_millis(500), tcp.read(&mut chunk)).await {
        if read == 0 {
            break;
        }
        answer.extend_from_slice(&chunk[..read]);
        if answer.starts_with(b"HTTP/1.1 101") && answer.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
        assert!(answer.len() < 4 * 1024 * 1024, "an answer too long");
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    (status, text)
}

fn get(path: &str, host: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n")
}

/// A normal client (from 127.0.0.1) asks `path` with the server's own
/// address as Host, and must be answered 200 within [`CLIENT_BUDGET`].
async fn served_normally(addr: SocketAddr, path: &str) -> String {
    let started = Instant::now();
    let tcp = TcpStream::connect(addr).await.expect("client connects");
    let (status, text) = exchange(tcp, &get(path, &addr.to_string(), "")).await;
    assert_eq!(status, 200, "{path}: {text}");
    assert!(
        started.elapsed() < CLIENT_BUDGET + Duration::from_millis(500),
        "{path} took {:?}",
        started.elapsed()
    );
    text
}

fn assert_bounded(served: &mut Served, before_kib: u64) {
    served.assert_alive();
    let after = served.rss_kib();
    assert!(
        after < before_kib + RSS_GROWTH_BOUND_KIB,
        "{} grew from {before_kib} KiB to {after} KiB",
        served.name
    );
}

#[tokio::test]
async fn an_injected_host_is_refused_and_never_reaches_the_policy() {
    let mut funnel = Served::start("funnel", &[], &[]);
    let pid = funnel.pid();
    let before = funnel.rss_kib();
    for path in ["/", "/config.json", "/timers", "/status.json"] {
        let attacker = attacker_connect(funnel.addr).await.expect("connect");
        let (status, text) = exchange(attacker, &get(path, INJECTED_HOST, "")).await;
        assert_eq!(status, 400, "{path}: {text}");
        assert!(!text.contains("unsafe-inline"), "{path}: {text}");
        assert!(text.contains("Host header"), "a clear refusal: {text}");
    }
    let config = served_normally(funnel.addr, "/config.json").await;
    assert!(
        config.contains("\"gateway\":\"http://127.0.0.1:"),
        "{config}"
    );
    assert_eq!(funnel.pid(), pid);
    assert_bounded(&mut funnel, before);
}

#[tokio::test]
async fn a_rebinding_host_is_refused_by_the_funnel_and_the_gateway() {
    for name in ["funnel", "gateway"] {
        let mut served = Served::start(name, &[], &[]);
        let before = served.rss_kib();
        let rebound = format!("evil.example:{}", served.addr.port());
        for path in [
            "/",
            "/config.json",
            "/status.json",
            "/openapi.json",
            "/api/time",
        ] {
            let attacker = attacker_connect(served.addr).await.expect("connect");
            let (status, text) = exchange(attacker, &get(path, &rebound, "")).await;
            assert_eq!(status, 421, "{name} {path}: {text}");
            assert!(text.contains("--allowed-host"), "a clear refusal: {text}");
        }
        // The names it is for are still answered, within budget.
        let localhost = format!("localhost:{}", served.addr.port());
        let tcp = TcpStream::connect(served.addr).await.expect("connect");
        let path = if name == "funnel" {
            "/config.json"
        } else {
            "/openapi.json"
        };
        let (status, text) = exchange(tcp, &get(path, &localhost, "")).await;
        assert_eq!(status, 200, "{name}: {text}");
        served_normally(served.addr, path).await;
        assert_bounded(&mut served, before);
    }
}

#[tokio::test]
async fn an_allowed_host_name_is_answered() {
    let funnel = Served::start("funnel", &["--allowed-host", "clock.example"], &[]);
    let tcp = TcpStream::connect(funnel.addr).await.expect("connect");
    let (status, text) = exchange(tcp, &get("/config.json", "clock.example", "")).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("http://clock.example:"), "{text}");
}

fn upgrade(host: &str, origin: Option<&str>) -> String {
    let origin = origin.map_or(String::new(), |origin| format!("Origin: {origin}\r\n"));
    format!(
        "GET /ws?tz=UTC HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{origin}\r\n"
    )
}

#[tokio::test]
async fn a_websocket_from_a_foreign_origin_is_refused_and_an_allowed_one_opens() {
    let mut funnel = Served::start("funnel", &[], &[]);
    let before = funnel.rss_kib();
    let host = funnel.addr.to_string();
    for origin in ["http://evil.example", "null", "http://127.0.0.2:1234"] {
        let attacker = attacker_connect(funnel.addr).await.expect("connect");
        let (status, text) = exchange(attacker, &upgrade(&host, Some(origin))).await;
        assert_eq!(status, 403, "{origin}: {text}");
        assert!(text.contains("origin"), "a clear refusal: {text}");
    }
    let own = format!("http://{host}");
    let localhost = format!("http://localhost:{}", funnel.addr.port());
    for origin in [Some(own.as_str()), Some(localhost.as_str()), None] {
        let tcp = TcpStream::connect(funnel.addr).await.expect("connect");
        let (status, text) = exchange(tcp, &upgrade(&host, origin)).await;
        assert_eq!(status, 101, "{origin:?}: {text}");
    }
    assert_bounded(&mut funnel, before);
}

/// A stand-in for the supervisor's control endpoint: answers every request
/// with one row full of details.
async fn fake_supervisor() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = [0u8; 4096];
                let _ = timeout(PATIENCE, tcp.read(&mut head)).await;
                let body = r#"[{"name":"hours","pid":4242,"addr":"10.9.8.7:50001","state":"ready","restarts":2,"uptime_s":7,"last_error":"exited: secret detail","probe_p99_ms":0.5,"overruns":null}]"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = tcp.write_all(answer.as_bytes()).await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn status_details_stay_off_a_public_port() {
    let control = fake_supervisor().await.to_string();
    let env = [
        ("CLOCKER_SUPERVISOR_CONTROL", control.as_str()),
        ("CLOCKER_SUPERVISOR_TOKEN", "test-token"),
    ];
    // Listening on every interface: reachable from other machines.
    let mut public = Served::start_at("funnel", "0.0.0.0:0", &[], &env);
    let before = public.rss_kib();
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), public.addr.port());
    let attacker = attacker_connect(addr).await.expect("connect");
    let (status, text) = exchange(attacker, &get("/status.json", &addr.to_string(), "")).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"supervised\":true"), "{text}");
    assert!(
        text.contains("\"restarts\":2"),
        "the page still works: {text}"
    );
    for detail in ["4242", "10.9.8.7", "secret detail"] {
        assert!(
            !text.contains(detail),
            "{detail} on the public port: {text}"
        );
    }
    assert_bounded(&mut public, before);

    // On loopback only this machine reaches it: the page shows everything.
    let local = Served::start("funnel", &[], &env);
    let text = served_normally(local.addr, "/status.json").await;
    assert!(
        text.contains("4242") && text.contains("secret detail"),
        "{text}"
    );
}
