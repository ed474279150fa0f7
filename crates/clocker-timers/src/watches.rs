//! How one WatchTimers runs: the stored events a reconnecting client missed
//! (after its `after_seq`), then live ones, each once and in order, and only
//! those its caller may see. A watch is a task of the service's tracker; it
//! ends when its client leaves, its session ends (logout, expiry) or the
//! service shuts down.

use std::collections::HashSet;
use std::sync::Arc;

use clocker_proto::v1::{TimerEvent, timer_event};
use clocker_runtime::{CancellationToken, TaskTracker};
use clocker_store::EventRecord;
use clocker_wire::MAX_WATCH_IDS;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use crate::limits::MAX_REPLAY;
use crate::service::event_message;
use crate::sessions::{Caller, Session};
use crate::timers::Timers;

/// Stored events replayed per query when a watcher catches up.
const REPLAY_PAGE: i64 = 500;
/// Events queued for one watcher before it counts as stuck.
const WATCH_QUEUE: usize = 256;

/// Where open watches run: tasks of the service's tracker, ended at its
/// shutdown.
#[derive(Debug, Clone)]
pub struct Watches {
    tasks: TaskTracker,
    shutdown: CancellationToken,
}

impl Watches {
    pub fn new(tasks: TaskTracker, shutdown: CancellationToken) -> Self {
        Self { tasks, shutdown }
    }

    /// Starts a watch for the caller of `session` (whose `token` is
    /// rechecked while it lasts): of the anonymous timers `ids`, or of an
    /// account's own; replaying the stored events after `after_seq` first
    /// when given. The events come on the stream returned.
    pub(crate) async fn open(
        &self,
        timers: Arc<Timers>,
        token: String,
        session: Session,
        ids: &[String],
        after_seq: Option<i64>,
    ) -> Result<ReceiverStream<Result<TimerEvent, Status>>, Status> {
        let ids = watched_ids(&session.caller, ids)?;
        // Subscribe before replaying, so nothing falls between the two.
        let live = timers.subscribe();
        let (sender, receiver) = mpsc::channel(WATCH_QUEUE);
        let after_seq = after_seq.map(|seq| seq.max(0));
        // Without after_seq, what was committed before this call answers is
        // past (events are published a moment after they commit).
        let since = match after_seq {
            Some(seq) => seq,
            None => timers.last_seq().await?,
        };
        let watcher = Watcher {
            caller: session.caller.clone(),
            ids,
        };
        let shutdown = self.shutdown.clone();
        self.tasks.spawn(async move {
            let _open = OpenWatch::counted();
            let ended = tokio::select! {
                watched = replay_then_follow(timers.clone(), watcher, since, after_seq.is_some(), live, &sender) => watched,
                // The client left: nobody to tell.
                () = sender.closed() => Ok(()),
                // A watch ends with its session: at logout or expiry.
                () = timers.wait_until_session_ends(&token, &session) => Err(Status::unauthenticated(
                    "the session ended (logged out or expired); log in again",
                )),
                () = shutdown.cancelled() => Err(Status::unavailable(
                    "the timer service is shutting down; watch again (with after_seq) to resume",
                )),
            };
            if let Err(status) = ended {
                // Never waits: a client whose queue is full is not reading.
                let _ = sender.try_send(Err(status));
            }
        });
        Ok(ReceiverStream::new(receiver))
    }
}

/// An open watch, counted in `clocker_timers_watchers` while it lives.
struct OpenWatch;

impl OpenWatch {
    fn counted() -> Self {
        metrics::gauge!("clocker_timers_watchers").increment(1.0);
        OpenWatch
    }
}

impl Drop for OpenWatch {
    fn drop(&mut self) {
        metrics::gauge!("clocker_timers_watchers").decrement(1.0);
    }
}

/// Who watches: an account (its own timers), or an anonymous client
/// following the timers it names.
struct Watcher {
    caller: Caller,
    ids: HashSet<String>,
}

impl Watcher {
    /// Whether this watcher may see `event`.
    fn sees(&self, event: &EventRecord) -> bool {
        match &self.caller {
            Caller::Account(owner) => event.timer.owner_id.as_deref() == Some(owner),
            Caller::Anonymous(_) => {
                event.timer.owner_id.is_none() && self.ids.contains(&event.timer.id)
            }
        }
    }
}

/// The ids an anonymous watch follows: at least one, at most
/// [`MAX_WATCH_IDS`]; ignored for an account.
fn watched_ids(caller: &Caller, ids: &[String]) -> Result<HashSet<String>, Status> {
    if matches!(caller, Caller::Account(_)) {
        return Ok(HashSet::new());
    }
    if ids.is_empty() {
        return Err(Status::invalid_argument(
            "without a session token, name the timers to watch (ids): anonymous timers are \
             reached only by their ids",
        ));
    }
    if ids.len() > MAX_WATCH_IDS {
        return Err(Status::invalid_argument(format!(
            "{} ids named; one watch follows at most {MAX_WATCH_IDS}",
            ids.len()
        )));
    }
    Ok(ids.iter().cloned().collect())
}

/// Replays the stored events after `since` when `replay`, then forwards
/// live ones after it, each once and in order, until the watcher goes away.
async fn replay_then_follow(
    timers: Arc<Timers>,
    watcher: Watcher,
    since: i64,
    replay: bool,
    mut live: broadcast::Receiver<Arc<EventRecord>>,
    sender: &mpsc::Sender<Result<TimerEvent, Status>>,
) -> Result<(), Status> {
    let mut last = since;
    if replay {
        let dropped = timers.dropped_seq().await?;
        if since < dropped && sender.send(Ok(dropped_message(dropped))).await.is_err() {
            return Ok(());
        }
        let ids: Vec<String> = watcher.ids.iter().cloned().collect();
        let mut replayed = 0;
        loop {
            if replayed >= MAX_REPLAY {
                return Err(Status::aborted(format!(
                    "replayed {MAX_REPLAY} events, the most one call replays; reconnect with \
                     after_seq = {last} for the rest"
                )));
            }
            let page = timers
                .caller_events_since(&watcher.caller, &ids, last, REPLAY_PAGE)
                .await?;
            let done = (page.len() as i64) < REPLAY_PAGE;
            for event in page {
                last = event.seq;
                replayed += 1;
                if !send_if_seen(&event, &watcher, sender).await {
                    return Ok(());
                }
            }
            if done {
                break;
            }
        }
    }
    loop {
        let event = match live.recv().await {
            Ok(event) => event,
            Err(broadcast::error::RecvError::Lagged(_)) => {
                return Err(Status::aborted(format!(
                    "this watcher fell behind; reconnect with after_seq = {last}"
                )));
            }
            Err(broadcast::error::RecvError::Closed) => return Ok(()),
        };
        if event.seq <= last {
            continue;
        }
        last = event.seq;
        if !send_if_seen(&event, &watcher, sender).await {
            return Ok(());
        }
    }
}

/// Sends `event` if `watcher` may see it; `false` once the watcher is gone.
async fn send_if_seen(
    event: &EventRecord,
    watcher: &Watcher,
    sender: &mpsc::Sender<Result<TimerEvent, Status>>,
) -> bool {
    if !watcher.sees(event) {
        return true;
    }
    sender.send(Ok(event_message(event))).await.is_ok()
}

/// The event saying that retention deleted stored events up to `seq`.
fn dropped_message(seq: i64) -> TimerEvent {
    TimerEvent {
        seq,
        kind: timer_event::Kind::Dropped.into(),
        timer: None,
    }
}
