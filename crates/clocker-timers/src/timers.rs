//! The timers domain: set, look up, list, cancel, fire, and the event log
//! watchers follow. No gRPC or ZeroMQ here (those are the front doors), no
//! SQL (that is `clocker-store`).
//!
//! Every change is written with its event, numbered by the store. Events
//! are not published by the writer: it queues them for the log follower
//! (`follow`), which publishes every event in number order, whichever
//! replica wrote it (reading the store for those not queued here), so
//! watchers on any replica see every event once and in order.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clocker_store::{
    EventKind, EventRecord, IdempotencyKey, Pruned, QuotaKey, Recorded, Store, TimerInsert,
    TimerRecord, TimerState, checked_idempotency_key,
};
use clocker_wire::TimerDuration;
use tokio::sync::{Notify, broadcast};

use crate::TimerError;
use crate::clock::TimerClock;
use crate::limits::TimerLimits;
use crate::scheduler::Due;
use crate::sessions::{Caller, Session, SessionResolver};

/// The longest label, in bytes.
pub const MAX_LABEL_BYTES: usize = 200;
/// How long a set's idempotency key is remembered.
pub const IDEMPOTENCY_KEY_RETENTION: std::time::Duration =
    std::time::Duration::from_secs(24 * 3600);
/// The most timers one list returns.
pub const MAX_LIST: u32 = 500;
/// Live events kept for watchers that fall behind before they are dropped.
const EVENT_BUFFER: usize = 4096;
/// Pending timers read per query at start-up.
const LOAD_PAGE: i64 = 10_000;

/// Timers, their store and their clock.
pub struct Timers {
    store: Store,
    clock: TimerClock,
    sessions: SessionResolver,
    limits: TimerLimits,
    events: broadcast::Sender<Arc<EventRecord>>,
    /// Events this replica wrote, by number, until the follower takes them.
    queued_for_follower: Mutex<BTreeMap<i64, EventRecord>>,
    /// Wakes the log follower when this replica has queued events.
    follower_wakeup: Notify,
}

/// What the log follower takes of the events queued for it.
#[derive(Debug)]
pub(crate) struct TakenEvents {
    /// The queued events that follow on from where it is, in order, without
    /// a gap.
    pub(crate) in_order: Vec<EventRecord>,
    /// Whether events are left queued beyond a gap: numbers taken by other
    /// replicas, or by a writer here that has not queued its events yet.
    pub(crate) gap: bool,
}

impl Timers {
    /// Timers kept in `store`, read against `clock`, within `limits`.
    pub fn new(
        store: Store,
        clock: TimerClock,
        sessions: SessionResolver,
        limits: TimerLimits,
    ) -> Arc<Self> {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        Arc::new(Self {
            store,
            clock,
            sessions,
            limits,
            events,
            queued_for_follower: Mutex::new(BTreeMap::new()),
            follower_wakeup: Notify::new(),
        })
    }

    /// The current time on the service's clock, in unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// How long until the clock reads `at_ms` (zero once it has).
    pub fn time_until(&self, at_ms: i64) -> Duration {
        let now_ns = self.clock.now_ns();
        let at_ns = i128::from(at_ms) * 1_000_000;
        u64::try_from(at_ns - now_ns).map_or(Duration::ZERO, Duration::from_nanos)
    }

    /// Who a token belongs to; anonymous (from `from`) without one.
    pub async fn caller(&self, token: &str, from: Option<IpAddr>) -> Result<Caller, TimerError> {
        self.sessions.caller(token, from).await
    }

    /// The limits this service keeps.
    pub fn limits(&self) -> &TimerLimits {
        &self.limits
    }

    /// Who a token belongs to, and until when.
    pub async fn session(&self, token: &str, from: Option<IpAddr>) -> Result<Session, TimerError> {
        self.sessions.session(token, from).await
    }

    /// Resolves once the session of `token` has ended (see
    /// [`SessionResolver::wait_until_ended`]).
    pub async fn wait_until_session_ends(&self, token: &str, session: &Session) {
        self.sessions
            .wait_until_ended(token, session, &self.clock)
            .await;
    }

    /// Sets a timer for `caller`; answers as soon as it is stored. With an
    /// `idempotency_key` (empty for none) used before by this caller for the
    /// same timer, that timer is answered (as it is now) and nothing is set.
    pub async fn set(
        &self,
        duration: TimerDuration,
        label: String,
        caller: &Caller,
        idempotency_key: &str,
    ) -> Result<TimerRecord, TimerError> {
        if label.len() > MAX_LABEL_BYTES {
            return Err(TimerError::Invalid(format!(
                "the label is {} bytes; at most {MAX_LABEL_BYTES} are allowed",
                label.len()
            )));
        }
        // One line of text: a NUL would not even fit PostgreSQL's text.
        if let Some(control) = label.chars().find(|c| c.is_control()) {
            return Err(TimerError::Invalid(format!(
                "the label must be one line of text (it has the control character {:?})",
                control
            )));
        }
        let created_at_ms = self.now_ms();
        let fires_at_ms = created_at_ms + duration.total().as_millis() as i64;
        let id = uuid::Uuid::now_v7();
        let timer = TimerRecord {
            id: id.to_string(),
            owner_id: caller.owner_id().map(str::to_owned),
            label,
            hours: duration.hours,
            minutes: duration.minutes,
            seconds: duration.seconds,
            created_at_ms,
            fires_at_ms,
            state: TimerState::Pending,
            ended_at_ms: None,
        };
        let address = caller.address_key();
        // Whose quota the timer counts against, and whose idempotency keys.
        let (key, max, scope) = match caller {
            Caller::Account(owner) => (
                QuotaKey::Account(owner),
                self.limits.pending_per_account,
                format!("timer account:{owner}"),
            ),
            Caller::Anonymous(_) => {
                let address = address.as_deref().unwrap_or("unknown");
                (
                    QuotaKey::Address(address),
                    self.limits.pending_per_address,
                    format!("timer address:{address}"),
                )
            }
        };
        let fingerprint = format!(
            "{}:{}:{} {}",
            duration.hours, duration.minutes, duration.seconds, timer.label
        );
        let idempotency = checked_idempotency_key(idempotency_key)
            .map_err(TimerError::Invalid)?
            .map(|key| IdempotencyKey {
                scope: &scope,
                key,
                fingerprint: &fingerprint,
            });
        let inserted = self
            .store
            // 0: no quota (nothing counted).
            .insert_timer_within_quota(&timer, key, (max > 0).then(|| i64::from(max)), idempotency)
            .await?;
        let seq = match inserted {
            TimerInsert::Inserted { seq } => seq,
            TimerInsert::Replayed(Recorded::Same(id)) => {
                metrics::counter!("clocker_timers_set_replayed_total").increment(1);
                return self.get(&id, caller).await;
            }
            TimerInsert::Replayed(Recorded::Other) => {
                return Err(TimerError::Invalid(format!(
                    "the idempotency key '{}' was first used for another timer; send a new key \
                     for a new timer (a key is kept for a day)",
                    quoted_for_error(idempotency_key)
                )));
            }
            TimerInsert::OverQuota => {
                metrics::counter!("clocker_timers_quota_refused_total").increment(1);
                return Err(TimerError::QuotaExceeded(match caller {
                    Caller::Account(_) => format!(
                        "this account has {max} pending timers, the most allowed; \
                         cancel one or wait for one to fire"
                    ),
                    Caller::Anonymous(_) => format!(
                        "{max} anonymous timers are pending from this address, the most \
                         allowed; log in, cancel one or wait for one to fire"
                    ),
                }));
            }
        };
        self.queue_for_follower([EventRecord {
            seq,
            kind: EventKind::Set,
            at_ms: created_at_ms,
            timer: timer.clone(),
        }]);
        metrics::counter!("clocker_timers_set_total").increment(1);
        Ok(timer)
    }

    /// The timer `id`, if `caller` may see it.
    pub async fn get(&self, id: &str, caller: &Caller) -> Result<TimerRecord, TimerError> {
        let timer = self
            .store
            .get_timer(id)
            .await?
            .ok_or_else(|| TimerError::NotFound(quoted_for_error(id)))?;
        if !caller.may_use(timer.owner_id.as_deref()) {
            return Err(TimerError::PermissionDenied(quoted_for_error(id)));
        }
        Ok(timer)
    }

    /// `caller`'s timers, newest first, at most `limit` (0 means the
    /// maximum). Anonymous timers are never listed: an anonymous timer's id
    /// is the only way to it, so an anonymous caller is refused.
    pub async fn list(&self, caller: &Caller, limit: u32) -> Result<Vec<TimerRecord>, TimerError> {
        let Caller::Account(owner) = caller else {
            return Err(TimerError::Unauthenticated(
                "listing timers needs a session token (log in); an anonymous timer is \
                 reached only by its id",
            ));
        };
        let limit = if limit == 0 {
            MAX_LIST
        } else {
            limit.min(MAX_LIST)
        };
        Ok(self.store.list_timers(owner, i64::from(limit)).await?)
    }

    /// Cancels a pending timer; one that already ended is returned as it is.
    pub async fn cancel(&self, id: &str, caller: &Caller) -> Result<TimerRecord, TimerError> {
        let timer = self.get(id, caller).await?;
        if timer.state != TimerState::Pending {
            return Ok(timer);
        }
        let events = self
            .end(std::slice::from_ref(&timer.id), EventKind::Cancelled)
            .await?;
        let cancelled = events.first().map(|event| event.timer.clone());
        self.queue_for_follower(events);
        match cancelled {
            Some(timer) => {
                metrics::counter!("clocker_timers_cancelled_total").increment(1);
                Ok(timer)
            }
            // It fired meanwhile.
            None => self.get(id, caller).await,
        }
    }

    /// Fires the timers `ids` that are still pending; how many fired.
    pub(crate) async fn fire(&self, ids: &[String]) -> Result<usize, TimerError> {
        let events = self.end(ids, EventKind::Fired).await?;
        let fired = events.len();
        let mut latest = 0;
        let lateness = metrics::histogram!("clocker_timers_lateness_seconds");
        for event in &events {
            let late_ms = late_ms(&event.timer);
            latest = latest.max(late_ms);
            lateness.record(late_ms as f64 / 1000.0);
        }
        metrics::counter!("clocker_timers_fired_total").increment(fired as u64);
        self.queue_for_follower(events);
        if latest >= 1000 {
            tracing::info!(
                fired,
                latest_ms = latest,
                "fired timers late (their time passed while the service was down)"
            );
        }
        Ok(fired)
    }

    /// Ends `ids` as `kind`; the caller queues the events for the follower
    /// once it has read what it needs from them (moved, not copied: a batch
    /// may be 1024).
    async fn end(&self, ids: &[String], kind: EventKind) -> Result<Vec<EventRecord>, TimerError> {
        Ok(self.store.end_timers(ids, kind, self.now_ms()).await?)
    }

    /// Queues events this replica committed for the log follower, and
    /// wakes it.
    fn queue_for_follower(&self, events: impl IntoIterator<Item = EventRecord>) {
        let mut queued = self.queued();
        let before = queued.len();
        queued.extend(events.into_iter().map(|event| (event.seq, event)));
        if queued.len() > before {
            self.follower_wakeup.notify_one();
        }
    }

    /// Takes the queued events that follow on from event `after`.
    pub(crate) fn take_queued_after(&self, after: i64) -> TakenEvents {
        let mut queued = self.queued();
        // Anything at or before `after` was read from the store meanwhile.
        *queued = queued.split_off(&(after + 1));
        let mut next = after + 1;
        let mut in_order = Vec::new();
        while let Some(event) = queued.remove(&next) {
            in_order.push(event);
            next += 1;
        }
        TakenEvents {
            in_order,
            gap: !queued.is_empty(),
        }
    }

    fn queued(&self) -> std::sync::MutexGuard<'_, BTreeMap<i64, EventRecord>> {
        self.queued_for_follower
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Publishes an event read back from the log (the follower's job).
    pub(crate) fn publish(&self, event: EventRecord) {
        // Nobody watching is not an error.
        let _ = self.events.send(Arc::new(event));
    }

    /// Resolves when this replica has queued events for the follower since
    /// the last call.
    pub(crate) async fn wait_until_written(&self) {
        self.follower_wakeup.notified().await;
    }

    /// The number of the last event committed.
    pub async fn last_seq(&self) -> Result<i64, TimerError> {
        Ok(self.store.max_event_seq().await?)
    }

    /// Live events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<EventRecord>> {
        self.events.subscribe()
    }

    /// Stored events after `seq`, oldest first, at most `limit`.
    pub async fn events_since(&self, seq: i64, limit: i64) -> Result<Vec<EventRecord>, TimerError> {
        Ok(self.store.list_events_since(seq, limit).await?)
    }

    /// Stored events after `seq` that `caller` may replay, oldest first, at
    /// most `limit`: an account's own, or those of the anonymous timers
    /// among `ids` (never anyone else's; the store filters, by index).
    pub async fn caller_events_since(
        &self,
        caller: &Caller,
        ids: &[String],
        seq: i64,
        limit: i64,
    ) -> Result<Vec<EventRecord>, TimerError> {
        Ok(match caller {
            Caller::Account(owner) => {
                self.store
                    .list_owner_events_since(owner, seq, limit)
                    .await?
            }
            Caller::Anonymous(_) => {
                self.store
                    .list_anonymous_events_since(ids, seq, limit)
                    .await?
            }
        })
    }

    /// The highest event number retention has deleted (0: none).
    pub async fn dropped_seq(&self) -> Result<i64, TimerError> {
        Ok(self.store.dropped_event_seq().await?)
    }

    /// Deletes up to `batch` timers that ended more than the retention
    /// period ago, with their events.
    pub async fn prune(&self, batch: i64) -> Result<Pruned, TimerError> {
        let keep_ms = i64::try_from(self.limits.retention.as_millis()).unwrap_or(i64::MAX);
        // Housekeeping by the system's time, counted in days.
        let now_ms = jiff::Timestamp::now().as_millisecond();
        let before_ms = now_ms.saturating_sub(keep_ms);
        Ok(self.store.delete_ended_timers(before_ms, batch).await?)
    }

    /// Deletes up to `batch` idempotency keys older than
    /// [`IDEMPOTENCY_KEY_RETENTION`]; how many.
    pub async fn prune_idempotency_keys(&self, batch: i64) -> Result<u64, TimerError> {
        let keep_ms = IDEMPOTENCY_KEY_RETENTION.as_millis() as i64;
        let before_ms = jiff::Timestamp::now().as_millisecond() - keep_ms;
        Ok(self.store.delete_idempotency_keys(before_ms, batch).await?)
    }

    /// Every pending timer, for the scheduler, read page by page.
    pub async fn load_pending(&self) -> Result<Due, TimerError> {
        let mut due = Due::new();
        let mut after: Option<(String, i64)> = None;
        loop {
            let page = self
                .store
                .list_pending_timers(after.as_ref().map(|(id, at)| (id.as_str(), *at)), LOAD_PAGE)
                .await?;
            let Some(last) = page.last().cloned() else {
                return Ok(due);
            };
            for (id, at) in page {
                match uuid::Uuid::parse_str(&id) {
                    Ok(uuid) => {
                        due.insert((at, uuid));
                    }
                    Err(_) => {
                        tracing::warn!(id, "a pending timer's id is not a UUID; it will not fire")
                    }
                }
            }
            after = Some(last);
        }
    }
}

impl std::fmt::Debug for Timers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timers")
            .field("store", &self.store)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

/// How long after its time a fired timer fired (0 for any other).
pub fn late_ms(timer: &TimerRecord) -> i64 {
    match (timer.state, timer.ended_at_ms) {
        (TimerState::Fired, Some(ended)) => (ended - timer.fires_at_ms).max(0),
        _ => 0,
    }
}

/// An id as quoted in an error (ids from clients may be anything).
fn quoted_for_error(id: &str) -> String {
    let mut shown: String = id.chars().take(64).collect();
    if shown.len() < id.len() {
        shown.push('…');
    }
    shown.escape_debug().to_string()
}
