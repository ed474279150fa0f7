//! Bounds on timers (issue 14, finding 8): a quota of pending timers per
//! account and per anonymous client address, checked in the statement that
//! inserts; replay that reads one owner's (or a few named timers') events
//! through an index; and retention, which deletes ended timers and their
//! events in bounded batches and remembers the highest event number it
//! deleted, so a watcher asking for older events is told they were dropped.

use sqlx::{AssertSqlSafe, Row};

use crate::idempotency::{self, IdempotencyKey, Recorded};
use crate::timers::{bind_timer, event_columns, insert_set_event};
use crate::{Store, StoreError, TimerRecord};

/// Whose pending timers a quota counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaKey<'a> {
    /// An account's timers (by `owner_id`).
    Account(&'a str),
    /// Anonymous timers set from one client address.
    Address(&'a str),
}

/// What [`Store::insert_timer_within_quota`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimerInsert {
    /// Stored, with its `set` event numbered `seq`.
    Inserted { seq: i64 },
    /// Not stored: the quota is full.
    OverQuota,
    /// Not stored: the idempotency key was used before, for this.
    Replayed(Recorded),
}

/// What one retention batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Timers deleted (with all their events).
    pub timers: usize,
    /// The highest event number deleted, if any was.
    pub dropped_seq: Option<i64>,
}

impl Store {
    /// Adds a pending timer and its `set` event unless `key` already has
    /// `max` pending timers ([`TimerInsert::OverQuota`], nothing written),
    /// or `idempotency` names a key already used
    /// ([`TimerInsert::Replayed`], nothing written).
    ///
    /// The count stops at `max`, so a set costs at most a quota's worth of
    /// index entries however many timers a key has.
    ///
    /// The count and the insert are one statement: on SQLite (one writer at
    /// a time) the quota is exact; on PostgreSQL concurrent inserts for one
    /// key may each see the other uncommitted, so it may be passed by at
    /// most the number of pooled connections.
    pub async fn insert_timer_within_quota(
        &self,
        timer: &TimerRecord,
        key: QuotaKey<'_>,
        max: Option<i64>,
        idempotency: Option<IdempotencyKey<'_>>,
    ) -> Result<TimerInsert, StoreError> {
        let (client_addr, counted) = match key {
            QuotaKey::Account(owner) => (None, owner),
            QuotaKey::Address(addr) => (Some(addr), addr),
        };
        let condition = match key {
            QuotaKey::Account(_) => "owner_id = $12",
            QuotaKey::Address(_) => "client_addr = $12",
        };
        let within = match max {
            Some(_) => format!(
                "WHERE (SELECT COUNT(*) FROM (SELECT 1 FROM timers \
                 WHERE state = 'pending' AND {condition} LIMIT $13) AS counted) < $13"
            ),
            // No quota: nothing to count (a set costs what it did before quotas).
            None => String::new(),
        };
        let sql = format!(
            "INSERT INTO timers (id, owner_id, label, hours, minutes, seconds, created_at_ms, \
             fires_at_ms, state, ended_at_ms, client_addr) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 {within}"
        );
        let mut tx = self.pool.begin().await?;
        // The key first: a retry waits here for the write it repeats.
        if let Some(idempotency) = &idempotency
            && !idempotency::claim(&mut tx, idempotency, &timer.id, timer.created_at_ms).await?
        {
            tx.rollback().await?;
            return Ok(match self.recorded(idempotency).await? {
                Some(recorded) => TimerInsert::Replayed(recorded),
                // Expired in between: nothing to repeat.
                None => TimerInsert::Replayed(Recorded::Other),
            });
        }
        // Only a fixed condition is formatted in; every value is bound.
        let query = bind_timer(sqlx::query(AssertSqlSafe(sql)), timer).bind(client_addr);
        let query = match max {
            Some(max) => query.bind(counted).bind(max),
            None => query,
        };
        let inserted = query.execute(&mut *tx).await?;
        if inserted.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(TimerInsert::OverQuota);
        }
        let seq = insert_set_event(&mut tx, timer).await?;
        tx.commit().await?;
        Ok(TimerInsert::Inserted { seq })
    }

    /// How many pending timers `key` has.
    pub async fn count_pending_timers(&self, key: QuotaKey<'_>) -> Result<i64, StoreError> {
        let (sql, value) = match key {
            QuotaKey::Account(owner) => (
                "SELECT COUNT(*) FROM timers WHERE state = 'pending' AND owner_id = $1",
                owner,
            ),
            QuotaKey::Address(addr) => (
                "SELECT COUNT(*) FROM timers WHERE state = 'pending' AND client_addr = $1",
                addr,
            ),
        };
        Ok(sqlx::query_scalar(sql)
            .bind(value)
            .fetch_one(&self.pool)
            .await?)
    }

    /// Up to `limit` events of `owner`'s timers after `seq`, oldest first
    /// (one range of the `(timer_owner_id, seq)` index).
    pub async fn list_owner_events_since(
        &self,
        owner: &str,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<crate::EventRecord>, StoreError> {
        self.fetch_events(
            sqlx::query(concat!(
                "SELECT ",
                event_columns!(),
                " FROM timer_events JOIN timers ON timers.id = timer_events.timer_id",
                " WHERE timer_owner_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
            ))
            .bind(owner)
            .bind(seq)
            .bind(limit),
        )
        .await
    }

    /// Up to `limit` events after `seq` of the anonymous timers among `ids`,
    /// oldest first (the `(timer_id, seq)` index; the caller bounds `ids`).
    pub async fn list_anonymous_events_since(
        &self,
        ids: &[String],
        seq: i64,
        limit: i64,
    ) -> Result<Vec<crate::EventRecord>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let n = ids.len();
        let sql = format!(
            concat!(
                "SELECT ",
                event_columns!(),
                " FROM timer_events JOIN timers ON timers.id = timer_events.timer_id",
                " WHERE timer_id IN ({}) AND timer_owner_id IS NULL AND seq > {}",
                " ORDER BY seq LIMIT {}"
            ),
            self.backend.placeholders(1, n),
            self.backend.placeholders(n + 1, 1),
            self.backend.placeholders(n + 2, 1),
        );
        // Only placeholders are formatted in; every value is bound.
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(id.as_str());
        }
        self.fetch_events(query.bind(seq).bind(limit)).await
    }

    /// The highest event number retention has deleted (0: none yet).
    pub async fn dropped_event_seq(&self) -> Result<i64, StoreError> {
        self.max_or_zero("SELECT MAX(dropped_seq) FROM timer_retention")
            .await
    }

    /// Deletes up to `limit` timers that ended before `before_ms`, with all
    /// their events, in one transaction. Pending timers are never touched.
    pub async fn delete_ended_timers(
        &self,
        before_ms: i64,
        limit: i64,
    ) -> Result<Pruned, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Write first: SQLite then takes its write lock before reading (a
        // read transaction that later writes fails if another wrote between),
        // and concurrent pruners on PostgreSQL take turns on this row.
        sqlx::query("UPDATE timer_retention SET dropped_seq = dropped_seq WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM timers WHERE state <> 'pending' AND ended_at_ms < $1 \
             ORDER BY ended_at_ms LIMIT $2",
        )
        .bind(before_ms)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        if ids.is_empty() {
            tx.commit().await?;
            return Ok(Pruned::default());
        }
        let list = self.backend.placeholders(1, ids.len());
        let max_sql =
            format!("SELECT MAX(seq) AS seq FROM timer_events WHERE timer_id IN ({list})");
        let mut max = sqlx::query(AssertSqlSafe(max_sql));
        for id in &ids {
            max = max.bind(id.as_str());
        }
        let dropped_seq: Option<i64> = max.fetch_one(&mut *tx).await?.try_get("seq")?;
        let events_sql = format!("DELETE FROM timer_events WHERE timer_id IN ({list})");
        let mut events = sqlx::query(AssertSqlSafe(events_sql));
        for id in &ids {
            events = events.bind(id.as_str());
        }
        events.execute(&mut *tx).await?;
        let timers_sql = format!("DELETE FROM timers WHERE state <> 'pending' AND id IN ({list})");
        let mut timers = sqlx::query(AssertSqlSafe(timers_sql));
        for id in &ids {
            timers = timers.bind(id.as_str());
        }
        let deleted = timers.execute(&mut *tx).await?.rows_affected();
        if let Some(seq) = dropped_seq {
            sqlx::query(
                "UPDATE timer_retention SET dropped_seq = $1 WHERE id = 1 AND dropped_seq < $1",
            )
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Pruned {
            timers: usize::try_from(deleted).unwrap_or(usize::MAX),
            dropped_seq,
        })
    }
}
