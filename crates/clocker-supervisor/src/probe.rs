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
use clocker_runtime::http::client::{self, ClientError, Limits};
use clocker_runtime::{
    ErrorChain, LIVENESS_PATH, LIVENESS_SERVICE, NOT_READY_METADATA, READINESS_PATH,
};
use http::{HeaderMap, HeaderValue, StatusCode, header};
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
                http_probe(self.addr, path, timeout).await
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
const MAX_ANSWER_BYTES: usize = 16 * 1024;

/// A health answer other than 200.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NotHealthy {
    path: String,
    status: StatusCode,
    /// The failing checks its JSON body names (`timers: not answering`).
    failing: Option<String>,
}

impl NotHealthy {
    /// The status and the failing checks: `GET /health answered 503
    /// Service Unavailable: timers: not answering`.
    pub(crate) fn answer(&self) -> String {
        let Self {
            path,
            status,
            failing,
        } = self;
        match failing {
            Some(failing) => format!("GET {path} answered {status}: {failing}"),
            None => format!("GET {path} answered {status}"),
        }
    }

    /// What is wrong: the failing checks, else the status.
    pub(crate) fn reason(&self) -> String {
        self.failing.clone().unwrap_or_else(|| self.answer())
    }
}

/// `GET path` of a service's health over HTTP within `deadline`: `None`
/// when it answers 200, else what it answered; an error when it does not
/// answer.
pub(crate) async fn http_health(
    addr: SocketAddr,
    path: &str,
    deadline: Duration,
) -> Result<Option<NotHealthy>, ClientError> {
    let limits = Limits {
        deadline,
        max_answer_bytes: MAX_ANSWER_BYTES,
    };
    let answer = client::get(addr, path, &supervisor_headers(), limits).await?;
    if answer.status == StatusCode::OK {
        return Ok(None);
    }
    Ok(Some(NotHealthy {
        path: path.to_owned(),
        status: answer.status,
        failing: failing_checks(&answer.body),
    }))
}

/// What the supervisor's HTTP requests carry: `Host: supervisor`, which
/// the HTTP services' host allow-lists let through.
pub(crate) fn supervisor_headers() -> HeaderMap {
    HeaderMap::from_iter([(header::HOST, HeaderValue::from_static("supervisor"))])
}

/// [`http_health`] as a probe's answer: a service that sent anything back
/// is alive (its thread runs), if not well.
async fn http_probe(addr: SocketAddr, path: &str, deadline: Duration) -> Result<(), Answer> {
    match http_health(addr, path, deadline).await {
        Ok(None) => Ok(()),
        Ok(Some(not_healthy)) => Err(Answer::Unhealthy(not_healthy.answer())),
        Err(err) if err.answered() => Err(Answer::Unhealthy(ErrorChain(&err).to_string())),
        Err(err) => Err(Answer::Silent(ErrorChain(&err).to_string())),
    }
}

/// The failing checks a `/health` answer's JSON body names
/// (`timers: not answering: …; accounts: …`).
pub(crate) fn failing_checks(body: &[u8]) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
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
    use tokio::io::AsyncReadExt;
    use tokio::net::{TcpListener, TcpStream};

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
        use clocker_runtime::{GrpcServer, NotReady, ReadinessChecks, RuntimeConfig};
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shutdown = CancellationToken::new();
        let checks = ReadinessChecks::new().check("database", || async {
            Err(NotReady::new("unreachable: connection refused"))
        });
        let _launched = GrpcServer::new("timers", tonic_health::pb::FILE_DESCRIPTOR_SET)
            .readiness(checks)
            .launch(listener, &RuntimeConfig::default(), shutdown.clone())
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
        let body = b"{\"status\":\"not ready\",\"failing\":[{\"check\":\"timers\",\"reason\":\"not answering\"}]}";
        assert_eq!(
            failing_checks(body).as_deref(),
            Some("timers: not answering")
        );
        assert_eq!(failing_checks(b"not JSON"), None);
    }
}
