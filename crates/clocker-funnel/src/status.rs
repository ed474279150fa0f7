//! `GET /status.json`: the supervised services as `clocker ps` shows them,
//! for the page's Status view — `{"supervised":true,"services":[…]}`, or
//! `{"supervised":false,"services":[]}` when the funnel was not started by
//! `clocker up` (it learns the supervisor's loopback control address from
//! `CLOCKER_SUPERVISOR_CONTROL`, and the token that endpoint asks for from
//! `CLOCKER_SUPERVISOR_TOKEN`).
//!
//! Pids, addresses and error details help an attacker, so a funnel whose
//! port is reachable from other machines (it listens on anything but
//! loopback) serves them [`Detail::Redacted`]: names, states, restarts,
//! uptimes, probe times and overruns only. On loopback the page shows all.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use clocker_runtime::ErrorChain;
use clocker_runtime::http::client::{Limits, get_json};
use clocker_wire::{MAX_ROWS_BYTES, ROWS_PATH, Row};
use serde::Serialize;

/// How much of each row the page is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Everything `clocker ps` shows.
    Full,
    /// No pid, address or error text.
    Redacted,
}

impl Detail {
    /// Full on a loopback listener, redacted on any other.
    pub fn for_listener(addr: SocketAddr) -> Self {
        if addr.ip().is_loopback() {
            Detail::Full
        } else {
            Detail::Redacted
        }
    }
}

/// Where the supervisor answers, and how much of its answer to pass on.
#[derive(Debug, Clone)]
pub struct StatusSource {
    pub control: Option<SocketAddr>,
    pub token: Option<String>,
    pub detail: Detail,
}

#[derive(Debug, Serialize)]
pub struct StatusJson {
    supervised: bool,
    services: Vec<Row>,
}

/// How long the supervisor may take to answer.
const TIMEOUT: Duration = Duration::from_secs(1);

/// What a redacted row says in place of an error's text.
const ERROR_REDACTED: &str = "see clocker ps";

pub async fn get_status(
    State(source): State<StatusSource>,
) -> Result<Json<StatusJson>, (StatusCode, Json<serde_json::Value>)> {
    let Some(control) = source.control else {
        return Ok(Json(StatusJson {
            supervised: false,
            services: Vec::new(),
        }));
    };
    let token = source.token.as_deref().unwrap_or_default();
    let limits = Limits {
        deadline: TIMEOUT,
        max_answer_bytes: MAX_ROWS_BYTES,
    };
    match get_json::<Vec<Row>>(control, ROWS_PATH, Some(token), limits).await {
        Ok(services) => Ok(Json(StatusJson {
            supervised: true,
            services: match source.detail {
                Detail::Full => services,
                Detail::Redacted => services.into_iter().map(redact).collect(),
            },
        })),
        Err(err) => {
            tracing::warn!(%control, err = %ErrorChain(&err), "the supervisor did not answer");
            Err(unavailable())
        }
    }
}

/// `row` without its pid, address and error text (a reason for not being
/// ready included: it can name hosts and paths).
fn redact(row: Row) -> Row {
    Row {
        pid: None,
        addr: String::new(),
        last_error: row.last_error.map(|_| ERROR_REDACTED.to_owned()),
        not_ready: row.not_ready.map(|_| ERROR_REDACTED.to_owned()),
        ..row
    }
}

fn unavailable() -> (StatusCode, Json<serde_json::Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({"error": "the supervisor is not answering; retry shortly"})),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_loopback_listener_shows_everything() {
        let at = |addr: &str| Detail::for_listener(addr.parse().expect("literal"));
        assert_eq!(at("127.0.0.1:8080"), Detail::Full);
        assert_eq!(at("[::1]:8080"), Detail::Full);
        assert_eq!(at("0.0.0.0:8080"), Detail::Redacted);
        assert_eq!(at("10.0.0.5:8080"), Detail::Redacted);
    }

    #[test]
    fn a_redacted_row_has_no_pid_address_or_error_text() {
        let row = Row {
            name: "hours".into(),
            pid: Some(42),
            addr: "10.0.0.5:50001".into(),
            state: "ready".into(),
            restarts: 1,
            uptime_s: Some(3),
            last_error: Some("exited: /home/alice/secret path".into()),
            probe_p99_ms: Some(0.4),
            overruns: None,
            not_ready: Some("database: unreachable: 10.0.0.7:5432".into()),
        };
        let redacted = redact(row);
        assert_eq!(redacted.pid, None);
        assert_eq!(redacted.addr, "");
        assert_eq!(redacted.last_error.as_deref(), Some(ERROR_REDACTED));
        assert_eq!(redacted.not_ready.as_deref(), Some(ERROR_REDACTED));
        assert_eq!((redacted.restarts, redacted.uptime_s), (1, Some(3)));
    }
}
