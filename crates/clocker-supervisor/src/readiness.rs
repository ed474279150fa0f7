//! Why a live child is not ready, for `clocker ps` and the Status page:
//! every second the supervisor asks each service that answers its liveness
//! probes for its readiness (`GET /health`, which every port answers, gRPC
//! ones over HTTP/1.1) and keeps the failing checks' reasons in its row.
//! Readiness never gets a child killed: only liveness does ([`crate::probe`]).

use std::net::SocketAddr;
use std::time::Duration;

use clocker_runtime::http::client::ClientError;
use clocker_runtime::{CancellationToken, READINESS_PATH};

use crate::probe::http_health;
use crate::status::{State, Statuses};

/// How often readiness is read.
pub const EVERY: Duration = Duration::from_secs(1);

/// How long one service may take to answer.
const TIMEOUT: Duration = Duration::from_millis(500);

/// Reads every live service's readiness every [`EVERY`] until `stop`.
pub async fn watch(statuses: Statuses, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = stop.cancelled() => return,
        }
        let live: Vec<_> = statuses
            .snapshot()
            .into_iter()
            .filter(|s| s.state == State::Ready)
            .map(|s| (s.name, s.addr))
            .collect();
        let asks = live
            .into_iter()
            .map(|(name, addr)| async move { (name, not_ready(addr, TIMEOUT).await) });
        let answers = tokio::select! {
            answers = futures_util::future::join_all(asks) => answers,
            () = stop.cancelled() => return,
        };
        for (name, answer) in answers {
            // No answer says nothing of readiness: liveness deals with it.
            if let Ok(reason) = answer {
                statuses.update(name, |s| {
                    if s.not_ready != reason {
                        match &reason {
                            Some(why) => {
                                tracing::warn!(service = %name, reason = %why, "not ready")
                            }
                            None => tracing::info!(service = %name, "ready"),
                        }
                        s.not_ready = reason;
                    }
                });
            }
        }
    }
}

/// `GET /health` at `addr` within `deadline`: `None` when it answers 200,
/// else why not (the failing checks its body names, or its status).
pub async fn not_ready(
    addr: SocketAddr,
    deadline: Duration,
) -> Result<Option<String>, ClientError> {
    let answer = http_health(addr, READINESS_PATH, deadline).await?;
    Ok(answer.map(|not_healthy| not_healthy.reason()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clocker_fleet::ServiceName;
    use std::collections::BTreeMap;

    #[tokio::test]
    async fn a_live_service_whose_database_is_away_shows_not_ready_with_the_reason() {
        let (addr, shutdown) = crate::probe::tests::not_ready_service().await;
        assert_eq!(
            not_ready(addr, TIMEOUT).await.expect("answers").as_deref(),
            Some("database: unreachable: connection refused")
        );

        let statuses = Statuses::new(
            &[ServiceName::Timers],
            &BTreeMap::from([(ServiceName::Timers, addr)]),
        );
        statuses.update(ServiceName::Timers, |s| s.state = State::Ready);
        let watching = tokio::spawn(watch(statuses.clone(), shutdown.clone()));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while statuses.rows()[0].state != "not ready" {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{:?}",
                statuses.rows()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            statuses.rows()[0].not_ready.as_deref(),
            Some("database: unreachable: connection refused")
        );
        shutdown.cancel();
        watching.await.expect("the watch ends with the shutdown");
    }
}
