//! Health probes: `grpc.health.v1.Health/Check` for gRPC services, a plain
//! `GET /health` for HTTP ones. Either is answered by the service's own
//! thread, so a service whose thread is stuck stops answering both.
//!
//! Every probe opens a fresh connection, as a new client would: a port that
//! accepts no more connections (out of files, or at its cap) is unhealthy,
//! even while an older connection would still be answered.

use std::net::SocketAddr;
use std::time::Duration;

use clocker_runtime::ServiceName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// Probes one service at one address.
#[derive(Debug, Clone)]
pub enum Prober {
    Grpc(SocketAddr),
    Http(SocketAddr),
}

impl Prober {
    /// A prober for `service` at `addr` (each probe connects anew).
    pub fn new(service: ServiceName, addr: SocketAddr) -> Self {
        if service.speaks_http() {
            Prober::Http(addr)
        } else {
            Prober::Grpc(addr)
        }
    }

    /// One probe: its round trip when the service answers healthy within
    /// `timeout`, else why not.
    pub async fn check(self, timeout: Duration) -> Result<Duration, String> {
        match self.ask(timeout).await {
            Answer::Healthy(rtt) => Ok(rtt),
            Answer::Unhealthy(why) | Answer::Silent(why) => Err(why),
        }
    }

    /// One probe, telling a service that answered "not serving" (its thread
    /// runs) from one that did not answer within `timeout` at all.
    pub async fn ask(self, timeout: Duration) -> Answer {
        let started = Instant::now();
        let answer = tokio::time::timeout(timeout, async {
            match self {
                Prober::Grpc(addr) => {
                    // A fresh connection, closed when the client is dropped.
                    let channel: Channel = Endpoint::from_shared(format!("http://{addr}"))
                        .expect("a socket address is a valid URI")
                        .tcp_nodelay(true)
                        .connect_timeout(Duration::from_millis(500))
                        .connect()
                        .await
                        .map_err(|err| {
                            Answer::Silent(format!("connect: {}", with_root_cause(&err)))
                        })?;
                    let reply = HealthClient::new(channel)
                        .check(HealthCheckRequest::default())
                        .await
                        .map_err(|status| {
                            Answer::Silent(format!("health check: {}", status_cause(&status)))
                        })?;
                    match reply.into_inner().status() {
                        ServingStatus::Serving => Ok(()),
                        other => Err(Answer::Unhealthy(format!(
                            "health says {}",
                            other.as_str_name()
                        ))),
                    }
                }
                Prober::Http(addr) => http_health(addr).await,
            }
        })
        .await;
        match answer {
            Ok(Ok(())) => Answer::Healthy(started.elapsed()),
            Ok(Err(answer)) => answer,
            Err(_) => Answer::Silent(format!("no answer within {} ms", timeout.as_millis())),
        }
    }
}

/// What one probe found.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Healthy, with the round trip.
    Healthy(Duration),
    /// It answered, but not healthy (NOT_SERVING, or not 200): its thread runs.
    Unhealthy(String),
    /// No answer: connect failed or nothing came back in time.
    Silent(String),
}

impl Answer {
    /// Whether the service's thread answered at all.
    pub fn answered(&self) -> bool {
        !matches!(self, Answer::Silent(_))
    }
}

/// A status's message and, when the transport failed, its deepest cause
/// ("tcp connect error: Connection refused (os error 111)").
fn status_cause(status: &tonic::Status) -> String {
    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(status);
    let mut deepest = None;
    while let Some(err) = cause {
        deepest = Some(err);
        cause = err.source();
    }
    match deepest.map(ToString::to_string) {
        Some(root) if !status.message().contains(&root) => {
            format!("{}: {root}", status.message())
        }
        _ => status.message().to_owned(),
    }
}

/// An error and, when it has one, its deepest cause ("transport error:
/// Connection refused (os error 111)").
fn with_root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut deepest = err;
    while let Some(source) = deepest.source() {
        deepest = source;
    }
    if std::ptr::addr_eq(deepest, err) {
        err.to_string()
    } else {
        format!("{err}: {deepest}")
    }
}

/// `GET /health` over HTTP/1.0: healthy when it answers 200.
async fn http_health(addr: SocketAddr) -> Result<(), Answer> {
    let silent = |what: &str, err: std::io::Error| Answer::Silent(format!("{what}: {err}"));
    let mut tcp = TcpStream::connect(addr)
        .await
        .map_err(|err| silent("connect", err))?;
    tcp.write_all(b"GET /health HTTP/1.0\r\nHost: supervisor\r\n\r\n")
        .await
        .map_err(|err| silent("send", err))?;
    let mut head = [0_u8; 12];
    tcp.read_exact(&mut head)
        .await
        .map_err(|err| silent("read", err))?;
    if head.starts_with(b"HTTP/1.") && &head[9..12] == b"200" {
        Ok(())
    } else {
        Err(Answer::Unhealthy(format!(
            "GET /health answered {}",
            String::from_utf8_lossy(&head)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clocker_runtime::{CancellationToken, ConnectionLimits, serve_http};
    use tokio::net::TcpListener;

    /// A gRPC port with health that holds one connection at most.
    async fn full_after_one() -> (SocketAddr, CancellationToken) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (_reporter, health) = tonic_health::server::health_reporter();
        let router = tonic::service::Routes::new(health)
            .prepare()
            .into_axum_router();
        let limits = ConnectionLimits {
            max_connections: 1,
            ..ConnectionLimits::default()
        };
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move { serve_http("test", listener, router, &limits, stop).await });
        (addr, shutdown)
    }

    #[tokio::test]
    async fn a_port_that_accepts_no_more_connections_is_unhealthy() {
        let (addr, _shutdown) = full_after_one().await;
        let prober = Prober::new(ServiceName::Hours, addr);
        let timeout = Duration::from_secs(2);
        prober.clone().check(timeout).await.expect("healthy");

        // Someone else takes the only place (once the probe gave it back).
        let deadline = Instant::now() + Duration::from_secs(5);
        let _held = loop {
            let mut tcp = TcpStream::connect(addr).await.expect("connects");
            let mut refusal = [0_u8; 12];
            match tokio::time::timeout(Duration::from_millis(100), tcp.read(&mut refusal)).await {
                Err(_) => break tcp,
                Ok(_) => assert!(Instant::now() < deadline, "the probe kept its place"),
            }
        };
        let why = prober
            .check(timeout)
            .await
            .expect_err("a port that accepts no more is unhealthy");
        assert!(!why.is_empty());
    }
}
