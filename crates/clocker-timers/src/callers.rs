//! Who is calling: anonymous, or the account behind a session token, asked
//! of the accounts service (WhoAmI) within a bound.

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

    /// Anonymous for an empty token, else the token's account.
    pub async fn resolve(&self, token: &str) -> Result<Caller, TimerError> {
        if token.is_empty() {
            return Ok(Caller::Anonymous);
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
