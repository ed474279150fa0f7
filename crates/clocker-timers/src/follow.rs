//! The log follower: passes every event in number order, from wherever
//! this replica joined the log, to the scheduler (a set timer to wait for,
//! an ended one to forget) and to the watchers (published).
//!
//! Events this replica writes are queued for it directly
//! ([`Timers::take_queued_after`]), so it does not read them back. Where
//! the numbers queued skip some (another replica wrote those, or a writer
//! here has not queued its events yet) it reads the store from where it
//! is, and it reads the store every `poll` as well: on a shared PostgreSQL
//! every [`POLL_SHARED`], for the other replicas' events (a timer set
//! through a standby reaches the scheduling replica within that, far inside
//! the shortest duration, one second); alone, every [`POLL_ALONE`], for an
//! event whose writer was cancelled between its commit and queueing it (a
//! caller gone mid-call).

use std::sync::Arc;
use std::time::Duration;

use clocker_runtime::CancellationToken;
use clocker_store::{EventKind, EventRecord};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::TimerError;
use crate::scheduler::Schedule;
use crate::timers::Timers;

/// How often a replica on a shared database looks for others' events.
pub const POLL_SHARED: Duration = Duration::from_millis(100);
/// How often a replica alone on its database looks for events that were
/// not queued for it.
pub const POLL_ALONE: Duration = Duration::from_secs(1);
/// Events read per query.
const PAGE: i64 = 1000;
/// How long to wait before reading again after the store failed.
const RETRY: Duration = Duration::from_millis(250);

/// Follows the log from after event `after` until `shutdown`, reading the
/// store every `poll` too.
pub async fn run(
    timers: Arc<Timers>,
    mut after: i64,
    schedule: mpsc::UnboundedSender<Schedule>,
    poll: Duration,
    shutdown: CancellationToken,
) {
    let mut read_store = false;
    loop {
        let taken = timers.take_queued_after(after);
        for event in taken.in_order {
            after = event.seq;
            schedule_and_publish(&timers, &schedule, event);
        }
        let gap = taken.gap;
        if gap || read_store {
            let before = after;
            match read_store_after(&timers, &mut after, &schedule).await {
                Ok(()) => read_store = false,
                Err(err) => {
                    tracing::warn!(%err, "cannot read the timer events; retrying");
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(RETRY) => continue,
                    }
                }
            }
            if gap && after > before {
                // What was queued meanwhile follows on from here.
                continue;
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = timers.wait_until_written() => {}
            () = tokio::time::sleep(poll) => read_store = true,
        }
    }
}

/// Schedules and publishes every stored event after `after`, moving it on.
async fn read_store_after(
    timers: &Timers,
    after: &mut i64,
    schedule: &mpsc::UnboundedSender<Schedule>,
) -> Result<(), TimerError> {
    loop {
        let page = timers.events_since(*after, PAGE).await?;
        let full = page.len() as i64 == PAGE;
        for event in page {
            *after = event.seq;
            schedule_and_publish(timers, schedule, event);
        }
        if !full {
            return Ok(());
        }
    }
}

/// Tells the scheduler what `event` changes, then publishes it to the
/// watchers.
fn schedule_and_publish(
    timers: &Timers,
    schedule: &mpsc::UnboundedSender<Schedule>,
    event: EventRecord,
) {
    if let Ok(id) = Uuid::parse_str(&event.timer.id) {
        let fires_at_ms = event.timer.fires_at_ms;
        let _ = schedule.send(match event.kind {
            EventKind::Set => Schedule::Add { fires_at_ms, id },
            EventKind::Fired | EventKind::Cancelled => Schedule::Remove { fires_at_ms, id },
        });
    }
    timers.publish(event);
}
