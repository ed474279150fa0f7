//! The clock services: `current-time` reads the clock; one component service,
//! launched four times, extracts hours, minutes, seconds or milliseconds from
//! an instant.
//!
//! Layout:
//! - `clock`: the system clock or a settable one (`--clock`).
//! - `fields`: pure functions — zones, formatting, extraction, conversions.
//! - `service`: the gRPC wrappers; `error`: what they answer when a request
//!   cannot be served.
//! - [`launch_current_time`] and [`launch_component`]: start a service on a
//!   listener with the runtime's health, reflection, budget and metrics.

mod clock;
mod error;
pub mod fields;
mod service;

use clocker_proto::FILE_DESCRIPTOR_SET;
use clocker_proto::v1::{
    current_time_client::CurrentTimeClient, current_time_server,
    current_time_server::CurrentTimeServer, hours_server::HoursServer,
    milliseconds_server::MillisecondsServer, minutes_server::MinutesServer,
    seconds_server::SecondsServer,
};
use clocker_runtime::{
    AddressBook, CancellationToken, GrpcServer, LaunchError, Launched, Locator, RuntimeConfig,
};
use tokio::net::TcpListener;
use tonic::transport::Channel;

pub use clock::{BadClock, Clock, fuzz_clock};
pub use error::TimeError;
pub use fields::{Component, fuzz_zone};
pub use service::{ComponentService, CurrentTimeService};

/// The current-time service's name (in logs, metrics and errors).
pub const CURRENT_TIME: &str = "current-time";

/// What a component service requires: current-time.
pub const COMPONENT_REQUIRES: &[&str] = &[current_time_server::SERVICE_NAME];

impl Component {
    /// The name of the service that serves this component (`hours`).
    pub const fn service(self) -> &'static str {
        match self {
            Component::Hours => "hours",
            Component::Minutes => "minutes",
            Component::Seconds => "seconds",
            Component::Milliseconds => "milliseconds",
        }
    }

    /// The component the service named `service` serves, if it is a
    /// component service.
    pub fn for_service(service: &str) -> Option<Self> {
        Component::ALL.into_iter().find(|c| c.service() == service)
    }
}

/// Serves `clocker.v1.CurrentTime` on `listener`, reading `clock`.
pub async fn launch_current_time(
    listener: TcpListener,
    clock: Clock,
    settings: &RuntimeConfig,
    shutdown: CancellationToken,
) -> Result<Launched, LaunchError> {
    tracing::info!(%clock, "current-time clock");
    let service = CurrentTimeService::new(clock, fields::local_zone());
    GrpcServer::new(CURRENT_TIME, FILE_DESCRIPTOR_SET)
        .add_service(CurrentTimeServer::new(service))
        .launch(listener, settings, shutdown)
        .await
}

/// Serves the component service for `component` on `listener`, asking the
/// current-time service found in `book` when a request carries no instant.
pub async fn launch_component(
    component: Component,
    listener: TcpListener,
    book: AddressBook,
    settings: &RuntimeConfig,
    shutdown: CancellationToken,
) -> Result<Launched, LaunchError> {
    let name = component.service();
    let locator = Locator::new(name, COMPONENT_REQUIRES, book);
    let current_time =
        locator
            .locate::<CurrentTimeClient<Channel>>()
            .map_err(LaunchError::setup(
                name,
                "cannot find the current-time service",
            ))?;
    // Leave a fifth of the budget to answer UNAVAILABLE in time.
    let upstream_timeout = settings.budget * 4 / 5;
    let service = ComponentService::new(
        component,
        current_time,
        fields::local_zone(),
        upstream_timeout,
    );
    let server = GrpcServer::new(name, FILE_DESCRIPTOR_SET);
    let server = match component {
        Component::Hours => server.add_service(HoursServer::new(service)),
        Component::Minutes => server.add_service(MinutesServer::new(service)),
        Component::Seconds => server.add_service(SecondsServer::new(service)),
        Component::Milliseconds => server.add_service(MillisecondsServer::new(service)),
    };
    server.launch(listener, settings, shutdown).await
}
