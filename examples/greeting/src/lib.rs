//! The greeting example: parigot's hello world on clocker-runtime, and the
//! smallest service there is — copy it to write your own.
//!
//! ```text
//! cargo run -p clocker-example-greeting -- --tongue french    # Bonjour, le monde !
//! ```
//!
//! What happens, in order (parigot's quick start, in Clocker's words):
//!
//! 1. **Protocol.** `proto/examples/greeting.proto` defines
//!    `greeting.v1.Greeting` with one method, `FetchGreeting(tongue)`.
//!    `clocker-proto` compiles every file under `proto/`, so the generated
//!    code is [`clocker_proto::greeting`], and it implements
//!    [`Locate`](clocker_proto::Locate) for the generated client, which is
//!    how callers find the service by type.
//! 2. **Service.** [`GreetingService`] implements the generated trait. It only
//!    converts the request, calls [`greeting`], and converts the answer (or
//!    the error, `INVALID_ARGUMENT`). It answers at once, well inside the
//!    50 ms budget every method has.
//! 3. **Launch.** [`launch`] serves it on a listener through
//!    [`GrpcServer`], which adds the method budget, gRPC health, server
//!    reflection and `/metrics`, and resolves with the bound address once it
//!    serves: parigot's `Launch()` future. The client program starts it with
//!    [`ServiceThread::start`](clocker_runtime::ServiceThread::start), which
//!    gives it a thread and a current-thread runtime of its own: the service
//!    is single-threaded, so it needs no locks.
//! 4. **Ready.** A service that calls others declares them ([`REQUIRES`]) and
//!    locates their clients in its launch, before it serves — what parigot
//!    does in `Ready`. This one requires nothing.
//! 5. **Locate and call.** The client program (`src/main.rs`, the
//!    `greeting-client` binary) writes the bound address into an
//!    [`AddressBook`](clocker_runtime::AddressBook), asks a
//!    [`Locator`](clocker_runtime::Locator) that declares `greeting.v1.Greeting` as
//!    required for a `GreetingClient`, and calls `fetch_greeting`.
//! 6. **Exit.** It prints the greeting, stops the service (in-flight calls
//!    drain) and exits with a code: 0, or 1 when the service refused the
//!    tongue, or 2 when the service could not be launched or reached.

use clocker_proto::FILE_DESCRIPTOR_SET;
use clocker_proto::greeting::greeting_server::{Greeting, GreetingServer};
use clocker_proto::greeting::{FetchGreetingRequest, FetchGreetingResponse, Tongue};
use clocker_runtime::{CancellationToken, GrpcServer, LaunchError, Launched, RuntimeConfig};
use tokio::net::TcpListener;
use tonic::{Request, Response, Status};

/// The greeting service needs no other service.
pub const REQUIRES: &[&str] = &[];

/// "Hello, world!" in `tongue` (a `Tongue` as sent on the wire).
pub fn greeting(tongue: i32) -> Result<&'static str, UnknownTongue> {
    match Tongue::try_from(tongue) {
        Ok(Tongue::English) => Ok("Hello, world!"),
        Ok(Tongue::French) => Ok("Bonjour, le monde !"),
        Ok(Tongue::German) => Ok("Hallo, Welt!"),
        Ok(Tongue::Unspecified) | Err(_) => Err(UnknownTongue(tongue)),
    }
}

/// A tongue with no greeting: `TONGUE_UNSPECIFIED`, or a number that is
/// not a `Tongue` at all (from a client built on a newer .proto, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{} has no greeting; ask for ENGLISH (1), FRENCH (2) or GERMAN (3)", describe(*.0))]
pub struct UnknownTongue(pub i32);

fn describe(tongue: i32) -> String {
    match Tongue::try_from(tongue) {
        Ok(known) => format!("tongue {} ({tongue})", known.as_str_name()),
        Err(_) => format!("unknown tongue {tongue}"),
    }
}

impl From<UnknownTongue> for Status {
    fn from(unknown: UnknownTongue) -> Self {
        Status::invalid_argument(unknown.to_string())
    }
}

/// `greeting.v1.Greeting`.
#[derive(Debug, Clone, Default)]
pub struct GreetingService;

#[tonic::async_trait]
impl Greeting for GreetingService {
    async fn fetch_greeting(
        &self,
        request: Request<FetchGreetingRequest>,
    ) -> Result<Response<FetchGreetingResponse>, Status> {
        let FetchGreetingRequest { tongue } = request.into_inner();
        let greeting = greeting(tongue)?.to_owned();
        Ok(Response::new(FetchGreetingResponse { greeting }))
    }
}

/// Serves `greeting.v1.Greeting` on `listener` until `shutdown` fires;
/// resolves once it serves.
pub async fn launch(
    listener: TcpListener,
    settings: &RuntimeConfig,
    shutdown: CancellationToken,
) -> Result<Launched, LaunchError> {
    GrpcServer::new("greeting", FILE_DESCRIPTOR_SET)
        .add_service(GreetingServer::new(GreetingService))
        .launch(listener, settings, shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tongue_has_its_greeting() {
        assert_eq!(greeting(Tongue::English.into()), Ok("Hello, world!"));
        assert_eq!(greeting(Tongue::French.into()), Ok("Bonjour, le monde !"));
        assert_eq!(greeting(Tongue::German.into()), Ok("Hallo, Welt!"));
    }

    #[test]
    fn the_error_names_the_tongue_it_got() {
        assert_eq!(
            UnknownTongue(0).to_string(),
            "tongue TONGUE_UNSPECIFIED (0) has no greeting; ask for ENGLISH (1), FRENCH (2) or GERMAN (3)"
        );
        assert_eq!(
            UnknownTongue(9).to_string(),
            "unknown tongue 9 has no greeting; ask for ENGLISH (1), FRENCH (2) or GERMAN (3)"
        );
        assert_eq!(greeting(-1), Err(UnknownTongue(-1)));
    }
}
