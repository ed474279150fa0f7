//! What one client may hold (issue 14, finding 8): pending timers per
//! account and per anonymous address (how many timers one anonymous watch
//! may name is `clocker_wire::MAX_WATCH_IDS`), how much one watch replays,
//! and how long ended timers and their events are kept — with the periodic
//! task that deletes them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use clocker_runtime::CancellationToken;

use crate::timers::Timers;

/// Pending timers one account may have.
pub const DEFAULT_PENDING_PER_ACCOUNT: u32 = 1000;
/// Pending anonymous timers one client address (an IPv6 /64) may have.
pub const DEFAULT_PENDING_PER_ADDRESS: u32 = 100;
/// How long ended timers and their events are kept.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// The most stored events one WatchTimers replays; a watcher with more to
/// catch up on is told to reconnect from where it got to.
pub const MAX_REPLAY: usize = 5000;
/// How often retention runs.
const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// Timers deleted per transaction.
const PRUNE_BATCH: i64 = 500;
/// Batches per run (the rest waits for the next run, so one run is short).
const PRUNE_BATCHES: usize = 200;

/// The limits the timer service keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerLimits {
    pub pending_per_account: u32,
    pub pending_per_address: u32,
    /// Ended timers (and their events) older than this are deleted.
    pub retention: Duration,
    /// Peers whose `x-forwarded-for` names the client (the REST gateway).
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for TimerLimits {
    fn default() -> Self {
        Self {
            pending_per_account: DEFAULT_PENDING_PER_ACCOUNT,
            pending_per_address: DEFAULT_PENDING_PER_ADDRESS,
            retention: DEFAULT_RETENTION,
            trusted_proxies: vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ],
        }
    }
}

/// Deletes ended timers past retention, and idempotency keys older than
/// [`crate::IDEMPOTENCY_KEY_RETENTION`], now and every [`PRUNE_EVERY`]
/// until `shutdown`. Every replica may run it: deleting is idempotent.
pub(crate) async fn prune_periodically(timers: Arc<Timers>, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(PRUNE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        let mut deleted = 0;
        for _ in 0..PRUNE_BATCHES {
            if shutdown.is_cancelled() {
                return;
            }
            match timers.prune(PRUNE_BATCH).await {
                Ok(pruned) => {
                    deleted += pruned.timers;
                    if pruned.timers < PRUNE_BATCH as usize {
                        break;
                    }
                }
                Err(err) => {
                    tracing::warn!(%err, "deleting old timers failed; retrying at the next run");
                    break;
                }
            }
            // Let requests in between batches (one thread serves them all).
            tokio::task::yield_now().await;
        }
        if deleted > 0 {
            metrics::counter!("clocker_timers_pruned_total").increment(deleted as u64);
            tracing::info!(
                deleted,
                "deleted timers that ended before the retention period"
            );
        }
        for _ in 0..PRUNE_BATCHES {
            if shutdown.is_cancelled() {
                return;
            }
            match timers.prune_idempotency_keys(PRUNE_BATCH).await {
                Ok(deleted) if deleted == PRUNE_BATCH as u64 => tokio::task::yield_now().await,
                Ok(_) => break,
                Err(err) => {
                    tracing::warn!(%err, "deleting old idempotency keys failed; retrying at the next run");
                    break;
                }
            }
        }
    }
}
