//! What the supervisor's control endpoint serves: one [`Row`] per service,
//! as `clocker ps` prints it and the funnel's `/status.json` passes it on,
//! at [`ROWS_PATH`].

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

/// Where the control endpoint serves the rows (`GET`, with the control
/// token as `Authorization: Bearer`).
pub const ROWS_PATH: &str = "/services";

/// The most bytes of rows a client takes in.
pub const MAX_ROWS_BYTES: usize = 1024 * 1024;
