//! What can go wrong with an accounts call, and the one mapping to gRPC.
//!
//! Messages are safe to send: they never contain a password, a token or a
//! database detail (those are logged here, then replaced by a generic line).

use std::time::Duration;

use clocker_runtime::ErrorChain;
use clocker_store::StoreError;
use tonic::{Code, Status};

/// The message for every failed login, whatever the reason.
pub const BAD_CREDENTIALS: &str = "wrong username or password";

#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error("{0}")]
    Invalid(String),
    #[error("that username is taken")]
    AlreadyExists,
    /// Unknown user or wrong password: one answer for both.
    #[error("{BAD_CREDENTIALS}")]
    BadCredentials,
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Too many attempts from this address (for this name, or for any):
    /// the same words whether or not the name exists.
    #[error(
        "too many attempts; retry in {} s",
        retry_after_secs(*.retry_after)
    )]
    Throttled { retry_after: Duration },
    #[error("too many passwords are being checked right now; retry shortly")]
    Busy,
    #[error("cannot start a password hashing thread")]
    HashingThread(#[source] std::io::Error),
    #[error("the password hashing threads have stopped")]
    HashingStopped,
    #[error("a store call failed to run")]
    StoreTask(#[source] tokio::task::JoinError),
    /// The store failed (unavailable, or an error of its own); kept whole,
    /// its cause chain is logged and a safe line is sent.
    #[error("the account store failed")]
    Store(#[source] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Whole seconds to wait, rounded up (never 0 while locked).
fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

impl From<StoreError> for AccountsError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => AccountsError::AlreadyExists,
            other => AccountsError::Store(other),
        }
    }
}

impl From<AccountsError> for Status {
    fn from(err: AccountsError) -> Self {
        match err {
            AccountsError::Invalid(_) => Status::invalid_argument(err.to_string()),
            AccountsError::AlreadyExists => Status::already_exists(err.to_string()),
            AccountsError::BadCredentials | AccountsError::Unauthenticated(_) => {
                Status::unauthenticated(err.to_string())
            }
            AccountsError::Throttled { retry_after } => {
                let mut status = Status::resource_exhausted(err.to_string());
                let secs = retry_after_secs(retry_after).to_string();
                if let Ok(value) = secs.parse() {
                    status.metadata_mut().insert("retry-after", value);
                }
                status
            }
            AccountsError::Busy => {
                let mut status = Status::resource_exhausted(err.to_string());
                status.metadata_mut().insert(
                    "retry-after",
                    tonic::metadata::MetadataValue::from_static("1"),
                );
                status
            }
            AccountsError::Store(StoreError::Unavailable(_)) => {
                tracing::warn!(error = %ErrorChain(&err), "account store unavailable");
                Status::new(
                    Code::Unavailable,
                    "the account store is unavailable; retry shortly",
                )
            }
            AccountsError::Store(_) => {
                tracing::error!(error = %ErrorChain(&err), "accounts call failed in the store");
                Status::internal("internal error (logged by the accounts service)")
            }
            AccountsError::HashingThread(_)
            | AccountsError::HashingStopped
            | AccountsError::StoreTask(_) => {
                tracing::error!(err = %err, "accounts call failed");
                Status::internal("internal error (logged by the accounts service)")
            }
            AccountsError::Internal(detail) => {
                tracing::error!(%detail, "accounts call failed");
                Status::internal("internal error (logged by the accounts service)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_carries_a_retry_after_in_whole_seconds() {
        let status = Status::from(AccountsError::Throttled {
            retry_after: Duration::from_millis(1500),
        });
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert_eq!(
            status
                .metadata()
                .get("retry-after")
                .map(|v| v.to_str().ok()),
            Some(Some("2"))
        );
        assert!(
            status.message().contains("retry in 2 s"),
            "{}",
            status.message()
        );
    }

    #[test]
    fn internal_details_are_not_sent() {
        let status = Status::from(AccountsError::Internal(
            "relation \"x\" does not exist".into(),
        ));
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("relation"));
        let status = Status::from(AccountsError::from(StoreError::Unavailable(
            "connection refused 10.0.0.5".into(),
        )));
        assert_eq!(status.code(), Code::Unavailable);
        assert!(!status.message().contains("10.0.0.5"));
    }
}
