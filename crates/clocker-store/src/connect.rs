//! Opening a store: the SQLite file and its directory created private, one
//! direct connection first so that a refused connection or a wrong password
//! is reported as what it is (one line naming the server and what to
//! check), then the pool, then the migrations.

use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, Connection, Executor};

use crate::{Backend, ConfigError, SqlitePath, Store, StoreConfig, migrator};

/// How long connecting (or waiting for a pooled connection) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

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
