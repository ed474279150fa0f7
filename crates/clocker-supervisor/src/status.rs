//! What the supervisor knows of each service — the rows of `clocker ps` —
//! and the local control endpoint that serves them.
//!
//! The endpoint listens on loopback only (`GET /services` → JSON rows) and
//! its address is written to `supervisor.json` in the runtime directory
//! (`$CLOCKER_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/clocker`, else
//! `/tmp/clocker-<uid>`), where `clocker ps` finds it.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::State as AxumState;
use axum::routing::get;
use axum::{Json, Router};
use clocker_runtime::{CancellationToken, ConnectionLimits, ServiceName, serve_http};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

/// Where a service is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Starting,
    Ready,
    Unhealthy(String),
    Restarting,
}

/// One service as the supervisor sees it.
#[derive(Debug, Clone)]
pub struct Status {
    pub name: ServiceName,
    pub addr: SocketAddr,
    pub pid: Option<u32>,
    pub state: State,
    pub restarts: u32,
    /// When the current incarnation became ready.
    pub since: Option<SystemTime>,
    pub last_error: Option<String>,
    /// The method that overran its budget most in the last window, with
    /// its share of calls (only when over 1 %).
    pub overruns: Option<String>,
    /// Recent health-probe round trips.
    probes: VecDeque<Duration>,
}

/// How many recent probes the p99 covers.
const PROBES_KEPT: usize = 100;

impl Status {
    pub fn record_probe(&mut self, rtt: Duration) {
        if self.probes.len() == PROBES_KEPT {
            self.probes.pop_front();
        }
        self.probes.push_back(rtt);
    }

    fn probe_p99(&self) -> Option<Duration> {
        let mut sorted: Vec<Duration> = self.probes.iter().copied().collect();
        sorted.sort_unstable();
        let index = (sorted.len() * 99).div_ceil(100).checked_sub(1)?;
        sorted.get(index).copied()
    }

    fn row(&self) -> Row {
        let (state, unhealthy) = match &self.state {
            State::Starting => ("starting", None),
            State::Ready => ("ready", None),
            State::Unhealthy(why) => ("unhealthy", Some(why.clone())),
            State::Restarting => ("restarting", None),
        };
        Row {
            name: self.name.as_str().to_owned(),
            pid: self.pid,
            addr: self.addr.to_string(),
            state: state.to_owned(),
            restarts: self.restarts,
            uptime_s: self
                .since
                .and_then(|since| since.elapsed().ok())
                .map(|up| up.as_secs()),
            last_error: unhealthy.or_else(|| self.last_error.clone()),
            probe_p99_ms: self.probe_p99().map(|p99| p99.as_secs_f64() * 1000.0),
            overruns: self.overruns.clone(),
        }
    }
}

/// One row of `clocker ps`, as the control endpoint sends it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Row {
    pub name: String,
    pub pid: Option<u32>,
    pub addr: String,
    /// `starting`, `ready`, `unhealthy` or `restarting`.
    pub state: String,
    pub restarts: u32,
    /// Seconds since the current incarnation became ready.
    pub uptime_s: Option<u64>,
    pub last_error: Option<String>,
    /// p99 of the last 100 health-probe round trips, in milliseconds.
    pub probe_p99_ms: Option<f64>,
    /// The method that overran its 50 ms budget in over 1 % of its calls
    /// in the last 5 s, and that share (`/clocker.v1.Hours/GetHours: 3.0 %`).
    #[serde(default)]
    pub overruns: Option<String>,
}

/// The statuses of every service, shared with their supervising tasks.
#[derive(Debug, Clone)]
pub struct Statuses(Arc<Mutex<Vec<Status>>>);

impl Statuses {
    pub fn new(services: &[ServiceName], addrs: &BTreeMap<ServiceName, SocketAddr>) -> Self {
        let rows = services
            .iter()
            .map(|&name| Status {
                name,
                addr: addrs[&name],
                pid: None,
                state: State::Starting,
                restarts: 0,
                since: None,
                last_error: None,
                overruns: None,
                probes: VecDeque::with_capacity(PROBES_KEPT),
            })
            .collect();
        Self(Arc::new(Mutex::new(rows)))
    }

    pub fn update(&self, service: ServiceName, change: impl FnOnce(&mut Status)) {
        let mut rows = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(status) = rows.iter_mut().find(|s| s.name == service) {
            change(status);
        }
    }

    /// A copy of every status.
    pub fn snapshot(&self) -> Vec<Status> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn rows(&self) -> Vec<Row> {
        let rows = self.0.lock().unwrap_or_else(|p| p.into_inner());
        rows.iter().map(Status::row).collect()
    }
}

/// What `supervisor.json` says: who supervises, and where to ask.
#[derive(Debug, Serialize, Deserialize)]
pub struct ControlFile {
    pub pid: u32,
    pub control: SocketAddr,
}

/// The runtime directory `supervisor.json` lives in.
pub fn runtime_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CLOCKER_RUNTIME_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR") {
        return PathBuf::from(dir).join("clocker");
    }
    PathBuf::from(format!("/tmp/clocker-{}", nix::unistd::getuid()))
}

impl ControlFile {
    /// Writes `supervisor.json` for this process and `control` into the
    /// runtime directory; the file is removed when the guard is dropped.
    pub fn publish(control: SocketAddr) -> std::io::Result<Published> {
        let dir = runtime_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("supervisor.json");
        let json = serde_json::to_string(&ControlFile {
            pid: std::process::id(),
            control,
        })
        .map_err(std::io::Error::other)?;
        std::fs::write(&path, json)?;
        Ok(Published(path))
    }
}

/// A published `supervisor.json`, removed on drop.
#[derive(Debug)]
pub struct Published(PathBuf);

impl Drop for Published {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Serves `GET /services` on `listener` until `shutdown`, within `limits`
/// (the same connection budgets as every service's port).
pub async fn serve_control(
    listener: TcpListener,
    statuses: Statuses,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/services", get(list_services))
        .route("/health", get(|| async { "ok\n" }))
        .with_state(statuses);
    serve_http("supervisor", listener, app, &limits, shutdown).await
}

/// The rows the supervisor at `control` serves (what `clocker ps` and the
/// funnel's `/status.json` show).
pub async fn fetch_rows(control: SocketAddr) -> std::io::Result<Vec<Row>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(control).await?;
    tcp.write_all(b"GET /services HTTP/1.0\r\nHost: clocker\r\n\r\n")
        .await?;
    let mut response = String::new();
    tcp.read_to_string(&mut response).await?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("not an HTTP answer"))?;
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        let status = head.lines().next().unwrap_or(head).to_owned();
        return Err(std::io::Error::other(status));
    }
    serde_json::from_str(body).map_err(std::io::Error::other)
}

/// The variable that tells a supervised service where its supervisor answers.
pub const CONTROL_VAR: &str = "CLOCKER_SUPERVISOR_CONTROL";

async fn list_services(AxumState(statuses): AxumState<Statuses>) -> Json<Vec<Row>> {
    Json(statuses.rows())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p99_of_probes() {
        let addrs = BTreeMap::from([(ServiceName::Hours, "127.0.0.1:1".parse().expect("addr"))]);
        let statuses = Statuses::new(&[ServiceName::Hours], &addrs);
        statuses.update(ServiceName::Hours, |s| {
            for ms in 1..=100 {
                s.record_probe(Duration::from_millis(ms));
            }
        });
        let row = &statuses.rows()[0];
        assert_eq!(row.probe_p99_ms, Some(99.0));
        assert_eq!(row.state, "starting");
    }
}
