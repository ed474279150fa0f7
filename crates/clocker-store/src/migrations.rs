//! The schema's history: every migration, embedded in the binary and applied
//! in order at start-up (sqlx records what ran in `_sqlx_migrations`).
//!
//! A new migration is a new file in `migrations/` added to [`MIGRATIONS`];
//! `schema.sql` is then updated to match (a test compares the two).

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
