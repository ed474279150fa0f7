//! Clocker's storage: one schema on SQLite (the default, a file under the
//! data directory, nothing to install) or PostgreSQL (when `DATABASE_URL` or
//! the seed's `POSTGRES_*` variables say so).
//!
//! Layout:
//! - `config`: which database, from settings; passwords never printed.
//! - `migrations`: the schema's history (`migrations/` beside this crate),
//!   applied by [`Store::connect`], with what it leaves table by table.
//! - `accounts`: accounts and sessions (`insert_account`, `get_live_session`, …).
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
mod idempotency;
mod lease;
mod migrations;
mod timer_limits;
mod timers;

use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};

pub use accounts::{AccountRecord, SessionRecord};
pub use config::{
    ConfigError, DatabaseSettings, SQLITE_FILE, SqlitePath, StoreConfig, default_data_dir,
};
pub use idempotency::{
    IdempotencyKey, MAX_IDEMPOTENCY_KEY_BYTES, Recorded, checked_idempotency_key,
};
pub use lease::{LEASE_CHECK_EVERY, Lease};
pub use migrations::{MIGRATIONS, migrator};
pub use timer_limits::{Pruned, QuotaKey, TimerInsert};
pub use timers::{EventKind, EventRecord, TimerRecord, TimerState};

/// How long connecting (or waiting for a pooled connection) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

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

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(
        "cannot create the data directory {path}: {source} (set --data-dir or CLOCKER_DATA_DIR)"
    )]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    /// The SQLite file could not be created (or made private).
    #[error(
        "cannot create the database file {path}: {source} (set --data-dir or CLOCKER_DATA_DIR)"
    )]
    DatabaseFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// One line: the server (never the password), what failed, what to check.
    #[error("{0}")]
    Unreachable(String),
    #[error("cannot bring the schema of {target} up to date: {source}")]
    Migrate {
        target: String,
        source: sqlx::migrate::MigrateError,
    },
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
    /// Opens the database `config` names (creating an SQLite file and its
    /// directory when missing) and applies every migration it has not had.
    pub async fn connect(config: &StoreConfig) -> Result<Self, ConnectError> {
        sqlx::any::install_default_drivers();

        let (backend, max_connections) = match config {
            StoreConfig::Sqlite {
                path: SqlitePath::File(path),
            } => {
                create_data_dir(path)?;
                create_private_file(path)?;
                (Backend::Sqlite, 4)
            }
            // Every connection to :memory: is a database of its own.
            StoreConfig::Sqlite {
                path: SqlitePath::Memory,
            } => (Backend::Sqlite, 1),
            StoreConfig::Postgres { .. } => (Backend::Postgres, 8),
        };
        let options: AnyConnectOptions = config
            .connect_url()
            .parse()
            .map_err(|err| connect_error(config, err))?;

        // One connection first, without the pool's retries, so a refused
        // connection or a wrong password is reported as what it is.
        let probe = tokio::time::timeout(CONNECT_TIMEOUT, AnyConnection::connect_with(&options))
            .await
            .map_err(|_| connect_error(config, sqlx::Error::PoolTimedOut))?
            .map_err(|err| connect_error(config, err))?;
        let _ = probe.close().await;

        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(CONNECT_TIMEOUT)
            .idle_timeout(match backend {
                Backend::Sqlite => None,
                Backend::Postgres => Some(Duration::from_secs(600)),
            })
            .max_lifetime(match backend {
                Backend::Sqlite => None,
                Backend::Postgres => Some(Duration::from_secs(1800)),
            })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the one writer; writers
                        // wait up to 5 s for each other instead of failing.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_lazy_with(options.clone());
        migrator()
            .run(&pool)
            .await
            .map_err(|source| ConnectError::Migrate {
                target: config.describe(),
                source,
            })?;
        tracing::info!(database = %config, "store ready");
        Ok(Store {
            pool,
            backend,
            options,
        })
    }

    /// Which kind of database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for queries this crate does not offer (tests).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
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

fn create_data_dir(path: &Path) -> Result<(), ConnectError> {
    let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) else {
        return Ok(());
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| ConnectError::DataDir {
        path: dir.display().to_string(),
        source,
    })
}

/// Creates the SQLite file 0600 before SQLite does (it would use 0644), and
/// closes an existing one to other users; its `-wal` and `-shm` files get
/// the same mode from SQLite.
fn create_private_file(path: &Path) -> Result<(), ConnectError> {
    let failed = |source| ConnectError::DatabaseFile {
        path: path.display().to_string(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path).map_err(failed)?;
        let mode = file.metadata().map_err(failed)?.mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "the database file was open to other users; making it 0600");
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(failed)?;
        }
    }
    #[cfg(not(unix))]
    options.open(path).map_err(failed)?;
    Ok(())
}

/// One line naming the server, the failure and what to check.
fn connect_error(config: &StoreConfig, err: sqlx::Error) -> ConnectError {
    let Some(server) = config.server() else {
        return ConnectError::Unreachable(format!(
            "cannot open {}: {err} (check --data-dir or DATABASE_URL)",
            config.describe()
        ));
    };
    const WHERE: &str = "is PostgreSQL running there, and are POSTGRES_HOST and POSTGRES_PORT (or DATABASE_URL) right?";
    let line = match &err {
        sqlx::Error::Io(io) => format!("cannot reach PostgreSQL at {server}: {io}; {WHERE}"),
        sqlx::Error::PoolTimedOut => format!(
            "no answer from PostgreSQL at {server} within {} s; {WHERE}",
            CONNECT_TIMEOUT.as_secs()
        ),
        sqlx::Error::Database(db) => {
            let hint = match db.code().as_deref() {
                Some("28P01" | "28000") => "check POSTGRES_USER and POSTGRES_PASSWORD",
                Some("3D000") => "create it (createdb NAME) or set POSTGRES_DATABASE",
                _ => "check the database settings (POSTGRES_* or DATABASE_URL)",
            };
            format!("PostgreSQL at {server} refused: {}; {hint}", db.message())
        }
        sqlx::Error::Tls(tls) => {
            format!("TLS with PostgreSQL at {server} failed: {tls}; check sslmode in DATABASE_URL")
        }
        other => format!(
            "cannot connect to PostgreSQL at {server}: {other}; check POSTGRES_* or DATABASE_URL"
        ),
    };
    ConnectError::Unreachable(line)
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

    #[cfg(unix)]
    #[tokio::test]
    async fn the_sqlite_file_is_created_closed_to_other_users() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::Store::connect(&crate::StoreConfig::sqlite_in(dir.path()))
            .await
            .expect("opened");
        store.close().await;
        let file = dir.path().join(crate::SQLITE_FILE);
        let mode = std::fs::metadata(file).expect("stat").mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
