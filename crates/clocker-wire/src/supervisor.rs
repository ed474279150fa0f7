//! What the supervisor's control endpoint serves: one [`Row`] per service,
//! as `clocker ps` prints it and the funnel's `/status.json` passes it on,
//! and [`fetch_rows`], the client both of them ask it with.

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One row of `clocker ps`, as the control endpoint sends it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Row {
    pub name: String,
    pub pid: Option<u32>,
    pub addr: String,
    /// `starting`, `ready`, `not ready` (live, but its readiness checks
    /// fail: see `not_ready`), `unhealthy` or `restarting`.
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
    /// Why a service that is up is not ready (`database: unreachable: …`).
    #[serde(default)]
    pub not_ready: Option<String>,
}

/// The most of an answer [`fetch_rows`] reads.
const MAX_ANSWER_BYTES: u64 = 1024 * 1024;

/// The rows the supervisor at `control` serves (what `clocker ps` and the
/// funnel's `/status.json` show), asked with `token`.
pub async fn fetch_rows(control: SocketAddr, token: &str) -> std::io::Result<Vec<Row>> {
    tokio::time::timeout(FETCH_DEADLINE, fetch_rows_now(control, token))
        .await
        .map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer within {} s", FETCH_DEADLINE.as_secs()),
            )
        })?
}

/// How long [`fetch_rows`] waits for the supervisor (a stopped one accepts
/// connections, in the kernel, but never answers).
const FETCH_DEADLINE: Duration = Duration::from_secs(5);

async fn fetch_rows_now(control: SocketAddr, token: &str) -> std::io::Result<Vec<Row>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(control).await?;
    let request = format!(
        "GET /services HTTP/1.0\r\nHost: {control}\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    tcp.take(MAX_ANSWER_BYTES)
        .read_to_string(&mut response)
        .await?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("not an HTTP answer"))?;
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        let status = head.lines().next().unwrap_or(head).to_owned();
        return Err(std::io::Error::other(status));
    }
    serde_json::from_str(body).map_err(std::io::Error::other)
}
