//! Shards on real sockets of 127.0.0.1: the kernel spreads connections over
//! them, each serves, all drain together, and a client's caps hold across
//! them (the attacker connects from 127.0.0.2).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;
use tokio_util::task::TaskTracker;

use super::*;
use crate::config::RuntimeConfig;
use crate::gate::ConnectionLimits;
use crate::http_server::launch_http_shard;

const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const SHARDS: usize = 2;
/// Enough connections that all of them landing on one of two shards
/// (2 × 2^-64) never happens by chance.
const CONNECTIONS: usize = 64;
const SERVICE: &str = "sharded";

/// Requests each shard has begun to answer.
type Begun = Arc<[AtomicUsize; SHARDS]>;

/// A shard's routes: `/shard` answers its index; `/hold` answers it once
/// shutdown has begun (a request in flight when the drain starts).
fn router(shard: &Shard, begun: Begun) -> Router {
    let index = shard.index;
    let shutdown = shard.shutdown.clone();
    Router::new()
        .route("/shard", get(move || async move { index.to_string() }))
        .route(
            "/hold",
            get(move |State(begun): State<Begun>| async move {
                begun[index].fetch_add(1, Ordering::SeqCst);
                shutdown.cancelled().await;
                index.to_string()
            })
            .with_state(begun),
        )
}

fn settings(limits: ConnectionLimits) -> RuntimeConfig {
    RuntimeConfig {
        connections: limits,
        shards: SHARDS,
        ..RuntimeConfig::default()
    }
}

/// A port of 127.0.0.1 bound as a service binds its own.
async fn port() -> tokio::net::TcpListener {
    crate::bind(SERVICE, SocketAddr::new(CLIENT, 0))
        .await
        .expect("a free port")
}

struct Sharded {
    addr: SocketAddr,
    shutdown: CancellationToken,
    launched: Launched,
    begun: Begun,
}

/// [`SHARDS`] shards serving [`router`] on `listener`.
async fn launch(listener: tokio::net::TcpListener, limits: ConnectionLimits) -> Sharded {
    let settings = settings(limits);
    let listeners = shard_listeners(SERVICE, listener, settings.shards).expect("listeners");
    let gate = Gate::new(SERVICE, &settings.connections);
    let shutdown = CancellationToken::new();
    let begun = Begun::default();
    let routes = begun.clone();
    let launched = launch_shards(SERVICE, listeners, gate, shutdown.clone(), move |shard| {
        let app = router(&shard, routes.clone());
        std::future::ready(launch_http_shard(shard, app, &settings, TaskTracker::new()))
    })
    .await
    .expect("every shard starts");
    Sharded {
        addr: launched.addr,
        shutdown,
        launched,
        begun,
    }
}

async fn connect_from(ip: IpAddr, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(ip, 0))
        .expect("bind the source address");
    socket.connect(addr).await.expect("connect")
}

async fn read_to_end(tcp: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes within 5 s")
        .expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

/// `GET path` on a new connection from `ip`: the whole answer.
async fn get_from(ip: IpAddr, addr: SocketAddr, path: &str) -> String {
    let mut tcp = connect_from(ip, addr).await;
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.expect("send");
    read_to_end(&mut tcp).await
}

/// The shard that answered `GET /shard` (or `/hold`), from its body.
fn shard_of(answer: &str) -> usize {
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    let (_, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    body.parse().expect("a shard index")
}

/// Which shards answered `CONNECTIONS` new connections from 127.0.0.1.
async fn shards_answering(addr: SocketAddr) -> [usize; SHARDS] {
    let mut answered = [0; SHARDS];
    for _ in 0..CONNECTIONS {
        answered[shard_of(&get_from(CLIENT, addr, "/shard").await)] += 1;
    }
    answered
}

/// Waits until `requests` requests to `/hold` have begun; how many on each
/// shard.
async fn wait_until_begun(sharded: &Sharded, requests: usize) -> [usize; SHARDS] {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let begun = sharded.begun.each_ref().map(|n| n.load(Ordering::SeqCst));
        if begun.iter().sum::<usize>() >= requests {
            return begun;
        }
        assert!(Instant::now() < deadline, "begun {begun:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Accepts what waits on `listener` without blocking; how many there were.
fn accept_waiting(listener: &std::net::TcpListener) -> usize {
    let mut accepted = 0;
    while listener.accept().is_ok() {
        accepted += 1;
    }
    accepted
}

#[tokio::test]
async fn the_kernel_spreads_new_connections_over_the_shards_listeners() {
    let listeners = shard_listeners(SERVICE, port().await, SHARDS).expect("listeners");
    let addr = listeners[0].local_addr().expect("addr");
    assert!(listeners.iter().all(|l| l.local_addr().ok() == Some(addr)));
    let clients: Vec<std::net::TcpStream> = (0..CONNECTIONS)
        .map(|_| std::net::TcpStream::connect(addr).expect("connect"))
        .collect();
    // Each listener has a queue of its own: accepting from the first does
    // not empty the second's (clones of one socket would share one queue).
    let mut accepted = [0; SHARDS];
    let deadline = Instant::now() + Duration::from_secs(5);
    while accepted.iter().sum::<usize>() < clients.len() {
        assert!(Instant::now() < deadline, "accepted {accepted:?}");
        for (count, listener) in accepted.iter_mut().zip(&listeners) {
            *count += accept_waiting(listener);
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert!(accepted.iter().all(|&n| n > 0), "accepted {accepted:?}");
}

#[tokio::test]
async fn every_shard_serves_requests() {
    let sharded = launch(port().await, ConnectionLimits::default()).await;
    let answered = shards_answering(sharded.addr).await;
    assert!(answered.iter().all(|&n| n > 0), "answered {answered:?}");
    sharded.shutdown.cancel();
    sharded.launched.stopped().await.expect("a clean stop");
}

#[tokio::test]
async fn a_port_that_cannot_be_shared_is_served_by_every_shard_from_one_socket() {
    // Bound without SO_REUSEPORT, as a socket handed over by systemd may be.
    let plain = std::net::TcpListener::bind(SocketAddr::new(CLIENT, 0)).expect("bind");
    plain.set_nonblocking(true).expect("non-blocking");
    let listener = tokio::net::TcpListener::from_std(plain).expect("tokio");
    let sharded = launch(listener, ConnectionLimits::default()).await;
    let answered = shards_answering(sharded.addr).await;
    assert_eq!(answered.iter().sum::<usize>(), CONNECTIONS, "{answered:?}");
    sharded.shutdown.cancel();
    sharded.launched.stopped().await.expect("a clean stop");
}

#[tokio::test]
async fn shutdown_drains_every_shard() {
    let sharded = launch(port().await, ConnectionLimits::default()).await;
    let mut held = Vec::new();
    for _ in 0..CONNECTIONS / 4 {
        let mut tcp = connect_from(CLIENT, sharded.addr).await;
        tcp.write_all(b"GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("send");
        held.push(tcp);
    }
    // Every request has begun, on both shards, before shutdown.
    let begun = wait_until_begun(&sharded, held.len()).await;
    assert!(begun.iter().all(|&n| n > 0), "begun {begun:?}");
    sharded.shutdown.cancel();
    // Each is answered in full, then closed: drained, not cut.
    for tcp in &mut held {
        shard_of(&read_to_end(tcp).await);
    }
    tokio::time::timeout(Duration::from_secs(5), sharded.launched.stopped())
        .await
        .expect("every shard stops within 5 s")
        .expect("a clean stop");
    let refused = TcpStream::connect(sharded.addr).await;
    assert!(refused.is_err(), "a shard still listens");
}

#[tokio::test]
async fn a_shard_that_cannot_start_fails_the_launch_and_stops_the_others() {
    // Shard 0 starts on the caller's runtime, shard 1 on a thread: either
    // may fail.
    for failing in 0..SHARDS {
        let settings = settings(ConnectionLimits::default());
        let listener = port().await;
        let addr = listener.local_addr().expect("addr");
        let listeners = shard_listeners(SERVICE, listener, SHARDS).expect("listeners");
        let gate = Gate::new(SERVICE, &settings.connections);
        let err = launch_shards(
            SERVICE,
            listeners,
            gate,
            CancellationToken::new(),
            move |shard| {
                let launched = if shard.index == failing {
                    Err(LaunchError::refused(SERVICE, "its upstream is unknown"))
                } else {
                    let app = router(&shard, Begun::default());
                    launch_http_shard(shard, app, &settings, TaskTracker::new())
                };
                std::future::ready(launched)
            },
        )
        .await
        .expect_err("a shard fails");
        let message = crate::ErrorChain(&err).to_string();
        assert!(
            message.starts_with(&format!("sharded: shard {failing} of 2 could not start: "))
                && message.contains("its upstream is unknown"),
            "{message}"
        );
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "a shard still listens"
        );
    }
}

#[tokio::test]
async fn a_shard_that_stops_by_itself_stops_the_others() {
    let settings = settings(ConnectionLimits::default());
    let listeners = shard_listeners(SERVICE, port().await, SHARDS).expect("listeners");
    let gate = Gate::new(SERVICE, &settings.connections);
    let shutdown = CancellationToken::new();
    // Shard 1 alone stops when this fires, as if its serving had failed.
    let crash = CancellationToken::new();
    let crash_shard = crash.clone();
    let launched = launch_shards(
        SERVICE,
        listeners,
        gate,
        shutdown.clone(),
        move |mut shard| {
            if shard.index == 1 {
                shard.shutdown = crash_shard.clone();
            }
            let app = router(&shard, Begun::default());
            std::future::ready(launch_http_shard(shard, app, &settings, TaskTracker::new()))
        },
    )
    .await
    .expect("every shard starts");
    let addr = launched.addr;
    crash.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(5), launched.stopped())
        .await
        .expect("every shard stops within 5 s");
    let err = stopped.expect_err("the service stopped because a shard did");
    assert!(
        err.to_string().contains("shard 1 of 2 stopped by itself"),
        "{err}"
    );
    assert!(
        shutdown.is_cancelled(),
        "the service's token stopped it all"
    );
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "shard 0 still listens"
    );
}

#[tokio::test]
async fn a_clients_connection_cap_holds_across_shards() {
    let limits = ConnectionLimits {
        max_per_address: 3,
        // An attacker's connection wrongly admitted is closed soon, and the
        // test fails fast instead of waiting out the default.
        header_timeout: Duration::from_secs(1),
        ..ConnectionLimits::default()
    };
    let sharded = launch(port().await, limits).await;
    // Three connections with a request in flight (never idle, so never
    // closed for it): as many as the attacker may hold.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut tcp = connect_from(ATTACKER, sharded.addr).await;
        tcp.write_all(b"GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("send");
        held.push(tcp);
    }
    wait_until_begun(&sharded, held.len()).await;
    // Whichever shard they land on, the attacker's next connections are
    // refused: one gate counts them all.
    for _ in 0..CONNECTIONS / 4 {
        let mut refused = connect_from(ATTACKER, sharded.addr).await;
        let answer = read_to_end(&mut refused).await;
        assert!(
            answer.starts_with("HTTP/1.1 503 ")
                && answer.contains("too many connections from your address"),
            "{answer}"
        );
    }
    // Everyone else is served, on every shard.
    let answered = shards_answering(sharded.addr).await;
    assert!(answered.iter().all(|&n| n > 0), "answered {answered:?}");
    drop(held);
    sharded.shutdown.cancel();
    sharded.launched.stopped().await.expect("a clean stop");
}

#[test]
fn the_default_is_at_least_one_shard() {
    assert!(default_shards() >= 1);
}

#[tokio::test]
async fn liveness_fails_whichever_shard_answers_while_one_is_stuck() {
    let settings = settings(ConnectionLimits::default());
    let listeners = shard_listeners(SERVICE, port().await, settings.shards).expect("listeners");
    let gate = Gate::new(SERVICE, &settings.connections);
    let shutdown = CancellationToken::new();
    let stick = Arc::new(tokio::sync::Notify::new());
    let stuck_on_cue = stick.clone();
    let launched = launch_shards(SERVICE, listeners, gate, shutdown.clone(), move |shard| {
        if shard.index == 1 {
            let cue = stuck_on_cue.clone();
            // Shard 1's thread blocks (a hang, not a wait): it stops beating.
            tokio::spawn(async move {
                cue.notified().await;
                std::thread::sleep(SILENT_LIMIT * 4);
            });
        }
        std::future::ready(launch_http_shard(
            shard,
            Router::new(),
            &settings,
            TaskTracker::new(),
        ))
    })
    .await
    .expect("every shard starts");
    let addr = launched.addr;
    let alive = get_from(CLIENT, addr, "/livez").await;
    assert!(alive.starts_with("HTTP/1.1 200 OK"), "{alive}");

    stick.notify_one();
    // Probes that land on the stuck shard get no answer; those on shard 0
    // say which shard is stuck once it has been silent for the limit.
    let deadline = Instant::now() + SILENT_LIMIT * 3;
    let stuck = loop {
        assert!(Instant::now() < deadline, "liveness never failed");
        let probe = get_from(CLIENT, addr, "/livez");
        if let Ok(answer) = tokio::time::timeout(Duration::from_millis(200), probe).await
            && answer.starts_with("HTTP/1.1 503")
        {
            break answer;
        }
    };
    assert!(stuck.contains(r#""shard":1"#), "{stuck}");
    assert!(stuck.contains(r#""status":"stuck""#), "{stuck}");
    shutdown.cancel();
    let _ = launched.stopped().await;
}
