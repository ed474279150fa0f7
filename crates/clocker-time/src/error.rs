//! The errors of the clock services, and how they reach gRPC callers.

/// What can go wrong answering a clock call.
#[derive(Debug, thiserror::Error)]
pub enum TimeError {
    #[error("unknown time zone '{0}' (expected an IANA name such as Europe/Paris or UTC)")]
    UnknownZone(String),
    #[error(
        "instant {seconds}s + {nanos}ns is out of range (it must lie within \
         {min}..{max}, with nanos within 0..999999999)",
        min = jiff::Timestamp::MIN,
        max = jiff::Timestamp::MAX
    )]
    OutOfRange { seconds: i64, nanos: i32 },
    #[error("current-time cannot be reached: {0}")]
    CurrentTimeUnavailable(String),
}

impl From<TimeError> for tonic::Status {
    fn from(err: TimeError) -> Self {
        match err {
            TimeError::UnknownZone(_) | TimeError::OutOfRange { .. } => {
                tonic::Status::invalid_argument(err.to_string())
            }
            TimeError::CurrentTimeUnavailable(_) => tonic::Status::unavailable(err.to_string()),
        }
    }
}
