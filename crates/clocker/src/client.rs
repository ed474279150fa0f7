//! What every client command (`time`, `timer`, `random`, `account`, `ps`,
//! `health`) shares: how a service's silence or refusal reads
//! ([`ClientError`], made from a gRPC status by [`grpc_error`] and bounded
//! calls by [`call`]), how Ctrl-C ends a command ([`Interrupted`]), and
//! that it logs nothing unless asked (`-v`, [`init_logging`]).

use std::fmt;
use std::time::Duration;

use tonic::{Code, Status};
use tracing_subscriber::EnvFilter;

/// Why a client command failed, in one line a newcomer can act on.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing answered: no connection, or no reply in time.
    #[error("the {service} service at {addr} did not answer; is it running? (clocker up)")]
    Unreachable { service: &'static str, addr: String },
    /// The service answered and refused the request: its own words.
    #[error("{kind}: {message}{}", login_hint(.kind, .message))]
    Refused { kind: Refusal, message: String },
    /// The service answered that it cannot serve now (its database is
    /// down, a service it requires does not answer).
    #[error("the {service} service is not available: {message}")]
    NotAvailable {
        service: &'static str,
        message: String,
    },
    /// The service failed (a defect or an internal error on its side).
    #[error("the {service} service failed: {message}")]
    Failed {
        service: &'static str,
        message: String,
    },
}

/// What kind of refusal a service answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    InvalidArgument,
    NotFound,
    AlreadyExists,
    PermissionDenied,
    Unauthenticated,
    TooManyRequests,
    /// Any other refusal: the request cannot be carried out as things are
    /// (and the timer service's ZeroMQ door answers `{"ok":false,…}`
    /// without a code).
    Refused,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::InvalidArgument => "invalid argument",
            Refusal::NotFound => "not found",
            Refusal::AlreadyExists => "already exists",
            Refusal::PermissionDenied => "permission denied",
            Refusal::Unauthenticated => "not authenticated",
            Refusal::TooManyRequests => "too many requests",
            Refusal::Refused => "the service refused",
        })
    }
}

/// How to get a session, when a refusal is about one.
fn login_hint(kind: &Refusal, message: &str) -> &'static str {
    if matches!(kind, Refusal::Unauthenticated | Refusal::Refused) && message.contains("session") {
        " (log in with: clocker account login NAME)"
    } else {
        ""
    }
}

/// The one reading of a gRPC status for every client command: a refusal is
/// the service's message, silence (no connection, a deadline) is "did not
/// answer". `service` names it ("random"), `addr` says where it was asked.
pub fn grpc_error(service: &'static str, addr: impl fmt::Display, status: Status) -> ClientError {
    tracing::debug!(service, %addr, ?status, "call failed");
    let from_transport = std::error::Error::source(&status).is_some();
    let refused = |kind| ClientError::Refused {
        kind,
        message: status.message().to_owned(),
    };
    match status.code() {
        Code::InvalidArgument | Code::OutOfRange => refused(Refusal::InvalidArgument),
        Code::FailedPrecondition | Code::Aborted => refused(Refusal::Refused),
        Code::NotFound => refused(Refusal::NotFound),
        Code::AlreadyExists => refused(Refusal::AlreadyExists),
        Code::PermissionDenied => refused(Refusal::PermissionDenied),
        Code::Unauthenticated => refused(Refusal::Unauthenticated),
        Code::ResourceExhausted => refused(Refusal::TooManyRequests),
        // Sent by the service itself (no transport error under it): it
        // answered, and says why it cannot serve.
        Code::Unavailable if !from_transport => ClientError::NotAvailable {
            service,
            message: status.message().to_owned(),
        },
        // No connection, a deadline, or a connection that broke off.
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => ClientError::Unreachable {
            service,
            addr: addr.to_string(),
        },
        Code::Unknown if from_transport => ClientError::Unreachable {
            service,
            addr: addr.to_string(),
        },
        _ => ClientError::Failed {
            service,
            message: status.message().to_owned(),
        },
    }
}

/// Runs one gRPC call within `timeout`, connecting included (a service
/// stopped with its port still bound accepts but never answers), and reads
/// its failure with [`grpc_error`].
pub async fn call<T>(
    service: &'static str,
    addr: impl fmt::Display,
    timeout: Duration,
    call: impl Future<Output = Result<tonic::Response<T>, Status>>,
) -> Result<T, ClientError> {
    match tokio::time::timeout(timeout, call).await {
        Ok(Ok(reply)) => Ok(reply.into_inner()),
        Ok(Err(status)) => Err(grpc_error(service, addr, status)),
        Err(_) => Err(grpc_error(
            service,
            addr,
            Status::deadline_exceeded(format!("no answer within {} ms", timeout.as_millis())),
        )),
    }
}

/// A gRPC request carrying `timeout` as its deadline for the service.
pub fn with_deadline<T>(message: T, timeout: Duration) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(timeout);
    request
}

/// Ctrl-C (or SIGTERM) ended a client command: `clocker` exits 130 and
/// prints nothing more.
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
pub struct Interrupted;

/// Logging for a client command: none unless `verbose` (`-v`: info,
/// `-vv`: debug, or `RUST_LOG` when set), so that log lines never mix with
/// what the command prints; its failure is its one error line. (An
/// exported `RUST_LOG`, meant for services, does not reach it without -v.)
pub fn init_logging(verbose: u8) {
    let filter = match verbose {
        0 => EnvFilter::new("off"),
        level => EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new(if level == 1 { "info" } else { "debug" })),
    };
    clocker_runtime::init_logging_with(filter);
}

/// Prints `value` as one line of JSON on standard output.
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_reads_as_the_services_message() {
        let status = Status::invalid_argument("length must be between 1 and 1000, got 0");
        let err = grpc_error("random", "127.0.0.1:1", status);
        assert_eq!(
            err.to_string(),
            "invalid argument: length must be between 1 and 1000, got 0"
        );
        for code in [
            Code::NotFound,
            Code::PermissionDenied,
            Code::Unauthenticated,
            Code::ResourceExhausted,
            Code::OutOfRange,
        ] {
            let err = grpc_error("timer", "x", Status::new(code, "why"));
            assert!(matches!(err, ClientError::Refused { .. }), "{code:?}");
            assert!(!err.to_string().contains("did not answer"), "{code:?}");
        }
    }

    #[test]
    fn silence_reads_as_did_not_answer() {
        let err = grpc_error("random", "127.0.0.1:1", Status::deadline_exceeded("late"));
        assert_eq!(
            err.to_string(),
            "the random service at 127.0.0.1:1 did not answer; is it running? (clocker up)"
        );
        let sent = grpc_error("timer", "x", Status::unavailable("database is down"));
        assert_eq!(
            sent.to_string(),
            "the timer service is not available: database is down"
        );
    }

    #[test]
    fn a_refusal_about_a_session_says_how_to_get_one() {
        let err = grpc_error("timer", "x", Status::unauthenticated("the session expired"));
        assert!(
            err.to_string()
                .ends_with("(log in with: clocker account login NAME)"),
            "{err}"
        );
        let login = grpc_error(
            "accounts",
            "x",
            Status::unauthenticated("wrong username or password"),
        );
        assert_eq!(
            login.to_string(),
            "not authenticated: wrong username or password"
        );
    }
}
