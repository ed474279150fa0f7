//! Whether a required service is reachable: one gRPC health call for
//! [`LIVENESS_SERVICE`] on a connection kept between rounds.

use std::error::Error as StdError;
use std::fmt;

use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use super::{LIVENESS_SERVICE, NotReady};

/// One health call: any answer but a transport failure means reachable.
pub(super) async fn answers(
    client: &mut HealthClient<tonic::transport::Channel>,
) -> Result<(), NotReady> {
    let request = HealthCheckRequest {
        service: LIVENESS_SERVICE.to_owned(),
    };
    match client.check(request).await {
        Ok(_) => Ok(()),
        // It answered; it just does not know the name (an older build).
        Err(status) if matches!(status.code(), Code::NotFound | Code::Unimplemented) => Ok(()),
        Err(status) => Err(NotReady::because("not answering", StatusCause(status))),
    }
}

/// A gRPC status as an error whose text is its message and whose source is
/// the transport's cause (`tcp connect error`, then `Connection refused`).
#[derive(Debug)]
struct StatusCause(tonic::Status);

impl fmt::Display for StatusCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.message())
    }
}

impl StdError for StatusCause {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        StdError::source(&self.0)
    }
}
