//! Starting one service of the fleet by name, with the options every
//! service takes ([`FleetConfig`]).

use clocker_accounts::AccountsConfig;
use clocker_funnel::FunnelConfig;
use clocker_gateway::GatewayConfig;
use clocker_runtime::{AddressBook, CancellationToken, LaunchError, Launched, RuntimeConfig};
use clocker_stream::StreamConfig;
use clocker_time::{Clock, Component};
use clocker_timers::TimersConfig;
use tokio::net::TcpListener;

use crate::ServiceName;

/// Everything a service needs to know besides where to listen.
#[derive(Debug, Clone, Default)]
pub struct FleetConfig {
    pub settings: RuntimeConfig,
    /// The clock current-time reads (only current-time: timers run on
    /// `timers.clock`).
    pub clock: Clock,
    pub funnel: FunnelConfig,
    pub accounts: AccountsConfig,
    pub timers: TimersConfig,
    pub gateway: GatewayConfig,
    pub stream: StreamConfig,
}

/// Starts the service `name` on `listener`; its requirements are found
/// through `book`.
pub async fn launch_service(
    name: ServiceName,
    listener: TcpListener,
    book: AddressBook,
    options: &FleetConfig,
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
        ServiceName::Gateway => {
            clocker_gateway::launch(
                listener,
                book,
                &options.gateway,
                &options.settings,
                shutdown,
            )
            .await
        }
        ServiceName::Stream => {
            clocker_stream::launch(listener, book, &options.stream, &options.settings, shutdown)
                .await
        }
        ServiceName::Greeting => Err(LaunchError::refused(
            name.as_str(),
            "an example (examples/greeting), not a Clocker service; \
             run: cargo run -p clocker-example-greeting",
        )),
        component => {
            let component = Component::for_service(component.as_str())
                .expect("every other service is a component");
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
            &FleetConfig::default(),
            CancellationToken::new(),
        )
        .await
        .expect_err("greeting is an example");
        let message = err.to_string();
        assert!(
            message.contains("cargo run -p clocker-example-greeting"),
            "{message}"
        );
        assert!(ServiceName::Greeting.requires().is_empty());
    }
}
