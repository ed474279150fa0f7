//! What a service must pass to be ready: its declared checks
//! ([`ReadinessChecks`]), how one round runs them, and why one failed
//! ([`NotReady`]).

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tonic_health::pb::health_client::HealthClient;

use super::reachable::answers;
use super::{Failing, ReadinessConfig};
use crate::Locator;

/// Why a check failed: what is wrong, and the error behind it.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
pub struct NotReady {
    what: String,
    #[source]
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl NotReady {
    /// A failure with nothing behind it.
    pub fn new(what: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            source: None,
        }
    }

    /// A failure caused by `source` (`unreachable`, then the error).
    pub fn because(what: impl Into<String>, source: impl StdError + Send + Sync + 'static) -> Self {
        Self {
            what: what.into(),
            source: Some(Box::new(source)),
        }
    }

    /// The failure and every cause under it, on one line
    /// (`unreachable: pool timed out while waiting for an open connection`).
    pub fn reason(&self) -> String {
        let mut reason = self.what.clone();
        let mut cause = self.source();
        while let Some(err) = cause {
            let text = err.to_string();
            if !text.is_empty() && !reason.contains(&text) {
                reason.push_str(": ");
                reason.push_str(&text);
            }
            cause = err.source();
        }
        reason
    }
}

type CheckFuture = Pin<Box<dyn Future<Output = Result<(), NotReady>> + Send>>;
type Check = Arc<dyn Fn() -> CheckFuture + Send + Sync>;

/// The checks a service must pass to be ready, each with a name the answer
/// shows (`database`, `timers`).
#[derive(Clone, Default)]
pub struct ReadinessChecks {
    checks: Vec<(String, Check)>,
}

impl fmt::Debug for ReadinessChecks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.checks.iter().map(|(name, _)| name))
            .finish()
    }
}

impl ReadinessChecks {
    /// No checks: ready whenever serving.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the check `name` that `probe(within)` answers, such as a
    /// database's `SELECT 1`: `within` is a fifth less than the check's
    /// deadline, so a slow answer fails with the probe's own reason, and an
    /// error it returns is the check's cause (`unreachable: …`).
    pub fn answering<F, Fut, E>(
        self,
        name: impl Into<String>,
        settings: &ReadinessConfig,
        probe: F,
    ) -> Self
    where
        F: Fn(Duration) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: StdError + Send + Sync + 'static,
    {
        let within = settings.timeout * 4 / 5;
        self.check(name, move || {
            let answer = probe(within);
            async move {
                answer
                    .await
                    .map_err(|err| NotReady::because("unreachable", err))
            }
        })
    }

    /// Adds the check `name`: `check()` is called once per round and must
    /// not block (it runs on the service's thread), only await.
    pub fn check<F, Fut>(mut self, name: impl Into<String>, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), NotReady>> + Send + 'static,
    {
        self.checks.push((
            name.into(),
            Arc::new(move || Box::pin(check()) as CheckFuture),
        ));
        self
    }

    /// Adds one check per service in `services` (each must be one `locator`
    /// requires), named by the short name the service goes by (`timers`,
    /// [`clocker_proto::service_name`]): it is reachable when it answers a gRPC
    /// health check for [`LIVENESS_SERVICE`](super::LIVENESS_SERVICE), on one connection per service
    /// kept between rounds. Reachable is enough: a service that answers but
    /// is not ready itself says so in its own health.
    pub fn reachable(mut self, locator: &Locator, services: &[&'static str]) -> Self {
        for &service in services {
            let check: Check = match locator.channel(service) {
                Ok(channel) => {
                    let client = HealthClient::new(channel);
                    Arc::new(move || {
                        let mut client = client.clone();
                        Box::pin(async move { answers(&mut client).await }) as CheckFuture
                    })
                }
                Err(err) => {
                    let reason = err.to_string();
                    Arc::new(move || {
                        let reason = reason.clone();
                        Box::pin(async move { Err(NotReady::new(reason)) }) as CheckFuture
                    })
                }
            };
            let name = clocker_proto::service_name(service).unwrap_or(service);
            self.checks.push((name.to_owned(), check));
        }
        self
    }

    /// Adds a check per service `locator` requires ([`Self::reachable`]).
    pub fn requirements(self, locator: &Locator) -> Self {
        let services = locator.requires().to_vec();
        self.reachable(locator, &services)
    }

    /// Whether no check was declared.
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// The name of every check, in the order they were declared.
    pub(super) fn names(&self) -> impl Iterator<Item = &String> {
        self.checks.iter().map(|(name, _)| name)
    }

    /// Every check at once, each within `timeout`: the failing ones.
    pub(super) async fn run_round(&self, timeout: Duration) -> Vec<Failing> {
        let rounds = self.checks.iter().map(|(name, check)| {
            let check = check();
            async move {
                let outcome = match tokio::time::timeout(timeout, check).await {
                    Ok(Ok(())) => return None,
                    Ok(Err(not_ready)) => not_ready.reason(),
                    Err(_) => format!("no answer within {} ms", timeout.as_millis()),
                };
                Some(Failing {
                    check: name.clone(),
                    reason: outcome,
                })
            }
        });
        futures_util::future::join_all(rounds)
            .await
            .into_iter()
            .flatten()
            .collect()
    }
}
