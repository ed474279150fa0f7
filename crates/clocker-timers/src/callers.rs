//! Who is calling: anonymous, or the account behind a session token, asked
//! of the accounts service (WhoAmI) within a bound.

use std::net::IpAddr;
use std::time::Duration;

use clocker_proto::v1::WhoAmIRequest;
use clocker_proto::v1::accounts_client::AccountsClient;
use tonic::transport::Channel;
use tonic::{Code, Request};

use crate::TimerError;

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No session: the client's address when known (the key of its quota
    /// of pending timers).
    Anonymous(Option<IpAddr>),
    /// An account, by id.
    Account(String),
}

impl Caller {
    /// An anonymous caller connected from `addr` (each front door passes
    /// the peer's address: gRPC's remote address, ZeroMQ's TCP peer).
    pub fn anonymous_from(addr: impl Into<Option<IpAddr>>) -> Self {
        Caller::Anonymous(addr.into())
    }

    /// The key anonymous quotas are counted under: the IPv4 address, or the
    /// /64 of an IPv6 one (one host usually has a whole /64);
    /// `unknown` when the front door could not tell.
    pub fn address_key(&self) -> Option<String> {
        match self {
            Caller::Account(_) => None,
            Caller::Anonymous(None) => Some("unknown".to_owned()),
            Caller::Anonymous(Some(addr)) => Some(address_key(*addr)),
        }
    }

    /// The owner a timer set by this caller gets.
    pub fn owner_id(&self) -> Option<&str> {
        match self {
            Caller::Anonymous(_) => None,
            Caller::Account(id) => Some(id),
        }
    }

    /// Whether this caller may see and cancel a timer owned by `owner`:
    /// anonymous timers are everyone's, owned ones their owner's alone.
    pub fn may_use(&self, owner: Option<&str>) -> bool {
        owner.is_none_or(|owner| self.owner_id() == Some(owner))
    }
}

/// Resolves session tokens through the accounts service.
#[derive(Debug, Clone)]
pub struct Callers {
    accounts: AccountsClient<Channel>,
    timeout: Duration,
}

impl Callers {
    pub fn new(accounts: AccountsClient<Channel>, timeout: Duration) -> Self {
        Self { accounts, timeout }
    }

    /// Anonymous (from `from`) for an empty token, else the token's account.
    pub async fn resolve(&self, token: &str, from: Option<IpAddr>) -> Result<Caller, TimerError> {
        if token.is_empty() {
            return Ok(Caller::Anonymous(from));
        }
        let mut request = Request::new(WhoAmIRequest {
            token: token.to_owned(),
        });
        request.set_timeout(self.timeout);
        let reply = tokio::time::timeout(self.timeout, self.accounts.clone().who_am_i(request))
            .await
            .map_err(|_| {
                TimerError::Unavailable(format!(
                    "the accounts service did not answer within {} ms",
                    self.timeout.as_millis()
                ))
            })?;
        match reply {
            Ok(reply) => reply
                .into_inner()
                .account
                .map(|account| Caller::Account(account.id))
                .ok_or_else(|| TimerError::Internal("WhoAmI answered without an account".into())),
            Err(status) if status.code() == Code::Unauthenticated => Err(
                TimerError::Unauthenticated("the session token is not valid (log in again)"),
            ),
            Err(status) => Err(TimerError::Unavailable(format!(
                "cannot check the session with the accounts service: {:?} {}",
                status.code(),
                status.message()
            ))),
        }
    }
}

/// `addr` as a quota key: IPv4 (also when mapped into IPv6) as it is, IPv6
/// as its /64.
fn address_key(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", std::net::Ipv6Addr::from(prefix))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_callers_are_counted_by_address_and_ipv6_by_its_64() {
        let key = |addr: &str| Caller::anonymous_from(addr.parse::<IpAddr>().ok()).address_key();
        assert_eq!(key("127.0.0.2").as_deref(), Some("127.0.0.2"));
        assert_eq!(key("::ffff:10.0.0.1").as_deref(), Some("10.0.0.1"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::9"));
        assert_eq!(key("2001:db8:1:2::1").as_deref(), Some("2001:db8:1:2::/64"));
        assert_eq!(key("not an address").as_deref(), Some("unknown"));
        assert_eq!(Caller::Account("a".into()).address_key(), None);
    }
}
