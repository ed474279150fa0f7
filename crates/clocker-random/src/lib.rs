//! The random service (seed 004): `random.RandomService` on port 50051.
//!
//! Layout:
//! - [`generate`]: the rules — numbers uniform over `[min, max]` (any
//!   `int32` range, no modulo bias), strings from the seed's alphabets, and a
//!   [`Series`] of data points with a moving window for their metadata.
//! - [`service`]: the gRPC wrapper; it converts messages and paces the
//!   stream, nothing else.

pub mod generate;
mod service;

use clocker_proto::FILE_DESCRIPTOR_SET;
use clocker_proto::random::random_service_server::RandomServiceServer;
use clocker_runtime::{CancellationToken, GrpcServer, LaunchError, Launched, RuntimeConfig};
use tokio::net::TcpListener;

pub use generate::{Invalid, Series, SeriesSpec};
pub use service::RandomService;

/// The service's name (in logs, metrics and errors).
pub const NAME: &str = "random";

/// The random service needs no other service.
pub const REQUIRES: &[&str] = &[];

/// Serves `random.RandomService` on `listener` until `shutdown` fires;
/// open streams end then too.
pub async fn launch(
    listener: TcpListener,
    settings: &RuntimeConfig,
    shutdown: CancellationToken,
) -> Result<Launched, LaunchError> {
    GrpcServer::new(NAME, FILE_DESCRIPTOR_SET)
        .add_service(RandomServiceServer::new(RandomService::new(
            shutdown.clone(),
        )))
        .launch(listener, settings, shutdown)
        .await
}
