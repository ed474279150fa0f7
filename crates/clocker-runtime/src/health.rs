//! Readiness and liveness: what a service's health says, and why.
//!
//! - **Liveness** is "the service's thread answers": gRPC health for
//!   [`LIVENESS_SERVICE`] (`clocker.liveness`) and `GET /livez`
//!   ([`LIVENESS_PATH`]) on every port, SERVING / 200 whenever they are
//!   answered at all. The supervisor and Kubernetes' livenessProbe use it: a
//!   service that is alive but cannot work is not restarted for it.
//! - **Readiness** is "it can do its work now": gRPC health for `""` and
//!   each of the service's own names, and `GET /health`. A service declares
//!   [`ReadinessChecks`] (its database answers, the services it requires are
//!   reachable); [`start_readiness`] runs them every
//!   [`ReadinessConfig::every`], each within [`ReadinessConfig::timeout`],
//!   on the service's own thread as async tasks (a check never blocks it),
//!   and publishes the outcome: NOT_SERVING with the reason in the
//!   `clocker-not-ready` response metadata ([`NOT_READY_METADATA`]), and
//!   `/health` 503 with `{"status":"not ready","failing":[{"check","reason"}]}`,
//!   until the checks pass again, by themselves.
//!
//! Layout: `checks` (what a service must pass, [`ReadinessChecks`], and how
//! a round runs them), `reachable` (the check that a required service
//! answers), `answer` (how `/livez`, `/health` and gRPC health answer); here,
//! the loop that keeps [`Readiness`] up to date ([`start_readiness`]).

use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

mod answer;
mod checks;
mod reachable;

pub use answer::{get_liveness, get_readiness, not_ready_metadata};
pub use checks::{NotReady, ReadinessChecks};

/// The gRPC health service name that answers liveness: SERVING whenever the
/// service's thread answers, whatever its checks say.
pub const LIVENESS_SERVICE: &str = "clocker.liveness";

/// The HTTP path that answers liveness on every port (gRPC ports answer it
/// over HTTP/1.1, as they do `/metrics`).
pub const LIVENESS_PATH: &str = "/livez";

/// The HTTP path that answers readiness on every port.
pub const READINESS_PATH: &str = "/health";

/// The response metadata of a gRPC health check that carries why the
/// service is not ready (absent when it is).
pub const NOT_READY_METADATA: &str = "clocker-not-ready";

/// How often readiness is checked, and how long one check may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadinessConfig {
    /// Time between two rounds of checks.
    pub every: Duration,
    /// How long one check may take before it counts as failed.
    pub timeout: Duration,
}

impl Default for ReadinessConfig {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
        }
    }
}

/// A check that failed in the last round, as the answers show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failing {
    pub check: String,
    pub reason: String,
}

/// What the last round of checks found (nothing failing: ready), kept up to
/// date by [`start_readiness`].
#[derive(Debug, Clone)]
pub struct Readiness {
    found: watch::Receiver<Round>,
    /// How long the first round may take (its checks' deadline).
    first_round: Duration,
}

/// What one round found.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Round {
    /// Whether a round has ended yet (until then every check is failing,
    /// "not checked yet").
    checked: bool,
    failing: Vec<Failing>,
}

impl Readiness {
    /// Ready for good: a service without checks.
    pub fn always() -> Self {
        let (_tx, found) = watch::channel(Round {
            checked: true,
            failing: Vec::new(),
        });
        Self {
            found,
            first_round: Duration::ZERO,
        }
    }

    /// The checks that failed in the last round (empty: ready).
    pub fn failing(&self) -> Vec<Failing> {
        self.found.borrow().failing.clone()
    }

    pub fn is_ready(&self) -> bool {
        self.found.borrow().failing.is_empty()
    }

    /// Why the service is not ready, on one line (`database: unreachable: …;
    /// timers: not answering: …`), or `None` when it is.
    pub fn reason(&self) -> Option<String> {
        let round = self.found.borrow();
        (!round.failing.is_empty()).then(|| {
            round
                .failing
                .iter()
                .map(|f| format!("{}: {}", f.check, f.reason))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// Waits until what the checks found changes; `false` once it never
    /// will again (the checks stopped).
    pub async fn changed(&mut self) -> bool {
        self.found.changed().await.is_ok()
    }

    /// Waits until the first round of checks has ended (at most its
    /// deadline and a little), so a service asked at once answers what it
    /// found, not "not checked yet".
    pub async fn settled(&self) {
        let mut found = self.found.clone();
        let first = found.wait_for(|round| round.checked);
        let _ = tokio::time::timeout(self.first_round + Duration::from_millis(100), first).await;
    }

    /// The `/health` answer: 200 with `fields` and `"status":"ok"` when
    /// ready, else 503 with `fields`, `"status":"not ready"` and `failing`
    /// (after the first round of checks: see [`Readiness::settled`]).
    pub async fn answer(&self, fields: serde_json::Map<String, serde_json::Value>) -> Response {
        self.settled().await;
        let mut body = fields;
        let failing = self.failing();
        if failing.is_empty() {
            body.insert("status".into(), "ok".into());
            return (StatusCode::OK, Json(serde_json::Value::Object(body))).into_response();
        }
        body.insert("status".into(), "not ready".into());
        body.insert(
            "failing".into(),
            failing
                .iter()
                .map(|f| serde_json::json!({"check": f.check, "reason": f.reason}))
                .collect(),
        );
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::Value::Object(body)),
        )
            .into_response()
    }
}

/// Runs `checks` for `service` now and then every `settings.every` until
/// `shutdown`, on a task of `tasks`, and returns what they find as it
/// changes. Until the first round ends each check counts as failing
/// ("not checked yet"); without checks the service is ready at once.
pub fn start_readiness(
    service: &'static str,
    checks: ReadinessChecks,
    settings: ReadinessConfig,
    tasks: &TaskTracker,
    shutdown: CancellationToken,
) -> Readiness {
    if checks.is_empty() {
        return Readiness::always();
    }
    let initial = Round {
        checked: false,
        failing: checks
            .names()
            .map(|name| Failing {
                check: name.clone(),
                reason: "not checked yet".into(),
            })
            .collect(),
    };
    let (tx, found) = watch::channel(initial);
    tasks.spawn(async move {
        let mut ticks = tokio::time::interval(settings.every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = ticks.tick() => {}
            }
            let failing = tokio::select! {
                () = shutdown.cancelled() => return,
                failing = checks.run_round(settings.timeout) => failing,
            };
            let round = Round {
                checked: true,
                failing,
            };
            let before = tx.borrow().clone();
            if round != before {
                log_change(service, &round.failing, !before.checked);
                tx.send_replace(round);
            }
        }
    });
    Readiness {
        found,
        first_round: settings.timeout,
    }
}

fn log_change(service: &'static str, found: &[Failing], first: bool) {
    if found.is_empty() {
        if !first {
            tracing::info!(%service, "ready again: every readiness check passes");
        }
        return;
    }
    for failing in found {
        tracing::warn!(%service, check = failing.check, reason = failing.reason, "not ready");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[derive(Debug, thiserror::Error)]
    #[error("connection refused")]
    struct Refused;

    #[test]
    fn a_reason_names_every_cause_once() {
        let failed = NotReady::because("unreachable", Refused);
        assert_eq!(failed.reason(), "unreachable: connection refused");
        assert_eq!(NotReady::new("closed").reason(), "closed");
    }

    #[tokio::test(start_paused = true)]
    async fn readiness_follows_its_checks_and_recovers_by_itself() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let up = Arc::new(AtomicBool::new(true));
        let flag = up.clone();
        let checks = ReadinessChecks::new()
            .check("database", move || {
                let up = flag.load(Ordering::SeqCst);
                async move {
                    if up {
                        Ok(())
                    } else {
                        Err(NotReady::because("unreachable", Refused))
                    }
                }
            })
            .check("slow", || async { Ok(()) });
        let tasks = TaskTracker::new();
        let shutdown = CancellationToken::new();
        let mut readiness = start_readiness(
            "timers",
            checks,
            ReadinessConfig::default(),
            &tasks,
            shutdown.clone(),
        );
        assert!(!readiness.is_ready(), "not ready before the first round");
        // An answer asked for before the first round waits for it.
        let first = readiness.answer(serde_json::Map::new()).await;
        assert_eq!(first.status(), StatusCode::OK);
        assert!(readiness.is_ready(), "{:?}", readiness.failing());
        readiness.found.mark_unchanged();

        up.store(false, Ordering::SeqCst);
        assert!(readiness.changed().await);
        assert_eq!(
            readiness.reason().as_deref(),
            Some("database: unreachable: connection refused")
        );
        let response = readiness.answer(serde_json::Map::new()).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);

        up.store(true, Ordering::SeqCst);
        assert!(readiness.changed().await);
        assert!(readiness.is_ready());
        assert_eq!(
            readiness.answer(serde_json::Map::new()).await.status(),
            StatusCode::OK
        );

        shutdown.cancel();
        tasks.close();
        tasks.wait().await;
        assert!(
            !readiness.changed().await,
            "the checks stopped with the service"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_check_that_hangs_fails_at_its_deadline() {
        let checks = ReadinessChecks::new().check("hangs", std::future::pending);
        let tasks = TaskTracker::new();
        let shutdown = CancellationToken::new();
        let mut readiness = start_readiness(
            "accounts",
            checks,
            ReadinessConfig::default(),
            &tasks,
            shutdown.clone(),
        );
        // The first round publishes even though it still fails.
        assert!(readiness.changed().await);
        assert_eq!(
            readiness.failing(),
            [Failing {
                check: "hangs".into(),
                reason: "no answer within 1000 ms".into()
            }]
        );
        shutdown.cancel();
    }

    #[tokio::test]
    async fn a_service_without_checks_is_ready_at_once() {
        let readiness = start_readiness(
            "hours",
            ReadinessChecks::new(),
            ReadinessConfig::default(),
            &TaskTracker::new(),
            CancellationToken::new(),
        );
        assert!(readiness.is_ready());
        assert_eq!(readiness.reason(), None);
    }
}
