//! Who is calling: anonymous, or the account behind a session token, asked
//! of the accounts service (WhoAmI) within a bound by the
//! [`SessionResolver`]; and, for a watch that outlives one call, when that
//! session ends.

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

/// A caller and how long its session lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub caller: Caller,
    /// When the session expires (unix ms); `None` for anonymous callers.
    pub expires_at_ms: Option<i64>,
}

/// How often an open watch asks whether its session is still valid, by
/// default: a logout ends the watches of its session within this.
pub const DEFAULT_SESSION_RECHECK: Duration = Duration::from_secs(5);

/// Resolves session tokens to callers through the accounts service.
#[derive(Debug, Clone)]
pub struct SessionResolver {
    accounts: AccountsClient<Channel>,
    timeout: Duration,
    recheck: Duration,
}

impl SessionResolver {
    /// Asks `accounts` within `timeout`; open watches recheck their session
    /// every `recheck`.
    pub fn new(accounts: AccountsClient<Channel>, timeout: Duration, recheck: Duration) -> Self {
        Self {
            accounts,
            timeout,
            recheck,
        }
    }

    /// Anonymous (from `from`) for an empty token, else the token's account.
    pub async fn caller(&self, token: &str, from: Option<IpAddr>) -> Result<Caller, TimerError> {
        Ok(self.session(token, from).await?.caller)
    }

    /// Resolves once the session of `token` has ended (logged out, expired
    /// or otherwise no longer valid), checked every `recheck` and at its
    /// expiry; never for anonymous callers. While the accounts service
    /// cannot answer, the session is taken as still valid and asked again
    /// at the next check.
    pub async fn wait_until_ended(
        &self,
        token: &str,
        session: &Session,
        clock: &crate::TimerClock,
    ) {
        if matches!(session.caller, Caller::Anonymous(_)) {
            return std::future::pending().await;
        }
        let mut expires_at_ms = session.expires_at_ms;
        loop {
            let to_expiry = expires_at_ms.map_or(self.recheck, |at| {
                u64::try_from(at - clock.now_ms()).map_or(Duration::ZERO, Duration::from_millis)
            });
            tokio::time::sleep(to_expiry.min(self.recheck)).await;
            match self.session(token, None).await {
                Ok(current) if current.caller == session.caller => {
                    expires_at_ms = current.expires_at_ms;
                }
                Ok(_) | Err(TimerError::Unauthenticated(_)) => return,
                Err(err) => {
                    tracing::debug!(%err, "a watch's session could not be checked; asking again later");
                }
            }
        }
    }

    /// Anonymous (from `from`) for an empty token, else the token's
    /// account and expiry.
    pub async fn session(&self, token: &str, from: Option<IpAddr>) -> Result<Session, TimerError> {
        if token.is_empty() {
            return Ok(Session {
                caller: Caller::Anonymous(from),
                expires_at_ms: None,
            });
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
            Ok(reply) => {
                let reply = reply.into_inner();
                let account = reply.account.ok_or_else(|| {
                    TimerError::Internal("WhoAmI answered without an account".into())
                })?;
                Ok(Session {
                    caller: Caller::Account(account.id),
                    expires_at_ms: reply.expires_at.map(|at| {
                        at.seconds.saturating_mul(1000) + i64::from(at.nanos / 1_000_000)
                    }),
                })
            }
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
    match clocker_runtime::client_network(addr) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(prefix) => format!("{prefix}/64"),
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
