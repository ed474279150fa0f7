//! The gRPC front door, `clocker.v1.Timers`: conversion only.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;

use clocker_proto::v1::{
    self, ListTimersReply, ListTimersRequest, SetTimerRequest, Timer, TimerEvent, TimerRequest,
    WatchTimersRequest, timer_event,
};
use clocker_runtime::{CancellationToken, PeerAddr, TaskTracker, client_ip, session_token};
use clocker_store::{EventKind, EventRecord, TimerRecord, TimerState};
use clocker_wire::{MAX_WATCH_IDS, TimerDuration};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::TimerError;
use crate::callers::Caller;
use crate::limits::MAX_REPLAY;
use crate::timers::{Timers, late_ms};

/// Stored events replayed per query when a watcher catches up.
const REPLAY_PAGE: i64 = 500;
/// Events queued for one watcher before it counts as stuck.
const WATCH_QUEUE: usize = 256;

/// `clocker.v1.Timers`.
#[derive(Debug, Clone)]
pub struct TimersService {
    timers: Arc<Timers>,
    watches: Watches,
}

/// Where open watches run: each is a task of the service's tracker, and
/// ends when its client leaves, its session ends or the service shuts down.
#[derive(Debug, Clone)]
pub struct Watches {
    tasks: TaskTracker,
    shutdown: CancellationToken,
}

impl Watches {
    pub fn new(tasks: TaskTracker, shutdown: CancellationToken) -> Self {
        Self { tasks, shutdown }
    }
}

impl TimersService {
    pub fn new(timers: Arc<Timers>, watches: Watches) -> Self {
        Self { timers, watches }
    }

    /// The caller of `request`: the session `field` (or metadata) names, or
    /// anonymous from the client's address.
    async fn caller<T>(&self, request: &Request<T>, field: &str) -> Result<Caller, Status> {
        Ok(self
            .timers
            .caller(
                &session_token(request.metadata(), field),
                self.client(request),
            )
            .await?)
    }

    /// The client's address: the peer's, or the one a trusted proxy forwards.
    fn client<T>(&self, request: &Request<T>) -> Option<std::net::IpAddr> {
        client_ip(
            PeerAddr::of_request(request).map(|addr| addr.ip()),
            request.metadata(),
            &self.timers.limits().trusted_proxies,
        )
    }
}

type EventStream = Pin<Box<dyn Stream<Item = Result<TimerEvent, Status>> + Send>>;

#[tonic::async_trait]
impl v1::timers_server::Timers for TimersService {
    async fn set_timer(
        &self,
        request: Request<SetTimerRequest>,
    ) -> Result<Response<Timer>, Status> {
        let caller = self.caller(&request, &request.get_ref().token).await?;
        let SetTimerRequest {
            hours,
            minutes,
            seconds,
            label,
            idempotency_key,
            ..
        } = request.into_inner();
        let duration = TimerDuration::new(hours, minutes, seconds).map_err(TimerError::from)?;
        let timer = self
            .timers
            .set(duration, label, &caller, &idempotency_key)
            .await?;
        Ok(Response::new(timer_message(&timer)))
    }

    async fn get_timer(&self, request: Request<TimerRequest>) -> Result<Response<Timer>, Status> {
        let caller = self.caller(&request, &request.get_ref().token).await?;
        let timer = self.timers.get(&request.get_ref().id, &caller).await?;
        Ok(Response::new(timer_message(&timer)))
    }

    async fn list_timers(
        &self,
        request: Request<ListTimersRequest>,
    ) -> Result<Response<ListTimersReply>, Status> {
        let caller = self.caller(&request, &request.get_ref().token).await?;
        let timers = self.timers.list(&caller, request.get_ref().limit).await?;
        Ok(Response::new(ListTimersReply {
            timers: timers.iter().map(timer_message).collect(),
        }))
    }

    async fn cancel_timer(
        &self,
        request: Request<TimerRequest>,
    ) -> Result<Response<Timer>, Status> {
        let caller = self.caller(&request, &request.get_ref().token).await?;
        let timer = self.timers.cancel(&request.get_ref().id, &caller).await?;
        Ok(Response::new(timer_message(&timer)))
    }

    type WatchTimersStream = EventStream;

    async fn watch_timers(
        &self,
        request: Request<WatchTimersRequest>,
    ) -> Result<Response<Self::WatchTimersStream>, Status> {
        let token = session_token(request.metadata(), &request.get_ref().token);
        let session = self.timers.session(&token, self.client(&request)).await?;
        let ids = watched_ids(&session.caller, &request.get_ref().ids)?;
        // Subscribe before replaying, so nothing falls between the two.
        let live = self.timers.subscribe();
        let (sender, receiver) = mpsc::channel(WATCH_QUEUE);
        let timers = self.timers.clone();
        let after_seq = request.get_ref().after_seq.map(|seq| seq.max(0));
        // Without after_seq, what was committed before this call answers is
        // past (events are published a moment after they commit).
        let since = match after_seq {
            Some(seq) => seq,
            None => self.timers.last_seq().await?,
        };
        let watcher = Watcher {
            caller: session.caller.clone(),
            ids,
        };
        let shutdown = self.watches.shutdown.clone();
        self.watches.tasks.spawn(async move {
            let _open = OpenWatch::counted();
            let ended = tokio::select! {
                watched = watch(timers.clone(), watcher, since, after_seq.is_some(), live, &sender) => watched,
                // The client left: nobody to tell.
                () = sender.closed() => Ok(()),
                // A watch ends with its session: at logout or expiry.
                () = timers.session_ended(&token, &session) => Err(Status::unauthenticated(
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
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
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
async fn watch(
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
                if !forward(&event, &watcher, sender).await {
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
        if !forward(&event, &watcher, sender).await {
            return Ok(());
        }
    }
}

/// Sends `event` if `watcher` may see it; `false` once the watcher is gone.
async fn forward(
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

fn event_message(event: &EventRecord) -> TimerEvent {
    let kind = match event.kind {
        EventKind::Set => timer_event::Kind::Set,
        EventKind::Fired => timer_event::Kind::Fired,
        EventKind::Cancelled => timer_event::Kind::Cancelled,
    };
    TimerEvent {
        seq: event.seq,
        kind: kind.into(),
        timer: Some(timer_message(&event.timer)),
    }
}

/// A stored timer as the API shows it.
pub fn timer_message(timer: &TimerRecord) -> Timer {
    let state = match timer.state {
        TimerState::Pending => v1::TimerState::Pending,
        TimerState::Fired => v1::TimerState::Fired,
        TimerState::Cancelled => v1::TimerState::Cancelled,
    };
    Timer {
        id: timer.id.clone(),
        label: timer.label.clone(),
        hours: timer.hours,
        minutes: timer.minutes,
        seconds: timer.seconds,
        created_at: Some(timestamp(timer.created_at_ms)),
        fires_at: Some(timestamp(timer.fires_at_ms)),
        state: state.into(),
        ended_at: timer.ended_at_ms.map(timestamp),
        late_ms: late_ms(timer),
        owned: timer.owner_id.is_some(),
    }
}

fn timestamp(unix_ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: unix_ms.div_euclid(1000),
        nanos: (unix_ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}
