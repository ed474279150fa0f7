//! The schema's history: every migration, embedded in the binary and applied
//! in order at start-up (sqlx records what ran in `_sqlx_migrations`).
//!
//! The files in `migrations/` are the schema: read them in order (a later one
//! may narrow an earlier one's index). A new migration is a new file there
//! added to [`MIGRATIONS`]; an applied one is never edited (sqlx checks each
//! one's checksum). A database is set up by the service itself, which
//! migrates an empty one at start-up.
//!
//! What the migrations leave, table by table:
//! - `accounts`, `sessions` (0001): users and their sessions, by account and
//!   by expiry; each account's world clock (0007), a column of its row.
//! - `timers` (0002, 0004, 0005): pending ones by due time (the start-up
//!   load); an account's timers, newest first (`timers_by_owner`); pending
//!   ones per account and per anonymous address (quotas); ended ones by when
//!   they ended (retention). Each index holds only the rows its queries read.
//! - `timer_events` (0002, 0004, 0005): an account's events by
//!   `(timer_owner_id, seq)` (owner replay); anonymous timers' events are
//!   read by `(timer_id, seq)`, an index the foreign key's cascade needs for
//!   every row anyway.
//! - `timer_sequence` (0003): the last event number given out, one row.
//! - `timer_retention` (0004): the highest event number retention deleted.
//! - `idempotency_keys` (0006): a retried write's earlier result, by scope
//!   and key, and by age (kept for a day).

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// `(version, description, sql)` of every migration, oldest first.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "accounts",
        include_str!("../migrations/0001_accounts.sql"),
    ),
    (2, "timers", include_str!("../migrations/0002_timers.sql")),
    (
        3,
        "timer sequence",
        include_str!("../migrations/0003_timer_sequence.sql"),
    ),
    (
        4,
        "timer limits",
        include_str!("../migrations/0004_timer_limits.sql"),
    ),
    (
        5,
        "narrow timer indexes",
        include_str!("../migrations/0005_narrow_timer_indexes.sql"),
    ),
    (
        6,
        "idempotency keys",
        include_str!("../migrations/0006_idempotency_keys.sql"),
    ),
    (
        7,
        "world clock",
        include_str!("../migrations/0007_world_clock.sql"),
    ),
];

/// A migrator over [`MIGRATIONS`].
pub fn migrator() -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}
