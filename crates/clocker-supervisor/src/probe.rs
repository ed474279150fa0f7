//! Health probes, of liveness (what the supervisor kills on) or of
//! readiness (what `clocker health` and compose's healthchecks ask).
//!
//! Liveness: `grpc.health.v1.Health/Check` for `clocker.liveness` on gRPC
//! services, `GET /livez` on HTTP ones; answered by the service's own
//! thread whatever its readiness checks say, so a service whose thread is
//! stuck stops answering, and one that is only not ready (its database
//! away) keeps answering and is not killed for it. Readiness: `Check` for
//! `""` (with the reason in `clocker-not-ready` metadata), `GET /health`.
//!
//! Every probe opens a fresh connection, as a new client would: a port that
//! accepts no more connections (out of files, or at its cap) is unhealthy,
//! even while an older connection would still be answered.

use std::net::SocketAddr;
use std::time::Duration;

use clocker_fleet::ServiceName;
use clocker_runtime::{LIVENESS_PATH, LIVENESS_SERVICE, NOT_READY_METADATA, READINESS_PATH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// What a probe asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// Does the service's thread answer?
    Liveness,
    /// Can the service do its work now (its readiness checks pass)?
    Readiness,
}

/// Probes one service at one address.
#[derive(Debug, Clone)]
pub struct Prober {
    addr: SocketAddr,
    http: bool,
    probe: Probe,
}

impl Prober {
    /// A liveness prober for `service` at `addr` (each probe connects
    /// anew): what the supervisor probes.
    pub fn new(service: ServiceName, addr: SocketAddr) -> Self {
        Self::asking(Probe::Liveness, service, addr)
    }

    /// A readiness prober for `service` at `addr`.
    pub fn readiness(service: ServiceName, addr: SocketAddr) -> Self {
        Self::asking(Probe::Readiness, service, addr)
    }

    /// A prober of `probe` for `service` at `addr`.
    pub fn asking(probe: Probe, service: ServiceName, addr: SocketAddr) -> Self {
        Self {
            addr,
            http: service.speaks_http(),
            probe,
        }
    }

    /// What one probe asks, for messages (`GET /livez`).
    pub fn describe(&self) -> String {
        match (self.http, self.probe) {
            (true, Probe::Liveness) => format!("GET {LIVENESS_PATH}"),
            (true, Probe::Readiness) => format!("GET {READINESS_PATH}"),
            (false, Probe::Liveness) => {
                format!("grpc.health.v1.Health/Check {LIVENESS_SERVICE}")
            }
            (false, Probe::Readiness) => "grpc.health.v1.Health/Check".to_owned(),
        }
    }

    /// One probe: its round trip when the service answers healthy within
    /// `timeout`, else why not (for readiness, the service's own reason).
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
            if self.http {
                let path = match self.probe {
                    Probe::Liveness => LIVENESS_PATH,
                    Probe::Readiness => READINESS_PATH,
                };
                http_health(self.addr, path).await
            } else {
                grpc_health(self.addr, self.probe).await
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

async fn grpc_health(addr: SocketAddr, probe: Probe) -> Result<(), Answer> {
    // A fresh connection, closed when the client is dropped.
    let channel: Channel = Endpoint::from_shared(format!("http://{addr}"))
        .expect("a socket address is a valid URI")
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_millis(500))
        .connect()
        .await
        .map_err(|err| Answer::Silent(format!("connect: {}", with_root_cause(&err))))?;
    let service = match probe {
        Probe::Liveness => LIVENESS_SERVICE,
        Probe::Readiness => "",
    };
    let reply = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .map_err(|status| Answer::Silent(format!("health check: {}", status_cause(&status))))?;
    let reason = reply
        .metadata()
        .get(NOT_READY_METADATA)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    match (reply.into_inner().status(), reason) {
        (ServingStatus::Serving, _) => Ok(()),
        (other, Some(reason)) => Err(Answer::Unhealthy(format!(
            "health says {} ({reason})",
            other.as_str_name()
        ))),
        (other, None) => Err(Answer::Unhealthy(format!(
            "health says {}",
            other.as_str_name()
        ))),
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

/// The most of a health answer read (its JSON names the failing checks).
const MAX_ANSWER_BYTES: u64 = 16 * 1024;

/// `GET path` over HTTP/1.0: healthy when it answers 200; otherwise the
/// status line and, when the body names them, the failing checks.
async fn http_health(addr: SocketAddr, path: &str) -> Result<(), Answer> {
    let silent = |what: &str, err: std::io::Error| Answer::Silent(format!("{what}: {err}"));
    let mut tcp = TcpStream::connect(addr)
        .await
        .map_err(|err| silent("connect", err))?;
    tcp.write_all(format!("GET {path} HTTP/1.0\r\nHost: supervisor\r\n\r\n").as_bytes())
        .await
        .map_err(|err| silent("send", err))?;
    let mut head = [0_u8; 12];
    tcp.read_exact(&mut head)
        .await
        .map_err(|err| silent("read", err))?;
    if head.starts_with(b"HTTP/1.") && &head[9..12] == b"200" {
        return Ok(());
    }
    let mut rest = Vec::new();
    // What the rest says is a bonus: a short or broken one still fails.
    let _ = (&mut tcp)
        .take(MAX_ANSWER_BYTES)
        .read_to_end(&mut rest)
        .await;
    let status = String::from_utf8_lossy(&head).trim().to_owned();
    match failing_checks(&rest) {
        Some(failing) => Err(Answer::Unhealthy(format!(
            "GET {path} answered {status}: {failing}"
        ))),
        None => Err(Answer::Unhealthy(format!("GET {path} answered {status}"))),
    }
}

/// The failing checks a `/health` answer's JSON body names
/// (`timers: not answering: …; accounts: …`).
pub(crate) fn failing_checks(rest: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(rest);
    let (_, body) = text.split_once("\r\n\r\n")?;
    let json: serde_json::Value = serde_json::from_str(body).ok()?;
    let failing: Vec<String> = json["failing"]
        .as_array()?
        .iter()
        .map(|f| {
            format!(
                "{}: {}",
                f["check"].as_str().unwrap_or("?"),
                f["reason"].as_str().unwrap_or("?")
            )
        })
        .collect();
    (!failing.is_empty()).then(|| failing.join("; "))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use clocker_runtime::{CancellationToken, ConnectionLimits, serve_http};
    use tokio::net::TcpListener;

    /// A gRPC port with health that holds one connection at most.
    async fn full_after_one() -> (SocketAddr, CancellationToken) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (reporter, health) = tonic_health::server::health_reporter();
        reporter
            .set_service_status(LIVENESS_SERVICE, tonic_health::ServingStatus::Serving)
            .await;
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

    /// A gRPC service whose thread answers but whose one readiness check
    /// ("database") always fails; it stops when the token is cancelled.
    pub(crate) async fn not_ready_service() -> (SocketAddr, CancellationToken) {
        use clocker_runtime::{GrpcServer, NotReady, ReadinessChecks, Settings};
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shutdown = CancellationToken::new();
        let checks = ReadinessChecks::new().check("database", || async {
            Err(NotReady::new("unreachable: connection refused"))
        });
        let _launched = GrpcServer::new("timers", tonic_health::pb::FILE_DESCRIPTOR_SET)
            .readiness(checks)
            .launch(listener, &Settings::default(), shutdown.clone())
            .await
            .expect("launches");
        (addr, shutdown)
    }

    #[tokio::test]
    async fn a_live_service_that_is_not_ready_passes_liveness_and_fails_readiness_with_its_reason()
    {
        let (addr, shutdown) = not_ready_service().await;
        let timeout = Duration::from_secs(2);
        Prober::new(ServiceName::Timers, addr)
            .check(timeout)
            .await
            .expect("alive");
        let why = Prober::readiness(ServiceName::Timers, addr)
            .check(timeout)
            .await
            .expect_err("not ready");
        assert_eq!(
            why,
            "health says NOT_SERVING (database: unreachable: connection refused)"
        );
        shutdown.cancel();
    }

    #[test]
    fn a_health_answer_names_its_failing_checks() {
        let rest = b" Service Unavailable\r\ncontent-type: application/json\r\n\r\n\
            {\"status\":\"not ready\",\"failing\":[{\"check\":\"timers\",\"reason\":\"not answering\"}]}";
        assert_eq!(
            failing_checks(rest).as_deref(),
            Some("timers: not answering")
        );
        assert_eq!(failing_checks(b" Bad Gateway\r\n\r\nnot JSON"), None);
    }
}
