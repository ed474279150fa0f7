//! The supervisor's local control endpoint: `GET /services` answers the
//! rows of `clocker ps` ([`crate::status`]) as JSON.
//!
//! It listens on loopback only, and its address is written to
//! `supervisor.json` in the runtime directory (see [`crate::runtime_dir`]),
//! where `clocker ps` finds it. It answers only requests for loopback hosts
//! (no DNS rebinding) that carry the token written beside the address
//! (`Authorization: Bearer …`; the file is 0600, so only its user can ask).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Request, State as AxumState};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use clocker_runtime::http::{AllowedHosts, check_host};
use clocker_runtime::{CancellationToken, ConnectionLimits, bearer_token, serve_http};
use clocker_wire::{ROWS_PATH, Row};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

use crate::runtime_dir::{RuntimeDirError, runtime_dir, write_private};
use crate::status::Statuses;

/// What `supervisor.json` says: who supervises, where to ask, and the
/// token to ask with.
#[derive(Debug, Serialize, Deserialize)]
pub struct ControlFile {
    pub pid: u32,
    pub control: SocketAddr,
    pub token: String,
}

/// The name of the control file in the runtime directory.
pub const CONTROL_FILE: &str = "supervisor.json";

/// Why `supervisor.json` could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    RuntimeDir(#[from] RuntimeDirError),
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ControlFile {
    /// Writes `supervisor.json` for this process, `control` and `token`
    /// into the runtime directory (private, not through links); the file is
    /// removed when the guard is dropped.
    pub fn publish(control: SocketAddr, token: &str) -> Result<Published, PublishError> {
        let dir = runtime_dir()?;
        let path = dir.join(CONTROL_FILE);
        let json = serde_json::json!({
            "pid": std::process::id(),
            "control": control,
            "token": token,
        })
        .to_string();
        write_private(&dir, CONTROL_FILE, json.as_bytes()).map_err(|source| {
            PublishError::Write {
                path: path.clone(),
                source,
            }
        })?;
        Ok(Published(path))
    }
}

/// A new random token for the control endpoint (64 hex digits).
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// A published `supervisor.json`, removed on drop.
#[derive(Debug)]
pub struct Published(PathBuf);

impl Drop for Published {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Serves `GET /services` on `listener` until `shutdown`, to requests for
/// a loopback host that carry `token`, within `limits` (the same connection
/// budgets as every service's port); meanwhile keeps each row's readiness
/// up to date ([`crate::readiness::watch`]).
pub async fn serve_control(
    listener: TcpListener,
    statuses: Statuses,
    limits: ConnectionLimits,
    token: String,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let (served, ()) = tokio::join!(
        serve_http(
            "supervisor",
            listener,
            control_app(statuses.clone(), token),
            &limits,
            shutdown.clone(),
        ),
        crate::readiness::watch(statuses, shutdown),
    );
    served
}

/// The control endpoint's routes: `/services` behind the token, `/health`.
fn control_app(statuses: Statuses, token: String) -> Router {
    Router::new()
        .route(
            ROWS_PATH,
            get(list_services).route_layer(middleware::from_fn_with_state(
                Arc::<str>::from(token),
                require_token,
            )),
        )
        .route("/health", get(|| async { "ok\n" }))
        .with_state(statuses)
        .layer(middleware::from_fn_with_state(
            AllowedHosts::default(),
            check_host,
        ))
}

/// 401 unless the request carries `Authorization: Bearer <token>`.
async fn require_token(
    AxumState(token): AxumState<Arc<str>>,
    request: Request,
    next: Next,
) -> Response {
    let given = bearer_token(request.headers()).unwrap_or_default();
    if same_secret(given.as_bytes(), token.as_bytes()) {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({
                "error": "the control endpoint needs the token of supervisor.json \
                          (clocker ps reads it)"
            })),
        )
            .into_response()
    }
}

/// Compares in time that depends on the lengths only.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// The variable that tells a supervised service where its supervisor answers.
pub const CONTROL_VAR: &str = "CLOCKER_SUPERVISOR_CONTROL";

/// The variable that gives a supervised service the control token.
pub const TOKEN_VAR: &str = "CLOCKER_SUPERVISOR_TOKEN";

async fn list_services(AxumState(statuses): AxumState<Statuses>) -> Json<Vec<Row>> {
    Json(statuses.rows())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use axum::http::header;
    use clocker_fleet::ServiceName;

    use super::*;

    async fn control_status(host: &str, authorization: Option<&str>) -> StatusCode {
        use tower::ServiceExt;
        let addrs = BTreeMap::from([(ServiceName::Hours, "127.0.0.1:1".parse().expect("addr"))]);
        let app = control_app(
            Statuses::new(&[ServiceName::Hours], &addrs),
            "s3cret".into(),
        );
        let mut request = axum::http::Request::get(ROWS_PATH).header(header::HOST, host);
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        app.oneshot(request.body(axum::body::Body::empty()).expect("request"))
            .await
            .expect("infallible")
            .status()
    }

    #[tokio::test]
    async fn the_control_endpoint_wants_its_token_and_a_loopback_host() {
        let ok = control_status("127.0.0.1:9", Some("Bearer s3cret")).await;
        assert_eq!(ok, StatusCode::OK);
        let none = control_status("127.0.0.1:9", None).await;
        assert_eq!(none, StatusCode::UNAUTHORIZED);
        let wrong = control_status("127.0.0.1:9", Some("Bearer s3creT")).await;
        assert_eq!(wrong, StatusCode::UNAUTHORIZED);
        let rebound = control_status("evil.example:9", Some("Bearer s3cret")).await;
        assert_eq!(rebound, StatusCode::MISDIRECTED_REQUEST);
    }

    #[test]
    fn tokens_are_long_and_fresh() {
        let (a, b) = (new_token().expect("random"), new_token().expect("random"));
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
