//! The serving loop every HTTP and gRPC port runs: hyper-util's server with
//! a timer, so every connection has deadlines.
//!
//! - A request head must arrive within `header_timeout` (hyper's HTTP/1
//!   header-read timeout, which also bounds a kept-alive connection waiting
//!   for its next request); before the protocol is even known the same
//!   deadline holds.
//! - A connection with no request in flight for `idle_timeout` is closed
//!   gracefully (HTTP/2 between calls); one with a request in flight (a long
//!   SSE or gRPC stream) is not idle.
//! - HTTP/2 connections are pinged every `http2_keepalive` and closed when an
//!   answer takes longer than `http2_keepalive_timeout`; at most
//!   `max_streams` requests run at once on one of them.
//! - An upgraded connection (a WebSocket) leaves the loop with its permit:
//!   it still counts against the caps, and its own code owns its deadlines.
//!
//! Connections are admitted by the listener (see [`crate::gate`]); this loop
//! only serves what it is handed. `activity` tells when a connection is idle.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::config::RuntimeConfig;
use crate::gate::{Admitted, ConnectionLimits, Gate};
use crate::peer::PeerAddr;
use crate::socket::configure_accepted;

mod activity;

use activity::Activity;

/// How long a connection closed for idleness may take to say goodbye.
const GOODBYE: Duration = Duration::from_secs(1);

/// A listener whose sockets are configured ([`configure_accepted`]) and
/// admitted by a [`Gate`] before they are handed on; refused ones are
/// answered and closed here.
#[derive(Debug)]
pub struct GatedListener {
    listener: TcpListener,
    gate: Gate,
    settings: RuntimeConfig,
}

impl GatedListener {
    pub fn new(listener: TcpListener, gate: Gate, settings: RuntimeConfig) -> Self {
        Self {
            listener,
            gate,
            settings,
        }
    }
}

impl Listener for GatedListener {
    type Io = Admitted<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            // axum's accept waits out errors such as running out of files.
            let (tcp, peer) = Listener::accept(&mut self.listener).await;
            if let Some(permit) = self.gate.admit(&tcp, peer) {
                configure_accepted(&tcp, &self.settings);
                return (Admitted::new(tcp, permit), peer);
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

/// Serves `router` on `listener` within `limits` (counted by a gate named
/// `name`) until `shutdown`: for an HTTP endpoint that is not a Clocker
/// service, such as the supervisor's control endpoint.
pub async fn serve_http(
    name: &'static str,
    listener: TcpListener,
    router: Router,
    limits: &ConnectionLimits,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let settings = RuntimeConfig {
        connections: limits.clone(),
        ..RuntimeConfig::default()
    };
    let gated = GatedListener::new(listener, Gate::new(name, limits), settings);
    serve_router(gated, router, limits, shutdown).await
}

/// Serves `router` on the connections `listener` hands over until
/// `shutdown`, then waits for the open ones to finish (each is told to stop
/// gracefully; the caller bounds the wait).
pub async fn serve_router<L>(
    mut listener: L,
    router: Router,
    limits: &ConnectionLimits,
    shutdown: CancellationToken,
) -> io::Result<()>
where
    L: Listener<Addr = SocketAddr>,
    L::Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let builder = Arc::new(builder(limits));
    let connections = TaskTracker::new();
    loop {
        let (io, peer) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        connections.spawn(serve_connection(
            io,
            PeerAddr(peer),
            router.clone(),
            builder.clone(),
            limits.clone(),
            shutdown.clone(),
        ));
    }
    drop(listener);
    connections.close();
    connections.wait().await;
    Ok(())
}

/// hyper's server for both protocols, with a timer so its deadlines apply.
fn builder(limits: &ConnectionLimits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.http2_keepalive)
        .keep_alive_timeout(limits.http2_keepalive_timeout)
        .max_concurrent_streams(limits.max_streams)
        // WebSockets over HTTP/2 (RFC 8441), as axum::serve allows them.
        .enable_connect_protocol();
    builder
}

/// Serves one connection until it ends, stays idle too long, or shutdown.
async fn serve_connection<IO>(
    io: IO,
    peer: PeerAddr,
    router: Router,
    builder: Arc<auto::Builder<TokioExecutor>>,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Activity::new();
    let service = hyper::service::service_fn({
        let activity = activity.clone();
        move |mut request: http::Request<Incoming>| {
            // Each request carries its client's address, for limits kept
            // per client (PeerAddr::of_request, of_extensions).
            request.extensions_mut().insert(ConnectInfo(peer));
            let busy = activity.begin();
            let router = router.clone();
            async move {
                let response = match router.oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                Ok::<_, Infallible>(response.map(|body| busy.until_sent(body)))
            }
        }
    });
    let mut connection = pin!(builder.serve_connection_with_upgrades(TokioIo::new(io), service));
    let idle = activity.idle_longer_than(limits.header_timeout, limits.idle_timeout);
    let idled = tokio::select! {
        served = connection.as_mut() => {
            if let Err(err) = served {
                tracing::debug!(err, "connection ended with an error");
            }
            return;
        }
        () = idle => true,
        () = shutdown.cancelled() => false,
    };
    connection.as_mut().graceful_shutdown();
    if idled {
        tracing::debug!("closing an idle connection");
        let _ = tokio::time::timeout(GOODBYE, connection).await;
    } else {
        // In-flight requests finish; the service's drain period bounds this.
        let _ = connection.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpSocket, TcpStream};
    use tokio::time::Instant;

    const ATTACKER: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

    struct Server {
        addr: SocketAddr,
        shutdown: CancellationToken,
    }

    impl Drop for Server {
        fn drop(&mut self) {
            self.shutdown.cancel();
        }
    }

    async fn server(limits: ConnectionLimits) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let settings = RuntimeConfig {
            connections: limits.clone(),
            ..RuntimeConfig::default()
        };
        let gated = GatedListener::new(listener, Gate::new("gateway", &limits), settings);
        let slow = limits.idle_timeout * 2;
        let router = Router::new()
            .route("/health", get(|| async { "ok" }))
            .route(
                "/ws",
                get(|ws: axum::extract::WebSocketUpgrade| async move {
                    ws.on_upgrade(|mut socket| async move {
                        while let Some(Ok(_)) = socket.recv().await {}
                    })
                }),
            )
            .route(
                "/slow",
                get(move || async move {
                    tokio::time::sleep(slow).await;
                    "late"
                }),
            );
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move { serve_router(gated, router, &limits, stop).await });
        Server { addr, shutdown }
    }

    async fn connect_from(ip: std::net::IpAddr, addr: SocketAddr) -> TcpStream {
        let socket = TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::new(ip, 0))
            .expect("bind the source address");
        socket.connect(addr).await.expect("connect")
    }

    /// The whole answer to one request on `tcp` (the server closes it).
    async fn get_health(tcp: &mut TcpStream) -> String {
        tcp.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .expect("send");
        read_to_end(tcp).await
    }

    async fn read_to_end(tcp: &mut TcpStream) -> String {
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut answer))
            .await
            .expect("the server answers and closes within 5 s")
            .expect("read");
        String::from_utf8_lossy(&answer).into_owned()
    }

    #[tokio::test]
    async fn the_connection_past_an_address_cap_is_refused_while_another_address_is_served() {
        let server = server(ConnectionLimits {
            max_per_address: 3,
            ..ConnectionLimits::default()
        })
        .await;
        let mut held = Vec::new();
        for _ in 0..3 {
            let mut tcp = connect_from(ATTACKER, server.addr).await;
            // A request proves the connection is admitted and served.
            tcp.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .expect("send");
            let mut head = [0_u8; 12];
            tcp.read_exact(&mut head).await.expect("an answer");
            assert_eq!(&head, b"HTTP/1.1 200");
            held.push(tcp);
        }
        let mut refused = connect_from(ATTACKER, server.addr).await;
        let answer = read_to_end(&mut refused).await;
        assert!(
            answer.starts_with("HTTP/1.1 503 ") && answer.contains("retry-after: 1"),
            "{answer}"
        );
        assert!(
            answer.contains("too many connections from your address"),
            "{answer}"
        );
        let mut client = connect_from("127.0.0.1".parse().expect("literal"), server.addr).await;
        let answer = get_health(&mut client).await;
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    }

    #[tokio::test]
    async fn a_half_sent_head_is_closed_after_the_header_timeout() {
        let header_timeout = Duration::from_millis(300);
        let server = server(ConnectionLimits {
            header_timeout,
            ..ConnectionLimits::default()
        })
        .await;
        let started = Instant::now();
        let mut slow = connect_from(ATTACKER, server.addr).await;
        slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("send");
        let answer = read_to_end(&mut slow).await;
        let took = started.elapsed();
        assert!(took >= header_timeout, "closed after {took:?}");
        assert!(!answer.contains("200 OK"), "{answer}");

        // Silent, and stuck before the protocol is known, likewise.
        for sent in [&b""[..], b"PRI * HTTP/2"] {
            let started = Instant::now();
            let mut silent = connect_from(ATTACKER, server.addr).await;
            silent.write_all(sent).await.expect("send");
            read_to_end(&mut silent).await;
            assert!(started.elapsed() >= header_timeout);
        }
    }

    #[tokio::test]
    async fn an_idle_kept_alive_connection_is_closed_but_a_slow_request_is_not() {
        let header_timeout = Duration::from_millis(300);
        let server = server(ConnectionLimits {
            header_timeout,
            idle_timeout: header_timeout,
            ..ConnectionLimits::default()
        })
        .await;
        let mut kept = connect_from(ATTACKER, server.addr).await;
        kept.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("send");
        let answer = read_to_end(&mut kept).await;
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");

        // In flight for twice the idle timeout: answered, not cut off.
        let mut slow = connect_from(ATTACKER, server.addr).await;
        slow.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("send");
        let answer = read_to_end(&mut slow).await;
        assert!(answer.ends_with("late"), "{answer}");
    }

    #[tokio::test]
    async fn an_upgraded_websocket_counts_against_the_cap_and_outlives_the_timeouts() {
        let timeout = Duration::from_millis(200);
        let server = server(ConnectionLimits {
            max_per_address: 1,
            header_timeout: timeout,
            idle_timeout: timeout,
            ..ConnectionLimits::default()
        })
        .await;
        let mut ws = connect_from(ATTACKER, server.addr).await;
        ws.write_all(
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .await
        .expect("send");
        let mut head = [0_u8; 12];
        ws.read_exact(&mut head).await.expect("an answer");
        assert_eq!(&head, b"HTTP/1.1 101");
        let mut rest = [0_u8; 1024];
        let _ = ws.read(&mut rest).await.expect("the rest of the head");

        let mut second = connect_from(ATTACKER, server.addr).await;
        let answer = read_to_end(&mut second).await;
        assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");

        // Well past both timeouts the WebSocket is still open: no end read.
        tokio::time::sleep(timeout * 4).await;
        let read = tokio::time::timeout(Duration::from_millis(100), ws.read(&mut rest)).await;
        assert!(read.is_err(), "the WebSocket was closed: {read:?}");
    }
}
