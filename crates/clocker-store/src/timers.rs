//! Timers and their events: the rows and the queries on them.
//!
//! Every change of a timer is written together with its event, in one
//! transaction, under a sequence number the database assigns: the row of
//! `timer_sequence` is bumped just before the events are inserted, and its
//! lock, held until commit, makes writers take numbers one after another,
//! so numbers commit in order even with several timer replicas writing (at
//! the price of one write transaction at a time, all replicas together).
//! Ending a timer is a conditional update out of `pending`, so a timer
//! fires (or is cancelled) once, whatever crashes, restarts and fail-overs.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use crate::{Store, StoreError};

/// Where a timer is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerState {
    Pending,
    Fired,
    Cancelled,
}

impl TimerState {
    pub const fn as_str(self) -> &'static str {
        match self {
            TimerState::Pending => "pending",
            TimerState::Fired => "fired",
            TimerState::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for TimerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TimerState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(TimerState::Pending),
            "fired" => Ok(TimerState::Fired),
            "cancelled" => Ok(TimerState::Cancelled),
            other => Err(format!("unknown timer state '{other}'")),
        }
    }
}

/// What happened to a timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Set,
    Fired,
    Cancelled,
}

impl EventKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Set => "set",
            EventKind::Fired => "fired",
            EventKind::Cancelled => "cancelled",
        }
    }
}

impl FromStr for EventKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "set" => Ok(EventKind::Set),
            "fired" => Ok(EventKind::Fired),
            "cancelled" => Ok(EventKind::Cancelled),
            other => Err(format!("unknown timer event '{other}'")),
        }
    }
}

/// Timers ended per statement (each takes a bound parameter; an event row
/// takes five).
const END_CHUNK: usize = 1000;

/// One row of `timers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerRecord {
    pub id: String,
    pub owner_id: Option<String>,
    pub label: String,
    pub hours: i64,
    pub minutes: i64,
    pub seconds: i64,
    pub created_at_ms: i64,
    pub fires_at_ms: i64,
    pub state: TimerState,
    pub ended_at_ms: Option<i64>,
}

/// One event with the timer as it was left by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub seq: i64,
    pub kind: EventKind,
    pub at_ms: i64,
    pub timer: TimerRecord,
}

/// The `timers` columns [`timer_from`] reads, for `concat!` (unqualified:
/// no `timer_events` column shares a name with them).
macro_rules! timer_columns {
    () => {
        "id, owner_id, label, hours, minutes, seconds, created_at_ms, fires_at_ms, state, \
         ended_at_ms"
    };
}
pub(crate) use timer_columns;

fn timer_from(row: &AnyRow) -> Result<TimerRecord, sqlx::Error> {
    let state: String = row.try_get("state")?;
    Ok(TimerRecord {
        id: row.try_get("id")?,
        owner_id: row.try_get("owner_id")?,
        label: row.try_get("label")?,
        hours: row.try_get("hours")?,
        minutes: row.try_get("minutes")?,
        seconds: row.try_get("seconds")?,
        created_at_ms: row.try_get("created_at_ms")?,
        fires_at_ms: row.try_get("fires_at_ms")?,
        state: state
            .parse()
            .map_err(|err: String| sqlx::Error::Decode(err.into()))?,
        ended_at_ms: row.try_get("ended_at_ms")?,
    })
}

/// The columns [`event_from`] reads, for `concat!` in a
/// `SELECT … FROM timer_events JOIN timers`.
macro_rules! event_columns {
    () => {
        concat!("seq, kind, at_ms, ", $crate::timers::timer_columns!())
    };
}
pub(crate) use event_columns;

/// An event row joined to its timer ([`event_columns`]).
pub(crate) fn event_from(row: &AnyRow) -> Result<EventRecord, sqlx::Error> {
    let kind: EventKind = row
        .try_get::<String, _>("kind")?
        .parse()
        .map_err(|err: String| sqlx::Error::Decode(err.into()))?;
    let mut timer = timer_from(row)?;
    if kind == EventKind::Set {
        // The timer as this event left it, not as it is now.
        timer.state = TimerState::Pending;
        timer.ended_at_ms = None;
    }
    Ok(EventRecord {
        seq: row.try_get("seq")?,
        kind,
        at_ms: row.try_get("at_ms")?,
        timer,
    })
}

impl Store {
    /// Adds a pending timer and its `set` event; returns the event's number.
    pub async fn insert_timer(&self, timer: &TimerRecord) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        bind_timer(
            sqlx::query(
                "INSERT INTO timers (id, owner_id, label, hours, minutes, seconds, \
                 created_at_ms, fires_at_ms, state, ended_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            ),
            timer,
        )
        .execute(&mut *tx)
        .await?;
        let seq = insert_set_event(&mut tx, timer).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// The timer with this id, if any.
    pub async fn get_timer(&self, id: &str) -> Result<Option<TimerRecord>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            timer_columns!(),
            " FROM timers WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(timer_from).transpose()?)
    }

    /// The newest `limit` timers of `owner` (anonymous timers are reached
    /// only by id, never listed).
    pub async fn list_timers(
        &self,
        owner: &str,
        limit: i64,
    ) -> Result<Vec<TimerRecord>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            timer_columns!(),
            " FROM timers WHERE owner_id = $1 ORDER BY created_at_ms DESC, id DESC LIMIT $2"
        ))
        .bind(owner)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(timer_from).collect::<Result<_, _>>()?)
    }

    /// `(id, fires_at_ms)` of up to `limit` pending timers, soonest first,
    /// after `after` (the last pair of the previous page; `None` to start).
    pub async fn list_pending_timers(
        &self,
        after: Option<(&str, i64)>,
        limit: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let (after_id, after_ms) = after.unwrap_or(("", i64::MIN));
        let rows = sqlx::query(
            "SELECT id, fires_at_ms FROM timers WHERE state = 'pending' \
             AND (fires_at_ms > $1 OR (fires_at_ms = $1 AND id > $2)) \
             ORDER BY fires_at_ms, id LIMIT $3",
        )
        .bind(after_ms)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|row| Ok((row.try_get("id")?, row.try_get("fires_at_ms")?)))
            .collect::<Result<_, sqlx::Error>>()?)
    }

    /// Moves each of `ids` that is still pending to `kind`'s state (fired or
    /// cancelled) at `at_ms`, with an event each, in one transaction.
    /// Returns the events written, numbered in the order asked. Ids no
    /// longer pending (ended here or by another replica) are skipped.
    pub async fn end_timers(
        &self,
        ids: &[String],
        kind: EventKind,
        at_ms: i64,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let state = match kind {
            EventKind::Fired => TimerState::Fired,
            EventKind::Cancelled => TimerState::Cancelled,
            EventKind::Set => {
                return Err(StoreError::Internal(sqlx::Error::Protocol(
                    "a timer cannot end by being set".into(),
                )));
            }
        };
        let mut tx = self.pool.begin().await?;
        let mut ended: Vec<TimerRecord> = Vec::with_capacity(ids.len());
        // Rows are locked in id order, whatever the chunks: two replicas
        // ending overlapping batches wait for each other, never deadlock.
        let mut sorted: Vec<&String> = ids.iter().collect();
        sorted.sort_unstable();
        for chunk in sorted.chunks(END_CHUNK) {
            // One statement per chunk, not per timer: a burst of timers
            // falling due together is one short write.
            let sql = format!(
                "UPDATE timers SET state = {}, ended_at_ms = {} WHERE state = 'pending' \
                 AND id IN ({}) RETURNING {}",
                self.backend.placeholders(1, 1),
                self.backend.placeholders(2, 1),
                self.backend.placeholders(3, chunk.len()),
                timer_columns!()
            );
            // Only placeholders are formatted in; every value is bound.
            let mut update = sqlx::query(AssertSqlSafe(sql))
                .bind(state.as_str())
                .bind(at_ms);
            for id in chunk {
                update = update.bind(id.as_str());
            }
            for row in update.fetch_all(&mut *tx).await? {
                ended.push(timer_from(&row)?);
            }
        }
        if ended.is_empty() {
            return Ok(Vec::new());
        }
        // Events are numbered in the order asked, not the database's.
        let order: HashMap<&str, usize> = ids
            .iter()
            .enumerate()
            .map(|(n, id)| (id.as_str(), n))
            .collect();
        ended.sort_by_key(|timer| order.get(timer.id.as_str()).copied().unwrap_or(usize::MAX));
        // The sequence row after the timers' rows, as every writer takes
        // them: no deadlock, and its lock is not held while waiting for them.
        let last = take_seqs(&mut tx, ended.len() as i64).await?;
        let first = last - ended.len() as i64 + 1;
        let events: Vec<EventRecord> = ended
            .into_iter()
            .zip(first..)
            .map(|(timer, seq)| EventRecord {
                seq,
                kind,
                at_ms,
                timer,
            })
            .collect();
        for chunk in events.chunks(END_CHUNK) {
            let values: Vec<String> = (0..chunk.len())
                .map(|n| format!("({})", self.backend.placeholders(5 * n + 1, 5)))
                .collect();
            let sql = format!(
                "INSERT INTO timer_events (seq, timer_id, kind, at_ms, timer_owner_id) VALUES {}",
                values.join(", ")
            );
            let mut insert = sqlx::query(AssertSqlSafe(sql));
            for event in chunk {
                insert = insert
                    .bind(event.seq)
                    .bind(event.timer.id.as_str())
                    .bind(kind.as_str())
                    .bind(at_ms)
                    .bind(event.timer.owner_id.as_deref());
            }
            insert.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(events)
    }

    /// The highest event number committed so far (0 when there is none).
    pub async fn max_event_seq(&self) -> Result<i64, StoreError> {
        self.max_or_zero("SELECT MAX(seq) FROM timer_events").await
    }

    /// Up to `limit` events after `seq`, oldest first, with their timers.
    pub async fn list_events_since(
        &self,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<EventRecord>, StoreError> {
        self.fetch_events(
            sqlx::query(concat!(
                "SELECT ",
                event_columns!(),
                " FROM timer_events JOIN timers ON timers.id = timer_events.timer_id",
                " WHERE seq > $1 ORDER BY seq LIMIT $2"
            ))
            .bind(seq)
            .bind(limit),
        )
        .await
    }

    /// The events `query` selects (with [`event_columns`]), in its order.
    pub(crate) async fn fetch_events(
        &self,
        query: Query<'_, Any, AnyArguments>,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let rows = query.fetch_all(&self.pool).await?;
        Ok(rows.iter().map(event_from).collect::<Result<_, _>>()?)
    }

    /// The one value of a `SELECT MAX(…)`, 0 when there are no rows.
    pub(crate) async fn max_or_zero(&self, sql: &'static str) -> Result<i64, StoreError> {
        let max: Option<i64> = sqlx::query_scalar(sql).fetch_one(&self.pool).await?;
        Ok(max.unwrap_or(0))
    }
}

/// Binds the ten columns of `timers` that every timer has, in table order
/// (`id` to `ended_at_ms`).
pub(crate) fn bind_timer<'q>(
    query: Query<'q, Any, AnyArguments>,
    timer: &TimerRecord,
) -> Query<'q, Any, AnyArguments> {
    query
        .bind(&timer.id)
        .bind(&timer.owner_id)
        .bind(&timer.label)
        .bind(timer.hours)
        .bind(timer.minutes)
        .bind(timer.seconds)
        .bind(timer.created_at_ms)
        .bind(timer.fires_at_ms)
        .bind(timer.state.as_str())
        .bind(timer.ended_at_ms)
}

/// Numbers and writes the `set` event of a timer just inserted; returns its
/// number.
pub(crate) async fn insert_set_event(
    tx: &mut Transaction<'_, Any>,
    timer: &TimerRecord,
) -> Result<i64, sqlx::Error> {
    let seq = take_seqs(tx, 1).await?;
    insert_event(tx, seq, timer, EventKind::Set, timer.created_at_ms).await?;
    Ok(seq)
}

/// Takes the next `count` event numbers; returns the last of them. Never
/// below the highest number stored: a writer that numbered events itself
/// (a replica from before `timer_sequence`, still running during a rolling
/// upgrade) cannot make every later write collide with its numbers.
async fn take_seqs(tx: &mut Transaction<'_, Any>, count: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE timer_sequence SET last_seq = $1 + CASE \
           WHEN (SELECT MAX(seq) FROM timer_events) > last_seq \
           THEN (SELECT MAX(seq) FROM timer_events) ELSE last_seq END \
         WHERE id = 1 RETURNING last_seq",
    )
    .bind(count)
    .fetch_one(&mut **tx)
    .await
}

async fn insert_event(
    tx: &mut Transaction<'_, Any>,
    seq: i64,
    timer: &TimerRecord,
    kind: EventKind,
    at_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO timer_events (seq, timer_id, kind, at_ms, timer_owner_id) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(seq)
    .bind(&timer.id)
    .bind(kind.as_str())
    .bind(at_ms)
    .bind(&timer.owner_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
