//! A live timer service (and an accounts service for tokens) on free ports.

use std::net::SocketAddr;
use std::time::Duration;

use clocker_accounts::AccountsConfig;
use clocker_proto::v1::timers_client::TimersClient;
use clocker_proto::v1::{TimerEvent, WatchTimersRequest};
use clocker_runtime::{AddressBook, CancellationToken, Launched, RuntimeConfig, bind};
use clocker_store::StoreConfig;
use clocker_testdb::TestDatabase;
use clocker_timers::{TimerClock, TimerLimits, TimersConfig};
use tokio::time::Instant;
use tonic::transport::Channel;
use tonic::{Code, Status, Streaming};

/// How long a test waits for something that should happen soon.
pub const PATIENCE: Duration = Duration::from_secs(15);

fn settings() -> RuntimeConfig {
    RuntimeConfig {
        // Generous, so a loaded machine cannot fail a test.
        budget: Duration::from_secs(2),
        drain: Duration::from_secs(2),
        ..RuntimeConfig::default()
    }
}

/// A running timer service (with accounts); stopped on drop.
pub struct TimersUnderTest {
    pub timers: SocketAddr,
    pub accounts: SocketAddr,
    pub zmq: String,
    shutdown: CancellationToken,
    launched: Vec<Launched>,
}

impl TimersUnderTest {
    pub async fn start(db: &TestDatabase, clock: TimerClock) -> Self {
        Self::start_with(db, clock, TimerLimits::default()).await
    }

    /// [`TimersUnderTest::start`] with these limits.
    pub async fn start_with(db: &TestDatabase, clock: TimerClock, limits: TimerLimits) -> Self {
        let database = StoreConfig::from_url(db.url()).expect("a valid test URL");
        let shutdown = CancellationToken::new();
        let accounts_config = AccountsConfig {
            database: database.clone(),
            ..AccountsConfig::default()
        };
        let listener = bind("accounts", "127.0.0.1:0".parse().expect("literal"))
            .await
            .expect("port");
        let accounts =
            clocker_accounts::launch(listener, &accounts_config, &settings(), shutdown.clone())
                .await
                .expect("accounts starts");
        let mut book = AddressBook::default();
        book.set(
            clocker_proto::v1::accounts_server::SERVICE_NAME,
            accounts.addr,
        );
        let config = TimersConfig {
            database,
            zmq_endpoint: "tcp://127.0.0.1:0".into(),
            session_recheck: SESSION_RECHECK,
            limits,
            clock,
            ..TimersConfig::default()
        };
        let listener = bind("timers", "127.0.0.1:0".parse().expect("literal"))
            .await
            .expect("port");
        let timers = clocker_timers::launch(listener, &config, book, &settings(), shutdown.clone())
            .await
            .unwrap_or_else(|err| panic!("timers starts: {err}"));
        let zmq = timers
            .other_endpoints
            .iter()
            .find_map(|endpoint| endpoint.strip_prefix("zeromq "))
            .expect("a ZeroMQ endpoint")
            .to_owned();
        Self {
            timers: timers.addr,
            accounts: accounts.addr,
            zmq,
            shutdown,
            launched: vec![timers, accounts],
        }
    }

    pub async fn client(&self) -> TimersClient<Channel> {
        TimersClient::connect(format!("http://{}", self.timers))
            .await
            .expect("connects")
    }

    /// Stops both services and waits until they have.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        for launched in self.launched.drain(..) {
            let _ = launched.stopped().await;
        }
    }
}

impl Drop for TimersUnderTest {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// How often the watches of [`TimersUnderTest`] check their session.
pub const SESSION_RECHECK: Duration = Duration::from_millis(100);

/// A watch of live events, after replaying the stored ones after `after_seq`.
pub async fn watch(
    client: &mut TimersClient<Channel>,
    token: &str,
    after_seq: Option<i64>,
) -> Streaming<TimerEvent> {
    client
        .watch_timers(WatchTimersRequest {
            token: token.into(),
            after_seq,
            ids: Vec::new(),
        })
        .await
        .expect("watching")
        .into_inner()
}

/// An anonymous watch of the timers `ids`.
pub async fn watch_ids(
    client: &mut TimersClient<Channel>,
    ids: &[&str],
    after_seq: Option<i64>,
) -> Streaming<TimerEvent> {
    client
        .watch_timers(WatchTimersRequest {
            token: String::new(),
            after_seq,
            ids: ids.iter().map(|id| (*id).to_owned()).collect(),
        })
        .await
        .expect("watching")
        .into_inner()
}

/// The next event within [`PATIENCE`].
pub async fn next_event(stream: &mut Streaming<TimerEvent>) -> TimerEvent {
    let deadline = Instant::now() + PATIENCE;
    tokio::time::timeout_at(deadline, stream.message())
        .await
        .expect("an event within the patience")
        .expect("the stream is healthy")
        .expect("the stream is open")
}

#[track_caller]
pub fn assert_code<T: std::fmt::Debug>(result: Result<T, Status>, code: Code) -> Status {
    match result {
        Err(status) if status.code() == code => status,
        other => panic!("expected {code:?}, got {other:?}"),
    }
}
