//! What the `clocker` binary runs, as a library so tests run it in-process:
//! [`launch_service`] starts any one service by name, [`Fleet`] starts them
//! all, each on its own thread, in dependency order ([`start_order`]),
//! [`print_time`] is `clocker time`, [`account`] is `clocker account` and
//! [`timer`] is `clocker timer`, [`random`] is `clocker random` and
//! [`health`] is `clocker health`; [`cli`] is the command line itself.

pub mod account;
pub mod cli;
mod fleet;
pub mod health;
mod order;
pub mod ps;
pub mod random;
mod time;
pub mod timer;
pub mod up;

use clocker_accounts::AccountsConfig;
use clocker_funnel::FunnelConfig;
use clocker_gateway::GatewayConfig;
use clocker_runtime::{
    AddressBook, CancellationToken, LaunchError, Launched, ServiceName, Settings,
};
use clocker_stream::StreamConfig;
use clocker_time::{Clock, Component};
use clocker_timers::TimersConfig;
use tokio::net::TcpListener;

pub use fleet::{Fleet, FleetError, host_in_url};
pub use order::{DependencyCycle, start_order};
pub use time::{TimeCommand, print_time};

/// Everything a service needs to know besides where to listen.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub settings: Settings,
    /// The clock current-time reads (only current-time: timers run on
    /// `timers.clock`).
    pub clock: Clock,
    pub funnel: FunnelConfig,
    pub accounts: AccountsConfig,
    pub timers: TimersConfig,
    pub gateway: GatewayConfig,
    pub stream: StreamConfig,
}

/// What `name` requires, in the order it must be started after them.
pub fn requires(name: ServiceName) -> &'static [ServiceName] {
    match name {
        ServiceName::CurrentTime => &[],
        ServiceName::Hours
        | ServiceName::Minutes
        | ServiceName::Seconds
        | ServiceName::Milliseconds => clocker_time::COMPONENT_REQUIRES,
        ServiceName::Funnel => clocker_funnel::REQUIRES,
        ServiceName::Accounts => clocker_accounts::REQUIRES,
        ServiceName::Timers => clocker_timers::REQUIRES,
        ServiceName::Random => clocker_random::REQUIRES,
        ServiceName::Gateway => clocker_gateway::REQUIRES,
        ServiceName::Stream => clocker_stream::REQUIRES,
        ServiceName::Greeting => &[],
    }
}

/// Starts the service `name` on `listener`; its requirements are found
/// through `book`.
pub async fn launch_service(
    name: ServiceName,
    listener: TcpListener,
    book: AddressBook,
    options: &Options,
    shutdown: CancellationToken,
) -> Result<Launched, LaunchError> {
    match name {
        ServiceName::CurrentTime => {
            clocker_time::launch_current_time(
                listener,
                options.clock.clone(),
                &options.settings,
                shutdown,
            )
            .await
        }
        ServiceName::Funnel => {
            clocker_funnel::launch(listener, book, &options.funnel, &options.settings, shutdown)
                .await
        }
        ServiceName::Accounts => {
            clocker_accounts::launch(listener, &options.accounts, &options.settings, shutdown).await
        }
        ServiceName::Timers => {
            clocker_timers::launch(listener, &options.timers, book, &options.settings, shutdown)
                .await
        }
        ServiceName::Random => clocker_random::launch(listener, &options.settings, shutdown).await,
        ServiceName::Gateway => clocker_gateway::launch(
            listener,
            book,
            &options.gateway,
            &options.settings,
            shutdown,
        ),
        ServiceName::Stream => {
            clocker_stream::launch(listener, book, &options.stream, &options.settings, shutdown)
                .await
        }
        ServiceName::Greeting => Err(LaunchError::refused(
            name,
            "an example (examples/greeting), not a Clocker service; \
             run: cargo run -p clocker-example-greeting",
        )),
        component => {
            let component =
                Component::for_service(component).expect("every other service is a component");
            clocker_time::launch_component(component, listener, book, &options.settings, shutdown)
                .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_greeting_example_is_not_launched_as_a_service() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let err = launch_service(
            ServiceName::Greeting,
            listener,
            AddressBook::default(),
            &Options::default(),
            CancellationToken::new(),
        )
        .await
        .expect_err("greeting is an example");
        let message = err.to_string();
        assert!(
            message.contains("cargo run -p clocker-example-greeting"),
            "{message}"
        );
        assert!(requires(ServiceName::Greeting).is_empty());
    }
}
