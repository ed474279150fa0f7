//! Generated gRPC code for every Clocker API (from `proto/`, including seed
//! 004's `random` package and the greeting example's `greeting.v1`), the
//! descriptor set that server reflection serves, and the runtime's [`Locate`]
//! for every generated client, so services locate each other by type.

use clocker_runtime::{Locate, ServiceName};
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

macro_rules! locate {
    ($($client:ty => $service:expr),* $(,)?) => {
        $(impl Locate for $client {
            const SERVICE: ServiceName = $service;
            fn from_channel(channel: Channel) -> Self {
                Self::new(channel)
            }
        })*
    };
}

locate! {
    v1::current_time_client::CurrentTimeClient<Channel> => ServiceName::CurrentTime,
    v1::hours_client::HoursClient<Channel> => ServiceName::Hours,
    v1::minutes_client::MinutesClient<Channel> => ServiceName::Minutes,
    v1::seconds_client::SecondsClient<Channel> => ServiceName::Seconds,
    v1::milliseconds_client::MillisecondsClient<Channel> => ServiceName::Milliseconds,
    v1::accounts_client::AccountsClient<Channel> => ServiceName::Accounts,
    v1::timers_client::TimersClient<Channel> => ServiceName::Timers,
    random::random_service_client::RandomServiceClient<Channel> => ServiceName::Random,
    greeting::greeting_client::GreetingClient<Channel> => ServiceName::Greeting,
}
