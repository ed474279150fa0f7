//! The accounts service (seed 003): users with argon2id password hashes and
//! sessions held by clients as opaque tokens.
//!
//! Three layers, as the seed separates `*Service` from `*ServiceImpl`: the
//! gRPC wrapper, the domain, and storage (`clocker-store`, SQLite or
//! PostgreSQL).
//!
//! Layout:
//! - `service`: the gRPC wrapper, conversion only ([`AccountsService`]).
//! - `accounts`: the domain ([`Accounts`]): register, login, who am I,
//!   logout, session expiry.
//! - `credentials`: what a username and a password may be.
//! - `password`: argon2id hashing off the event loop, on a pool of its own
//!   fed by `job_queue` (bounded; a cancelled caller's job is taken out).
//! - `token`: session tokens and the digests stored for them.
//! - `world_clock`: an account's list of time zones, and what it may hold
//!   ([`canonical_zones`]).
//! - `throttle`: delays for password guesses and registrations.
//! - `lru_map`: the bounded map the throttle keeps its records in.
//! - `error`: what can go wrong, and the one mapping to gRPC.
//!
//! [`launch`] opens the store, migrates it, and serves `clocker.v1.Accounts`
//! with the runtime's health, reflection, metrics and budget. Register and
//! Login hash a password, which is slow by design, so they get
//! [`AccountsConfig::password_budget`] instead of the 50 ms method budget;
//! Logout, WhoAmI, GetWorldClock and SetWorldClock keep it.

mod accounts;
mod credentials;
mod error;
mod job_queue;
mod lru_map;
mod password;
mod service;
mod throttle;
mod token;
mod world_clock;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use clocker_proto::FILE_DESCRIPTOR_SET;
use clocker_proto::v1::accounts_server::AccountsServer;
use clocker_runtime::{
    CancellationToken, GrpcServer, LaunchError, Launched, ReadinessChecks, RuntimeConfig,
    TaskTracker,
};
use clocker_store::{Store, StoreConfig};
use tokio::net::TcpListener;

pub use accounts::{Account, Accounts, LiveSession, NewSession, WallClock};
pub use credentials::{Password, Username};
pub use error::{AccountsError, BAD_CREDENTIALS};
pub use password::PasswordHasher;
pub use service::AccountsService;
pub use throttle::{LoginAttempt, Throttle, ThrottlePolicy};
pub use world_clock::canonical_zones;

/// The service's name (in logs, metrics and errors).
pub const NAME: &str = "accounts";

/// The accounts service requires no other service.
pub const REQUIRES: &[&str] = &[];

/// The methods that hash a password.
pub const PASSWORD_METHODS: [&str; 2] = [
    "/clocker.v1.Accounts/Register",
    "/clocker.v1.Accounts/Login",
];

/// How often expired sessions are deleted.
const SWEEP_EVERY: Duration = Duration::from_secs(600);

/// How the accounts service runs.
#[derive(Debug, Clone)]
pub struct AccountsConfig {
    /// Where accounts are kept.
    pub database: StoreConfig,
    /// How long a session lasts after login.
    pub session_ttl: Duration,
    /// The budget of Register and Login (they hash a password).
    pub password_budget: Duration,
    /// How many passwords may be hashed at once (default: one per core):
    /// the hashing pool's threads.
    pub hash_concurrency: usize,
    pub throttle: ThrottlePolicy,
    /// Peers whose `x-forwarded-for` names the client (the REST gateway's
    /// addresses; default: loopback, where `clocker up` runs it).
    pub trusted_proxies: Vec<IpAddr>,
}

/// Where `clocker up` runs the gateway.
pub const DEFAULT_TRUSTED_PROXIES: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::LOCALHOST),
    IpAddr::V6(Ipv6Addr::LOCALHOST),
];

impl Default for AccountsConfig {
    fn default() -> Self {
        Self {
            database: StoreConfig::sqlite_in(&clocker_store::default_data_dir()),
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            password_budget: Duration::from_secs(2),
            hash_concurrency: std::thread::available_parallelism().map_or(1, |n| n.get()),
            throttle: ThrottlePolicy::default(),
            trusted_proxies: DEFAULT_TRUSTED_PROXIES.to_vec(),
        }
    }
}

/// Opens the store and serves `clocker.v1.Accounts` on `listener`.
pub async fn launch(
    listener: TcpListener,
    config: &AccountsConfig,
    settings: &RuntimeConfig,
    shutdown: CancellationToken,
) -> Result<Launched, LaunchError> {
    let service = NAME;
    let store = Store::connect(&config.database)
        .await
        .map_err(LaunchError::setup(service, "cannot open the account store"))?;
    // Ready while its database answers `SELECT 1`.
    let checks =
        ReadinessChecks::new().answering("database", &settings.readiness, store.ping_probe());
    let accounts = Arc::new(
        Accounts::new(store, config)
            .map_err(LaunchError::setup(service, "cannot start password hashing"))?,
    );
    // The sweeper is waited for (within the drain) at shutdown.
    let tasks = TaskTracker::new();
    tasks.spawn(sweep_expired_sessions(accounts.clone(), shutdown.clone()));
    let server = PASSWORD_METHODS.iter().fold(
        GrpcServer::new(service, FILE_DESCRIPTOR_SET)
            .readiness(checks)
            .with_tasks(tasks),
        |server, method| server.method_budget(method, config.password_budget),
    );
    let launched = server
        .add_service(AccountsServer::new(AccountsService::new(
            accounts.clone(),
            &config.trusted_proxies,
        )))
        .launch(listener, settings, shutdown)
        .await?;
    Ok(launched)
}

/// Deletes expired sessions now and every [`SWEEP_EVERY`] until shutdown.
async fn sweep_expired_sessions(accounts: Arc<Accounts>, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            () = shutdown.cancelled() => break,
        }
        let swept = tokio::select! {
            swept = accounts.sweep_expired_sessions() => swept,
            () = shutdown.cancelled() => break,
        };
        match swept {
            Ok(0) => {}
            Ok(swept) => tracing::info!(swept, "expired sessions deleted"),
            Err(err) => tracing::warn!(%err, "cannot delete expired sessions"),
        }
    }
}
