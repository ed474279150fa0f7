//! How readiness and liveness are answered: `GET /livez`, a gRPC port's
//! `GET /health`, and the reason a gRPC health check carries in
//! [`NOT_READY_METADATA`].

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{NOT_READY_METADATA, Readiness};

/// The most bytes of reason the gRPC metadata carries.
const MAX_REASON_BYTES: usize = 1024;

/// `GET /livez`: the thread answers, and, for a sharded service, every
/// shard has beaten within [`crate::shards::SILENT_LIMIT`] (503 naming the
/// stuck shard otherwise).
pub async fn get_liveness() -> Response {
    match crate::shards::stuck_shard() {
        None => Json(serde_json::json!({"status": "ok"})).into_response(),
        Some((shard, silent)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({
                "status": "stuck",
                "shard": shard,
                "silent_ms": u64::try_from(silent.as_millis()).unwrap_or(u64::MAX),
            })),
        )
            .into_response(),
    }
}

/// `GET /health` of a gRPC port: [`Readiness::answer`] with no fields of
/// its own.
pub async fn get_readiness(State(readiness): State<Readiness>) -> Response {
    readiness.answer(serde_json::Map::new()).await
}

/// Middleware of gRPC ports: a health check answered while the service is
/// not ready carries the reason in [`NOT_READY_METADATA`].
pub async fn not_ready_metadata(
    State(readiness): State<Readiness>,
    request: Request,
    next: Next,
) -> Response {
    let is_check = request.uri().path() == "/grpc.health.v1.Health/Check";
    let mut response = next.run(request).await;
    if is_check && let Some(reason) = readiness.reason() {
        response
            .headers_mut()
            .insert(NOT_READY_METADATA, header_value(&reason));
    }
    response
}

/// `text` as a header value: printable ASCII (others become `?`), at most
/// [`MAX_REASON_BYTES`].
fn header_value(text: &str) -> HeaderValue {
    let printable: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(MAX_REASON_BYTES)
        .collect();
    HeaderValue::from_str(&printable).unwrap_or_else(|_| HeaderValue::from_static("not ready"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_becomes_a_printable_header_of_bounded_size() {
        let value = header_value("base de données: refusée\n");
        assert_eq!(value.to_str().expect("ASCII"), "base de donn?es: refus?e?");
        let long = "x".repeat(5000);
        assert_eq!(header_value(&long).len(), MAX_REASON_BYTES);
    }
}
