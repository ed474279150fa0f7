//! The timer service (seed 002): durable countdown timers with two front
//! doors on one scheduler.
//!
//! Layout:
//! - `service`: gRPC `clocker.v1.Timers` (set, get, list, cancel, watch),
//!   conversion only; `watches`: how one watch runs (replay, then live
//!   events, for as long as its session lasts).
//! - `zmq`: ZeroMQ request/reply as a ROUTER socket, on a ZMTP server of our
//!   own with bounded frames and connections (the seed's three-frame
//!   request, or JSON).
//! - `timers`: the domain ([`Timers`]); `sessions`: session tokens to
//!   callers ([`SessionResolver`], asking the accounts service). What a
//!   duration may be, and the JSON of a timer, are `clocker-wire`'s (the
//!   gateway and the stream share them).
//! - `scheduler`: pending timers by due time, fired in batches.
//! - `follow`: passes every event in number order to the scheduler and
//!   the watchers, whichever replica wrote it (the store is read for those
//!   this replica did not write).
//! - `clock`: the clock timers run on (the system's, or shifted from it;
//!   never current-time's `--clock`).
//! - `lease`: which replica fires (a PostgreSQL advisory lock).
//! - `limits`: quotas of pending timers, replay bounds, and retention (the
//!   task deleting ended timers and their events).
//! - storage: `clocker-store` (SQLite or PostgreSQL), shared with accounts.
//!
//! Setting a timer answers as soon as it is stored (well inside the 50 ms
//! budget); firing is the scheduler's job. A restart reloads every pending
//! timer, and fires at once (marked late) those whose time passed meanwhile.
//!
//! On PostgreSQL several replicas may run: every one answers gRPC and
//! ZeroMQ (writing to the store), one at a time schedules, and a standby
//! takes over within a fraction of a second of its death. No timer is lost
//! (they are all in the store) or fired twice (ending one is conditional).

mod clock;
mod error;
mod follow;
mod lease;
mod limits;
mod scheduler;
mod service;
mod sessions;
mod timers;
mod watches;
pub mod zmq;

use std::time::Duration;

use clocker_proto::FILE_DESCRIPTOR_SET;
use clocker_proto::v1::accounts_client::AccountsClient;
use clocker_proto::v1::accounts_server;
use clocker_proto::v1::timers_server::TimersServer;
use clocker_runtime::{
    AddressBook, CancellationToken, GrpcServer, LaunchError, Launched, Locator, ReadinessChecks,
    RuntimeConfig, TaskTracker,
};
use clocker_store::{Backend, Store, StoreConfig};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tonic::transport::Channel;

pub use clock::{BadTimerClock, TimerClock};
pub use error::TimerError;
pub use lease::SCHEDULING_LEASE;
pub use limits::{
    DEFAULT_PENDING_PER_ACCOUNT, DEFAULT_PENDING_PER_ADDRESS, DEFAULT_RETENTION, MAX_REPLAY,
    TimerLimits,
};
pub use service::{TimersService, timer_message};
pub use sessions::{Caller, DEFAULT_SESSION_RECHECK, Session, SessionResolver};
pub use timers::{IDEMPOTENCY_KEY_RETENTION, MAX_LABEL_BYTES, Timers, late_ms};
pub use watches::Watches;
pub use zmq::{MAX_FRAME_BYTES, ZmqLimits};

/// The timer service checks session tokens with the accounts service.
pub const REQUIRES: &[&str] = &[accounts_server::SERVICE_NAME];

/// The service's name (in logs, metrics and errors).
pub const NAME: &str = "timers";

/// The seed's ZeroMQ endpoint.
pub const DEFAULT_ZMQ_ENDPOINT: &str = "tcp://127.0.0.1:8888";

/// How the timer service runs.
#[derive(Debug, Clone)]
pub struct TimersConfig {
    /// Where timers are kept.
    pub database: StoreConfig,
    /// The ZeroMQ endpoint to bind (`tcp://host:port`; port 0 for any).
    pub zmq_endpoint: String,
    /// How often an open watch checks that its session is still valid.
    pub session_recheck: Duration,
    /// Quotas, retention, trusted proxies.
    pub limits: TimerLimits,
    /// Caps and deadlines of the ZeroMQ door.
    pub zmq_limits: ZmqLimits,
    /// The clock timers are set and fired by.
    pub clock: TimerClock,
}

impl Default for TimersConfig {
    fn default() -> Self {
        Self {
            database: StoreConfig::sqlite_in(&clocker_store::default_data_dir()),
            zmq_endpoint: DEFAULT_ZMQ_ENDPOINT.to_owned(),
            session_recheck: DEFAULT_SESSION_RECHECK,
            limits: TimerLimits::default(),
            zmq_limits: ZmqLimits::default(),
            clock: TimerClock::system(),
        }
    }
}

/// Opens the store, starts the scheduler from the pending timers, and
/// serves `clocker.v1.Timers` on `listener` and ZeroMQ on the configured
/// endpoint (reported in [`Launched::also`] as `zeromq tcp://…`).
pub async fn launch(
    listener: TcpListener,
    config: &TimersConfig,
    book: AddressBook,
    settings: &RuntimeConfig,
    shutdown: CancellationToken,
) -> Result<Launched, LaunchError> {
    let service = NAME;
    // The lease task sets its gauge when it first runs, which may be before
    // the server is launched: the recorder must exist by then.
    let _ = clocker_runtime::prometheus();
    let locator = Locator::new(service, REQUIRES, book);
    let accounts = locator
        .locate::<AccountsClient<Channel>>()
        .map_err(LaunchError::setup(
            service,
            "cannot find the accounts service",
        ))?;
    // Leave a fifth of the budget to answer in time when accounts is slow.
    let sessions = SessionResolver::new(accounts, settings.budget * 4 / 5, config.session_recheck);
    let store = Store::connect(&config.database)
        .await
        .map_err(LaunchError::setup(service, "cannot open the timer store"))?;
    let timers = Timers::new(
        store.clone(),
        config.clock.clone(),
        sessions,
        config.limits.clone(),
    );
    // Where the follower starts, read before the pending timers: what is
    // written between the two reaches the scheduler twice, harmlessly.
    let after = timers.last_seq().await.map_err(LaunchError::setup(
        service,
        "cannot read the last event number",
    ))?;
    let pending = timers.load_pending().await.map_err(LaunchError::setup(
        service,
        "cannot load the pending timers",
    ))?;
    if !pending.is_empty() {
        tracing::info!(pending = pending.len(), "timers reloaded");
    }
    // Other replicas' events only exist on a shared PostgreSQL.
    let poll = match store.backend() {
        Backend::Postgres => follow::POLL_SHARED,
        Backend::Sqlite => follow::POLL_ALONE,
    };
    let (schedule, commands) = mpsc::unbounded_channel();
    // Ready while its database answers `SELECT 1`: a replica that lost
    // PostgreSQL reports itself not ready instead of failing every call.
    let database_answers =
        ReadinessChecks::new().answering("database", &settings.readiness, store.ping_probe());
    let (scheduling, scheduling_rx) = watch::channel(false);
    // Every task of the service, waited for (within the drain) at shutdown.
    let tasks = TaskTracker::new();
    tasks.spawn(lease::hold(store, scheduling, shutdown.clone()));
    tasks.spawn(follow::run(
        timers.clone(),
        after,
        schedule,
        poll,
        shutdown.clone(),
    ));
    tasks.spawn(scheduler::run(
        timers.clone(),
        commands,
        pending,
        scheduling_rx,
        shutdown.clone(),
    ));
    tasks.spawn(limits::prune_periodically(timers.clone(), shutdown.clone()));
    let zmq = zmq::serve(
        &config.zmq_endpoint,
        timers.clone(),
        config.zmq_limits,
        &tasks,
        shutdown.clone(),
    )
    .await
    .map_err(LaunchError::setup(service, "cannot open the ZeroMQ door"))?;
    let watches = Watches::new(tasks.clone(), shutdown.clone());
    let mut launched = GrpcServer::new(service, FILE_DESCRIPTOR_SET)
        .readiness(database_answers)
        .add_service(TimersServer::new(TimersService::new(timers, watches)))
        .with_tasks(tasks)
        .launch(listener, settings, shutdown)
        .await?;
    launched.other_endpoints.push(format!("zeromq {zmq}"));
    Ok(launched)
}
