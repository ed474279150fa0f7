//! What can go wrong with a timer call, and the one mapping to gRPC.

use clocker_store::StoreError;
use clocker_wire::InvalidDuration;
use tonic::Status;

#[derive(Debug, thiserror::Error)]
pub enum TimerError {
    #[error("{0}")]
    Invalid(String),
    /// A duration outside what a timer may run for (its text says why).
    #[error(transparent)]
    InvalidDuration(#[from] InvalidDuration),
    #[error("no timer with id '{0}'")]
    NotFound(String),
    #[error("timer '{0}' belongs to another account")]
    PermissionDenied(String),
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    Unavailable(String),
    /// A quota is reached (pending timers per account or address).
    #[error("{0}")]
    QuotaExceeded(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// The store failed; the error says why (kept whole for the log).
    #[error("the timer store failed")]
    Store(#[from] StoreError),
}

impl TimerError {
    /// The message safe to send: internal details stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            TimerError::Internal(detail) => {
                tracing::error!(%detail, "timer call failed");
                "internal error (logged by the timer service)".to_owned()
            }
            TimerError::Unavailable(detail) => {
                tracing::warn!(%detail, "timer call failed");
                "the timer service cannot reach what it needs right now; retry shortly".to_owned()
            }
            TimerError::Store(store) => {
                let error = clocker_runtime::ErrorChain(store);
                if matches!(store, StoreError::Unavailable(_)) {
                    tracing::warn!(%error, "timer call failed: the store is unavailable");
                    "the timer service cannot reach what it needs right now; retry shortly"
                        .to_owned()
                } else {
                    tracing::error!(%error, "timer call failed in the store");
                    "internal error (logged by the timer service)".to_owned()
                }
            }
            other => other.to_string(),
        }
    }
}

impl From<TimerError> for Status {
    fn from(err: TimerError) -> Self {
        let message = err.public_message();
        match err {
            TimerError::Invalid(_) | TimerError::InvalidDuration(_) => {
                Status::invalid_argument(message)
            }
            TimerError::NotFound(_) => Status::not_found(message),
            TimerError::PermissionDenied(_) => Status::permission_denied(message),
            TimerError::Unauthenticated(_) => Status::unauthenticated(message),
            TimerError::Unavailable(_) => Status::unavailable(message),
            TimerError::QuotaExceeded(_) => Status::resource_exhausted(message),
            TimerError::Internal(_) => Status::internal(message),
            TimerError::Store(StoreError::Unavailable(_)) => Status::unavailable(message),
            TimerError::Store(_) => Status::internal(message),
        }
    }
}
