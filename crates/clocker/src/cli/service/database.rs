//! Where accounts and timers keep their data: SQLite or PostgreSQL.

use std::path::PathBuf;

use clap::Args;
use clocker_store::{DatabaseConfig, StoreConfig};

/// Where accounts (and later timers) are stored: SQLite under --data-dir
/// unless PostgreSQL is configured. Also read from a .env file.
#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// Directory of the SQLite database [default: $XDG_DATA_HOME/clocker or ~/.local/share/clocker].
    #[arg(long, env = "CLOCKER_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// postgres://user:password@host:port/database (wins over POSTGRES_*), or sqlite://path.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// PostgreSQL host; setting it (or POSTGRES_DATABASE) selects PostgreSQL.
    #[arg(long, env = "POSTGRES_HOST")]
    pub postgres_host: Option<String>,
    /// PostgreSQL port [default: 5432].
    #[arg(long, env = "POSTGRES_PORT")]
    pub postgres_port: Option<u16>,
    /// PostgreSQL user [default: postgres].
    #[arg(long, env = "POSTGRES_USER")]
    pub postgres_user: Option<String>,
    /// PostgreSQL password (prefer the environment or .env to the command line).
    #[arg(long, env = "POSTGRES_PASSWORD", hide_env_values = true)]
    pub postgres_password: Option<String>,
    /// PostgreSQL database [default: the user name].
    #[arg(long, env = "POSTGRES_DATABASE")]
    pub postgres_database: Option<String>,
}

impl DatabaseArgs {
    /// Where the store is, as these flags (and the environment) say.
    pub fn store_config(self) -> anyhow::Result<StoreConfig> {
        let settings = DatabaseConfig {
            url: self.database_url,
            postgres_host: self.postgres_host,
            postgres_port: self.postgres_port,
            postgres_user: self.postgres_user,
            postgres_password: self.postgres_password,
            postgres_database: self.postgres_database,
            data_dir: self
                .data_dir
                .unwrap_or_else(clocker_store::default_data_dir),
        };
        Ok(StoreConfig::resolve(&settings)?)
    }
}
