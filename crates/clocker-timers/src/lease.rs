//! Which replica schedules. Any number of timer replicas may share one
//! PostgreSQL; all of them answer requests, and the one holding the
//! scheduling lease (an advisory lock, see `clocker_store::Lease`) also
//! fires the timers. The others try to take it every [`RETRY`], so when the
//! holder dies (and PostgreSQL ends its session) one of them schedules
//! within a fraction of a second. On SQLite the lease is always held.
//!
//! A timer still fires once if two replicas ever both think they schedule
//! (a holder that lost its connection but has not noticed yet): ending a
//! timer is a conditional update out of `pending`.

use std::time::Duration;

use clocker_runtime::CancellationToken;
use clocker_store::{LEASE_CHECK_EVERY, Store};
use tokio::sync::watch;

/// The lease's key: "clocker" in ASCII, with 1 for the timers' scheduling.
pub const SCHEDULING_LEASE: i64 = 0x636c_6f63_6b65_7201;
/// How often a standby tries to take the lease.
pub const RETRY: Duration = Duration::from_millis(250);

/// Holds the lease whenever it can until `shutdown`, saying on `scheduling`
/// whether this replica holds it.
pub async fn hold(store: Store, scheduling: watch::Sender<bool>, shutdown: CancellationToken) {
    let mut lease = store.lease(SCHEDULING_LEASE);
    let mut said_standby = false;
    let mut said_error = false;
    report_holding(&scheduling, false);
    loop {
        match lease.try_take().await {
            Ok(true) => {
                tracing::info!("this replica schedules the timers (it holds the lease)");
                report_holding(&scheduling, true);
                (said_standby, said_error) = (false, false);
                loop {
                    tokio::select! {
                        () = shutdown.cancelled() => {
                            report_holding(&scheduling, false);
                            lease.release().await;
                            return;
                        }
                        () = tokio::time::sleep(LEASE_CHECK_EVERY) => {}
                    }
                    if let Err(err) = lease.check().await {
                        tracing::warn!(%err, "lost the scheduling lease; standing by");
                        report_holding(&scheduling, false);
                        break;
                    }
                }
            }
            Ok(false) => {
                if !said_standby {
                    tracing::info!("standing by: another replica schedules the timers");
                    said_standby = true;
                }
            }
            Err(err) => {
                if !said_error {
                    tracing::warn!(%err, "cannot ask for the scheduling lease; trying again");
                    said_error = true;
                }
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => {
                lease.release().await;
                return;
            }
            () = tokio::time::sleep(RETRY) => {}
        }
    }
}

/// Says on `scheduling` (and in the `clocker_timers_scheduling` gauge) whether
/// this replica holds the lease.
fn report_holding(scheduling: &watch::Sender<bool>, holds: bool) {
    metrics::gauge!("clocker_timers_scheduling").set(if holds { 1.0 } else { 0.0 });
    scheduling.send_replace(holds);
}
