//! Who is calling: anonymous, or the account behind a session token, asked
//! of the accounts service (WhoAmI) within a bound; and, for a watch that
//! outlives one call, when that session ends.

use std::time::Duration;

use clocker_proto::v1::WhoAmIRequest;
use clocker_proto::v1::accounts_client::AccountsClient;
use tonic::transport::Channel;
use tonic::{Code, Request};

use crate::TimerError;

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    /// An account, by id.
    Account(String),
}

impl Caller {
    /// The owner a timer set by this caller gets.
    pub fn owner_id(&self) -> Option<&str> {
        match self {
            Caller::Anonymous => None,
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

/// Resolves session tokens through the accounts service.
#[derive(Debug, Clone)]
pub struct Callers {
    accounts: AccountsClient<Channel>,
    timeout: Duration,
    recheck: Duration,
}

impl Callers {
    /// Callers asked of `accounts` within `timeout`; open watches recheck
    /// their session every `recheck`.
    pub fn new(accounts: AccountsClient<Channel>, timeout: Duration, recheck: Duration) -> Self {
        Self {
            accounts,
            timeout,
            recheck,
        }
    }

    /// Anonymous for an empty token, else the token's account.
    pub async fn resolve(&self, token: &str) -> Result<Caller, TimerError> {
        Ok(self.session(token).await?.caller)
    }

    /// Resolves once the session of `token` has ended (logged out, expired
    /// or otherwise no longer valid), checked every `recheck` and at its
    /// expiry; never for anonymous callers. While the accounts service
    /// cannot answer, the session is taken as still valid and asked again
    /// at the next check.
    pub async fn ended(&self, token: &str, session: &Session, clock: &clocker_time::Clock) {
        if session.caller == Caller::Anonymous {
            return std::future::pending().await;
        }
        let mut expires_at_ms = session.expires_at_ms;
        loop {
            let to_expiry = expires_at_ms.map_or(self.recheck, |at| {
                u64::try_from(at - clock.now().as_millisecond())
                    .map_or(Duration::ZERO, Duration::from_millis)
            });
            tokio::time::sleep(to_expiry.min(self.recheck)).await;
            match self.session(token).await {
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

    /// Anonymous for an empty token, else the token's account and expiry.
    pub async fn session(&self, token: &str) -> Result<Session, TimerError> {
        if token.is_empty() {
            return Ok(Session {
                caller: Caller::Anonymous,
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
