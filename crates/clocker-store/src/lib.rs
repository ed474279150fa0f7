//! Clocker's storage: one schema on SQLite (the default, a file under the
//! data directory, nothing to install) or PostgreSQL (when `DATABASE_URL` or
//! the seed's `POSTGRES_*` variables say so).
//!
//! Layout:
//! - `config`: which database, from settings; passwords never printed.
//! - `connect`: opening a store ([`Store::connect`]), with one line saying
//!   why it could not be.
//! - `migrations`: the schema's history (`migrations/` beside this crate),
//!   applied by [`Store::connect`], with what it leaves table by table.
//! - `accounts`: accounts, sessions and world clocks (`insert_account`,
//!   `get_live_session`, `set_world_clock`, …).
//! - `timers`: timers and their events (`insert_timer`, `end_timers`, …).
//! - `timer_limits`: quotas, owner-filtered replay and retention of timers.
//! - `idempotency`: keys that let a retried write answer what it first did.
//! - `lease`: one process at a time holds a lease (a PostgreSQL advisory
//!   lock), for work only one replica may do.
//!
//! Queries are written once for both backends through sqlx's `Any` driver:
//! `$1` placeholders, TEXT ids, BIGINT milliseconds for instants.

mod accounts;
mod config;
mod connect;
mod idempotency;
mod lease;
mod migrations;
mod timer_limits;
mod timers;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, AnyPool, Connection};

pub use accounts::{AccountRecord, SessionRecord};
pub use config::{
    ConfigError, DatabaseConfig, SQLITE_FILE, SqlitePath, StoreConfig, default_data_dir,
};
pub use connect::{CONNECT_TIMEOUT, ConnectError};
pub use idempotency::{
    IdempotencyKey, MAX_IDEMPOTENCY_KEY_BYTES, Recorded, checked_idempotency_key,
};
pub use lease::{LEASE_CHECK_EVERY, Lease};
pub use migrations::{MIGRATIONS, migrator};
pub use timer_limits::{Pruned, QuotaKey, TimerInsert};
pub use timers::{EventKind, EventRecord, TimerRecord, TimerState};

/// The database kinds a store can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub const fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Bind placeholders `first..first + count`, comma-separated, for SQL
    /// built at run time whose placeholders appear in order, each once.
    ///
    /// SQLite gets bare `?`s: it binds `$n` by looking the name up in a list
    /// it scans from the start, so binding a statement's values took time
    /// quadratic in their number. For a 4,000-value insert that was most of
    /// the time it took to fire a large batch of timers.
    fn placeholders(self, first: usize, count: usize) -> String {
        let mut sql = String::with_capacity(count * 7);
        for n in first..first + count {
            if n > first {
                sql.push_str(", ");
            }
            match self {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
            }
        }
        sql
    }
}

/// A connected, migrated database.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// For connections outside the pool ([`Lease`]); holds the
    /// password, so never printed.
    options: AnyConnectOptions,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("pool", &self.pool)
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// Why a query failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key is taken (such as a username).
    #[error("already exists")]
    Conflict,
    /// The database cannot be reached right now.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Internal(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            sqlx::Error::Io(io) => StoreError::Unavailable(io.to_string()),
            sqlx::Error::PoolTimedOut => {
                StoreError::Unavailable("no connection free within the timeout".into())
            }
            sqlx::Error::PoolClosed => StoreError::Unavailable("the store is closed".into()),
            _ => StoreError::Internal(err),
        }
    }
}

impl Store {
    /// Which kind of database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for queries this crate does not offer (tests).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// [`Store::ping`] as a probe a readiness check can own: each call pings
    /// within the time it is given (`database` answers, or why not).
    pub fn ping_probe(
        &self,
    ) -> impl Fn(Duration) -> Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send>>
    + Send
    + Sync
    + 'static {
        let store = self.clone();
        move |within| {
            let store = store.clone();
            Box::pin(async move { store.ping(within).await })
        }
    }

    /// `SELECT 1` through the pool, within `within`: whether the database
    /// answers now (the readiness check of the services that keep their
    /// state here). The pool keeps retrying a refused connection until its
    /// own timeout, so when it has not answered in half the time, one direct
    /// connection attempt (in the other half) learns why: the server's own
    /// error, such as a refused connection, rather than a bare timeout.
    pub async fn ping(&self, within: Duration) -> Result<(), StoreError> {
        let half = within / 2;
        match tokio::time::timeout(half, sqlx::query("SELECT 1").execute(&self.pool)).await {
            Ok(answer) => answer.map(drop).map_err(StoreError::from),
            Err(_) => {
                match tokio::time::timeout(half, AnyConnection::connect_with(&self.options)).await {
                    Ok(Ok(connection)) => {
                        let _ = connection.close().await;
                        Err(StoreError::Unavailable(format!(
                            "the pool had no connection within {} ms",
                            half.as_millis()
                        )))
                    }
                    Ok(Err(err)) => Err(StoreError::from(err)),
                    Err(_) => Err(StoreError::Unavailable(format!(
                        "no answer within {} ms",
                        within.as_millis()
                    ))),
                }
            }
        }
    }

    /// Closes every connection, waiting for those in use.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::Backend;

    #[test]
    fn placeholders_are_numbered_on_postgres_and_bare_on_sqlite() {
        assert_eq!(Backend::Postgres.placeholders(3, 3), "$3, $4, $5");
        assert_eq!(Backend::Sqlite.placeholders(3, 3), "?, ?, ?");
        assert_eq!(Backend::Postgres.placeholders(1, 1), "$1");
        assert_eq!(Backend::Sqlite.placeholders(1, 0), "");
    }
}
