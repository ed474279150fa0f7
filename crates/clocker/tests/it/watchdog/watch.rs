//! A watchdog on a service's thread: a task on that thread that wakes every
//! [`PERIOD`] and records the longest it was kept from running, for each
//! phase of a test, minus the time the kernel kept the thread from a CPU
//! (see `watchdog.rs` for why).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use clocker_fleet::ServiceName;
use tokio::time::Instant;

use crate::support::PATIENCE;

/// How often the watchdog wakes.
pub const PERIOD: Duration = Duration::from_millis(1);

/// The longest the service thread may be kept from its tasks (the issue's
/// bar).
pub const MAX_STALL: Duration = Duration::from_millis(20);

/// The bar while the funnel serves the UI: copying bytes built into the
/// binary. The old compression at the first request kept the thread 13-15 ms
/// here (gzip `best` of the 290 KB bundle, debug build), under 20 ms.
pub const SERVING_STATIC_BYTES: Duration = Duration::from_millis(10);

/// What the test did while the watchdog watched, and the worst stall that
/// began then.
#[derive(Debug)]
struct Phase {
    what: &'static str,
    bar: Duration,
    worst: Duration,
}

#[derive(Debug, Default)]
struct Record {
    /// In order; the last one is what the test does now.
    phases: Vec<Phase>,
    wakes: u64,
}

/// A watchdog running on one service's thread.
#[derive(Clone, Default)]
pub struct Watchdog {
    record: Arc<Mutex<Record>>,
}

impl Watchdog {
    fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Names what the test does from now on, held to [`MAX_STALL`].
    pub fn doing(&self, what: &'static str) {
        self.doing_within(what, MAX_STALL);
    }

    /// Names what the test does from now on, and the longest stall allowed
    /// while it does.
    pub fn doing_within(&self, what: &'static str, bar: Duration) {
        self.record().phases.push(Phase {
            what,
            bar,
            worst: Duration::ZERO,
        });
    }

    /// Runs on the watched thread until its runtime goes.
    pub async fn watch(self) {
        let mut last_wake = std::time::Instant::now();
        let mut last_waited = kept_from_cpu();
        let mut last_phase = self.record().phases.len().saturating_sub(1);
        loop {
            tokio::time::sleep(PERIOD).await;
            let now = std::time::Instant::now();
            let waited = kept_from_cpu();
            let late = now.duration_since(last_wake).saturating_sub(PERIOD);
            // Time the thread could not get a CPU is not the service's doing.
            let stall = late.saturating_sub(waited.saturating_sub(last_waited));
            let mut record = self.record();
            record.wakes += 1;
            // A stall counts for the phase it began in (the test may have
            // moved on while the thread stalled).
            if let Some(phase) = record.phases.get_mut(last_phase) {
                phase.worst = phase.worst.max(stall);
            }
            last_phase = record.phases.len().saturating_sub(1);
            drop(record);
            last_wake = std::time::Instant::now();
            last_waited = kept_from_cpu();
        }
    }

    /// Waits until the watchdog has woken twice more, so a stall that just
    /// ended is recorded before the service stops.
    pub async fn settle(&self) {
        let target = self.record().wakes + 2;
        let deadline = Instant::now() + PATIENCE;
        while self.record().wakes < target {
            assert!(Instant::now() < deadline, "the watchdog stopped waking");
            tokio::time::sleep(PERIOD).await;
        }
    }

    /// Fails if the thread stalled longer than a phase allows.
    pub fn assert_never_stalled(&self, service: ServiceName) {
        let record = self.record();
        eprintln!("{service}: {record:?}");
        assert!(
            record.wakes > 0,
            "{service}: the watchdog never ran ({record:?})"
        );
        for phase in &record.phases {
            assert!(
                phase.worst <= phase.bar,
                "{service}'s thread stalled {:?} (over {:?}) during: {}",
                phase.worst,
                phase.bar,
                phase.what
            );
        }
    }

    /// The worst stall seen in any phase.
    pub fn worst(&self) -> (Duration, &'static str) {
        self.record()
            .phases
            .iter()
            .map(|phase| (phase.worst, phase.what))
            .max()
            .unwrap_or((Duration::ZERO, "nothing"))
    }
}

/// Time this thread has spent runnable but without a CPU so far: waiting
/// in the run queue, plus every CPU's stolen time (in a virtual machine).
fn kept_from_cpu() -> Duration {
    run_queue_delay() + stolen()
}

/// Time this thread has spent runnable but waiting for a CPU.
fn run_queue_delay() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat")
        .expect("the kernel reports scheduler statistics (/proc/thread-self/schedstat)");
    let nanos = stat
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .unwrap_or_else(|| panic!("unexpected schedstat {stat:?}"));
    Duration::from_nanos(nanos)
}

/// Time the host took from this machine's virtual CPUs (all of them).
fn stolen() -> Duration {
    // `/proc/stat` counts in USER_HZ, 100 a second on Linux: 10 ms each.
    let stat = std::fs::read_to_string("/proc/stat").expect("the kernel's /proc/stat");
    let ticks: u64 = stat
        .lines()
        .next()
        .and_then(|all| all.split_whitespace().nth(8))
        .and_then(|steal| steal.parse().ok())
        .unwrap_or_else(|| panic!("no steal time in /proc/stat's first line"));
    Duration::from_millis(ticks.saturating_mul(10))
}
