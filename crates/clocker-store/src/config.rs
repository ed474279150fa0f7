//! Which database to use: an SQLite file under the data directory unless
//! PostgreSQL is configured, by `DATABASE_URL` or by the seed's `POSTGRES_*`
//! variables.
//!
//! The password is kept out of every `Display` and `Debug`: what is printed
//! is the [`StoreConfig::describe`] form, `postgres://user@host:port/db`.

use std::fmt;
use std::path::{Path, PathBuf};

use url::Url;

/// The file name of the SQLite database inside the data directory.
pub const SQLITE_FILE: &str = "clocker.db";

/// Where Clocker keeps its data unless told otherwise:
/// `$XDG_DATA_HOME/clocker`, else `~/.local/share/clocker`, else
/// `./clocker-data`.
pub fn default_data_dir() -> PathBuf {
    let from_env = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(data_home) = from_env("XDG_DATA_HOME") {
        return PathBuf::from(data_home).join("clocker");
    }
    if let Some(home) = from_env("HOME") {
        return PathBuf::from(home).join(".local/share/clocker");
    }
    PathBuf::from("clocker-data")
}

/// The database settings as given (flags, environment, `.env`).
#[derive(Clone, Default)]
pub struct DatabaseConfig {
    /// `DATABASE_URL`: `postgres://…`, `sqlite://path` or `sqlite::memory:`.
    pub url: Option<String>,
    /// `POSTGRES_HOST`; setting it (or `POSTGRES_DATABASE`) selects PostgreSQL.
    pub postgres_host: Option<String>,
    /// `POSTGRES_PORT` [default: 5432].
    pub postgres_port: Option<u16>,
    /// `POSTGRES_USER` [default: postgres].
    pub postgres_user: Option<String>,
    /// `POSTGRES_PASSWORD`.
    pub postgres_password: Option<String>,
    /// `POSTGRES_DATABASE` [default: the user name].
    pub postgres_database: Option<String>,
    /// Where the SQLite file lives when no PostgreSQL is configured.
    pub data_dir: PathBuf,
}

impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &self.url.as_ref().map(|_| "<set>"))
            .field("postgres_host", &self.postgres_host)
            .field("postgres_port", &self.postgres_port)
            .field("postgres_user", &self.postgres_user)
            .field(
                "postgres_password",
                &self.postgres_password.as_ref().map(|_| "<set>"),
            )
            .field("postgres_database", &self.postgres_database)
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

/// A database to connect to.
#[derive(Clone)]
pub enum StoreConfig {
    /// An SQLite file (created when missing), or an in-memory database.
    Sqlite { path: SqlitePath },
    /// A PostgreSQL server; `url` holds the password.
    Postgres { url: Url },
}

/// Where an SQLite database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlitePath {
    File(PathBuf),
    /// One private in-memory database (a pool of one connection).
    Memory,
}

/// Settings that do not describe a database.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error(
        "DATABASE_URL is not a valid URL ({0}); expected postgres://user:password@host:port/database or sqlite://path"
    )]
    BadUrl(String),
    #[error("DATABASE_URL scheme '{0}' is not supported; use postgres:// or sqlite://")]
    UnsupportedScheme(String),
    #[error("POSTGRES_HOST '{0}' is not a valid host name or address")]
    BadHost(String),
}

impl StoreConfig {
    /// Chooses the database: `DATABASE_URL` first, then the `POSTGRES_*`
    /// variables (when `POSTGRES_HOST` or `POSTGRES_DATABASE` is set), else
    /// `clocker.db` in the data directory.
    pub fn resolve(settings: &DatabaseConfig) -> Result<Self, ConfigError> {
        if let Some(url) = &settings.url {
            return Self::from_url(url);
        }
        if settings.postgres_host.is_some() || settings.postgres_database.is_some() {
            return Self::from_postgres_parts(settings);
        }
        Ok(Self::sqlite_in(&settings.data_dir))
    }

    /// The SQLite file in `data_dir`.
    pub fn sqlite_in(data_dir: &Path) -> Self {
        StoreConfig::Sqlite {
            path: SqlitePath::File(data_dir.join(SQLITE_FILE)),
        }
    }

    /// Parses a database URL: `postgres://` (or `postgresql://`),
    /// `sqlite://relative/or/absolute/path`, `sqlite:path` or `sqlite::memory:`.
    pub fn from_url(url: &str) -> Result<Self, ConfigError> {
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.split('?').next().unwrap_or_default();
            return Ok(StoreConfig::Sqlite {
                path: if path == ":memory:" || path.is_empty() {
                    SqlitePath::Memory
                } else {
                    SqlitePath::File(PathBuf::from(path))
                },
            });
        }
        // The parse error never contains the URL (and so no password).
        let parsed = Url::parse(url).map_err(|err| ConfigError::BadUrl(err.to_string()))?;
        match parsed.scheme() {
            "postgres" | "postgresql" => Ok(StoreConfig::Postgres { url: parsed }),
            other => Err(ConfigError::UnsupportedScheme(other.to_owned())),
        }
    }

    fn from_postgres_parts(settings: &DatabaseConfig) -> Result<Self, ConfigError> {
        let host = settings.postgres_host.as_deref().unwrap_or("localhost");
        let user = settings.postgres_user.as_deref().unwrap_or("postgres");
        let database = settings.postgres_database.as_deref().unwrap_or(user);
        let mut url = Url::parse("postgres://localhost").expect("a valid base URL");
        url.set_host(Some(host))
            .map_err(|_| ConfigError::BadHost(host.to_owned()))?;
        url.set_port(Some(settings.postgres_port.unwrap_or(5432)))
            .expect("postgres URLs take a port");
        url.set_username(user).expect("postgres URLs take a user");
        if let Some(password) = &settings.postgres_password {
            url.set_password(Some(password))
                .expect("postgres URLs take a password");
        }
        url.path_segments_mut()
            .expect("postgres URLs have a path")
            .push(database);
        Ok(StoreConfig::Postgres { url })
    }

    /// What to print in logs and errors: the password left out.
    pub fn describe(&self) -> String {
        match self {
            StoreConfig::Sqlite {
                path: SqlitePath::File(path),
            } => format!("sqlite:{}", path.display()),
            StoreConfig::Sqlite {
                path: SqlitePath::Memory,
            } => "sqlite::memory:".to_owned(),
            StoreConfig::Postgres { url } => {
                let mut shown = url.clone();
                let _ = shown.set_password(None);
                shown.set_query(None);
                shown.to_string()
            }
        }
    }

    /// `host:port` of a PostgreSQL server, for error messages.
    pub(crate) fn server(&self) -> Option<String> {
        match self {
            StoreConfig::Postgres { url } => Some(format!(
                "{}:{}",
                url.host_str().unwrap_or("localhost"),
                url.port().unwrap_or(5432)
            )),
            StoreConfig::Sqlite { .. } => None,
        }
    }

    /// The URL sqlx connects with.
    pub(crate) fn connect_url(&self) -> String {
        match self {
            StoreConfig::Sqlite {
                path: SqlitePath::File(path),
            } => format!("sqlite://{}?mode=rwc", path.display()),
            StoreConfig::Sqlite {
                path: SqlitePath::Memory,
            } => "sqlite::memory:".to_owned(),
            StoreConfig::Postgres { url } => url.to_string(),
        }
    }
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl fmt::Display for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> DatabaseConfig {
        DatabaseConfig {
            data_dir: PathBuf::from("/var/lib/clocker"),
            ..DatabaseConfig::default()
        }
    }

    #[test]
    fn nothing_configured_means_sqlite_in_the_data_dir() {
        let config = StoreConfig::resolve(&settings()).expect("valid");
        assert_eq!(config.describe(), "sqlite:/var/lib/clocker/clocker.db");
    }

    #[test]
    fn the_seeds_postgres_variables_build_a_url_without_showing_the_password() {
        let config = StoreConfig::resolve(&DatabaseConfig {
            postgres_host: Some("db.internal".into()),
            postgres_port: Some(6543),
            postgres_user: Some("clock".into()),
            postgres_password: Some("p@ss:w/rd".into()),
            postgres_database: Some("accounts".into()),
            ..settings()
        })
        .expect("valid");
        assert_eq!(
            config.describe(),
            "postgres://clock@db.internal:6543/accounts"
        );
        assert!(!format!("{config:?} {config}").contains("p@ss"));
        assert_eq!(
            config.connect_url(),
            "postgres://clock:p%40ss%3Aw%2Frd@db.internal:6543/accounts"
        );
        assert_eq!(config.server().as_deref(), Some("db.internal:6543"));
    }

    #[test]
    fn database_url_wins_over_the_postgres_variables() {
        let config = StoreConfig::resolve(&DatabaseConfig {
            url: Some("postgres://u:secret@h/d?sslmode=disable".into()),
            postgres_host: Some("elsewhere".into()),
            ..settings()
        })
        .expect("valid");
        assert_eq!(config.describe(), "postgres://u@h/d");
        assert_eq!(config.server().as_deref(), Some("h:5432"));
    }

    #[test]
    fn sqlite_urls_name_a_file_or_memory() {
        let file = StoreConfig::from_url("sqlite://data/x.db").expect("valid");
        assert_eq!(file.describe(), "sqlite:data/x.db");
        let memory = StoreConfig::from_url("sqlite::memory:").expect("valid");
        assert_eq!(memory.describe(), "sqlite::memory:");
    }

    #[test]
    fn bad_urls_are_explained_without_echoing_them() {
        let err = StoreConfig::from_url("mysql://u:secret@h/d").expect_err("unsupported");
        assert_eq!(err, ConfigError::UnsupportedScheme("mysql".into()));
        let err = StoreConfig::from_url("postgres://u:secret@[bad/d").expect_err("invalid");
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn debug_of_settings_hides_secrets() {
        let shown = format!(
            "{:?}",
            DatabaseConfig {
                url: Some("postgres://u:secret@h/d".into()),
                postgres_password: Some("secret".into()),
                ..settings()
            }
        );
        assert!(!shown.contains("secret"), "{shown}");
    }
}
