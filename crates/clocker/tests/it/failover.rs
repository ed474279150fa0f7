//! Timer fail-over: two `clocker serve timers` processes on one throwaway
//! PostgreSQL. One schedules; it is SIGKILLed (or SIGSTOPped, then woken)
//! while timers are due; the standby takes over, and every timer fires
//! exactly once.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use clocker_proto::v1::timer_event::Kind;
use clocker_proto::v1::timers_client::TimersClient;
use clocker_proto::v1::{SetTimerRequest, TimerEvent, WatchTimersRequest};
use clocker_store::{EventKind, Store, StoreConfig};
use clocker_testdb::TestDatabase;
use tonic::Streaming;

use crate::support::{http_get, spawn_serving};

const STARTUP: Duration = Duration::from_secs(30);
const PATIENCE: Duration = Duration::from_secs(20);
/// What the issue promises: a standby schedules within this of the death.
const TAKEOVER: Duration = Duration::from_secs(2);

/// One `clocker serve timers` replica; killed on drop.
struct Replica {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Replica {
    fn start(db: &TestDatabase, name: &str) -> Self {
        let log = std::env::temp_dir().join(format!(
            "clocker-failover-{}-{name}.log",
            std::process::id()
        ));
        let mut command = Command::new(env!("CARGO_BIN_EXE_clocker"));
        command
            .args(["serve", "timers", "--addr", "127.0.0.1:0"])
            .args(["--zmq-addr", "tcp://127.0.0.1:0"])
            // The lease is under test, not the 50 ms budget: a loaded
            // machine must not fail a set.
            .args(["--budget", "2s"])
            .env("DATABASE_URL", db.url())
            .env("RUST_LOG", "info");
        let (child, addr) = spawn_serving("timers", &mut command, &log);
        let addr = addr.parse().expect("an address");
        Self { child, addr, log }
    }

    /// 1 while this replica schedules, 0 while it stands by.
    async fn scheduling(&self) -> Option<u8> {
        let metrics = http_get(self.addr, "/metrics").await;
        metrics
            .lines()
            .find_map(|line| line.strip_prefix("clocker_timers_scheduling "))
            .map(|value| u8::from(value.trim() == "1"))
    }

    /// Polls until `scheduling` is `wanted`; how long that took.
    async fn wait_scheduling(&self, wanted: u8, within: Duration) -> Duration {
        let start = Instant::now();
        loop {
            if self.scheduling().await == Some(wanted) {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < within,
                "scheduling never became {wanted} within {within:?}; log: {}",
                read(&self.log)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn client(&self) -> TimersClient<tonic::transport::Channel> {
        TimersClient::connect(format!("http://{}", self.addr))
            .await
            .expect("connects")
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

fn read(log: &PathBuf) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

async fn next_event(events: &mut Streaming<TimerEvent>) -> TimerEvent {
    tokio::time::timeout(PATIENCE, events.message())
        .await
        .expect("an event in time")
        .expect("the watch stays up")
        .expect("the watch has not ended")
}

/// How the scheduling replica stops scheduling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Death {
    /// SIGKILL: its connection closes at once.
    Killed,
    /// SIGSTOP (its host unreachable, say) until PostgreSQL ends its silent
    /// session, then SIGCONT: for a moment it still believes it schedules,
    /// beside the replica that took over.
    Paused,
}

#[tokio::test]
async fn the_standby_takes_over_from_a_killed_scheduler_and_every_timer_fires_once() {
    fail_over(Death::Killed).await;
}

#[tokio::test]
async fn a_paused_scheduler_loses_the_lease_and_on_waking_fires_nothing_twice() {
    fail_over(Death::Paused).await;
}

async fn fail_over(death: Death) {
    let db = TestDatabase::postgres().expect("a PostgreSQL test database");
    let mut first = Replica::start(&db, "first");
    first.wait_scheduling(1, STARTUP).await;
    let second = Replica::start(&db, "second");
    second.wait_scheduling(0, STARTUP).await;
    assert_eq!(first.scheduling().await, Some(1), "one schedules at a time");

    // Twelve timers due over the next three seconds, half set through each
    // replica (the standby writes them; the scheduler fires them).
    let mut clients = [first.client().await, second.client().await];
    let mut due: HashMap<String, u64> = HashMap::new();
    for n in 0..12u64 {
        let seconds = 1 + n % 3;
        let timer = clients[(n % 2) as usize]
            .set_timer(SetTimerRequest {
                hours: 0,
                minutes: 0,
                seconds: seconds as i64,
                label: format!("timer {n}"),
                ..Default::default()
            })
            .await
            .expect("set")
            .into_inner();
        due.insert(timer.id, seconds);
    }

    // Watch them from the standby (from the first event: the watch may
    // start after some fired): it sees the events the other replica writes.
    let mut watcher = second.client().await;
    let mut events = watcher
        .watch_timers(WatchTimersRequest {
            token: String::new(),
            after_seq: Some(0),
            ids: due.keys().cloned().collect(),
        })
        .await
        .expect("watch")
        .into_inner();

    // Once the first one-second timer has fired (by the scheduler, seen on
    // the standby), stop the scheduler while the later ones are still due.
    let mut fired: HashMap<String, i64> = HashMap::new();
    while fired.is_empty() {
        let event = next_event(&mut events).await;
        if event.kind() == Kind::Fired {
            let timer = event.timer.expect("a timer");
            fired.insert(timer.id, timer.late_ms);
        }
    }
    let pid = first.child.id().to_string();
    match death {
        Death::Killed => {
            first.child.kill().expect("SIGKILL");
            first.child.wait().expect("reaped");
        }
        Death::Paused => signal("-STOP", &pid),
    }
    let stopped = Instant::now();
    let still_due = due.len() - fired.len();
    assert!(
        still_due > 0,
        "every timer fired before the scheduler stopped: nothing was tested"
    );
    let took = second.wait_scheduling(1, PATIENCE).await;
    eprintln!("the standby took over {took:?} after the {death:?} scheduler stopped");
    // A dead scheduler's session ends at once; a silent one's after 3 s.
    let allowed = match death {
        Death::Killed => TAKEOVER,
        Death::Paused => TAKEOVER + Duration::from_secs(3),
    };
    assert!(
        took <= allowed,
        "the standby took {took:?} to take over (at most {allowed:?})"
    );
    if death == Death::Paused {
        // Awake, it still holds every timer it knew of, the ones the
        // standby has fired meanwhile among them, and fires what is due
        // before it finds its lease gone.
        signal("-CONT", &pid);
        first.wait_scheduling(0, PATIENCE).await;
        assert_eq!(
            second.scheduling().await,
            Some(1),
            "the standby keeps scheduling"
        );
    }

    while fired.len() < due.len() {
        let event = next_event(&mut events).await;
        if event.kind() == Kind::Fired {
            let timer = event.timer.expect("a timer");
            assert!(
                fired.insert(timer.id.clone(), timer.late_ms).is_none(),
                "timer {} fired twice",
                timer.id
            );
        }
    }
    assert_eq!(
        fired.keys().collect::<std::collections::BTreeSet<_>>(),
        due.keys().collect(),
        "every timer fired"
    );
    // Whatever was due after the scheduler stopped fired late by at most the takeover.
    for (id, late_ms) in &fired {
        assert!(
            *late_ms <= (allowed + Duration::from_millis(500)).as_millis() as i64,
            "timer {id} (due in {} s) fired {late_ms} ms late; stopped {:?} ago",
            due[id],
            stopped.elapsed()
        );
    }
    let by_standby = fired_total(&second).await;
    assert!(
        by_standby > 0,
        "the standby fired none of the {still_due} still due"
    );

    // The store agrees: one fired event per timer.
    let store = Store::connect(&StoreConfig::from_url(db.url()).expect("a valid URL"))
        .await
        .expect("connects");
    let mut stored: HashMap<String, usize> = HashMap::new();
    for event in store.list_events_since(0, 1000).await.expect("events") {
        if event.kind == EventKind::Fired {
            *stored.entry(event.timer.id).or_default() += 1;
        }
    }
    assert_eq!(
        stored.len(),
        due.len(),
        "fired events in the store: {stored:?}"
    );
    assert!(stored.values().all(|&count| count == 1), "{stored:?}");
    store.close().await;
    drop(first);
}

/// Sends `signal` (`-STOP`, `-CONT`) to the process `pid`.
fn signal(signal: &str, pid: &str) {
    let status = Command::new("kill")
        .args([signal, pid])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill {signal} {pid}");
}

/// How many timers `replica` has fired (`clocker_timers_fired_total`).
async fn fired_total(replica: &Replica) -> u64 {
    http_get(replica.addr, "/metrics")
        .await
        .lines()
        .find_map(|line| line.strip_prefix("clocker_timers_fired_total "))
        .map_or(0, |value| value.trim().parse().unwrap_or(0))
}
