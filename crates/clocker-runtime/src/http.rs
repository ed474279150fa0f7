//! What every HTTP front door (gateway, stream) shares: JSON errors with the
//! HTTP status of a gRPC code, the CORS allow-list, and (in `hosts`) the
//! Host allow-list and the WebSocket Origin check; and the one HTTP/1
//! [`client`] of the fleet's plumbing.
//!
//! Layout: `hosts` (Host and Origin checks), [`client`] (one bounded `GET`).

pub mod client;
mod hosts;

pub use hosts::{
    AllowedHosts, DEFAULT_HOST_NAMES, Host, HostRefused, check_host, check_origin,
    request_authority,
};

use axum::Json;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tonic::{Code, Status};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// An error answered as `{"error":"…"}` with a fitting status. Internal
/// details are logged, never sent.
#[derive(Debug)]
pub enum ApiError {
    /// A request the caller must change (400).
    Invalid(String),
    /// Any other status with its message, such as 413 or 404.
    Status(StatusCode, String),
    /// A service behind the front door answered with an error, or not at all.
    Upstream {
        service: &'static str,
        status: Status,
    },
}

impl ApiError {
    /// `service` did not answer within the time allowed.
    pub fn timed_out(service: &'static str) -> Self {
        ApiError::Upstream {
            service,
            status: Status::deadline_exceeded("no answer in time"),
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApiError::Status(status, _) => *status,
            ApiError::Upstream { status, .. } => http_status(status.code()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut retry_after = None;
        let message = match self {
            ApiError::Invalid(message) | ApiError::Status(_, message) => message,
            ApiError::Upstream { service, status } => match status.code() {
                Code::Unavailable => {
                    tracing::warn!(%service, message = status.message(), "upstream unavailable");
                    format!("the {service} service is unavailable; retry shortly")
                }
                Code::DeadlineExceeded => {
                    tracing::warn!(%service, message = status.message(), "upstream too slow");
                    format!("the {service} service did not answer in time; retry shortly")
                }
                Code::Internal | Code::Unknown | Code::DataLoss => {
                    tracing::error!(%service, message = status.message(), "upstream failed");
                    format!("the {service} service failed; see its log")
                }
                _ => {
                    retry_after = status.metadata().get("retry-after").cloned();
                    status.message().to_owned()
                }
            },
        };
        let mut response = (status, Json(serde_json::json!({ "error": message }))).into_response();
        if let Some(seconds) = retry_after
            .and_then(|value| value.to_str().ok().map(str::to_owned))
            .and_then(|value| HeaderValue::from_str(&value).ok())
        {
            response.headers_mut().insert(header::RETRY_AFTER, seconds);
        }
        response
    }
}

/// The HTTP status for a gRPC code.
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::InvalidArgument | Code::OutOfRange | Code::FailedPrecondition => {
            StatusCode::BAD_REQUEST
        }
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        _ => StatusCode::BAD_GATEWAY,
    }
}

/// The origins allowed to call a front door from a browser: the given
/// ones, else the page's own (`page`, the `host:port` that serves the web
/// UI), by address and as `localhost`. `*` allows any origin.
pub fn allowed_origins(configured: &[String], page: Option<&str>) -> Vec<String> {
    if !configured.is_empty() {
        return configured.to_vec();
    }
    let Some(page) = page else {
        return Vec::new();
    };
    let mut origins = vec![format!("http://{page}")];
    if let Some((_, port)) = page.rsplit_once(':') {
        origins.push(format!("http://localhost:{port}"));
    }
    origins
}

/// What `Access-Control-Allow-Origin` answers a request from `origin`: `*`
/// when `origins` has it, the origin itself when listed (a trailing `/`
/// ignored), else nothing.
pub fn allowed_origin<'a>(origins: &[String], origin: &'a str) -> Option<&'a str> {
    if origins.iter().any(|allowed| allowed == "*") {
        Some("*")
    } else {
        origins
            .iter()
            .any(|allowed| allowed.trim_end_matches('/') == origin)
            .then_some(origin)
    }
}

/// CORS for `origins` (see [`allowed_origins`]): simple and preflighted
/// `GET`, `POST`, `PUT` and `DELETE` with a bearer token and a JSON body.
pub fn cors(origins: &[String]) -> CorsLayer {
    let allow = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        let origins = origins.to_vec();
        AllowOrigin::predicate(move |origin: &HeaderValue, _| {
            origin
                .to_str()
                .is_ok_and(|origin| allowed_origin(&origins, origin).is_some())
        })
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("last-event-id"),
            // A retried set answers the first one's timer.
            header::HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_codes_map_to_http() {
        assert_eq!(
            http_status(Code::Unavailable),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            http_status(Code::DeadlineExceeded),
            StatusCode::GATEWAY_TIMEOUT
        );
        assert_eq!(http_status(Code::InvalidArgument), StatusCode::BAD_REQUEST);
        assert_eq!(http_status(Code::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(http_status(Code::Unauthenticated), StatusCode::UNAUTHORIZED);
        assert_eq!(http_status(Code::PermissionDenied), StatusCode::FORBIDDEN);
        assert_eq!(http_status(Code::Internal), StatusCode::BAD_GATEWAY);
    }

    #[test]
    fn the_default_origin_is_the_pages() {
        let page = Some("127.0.0.1:4321");
        assert_eq!(
            allowed_origins(&[], page),
            ["http://127.0.0.1:4321", "http://localhost:4321"]
        );
        let configured = ["https://clock.example".to_owned()];
        assert_eq!(allowed_origins(&configured, page), configured);
        assert!(allowed_origins(&[], None).is_empty());
    }
}
