//! The table of Clocker services: their names and default ports.
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

/// Every service the runtime knows how to address.
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
    fn env_var_names_are_upper_snake_case() {
        assert_eq!(
            ServiceName::CurrentTime.addr_env_var(),
            "CLOCKER_CURRENT_TIME_ADDR"
        );
        assert_eq!(ServiceName::Hours.addr_env_var(), "CLOCKER_HOURS_ADDR");
    }
}
