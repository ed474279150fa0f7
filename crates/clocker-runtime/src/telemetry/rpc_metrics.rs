//! Per-method gRPC metrics of every gRPC port (recorded by the
//! [`crate::BudgetLayer`] around each call):
//!
//! - `clocker_rpc_requests_total{service, method, code}`
//! - `clocker_rpc_duration_seconds{service, method}` (histogram)
//! - `clocker_rpc_deadline_exceeded_total{service, method, cause="budget"|"client"}`
//!
//! Only trailers-only answers (how tonic sends every error of a unary call)
//! are seen with their code; a stream that fails after its first message
//! counts as `OK`. Unknown methods are counted under `method="unknown"` so a
//! scanner cannot grow the label set without bound.

use std::time::Duration;

use http::HeaderMap;
use tonic::Code;

/// Counts one answered call of `method` that took `took`, with the code its
/// answer's `headers` carry.
pub(crate) fn record_rpc_answer(
    service: &'static str,
    method: String,
    headers: &HeaderMap,
    took: Duration,
) {
    let code = response_code(headers);
    let method = if code == Code::Unimplemented {
        "unknown".to_owned()
    } else {
        method
    };
    metrics::histogram!(
        "clocker_rpc_duration_seconds",
        "service" => service,
        "method" => method.clone(),
    )
    .record(took.as_secs_f64());
    metrics::counter!(
        "clocker_rpc_requests_total",
        "service" => service,
        "method" => method,
        "code" => code_name(code),
    )
    .increment(1);
}

/// Counts one call of `method` cut off at its deadline; `cause` says whose
/// deadline it was (`budget`: the service's, `client`: a shorter
/// `grpc-timeout`).
pub(crate) fn record_deadline_exceeded(service: &'static str, method: String, cause: &'static str) {
    metrics::counter!(
        "clocker_rpc_deadline_exceeded_total",
        "service" => service,
        "method" => method,
        "cause" => cause,
    )
    .increment(1);
}

/// The code of an answer: its `grpc-status` header, `OK` when it has none
/// (a stream whose status comes in the trailers).
pub(crate) fn response_code(headers: &HeaderMap) -> Code {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map_or(Code::Ok, Code::from_i32)
}

fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_status_header_means_ok() {
        assert_eq!(response_code(&HeaderMap::new()), Code::Ok);
        let mut headers = HeaderMap::new();
        headers.insert("grpc-status", "3".parse().expect("ascii"));
        assert_eq!(response_code(&headers), Code::InvalidArgument);
    }
}
