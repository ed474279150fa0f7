//! The contracts: every Clocker API as generated gRPC code (from `proto/`,
//! including seed 004's `random` package and the greeting example's
//! `greeting.v1`), the descriptor set that server reflection serves, the
//! names of the HTTP doors, and [`Locate`] for every generated client, so a
//! service finds another by the contract it calls and by nothing else.
//!
//! Depends on nothing of Clocker's: every other crate may depend on it.
//!
//! Layout: `v1`, `random`, `greeting` (generated code), [`Locate`] (a
//! client named by its server's `NamedService::NAME`), [`service_name`]
//! (the short name each gRPC service goes by), [`doors`].

use tonic::server::NamedService;
use tonic::transport::Channel;

/// The `clocker.v1` package: the clock, accounts and timers APIs.
pub mod v1 {
    tonic::include_proto!("clocker.v1");
}

/// The `random` package: seed 004's random-data service, verbatim.
pub mod random {
    tonic::include_proto!("random");
}

/// The `greeting.v1` package: the greeting example (`examples/greeting`),
/// parigot's hello world.
pub mod greeting {
    tonic::include_proto!("greeting.v1");
}

/// Every file under `proto/`, as an encoded `FileDescriptorSet`.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/clocker_descriptor.bin"));

/// A generated gRPC client, named by the service it calls: what a
/// `Locator` (in `clocker-runtime`) hands out.
pub trait Locate: Sized {
    /// The full name of the gRPC service it calls (`clocker.v1.Hours`), the
    /// same as its server's [`NamedService::NAME`].
    const SERVICE: &'static str;
    /// Wraps a channel to that service.
    fn from_channel(channel: Channel) -> Self;
}

/// The names of the HTTP doors, by which they are found in an address book
/// as gRPC services are by their full names.
pub mod doors {
    /// The funnel: the web UI and its WebSocket (the page's own origin).
    pub const FUNNEL: &str = "funnel";
    /// The REST gateway.
    pub const GATEWAY: &str = "gateway";
    /// The SSE stream.
    pub const STREAM: &str = "stream";
}

macro_rules! locate {
    ($($client:ident => $server:ty as $name:literal),* $(,)?) => {
        $(impl Locate for $client<Channel> {
            const SERVICE: &'static str = <$server as NamedService>::NAME;
            fn from_channel(channel: Channel) -> Self {
                Self::new(channel)
            }
        })*

        /// The name a gRPC service goes by in logs, health checks and
        /// errors (`hours` for `clocker.v1.Hours`), by its full name.
        pub fn service_name(contract: &str) -> Option<&'static str> {
            $(if contract == <$server as NamedService>::NAME {
                return Some($name);
            })*
            None
        }
    };
}

use greeting::greeting_client::GreetingClient;
use greeting::greeting_server::GreetingServer;
use random::random_service_client::RandomServiceClient;
use random::random_service_server::RandomServiceServer;
use v1::accounts_client::AccountsClient;
use v1::accounts_server::AccountsServer;
use v1::current_time_client::CurrentTimeClient;
use v1::current_time_server::CurrentTimeServer;
use v1::hours_client::HoursClient;
use v1::hours_server::HoursServer;
use v1::milliseconds_client::MillisecondsClient;
use v1::milliseconds_server::MillisecondsServer;
use v1::minutes_client::MinutesClient;
use v1::minutes_server::MinutesServer;
use v1::seconds_client::SecondsClient;
use v1::seconds_server::SecondsServer;
use v1::timers_client::TimersClient;
use v1::timers_server::TimersServer;

locate! {
    CurrentTimeClient => CurrentTimeServer<()> as "current-time",
    HoursClient => HoursServer<()> as "hours",
    MinutesClient => MinutesServer<()> as "minutes",
    SecondsClient => SecondsServer<()> as "seconds",
    MillisecondsClient => MillisecondsServer<()> as "milliseconds",
    AccountsClient => AccountsServer<()> as "accounts",
    TimersClient => TimersServer<()> as "timers",
    RandomServiceClient => RandomServiceServer<()> as "random",
    GreetingClient => GreetingServer<()> as "greeting",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_named_by_their_servers_full_names() {
        assert_eq!(HoursClient::<Channel>::SERVICE, "clocker.v1.Hours");
        assert_eq!(
            RandomServiceClient::<Channel>::SERVICE,
            "random.RandomService"
        );
        assert_eq!(
            CurrentTimeClient::<Channel>::SERVICE,
            v1::current_time_server::SERVICE_NAME
        );
    }

    #[test]
    fn every_service_has_a_short_name() {
        assert_eq!(service_name("clocker.v1.CurrentTime"), Some("current-time"));
        assert_eq!(
            service_name(RandomServiceClient::<Channel>::SERVICE),
            Some("random")
        );
        assert_eq!(service_name("clocker.v1.Nothing"), None);
    }
}
