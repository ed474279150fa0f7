//! The scheduler: every pending timer in an ordered set by due time, one
//! sleep until the soonest, and the due ones fired together in one write.
//!
//! Every replica keeps the set (loaded at start-up, then kept by the log
//! follower from every replica's events), but only the one holding the
//! scheduling lease fires: a replica that takes the lease over has every
//! pending timer already, and fires at once those that fell due meanwhile.
//!
//! A timer fires when the service's clock reads its `fires_at` or later,
//! never before (a wake-up that comes early goes back to sleep). The sleep
//! runs on the monotonic clock but the due times are wall-clock ones, so it
//! is never longer than [`MAX_SLEEP`]: a step of the wall clock (NTP, a
//! suspend) is noticed within it. Timers that
//! fell due while no replica was scheduling are in the set with a time in
//! the past, so they fire at once, marked late.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use clocker_runtime::CancellationToken;
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

use crate::timers::Timers;

/// The most timers fired in one write.
const BATCH: usize = 1024;
/// The longest the scheduler sleeps before it reads the wall clock again.
pub const MAX_SLEEP: Duration = Duration::from_secs(1);
/// How long to wait before retrying when the store refused a firing.
const RETRY: Duration = Duration::from_millis(250);

/// A change to the set of pending timers (ids as 16 bytes, not text: a
/// million pending timers take tens of megabytes).
#[derive(Debug, Clone)]
pub enum Schedule {
    Add { fires_at_ms: i64, id: Uuid },
    Remove { fires_at_ms: i64, id: Uuid },
}

/// Pending timers by due time.
pub type Due = BTreeSet<(i64, Uuid)>;

/// Runs until `shutdown`, starting from the timers in the store, firing
/// while `scheduling` says this replica holds the lease.
pub async fn run(
    timers: Arc<Timers>,
    mut commands: mpsc::UnboundedReceiver<Schedule>,
    mut due: Due,
    mut scheduling: watch::Receiver<bool>,
    shutdown: CancellationToken,
) {
    let mut active = *scheduling.borrow_and_update();
    let pending = metrics::gauge!("clocker_timers_pending");
    loop {
        pending.set(due.len() as f64);
        let wait = due
            .first()
            .filter(|_| active)
            .map(|(at, _)| timers.time_until(*at).min(MAX_SLEEP));
        tokio::select! {
            biased;
            () = shutdown.cancelled() => return,
            changed = scheduling.changed() => {
                if changed.is_err() {
                    // The lease is only let go of on shutdown.
                    return;
                }
                active = *scheduling.borrow_and_update();
            }
            command = commands.recv() => {
                let Some(command) = command else { return };
                apply(&mut due, command);
                // A fired batch comes back as a burst of removals: take
                // them all before looking at the clock again.
                while let Ok(command) = commands.try_recv() {
                    apply(&mut due, command);
                }
            }
            () = sleep(wait) => {
                let now_ms = timers.now_ms();
                let mut batch = Vec::new();
                while batch.len() < BATCH && due.first().is_some_and(|(at, _)| *at <= now_ms) {
                    if let Some((at, id)) = due.pop_first() {
                        batch.push((at, id));
                    }
                }
                if batch.is_empty() {
                    continue;
                }
                let ids: Vec<String> = batch.iter().map(|(_, id)| id.to_string()).collect();
                if let Err(err) = timers.fire(&ids).await {
                    tracing::warn!(%err, timers = ids.len(), "cannot fire timers now; retrying");
                    due.extend(batch);
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(RETRY) => {}
                    }
                }
            }
        }
    }
}

fn apply(due: &mut Due, command: Schedule) {
    match command {
        Schedule::Add { fires_at_ms, id } => {
            due.insert((fires_at_ms, id));
        }
        Schedule::Remove { fires_at_ms, id } => {
            due.remove(&(fires_at_ms, id));
        }
    }
}

/// Sleeps for `wait`, or forever when there is nothing to wait for.
async fn sleep(wait: Option<Duration>) {
    match wait {
        Some(wait) => tokio::time::sleep(wait).await,
        None => std::future::pending().await,
    }
}
