//! Require / Locate: a service declares what it requires, and gets typed
//! clients only for those.
//!
//! As in parigot, `Locate` is implemented by the generated code of the service
//! being located (`clocker-proto` implements it for every generated client),
//! so `locator.locate::<HoursClient<Channel>>()` is all a caller writes.

use std::time::Duration;

use clocker_proto::Locate;
use tonic::transport::{Channel, Endpoint};

use crate::AddressBook;

/// Why a client could not be located.
#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    #[error(
        "{owner} asked to locate {wanted}, which it does not declare as required (it requires: {declared})"
    )]
    NotRequired {
        owner: &'static str,
        wanted: &'static str,
        declared: String,
    },
    #[error("{owner} requires {wanted}, but was not told where it is")]
    NoAddress {
        owner: &'static str,
        wanted: &'static str,
    },
    #[error("{wanted} has an unusable address '{addr}': {reason}")]
    BadAddress {
        wanted: &'static str,
        addr: String,
        reason: String,
    },
}

/// Hands out clients for the services a service declared it requires.
#[derive(Debug, Clone)]
pub struct Locator {
    owner: &'static str,
    requires: Vec<&'static str>,
    book: AddressBook,
}

/// How long connecting to a located service may take before a call fails
/// with `UNAVAILABLE` (the caller's budget is 50 ms, so this stays short).
const CONNECT_TIMEOUT: Duration = Duration::from_millis(250);

impl Locator {
    /// A locator for `owner` (a service, or a program such as `clocker
    /// time`), which requires the gRPC services named in `requires`.
    pub fn new(owner: &'static str, requires: &[&'static str], book: AddressBook) -> Self {
        Self {
            owner,
            requires: requires.to_vec(),
            book,
        }
    }

    /// Who this locator belongs to.
    pub fn owner(&self) -> &'static str {
        self.owner
    }

    /// What the service declared it requires.
    pub fn requires(&self) -> &[&'static str] {
        &self.requires
    }

    /// A client for `C::SERVICE`, which must have been declared as required.
    ///
    /// The connection is made lazily and re-made after failures, so a
    /// dependency that restarts is found again without help.
    /// Must be called inside a tokio runtime (the channel's worker runs there).
    pub fn locate<C: Locate>(&self) -> Result<C, LocateError> {
        self.channel(C::SERVICE).map(C::from_channel)
    }

    /// A lazy channel to `wanted`, which must have been declared as
    /// required (for calls no typed client makes, such as health checks).
    /// Must be called inside a tokio runtime.
    pub fn channel(&self, wanted: &'static str) -> Result<Channel, LocateError> {
        if !self.requires.contains(&wanted) {
            return Err(LocateError::NotRequired {
                owner: self.owner,
                wanted,
                declared: self.requires.join(", "),
            });
        }
        let addr = self.book.resolve(wanted).ok_or(LocateError::NoAddress {
            owner: self.owner,
            wanted,
        })?;
        let endpoint = Endpoint::from_shared(format!("http://{addr}")).map_err(|err| {
            LocateError::BadAddress {
                wanted,
                addr: addr.clone(),
                reason: err.to_string(),
            }
        })?;
        Ok(endpoint
            .tcp_nodelay(true)
            .connect_timeout(CONNECT_TIMEOUT)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .connect_lazy())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct HoursClient;

    impl Locate for HoursClient {
        const SERVICE: &'static str = "clocker.v1.Hours";
        fn from_channel(_: Channel) -> Self {
            HoursClient
        }
    }

    #[tokio::test]
    async fn only_declared_services_can_be_located() {
        let mut book = AddressBook::default();
        book.set(
            HoursClient::SERVICE,
            "127.0.0.1:50001".parse().expect("literal"),
        );
        let declared = Locator::new("funnel", &[HoursClient::SERVICE], book.clone());
        assert!(declared.locate::<HoursClient>().is_ok());

        let undeclared = Locator::new("minutes", &["clocker.v1.CurrentTime"], book);
        let err = undeclared
            .locate::<HoursClient>()
            .err()
            .expect("hours was not declared");
        assert_eq!(
            err.to_string(),
            "minutes asked to locate clocker.v1.Hours, which it does not declare as required (it requires: clocker.v1.CurrentTime)"
        );
    }

    #[tokio::test]
    async fn a_required_service_without_an_address_is_named() {
        let located = Locator::new("funnel", &[HoursClient::SERVICE], AddressBook::default());
        let err = located.locate::<HoursClient>().err().expect("no address");
        assert_eq!(
            err.to_string(),
            "funnel requires clocker.v1.Hours, but was not told where it is"
        );
    }
}
