//! The table of Clocker services: their names, default ports, the contract
//! each is found by and what each requires.
//!
//! The default ports are the seeds' and are a contract: clients written from
//! the seeds must find the services there.
//!
//! [`ServiceName::Greeting`] is the odd one out: the example in
//! `examples/greeting`, addressable like any service (so it can be located)
//! but not in [`ServiceName::ALL`], so `clocker up` and `clocker serve` do
//! not know it.

use std::fmt;
use std::str::FromStr;

use clocker_proto::doors;
use clocker_proto::greeting::greeting_server;
use clocker_proto::random::random_service_server;
use clocker_proto::v1::{
    accounts_server, current_time_server, hours_server, milliseconds_server, minutes_server,
    seconds_server, timers_server,
};

/// Every service of the fleet, and the greeting example.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceName {
    CurrentTime,
    Hours,
    Minutes,
    Seconds,
    Milliseconds,
    Funnel,
    Accounts,
    Timers,
    Random,
    Gateway,
    Stream,
    /// The greeting example (`examples/greeting`); not part of the fleet.
    Greeting,
}

impl ServiceName {
    /// All services of the fleet, in the order `clocker up` starts them
    /// (the greeting example is not one of them).
    pub const ALL: [ServiceName; 11] = [
        ServiceName::CurrentTime,
        ServiceName::Hours,
        ServiceName::Minutes,
        ServiceName::Seconds,
        ServiceName::Milliseconds,
        ServiceName::Funnel,
        ServiceName::Accounts,
        ServiceName::Timers,
        ServiceName::Random,
        ServiceName::Gateway,
        ServiceName::Stream,
    ];

    /// The name used on the command line, in logs and in metrics labels.
    pub const fn as_str(self) -> &'static str {
        match self {
            ServiceName::CurrentTime => "current-time",
            ServiceName::Hours => "hours",
            ServiceName::Minutes => "minutes",
            ServiceName::Seconds => "seconds",
            ServiceName::Milliseconds => "milliseconds",
            ServiceName::Funnel => "funnel",
            ServiceName::Accounts => "accounts",
            ServiceName::Timers => "timers",
            ServiceName::Random => "random",
            ServiceName::Gateway => "gateway",
            ServiceName::Stream => "stream",
            ServiceName::Greeting => "greeting",
        }
    }

    /// The port the service listens on unless told otherwise.
    pub const fn default_port(self) -> u16 {
        match self {
            ServiceName::CurrentTime => 50000,
            ServiceName::Hours => 50001,
            ServiceName::Minutes => 50002,
            ServiceName::Seconds => 50003,
            ServiceName::Milliseconds => 50004,
            ServiceName::Funnel => 8080,
            ServiceName::Accounts => 50006,
            ServiceName::Timers => 50005,
            ServiceName::Random => 50051,
            ServiceName::Gateway => 8081,
            ServiceName::Stream => 8085,
            ServiceName::Greeting => 50100,
        }
    }

    /// What callers find the service by: a gRPC service's full name (its
    /// server's `NamedService::NAME`), an HTTP door's name.
    pub const fn contract(self) -> &'static str {
        match self {
            ServiceName::CurrentTime => current_time_server::SERVICE_NAME,
            ServiceName::Hours => hours_server::SERVICE_NAME,
            ServiceName::Minutes => minutes_server::SERVICE_NAME,
            ServiceName::Seconds => seconds_server::SERVICE_NAME,
            ServiceName::Milliseconds => milliseconds_server::SERVICE_NAME,
            ServiceName::Funnel => doors::FUNNEL,
            ServiceName::Accounts => accounts_server::SERVICE_NAME,
            ServiceName::Timers => timers_server::SERVICE_NAME,
            ServiceName::Random => random_service_server::SERVICE_NAME,
            ServiceName::Gateway => doors::GATEWAY,
            ServiceName::Stream => doors::STREAM,
            ServiceName::Greeting => greeting_server::SERVICE_NAME,
        }
    }

    /// The service found by `contract`, if the table has one.
    pub fn by_contract(contract: &str) -> Option<ServiceName> {
        ServiceName::ALL
            .into_iter()
            .chain([ServiceName::Greeting])
            .find(|name| name.contract() == contract)
    }

    /// What the service requires (as each service declares it), in the
    /// order it must be started after them.
    pub fn requires(self) -> Vec<ServiceName> {
        let contracts: &[&str] = match self {
            ServiceName::CurrentTime | ServiceName::Greeting => &[],
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
        };
        contracts
            .iter()
            .map(|contract| {
                ServiceName::by_contract(contract)
                    .unwrap_or_else(|| unreachable!("{contract} is not in the table"))
            })
            .collect()
    }

    /// Whether the service speaks HTTP (the others speak gRPC).
    pub const fn speaks_http(self) -> bool {
        matches!(
            self,
            ServiceName::Funnel | ServiceName::Gateway | ServiceName::Stream
        )
    }

    /// The environment variable that overrides where the service is found,
    /// such as `CLOCKER_CURRENT_TIME_ADDR`.
    pub fn addr_env_var(self) -> String {
        format!(
            "CLOCKER_{}_ADDR",
            self.as_str().replace('-', "_").to_ascii_uppercase()
        )
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not in the service table.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown service '{0}' (known: current-time, hours, minutes, seconds, milliseconds, funnel, accounts, timers, random, gateway, stream)"
)]
pub struct UnknownService(String);

impl FromStr for ServiceName {
    type Err = UnknownService;

    /// Only the fleet's names parse: the greeting example is not a service
    /// `clocker serve` can run.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ServiceName::ALL
            .into_iter()
            .find(|name| name.as_str() == s)
            .ok_or_else(|| UnknownService(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_from_str() {
        for name in ServiceName::ALL {
            assert_eq!(name.as_str().parse::<ServiceName>().ok(), Some(name));
        }
        assert!("clock".parse::<ServiceName>().is_err());
    }

    #[test]
    fn the_greeting_example_is_addressable_but_not_in_the_fleet() {
        assert_eq!(ServiceName::Greeting.as_str(), "greeting");
        assert_eq!(ServiceName::Greeting.default_port(), 50100);
        assert!(!ServiceName::Greeting.speaks_http());
        assert!(!ServiceName::ALL.contains(&ServiceName::Greeting));
        assert!("greeting".parse::<ServiceName>().is_err());
        let ports: Vec<u16> = ServiceName::ALL.map(ServiceName::default_port).to_vec();
        assert!(!ports.contains(&ServiceName::Greeting.default_port()));
    }

    #[test]
    fn every_requirement_is_a_service_of_the_table() {
        for name in ServiceName::ALL {
            for required in name.requires() {
                assert!(ServiceName::ALL.contains(&required), "{name} -> {required}");
            }
        }
        assert_eq!(
            ServiceName::Funnel.requires(),
            [
                ServiceName::CurrentTime,
                ServiceName::Hours,
                ServiceName::Minutes,
                ServiceName::Seconds,
                ServiceName::Milliseconds
            ]
        );
    }

    #[test]
    fn contracts_find_their_service() {
        for name in ServiceName::ALL {
            assert_eq!(ServiceName::by_contract(name.contract()), Some(name));
        }
        assert_eq!(ServiceName::Hours.contract(), "clocker.v1.Hours");
        assert_eq!(ServiceName::Gateway.contract(), "gateway");
    }

    #[test]
    fn env_var_names_are_upper_snake_case() {
        assert_eq!(
            ServiceName::CurrentTime.addr_env_var(),
            "CLOCKER_CURRENT_TIME_ADDR"
        );
        assert_eq!(ServiceName::Hours.addr_env_var(), "CLOCKER_HOURS_ADDR");
    }
}
