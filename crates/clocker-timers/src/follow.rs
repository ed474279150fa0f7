//! The log follower: reads the event log back in order, from wherever this
//! replica joined it, and hands each event on — to the watchers (published)
//! and to the scheduler (a set timer to wait for, an ended one to forget).
//!
//! Events written here wake it at once. Events other replicas write on a
//! shared PostgreSQL are found by polling every [`POLL_SHARED`]: a timer set
//! through a standby reaches the scheduling replica within that, far inside
//! the shortest duration (one second).

use std::sync::Arc;
use std::time::Duration;

use clocker_runtime::CancellationToken;
use clocker_store::EventKind;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::scheduler::Schedule;
use crate::timers::Timers;

/// How often a replica on a shared database looks for others' events.
pub const POLL_SHARED: Duration = Duration::from_millis(100);
/// Events read per query.
const PAGE: i64 = 1000;
/// How long to wait before reading again after the store failed.
const RETRY: Duration = Duration::from_millis(250);

/// Follows the log from after event `after` until `shutdown`, polling every
/// `poll` too when other replicas may write (`None`: this one alone does).
pub async fn run(
    timers: Arc<Timers>,
    mut after: i64,
    schedule: mpsc::UnboundedSender<Schedule>,
    poll: Option<Duration>,
    shutdown: CancellationToken,
) {
    loop {
        loop {
            let page = match timers.events_since(after, PAGE).await {
                Ok(page) => page,
                Err(err) => {
                    tracing::warn!(%err, "cannot read the timer events; retrying");
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(RETRY) => continue,
                    }
                }
            };
            let full = page.len() as i64 == PAGE;
            for event in page {
                after = event.seq;
                if let Ok(id) = Uuid::parse_str(&event.timer.id) {
                    let fires_at_ms = event.timer.fires_at_ms;
                    let _ = schedule.send(match event.kind {
                        EventKind::Set => Schedule::Add { fires_at_ms, id },
                        EventKind::Fired | EventKind::Cancelled => {
                            Schedule::Remove { fires_at_ms, id }
                        }
                    });
                }
                timers.publish(event);
            }
            if !full {
                break;
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = timers.written() => {}
            () = sleep(poll) => {}
        }
    }
}

/// Sleeps for `poll`, or forever without one.
async fn sleep(poll: Option<Duration>) {
    match poll {
        Some(poll) => tokio::time::sleep(poll).await,
        None => std::future::pending().await,
    }
}
