//! `GET /status.json`: the supervised services as `clocker ps` shows them,
//! for the page's Status view — `{"supervised":true,"services":[…]}`, or
//! `{"supervised":false,"services":[]}` when the funnel was not started by
//! `clocker up` (it learns the supervisor's loopback control address from
//! `CLOCKER_SUPERVISOR_CONTROL`).

use std::net::SocketAddr;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use clocker_supervisor::status::{Row, fetch_rows};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct StatusJson {
    supervised: bool,
    services: Vec<Row>,
}

/// How long the supervisor may take to answer.
const TIMEOUT: Duration = Duration::from_secs(1);

pub async fn get_status(
    State(control): State<Option<SocketAddr>>,
) -> Result<Json<StatusJson>, (StatusCode, Json<serde_json::Value>)> {
    let Some(control) = control else {
        return Ok(Json(StatusJson {
            supervised: false,
            services: Vec::new(),
        }));
    };
    match tokio::time::timeout(TIMEOUT, fetch_rows(control)).await {
        Ok(Ok(services)) => Ok(Json(StatusJson {
            supervised: true,
            services,
        })),
        Ok(Err(err)) => {
            tracing::warn!(%control, %err, "the supervisor did not answer");
            Err(unavailable())
        }
        Err(_) => Err(unavailable()),
    }
}

fn unavailable() -> (StatusCode, Json<serde_json::Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({"error": "the supervisor is not answering; retry shortly"})),
    )
}
