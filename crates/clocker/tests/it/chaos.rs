//! The chaos run: a whole fleet from `clocker up --ephemeral` under load
//! (WebSocket clients on the funnel, SSE clients on the stream, gRPC and
//! ZeroMQ timer sets with idempotency keys, a timer watcher, logins) while
//! a driver SIGKILLs, or SIGSTOPs then SIGCONTs, random services (never the
//! supervisor, never the funnel) one at a time, then checks and prints what
//! held: timers acknowledged/fired/duplicated/early, WebSocket clients
//! dropped and how fast frames resumed, connects refused, orphans, memory.
//!
//! Its size comes from the environment, so `make chaos` runs the same code
//! with the full numbers: `CHAOS_KILLS` (faults, default 10), `CHAOS_CLIENTS`
//! (WebSocket clients, default 50), `CHAOS_SEED` (printed on every run; set
//! it to replay a run's choice of services, signals and pauses).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::sync::watch;

use crate::supervisor::{Up, alive, pid_of};

mod load;
mod timers;

use load::{Counters, FrameWatch, RunClock};

/// The longest frames may take to resume after a component is back.
const RESUME_WITHIN: Duration = Duration::from_secs(1);
/// How long the driver waits for every client's frames after a fault.
const RESUME_PATIENCE: Duration = Duration::from_secs(10);
/// How long every acknowledged timer may take to be seen firing after the load stops.
const FIRE_PATIENCE: Duration = Duration::from_secs(30);
/// How long memory may take to settle back after the load stops.
const SETTLE_PATIENCE: Duration = Duration::from_secs(10);
/// The memory bound after the run: idle RSS plus half of it, at least 16 MiB.
const RSS_SLACK_MIN_KIB: u64 = 16 * 1024;

/// The run's size, from the environment.
#[derive(Debug, Clone, Copy)]
struct Size {
    faults: u32,
    clients: usize,
    seed: u64,
}

impl Size {
    fn from_env() -> Size {
        let number = |name: &str, default: u64| {
            std::env::var(name).map_or(default, |value| {
                value
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}={value} is not a number"))
            })
        };
        let clock_seed = u64::try_from(jiff::Timestamp::now().as_microsecond()).unwrap_or(1);
        Size {
            faults: u32::try_from(number("CHAOS_KILLS", 10)).expect("a sane CHAOS_KILLS"),
            clients: usize::try_from(number("CHAOS_CLIENTS", 50)).expect("a sane CHAOS_CLIENTS"),
            seed: number("CHAOS_SEED", clock_seed),
        }
    }
}

/// splitmix64: a seedable generator, so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Resident memory of `pid` in KiB (0 when it is gone).
fn rss_kib(pid: Pid) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

/// Every service's RSS, by name.
fn fleet_rss(up: &Up) -> BTreeMap<String, u64> {
    up.ps()
        .iter()
        .map(|row| (row.name.clone(), rss_kib(pid_of(row))))
        .collect()
}

fn rss_bound(idle_kib: u64) -> u64 {
    idle_kib + (idle_kib / 2).max(RSS_SLACK_MIN_KIB)
}

/// Processes whose parent is `parent`.
fn children_of(parent: Pid) -> Vec<Pid> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                stat.rsplit(')')
                    .next()
                    .and_then(|rest| rest.split_whitespace().nth(1))
                    .is_some_and(|ppid| ppid == parent.to_string())
            })
        })
        .map(Pid::from_raw)
        .collect()
}

/// One fault the driver caused, and what the WebSocket clients saw.
#[derive(Debug)]
struct Fault {
    service: String,
    signal: &'static str,
    /// How long the service was stopped (SIGSTOP only).
    paused_ms: u64,
    /// From the fault until `clocker ps` said ready again.
    back_after_ms: u64,
    /// The slowest client's first complete frame after the service was back.
    resumed_ms: Option<u64>,
    /// The largest gap between complete frames any client saw in this fault.
    largest_gap_ms: u64,
}

/// The load: every client task and what they share.
struct Load {
    runtime: tokio::runtime::Runtime,
    stop: watch::Sender<bool>,
    stop_timers: watch::Sender<bool>,
    clock: RunClock,
    counters: Arc<Counters>,
    ledger: timers::SharedLedger,
    frames: Vec<Arc<FrameWatch>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    timer_tasks: Vec<tokio::task::JoinHandle<()>>,
    token: String,
}

impl Load {
    fn start(up: &Up, size: Size) -> Load {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the load");
        let (stop, stopping) = watch::channel(false);
        let (stop_timers, timers_stopping) = watch::channel(false);
        let clock = RunClock(runtime.block_on(async { tokio::time::Instant::now() }));
        let counters = Arc::new(Counters::default());
        let ledger = timers::SharedLedger::default();
        let (funnel, stream, accounts, timers_addr) = (
            up.addr("funnel"),
            up.addr("stream"),
            up.addr("accounts"),
            up.addr("timers"),
        );
        let zmq = zmq_endpoint(up);
        let credentials = (
            format!("chaos{}", std::process::id()),
            "a chaos run's password".to_owned(),
        );
        let token = runtime.block_on(timers::account_token(accounts, &credentials));
        let mut tasks = Vec::new();
        let mut frames = Vec::new();
        for _ in 0..size.clients {
            let watch = Arc::new(FrameWatch::default());
            frames.push(watch.clone());
            tasks.push(runtime.spawn(load::websocket_client(
                funnel,
                watch,
                counters.clone(),
                clock,
                stopping.clone(),
            )));
        }
        for _ in 0..(size.clients / 25).max(2) {
            tasks.push(runtime.spawn(load::sse_client(stream, counters.clone(), stopping.clone())));
        }
        tasks.push(runtime.spawn(load::login_loop(
            accounts,
            credentials,
            Duration::from_millis(250),
            counters.clone(),
            stopping.clone(),
        )));
        let every = Duration::from_millis(100);
        let mut timer_tasks = vec![runtime.spawn(timers::watcher(
            timers_addr,
            token.clone(),
            ledger.clone(),
            counters.clone(),
            stopping.clone(),
        ))];
        for door in 0..2 {
            tasks.push(runtime.spawn(timers::grpc_setter(
                timers_addr,
                format!("grpc{door}"),
                token.clone(),
                every,
                ledger.clone(),
                counters.clone(),
                timers_stopping.clone(),
            )));
            tasks.push(runtime.spawn(timers::zmq_setter(
                zmq.clone(),
                format!("zmq{door}"),
                token.clone(),
                every,
                ledger.clone(),
                counters.clone(),
                timers_stopping.clone(),
            )));
        }
        // The setters end first (their last set answered), then the rest.
        timer_tasks.extend(tasks.drain(tasks.len() - 4..));
        Load {
            runtime,
            stop,
            stop_timers,
            clock,
            counters,
            ledger,
            frames,
            tasks,
            timer_tasks,
            token,
        }
    }

    /// Waits until every WebSocket client has had a complete frame since `from_ms`.
    fn wait_for_frames(&self, from_ms: u64, patience: Duration) -> Option<u64> {
        for watch in &self.frames {
            watch.mark_back(from_ms);
        }
        let deadline = Instant::now() + patience;
        loop {
            let resumed: Option<Vec<u64>> = self
                .frames
                .iter()
                .map(|watch| match watch.resumed.load(Ordering::SeqCst) {
                    0 => None,
                    at => Some(at),
                })
                .collect();
            if let Some(resumed) = resumed {
                return resumed.into_iter().max().map(|at| at - from_ms);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until `task` ends, for at most `patience`.
    fn wait_finished(&self, task: &tokio::task::JoinHandle<()>, patience: Duration) {
        let deadline = Instant::now() + patience;
        while !task.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn take_largest_gap(&self) -> u64 {
        self.frames
            .iter()
            .map(|watch| watch.largest_gap.swap(0, Ordering::SeqCst))
            .max()
            .unwrap_or(0)
    }
}

/// The timers' ZeroMQ endpoint, from the table `clocker up` printed.
fn zmq_endpoint(up: &Up) -> String {
    up.printed()
        .iter()
        .find_map(
            |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                ["timers", "zeromq", endpoint] => Some(endpoint.to_owned()),
                _ => None,
            },
        )
        .unwrap_or_else(|| panic!("no ZeroMQ endpoint in {:?}", up.printed()))
}

/// One fault on a random service but the funnel: SIGKILL, or SIGSTOP for a
/// random pause then SIGCONT; returns once `clocker ps` says it is ready.
fn inflict(up: &Up, rng: &mut Rng, load: &Load, seen: &mut Vec<Pid>) -> Fault {
    let rows = up.ps();
    let targets: Vec<_> = rows.iter().filter(|row| row.name != "funnel").collect();
    let target = targets[usize::try_from(rng.below(targets.len() as u64)).expect("small")];
    let name = target.name.clone();
    let before = up.wait_for(&name, "ready before its fault", |row| row.state == "ready");
    let pid = pid_of(&before);
    seen.push(pid);
    let stop = rng.below(2) == 0;
    let paused_ms = if stop { 50 + rng.below(750) } else { 0 };
    load.take_largest_gap();
    let struck = Instant::now();
    if stop {
        kill(pid, Signal::SIGSTOP).expect("stopped");
        std::thread::sleep(Duration::from_millis(paused_ms));
        // The supervisor may have killed it meanwhile (silent past --kill-after).
        let _ = kill(pid, Signal::SIGCONT);
        up.wait_for(&name, "ready after SIGCONT", |row| row.state == "ready");
    } else {
        kill(pid, Signal::SIGKILL).expect("killed");
        up.wait_for(&name, "restarted after SIGKILL", |row| {
            row.restarts > before.restarts && row.state == "ready" && row.pid != before.pid
        });
    }
    let back_after_ms = u64::try_from(struck.elapsed().as_millis()).unwrap_or(u64::MAX);
    let resumed_ms = load.wait_for_frames(load.clock.now_ms(), RESUME_PATIENCE);
    Fault {
        service: name,
        signal: if stop { "SIGSTOP" } else { "SIGKILL" },
        paused_ms,
        back_after_ms,
        resumed_ms,
        largest_gap_ms: load.take_largest_gap(),
    }
}

#[test]
fn chaos_a_fleet_under_faults_loses_no_timer_no_client_and_no_connect() {
    let size = Size::from_env();
    eprintln!(
        "chaos: seed {} (CHAOS_SEED={} replays it), {} faults, {} WebSocket clients",
        size.seed, size.seed, size.faults, size.clients
    );
    let mut rng = Rng(size.seed);
    let per_address = (size.clients + 256).to_string();
    let mut up = Up::start_with_env(
        &[],
        &[
            ("RUST_LOG", "error"),
            // Every load client comes from 127.0.0.1: the operator raises the
            // per-address cap for them (the cap itself still applies).
            ("CLOCKER_MAX_CONNECTIONS_PER_ADDRESS", &per_address),
            // One account sets every timer; the run must not hit its quota.
            ("CLOCKER_TIMER_QUOTA_ACCOUNT", "0"),
        ],
    );
    let idle_rss = fleet_rss(&up);
    let load = Load::start(&up, size);
    // Every client connected and getting frames before the first fault.
    let first = load.wait_for_frames(0, Duration::from_secs(30));
    assert!(first.is_some(), "not every WebSocket client got a frame");

    let mut seen: Vec<Pid> = up.ps().iter().map(pid_of).collect();
    let mut faults = Vec::new();
    for _ in 0..size.faults {
        faults.push(inflict(&up, &mut rng, &load, &mut seen));
        std::thread::sleep(Duration::from_millis(rng.below(300)));
    }

    // The sets end (each with its answer or given up on), then every
    // acknowledged timer must be seen firing.
    let _ = load.stop_timers.send(true);
    for task in load.timer_tasks.iter().skip(1) {
        load.wait_finished(task, Duration::from_secs(40));
    }
    let acked = load.ledger.lock().expect("no holder panics").acked.clone();
    let deadline = Instant::now() + FIRE_PATIENCE;
    loop {
        let ledger = load.ledger.lock().expect("no holder panics");
        let all = acked
            .values()
            .all(|timer| ledger.fired.contains_key(&timer.id));
        drop(ledger);
        if all || Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let got = load
        .runtime
        .block_on(timers::get_each(up.addr("timers"), &load.token, &acked));
    let dropped = load.counters.websocket_dropped.load(Ordering::Relaxed);
    let _ = load.stop.send(true);
    for task in load.tasks.iter().chain(&load.timer_tasks) {
        load.wait_finished(task, Duration::from_secs(10));
    }

    // Memory back within its bound, polled until it is or the patience ends.
    let deadline = Instant::now() + SETTLE_PATIENCE;
    let settled_rss = loop {
        let now = fleet_rss(&up);
        let within = now
            .iter()
            .all(|(name, kib)| *kib <= rss_bound(idle_rss.get(name).copied().unwrap_or(0)));
        if within || Instant::now() >= deadline {
            break now;
        }
        std::thread::sleep(Duration::from_millis(200));
    };

    // Stop the fleet; nothing it started may outlive it.
    seen.extend(up.ps().iter().map(pid_of));
    seen.extend(children_of(up.pid()));
    let status = up.signal_and_wait(Signal::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(5);
    let orphans = loop {
        let orphans: Vec<Pid> = seen.iter().copied().filter(|pid| alive(*pid)).collect();
        if orphans.is_empty() || Instant::now() >= deadline {
            break orphans;
        }
        std::thread::sleep(Duration::from_millis(20));
    };

    let ledger = load.ledger.lock().expect("no holder panics");
    let report = Report {
        size,
        faults: &faults,
        ledger: &ledger,
        acked: &acked,
        got: &got,
        counters: &load.counters,
        dropped,
        orphans: &orphans,
        idle_rss: &idle_rss,
        settled_rss: &settled_rss,
    };
    eprintln!("{}", report.text());
    let failures = report.failures();
    assert!(status.success(), "clocker up exited with {status:?}");
    assert!(
        failures.is_empty(),
        "chaos run (CHAOS_SEED={}) failed:\n  {}",
        size.seed,
        failures.join("\n  ")
    );
}

/// What the run saw, for the report and the assertions.
struct Report<'a> {
    size: Size,
    faults: &'a [Fault],
    ledger: &'a timers::Ledger,
    acked: &'a BTreeMap<String, timers::Acked>,
    got: &'a timers::GetReport,
    counters: &'a Counters,
    dropped: u64,
    orphans: &'a [Pid],
    idle_rss: &'a BTreeMap<String, u64>,
    settled_rss: &'a BTreeMap<String, u64>,
}

impl Report<'_> {
    fn fired_once(&self) -> usize {
        self.acked
            .values()
            .filter(|timer| self.ledger.fired.get(&timer.id) == Some(&1))
            .count()
    }

    fn never_fired(&self) -> Vec<&str> {
        self.acked
            .values()
            .filter(|timer| !self.ledger.fired.contains_key(&timer.id))
            .map(|timer| timer.id.as_str())
            .collect()
    }

    /// Timers whose `fired` event was delivered more than once (per id).
    fn duplicated(&self) -> Vec<(&str, u64)> {
        self.ledger
            .fired
            .iter()
            .filter(|(_, count)| **count > 1)
            .map(|(id, count)| (id.as_str(), *count))
            .collect()
    }

    /// Keys that made more than one timer.
    fn double_sets(&self) -> Vec<(&str, usize)> {
        self.ledger
            .ids_by_label
            .iter()
            .filter(|(_, ids)| ids.len() > 1)
            .map(|(label, ids)| (label.as_str(), ids.len()))
            .collect()
    }

    /// Acknowledged timers whose fired event arrived before the
    /// acknowledged `fires_at` (id, how early in ms).
    fn early_against_ack(&self) -> Vec<(&str, f64)> {
        self.acked
            .values()
            .filter_map(|timer| {
                let arrived = *self.ledger.fired_arrival.get(&timer.id)?;
                #[allow(clippy::cast_precision_loss)]
                (arrived < timer.fires_at_ns).then(|| {
                    (
                        timer.id.as_str(),
                        (timer.fires_at_ns - arrived) as f64 / 1e6,
                    )
                })
            })
            .collect()
    }

    fn slow_resumes(&self) -> Vec<&Fault> {
        self.faults
            .iter()
            .filter(|fault| {
                fault
                    .resumed_ms
                    .is_none_or(|ms| ms > u64::try_from(RESUME_WITHIN.as_millis()).unwrap_or(0))
            })
            .collect()
    }

    fn over_memory(&self) -> Vec<String> {
        self.settled_rss
            .iter()
            .filter_map(|(name, kib)| {
                let idle = self.idle_rss.get(name).copied().unwrap_or(0);
                (*kib > rss_bound(idle))
                    .then(|| format!("{name}: {idle} KiB idle, {kib} KiB after"))
            })
            .collect()
    }

    fn text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let kills = self.faults.iter().filter(|f| f.signal == "SIGKILL").count();
        let stops = self.faults.len() - kills;
        let _ = writeln!(out, "chaos report (CHAOS_SEED={})", self.size.seed);
        let _ = writeln!(
            out,
            "  faults survived: {} ({kills} SIGKILL, {stops} SIGSTOP+SIGCONT; funnel and supervisor never struck)",
            self.faults.len()
        );
        let mut by_service: BTreeMap<&str, u32> = BTreeMap::new();
        for fault in self.faults {
            *by_service.entry(fault.service.as_str()).or_default() += 1;
        }
        let _ = writeln!(out, "  struck: {by_service:?}");
        let max_back = self
            .faults
            .iter()
            .map(|f| f.back_after_ms)
            .max()
            .unwrap_or(0);
        let max_resume = self
            .faults
            .iter()
            .filter_map(|f| f.resumed_ms)
            .max()
            .unwrap_or(0);
        let max_gap = self
            .faults
            .iter()
            .map(|f| f.largest_gap_ms)
            .max()
            .unwrap_or(0);
        let _ = writeln!(
            out,
            "  back (ready in ps) after at most {max_back} ms; frames resumed at most {max_resume} ms after (bound {} ms); largest gap between complete frames {max_gap} ms",
            RESUME_WITHIN.as_millis()
        );
        let ledger = self.ledger;
        let _ = writeln!(
            out,
            "  timers: acknowledged {} ({} gRPC, {} ZeroMQ; {} retries with the same key; {} given up; rejected {:?})",
            self.acked.len(),
            ledger.acked_by_grpc,
            ledger.acked_by_zmq,
            ledger.retries,
            ledger.abandoned.len(),
            ledger.rejected
        );
        let _ = writeln!(
            out,
            "  timers: fired exactly once at the watcher {}, never fired {}, duplicated deliveries {}, keys that made two timers {}, early at the watcher {}, watch streams opened {}, dropped-event notices {}",
            self.fired_once(),
            self.never_fired().len(),
            self.duplicated().len(),
            self.double_sets().len(),
            ledger.early.len(),
            ledger.watches,
            ledger.dropped_events
        );
        let _ = writeln!(
            out,
            "  timers by GetTimer: fired {}, not fired {}, failed {}, ended before fires_at {}",
            self.got.fired,
            self.got.not_fired.len(),
            self.got.failed.len(),
            self.got.early.len()
        );
        let c = self.counters;
        let _ = writeln!(
            out,
            "  WebSocket clients: {}, dropped {}, connects failed {}, frames {}",
            self.size.clients,
            self.dropped,
            c.websocket_connect_failed.load(Ordering::Relaxed),
            c.websocket_frames.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "  SSE: {} bytes, connections ended by the server {}; logins ok {}, failed {}",
            c.sse_bytes.load(Ordering::Relaxed),
            c.sse_ended.load(Ordering::Relaxed),
            c.logins_ok.load(Ordering::Relaxed),
            c.logins_failed.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "  connects refused: {} (WebSocket {}, SSE {}, ZeroMQ {}, gRPC {}, login {})",
            c.refused_total(),
            c.refused_websocket.load(Ordering::Relaxed),
            c.refused_sse.load(Ordering::Relaxed),
            c.refused_zmq.load(Ordering::Relaxed),
            c.refused_grpc.load(Ordering::Relaxed),
            c.refused_login.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "  orphans after clocker up stopped: {}",
            self.orphans.len()
        );
        let _ = writeln!(
            out,
            "  memory (RSS KiB, idle -> after settling, bound idle + max(idle/2, 16 MiB)):"
        );
        for (name, idle) in self.idle_rss {
            let after = self.settled_rss.get(name).copied().unwrap_or(0);
            let _ = writeln!(out, "    {name:<13} {idle:>7} -> {after:>7}");
        }
        for fault in self.faults {
            let _ = writeln!(
                out,
                "    fault {} {} (paused {} ms): back after {} ms, frames resumed {:?} ms after, largest gap {} ms",
                fault.signal,
                fault.service,
                fault.paused_ms,
                fault.back_after_ms,
                fault.resumed_ms,
                fault.largest_gap_ms
            );
        }
        out
    }

    fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        let mut check = |bad: bool, what: String| {
            if bad {
                failures.push(what);
            }
        };
        let never = self.never_fired();
        check(
            !never.is_empty(),
            format!(
                "acknowledged timers never seen firing: {} ({:?})",
                never.len(),
                &never[..never.len().min(5)]
            ),
        );
        let duplicated = self.duplicated();
        check(
            !duplicated.is_empty(),
            format!("fired events delivered more than once: {duplicated:?}"),
        );
        let double = self.double_sets();
        check(
            !double.is_empty(),
            format!("keys that set two timers: {double:?}"),
        );
        check(
            !self.ledger.early.is_empty(),
            format!("fired events before fires_at: {:?}", self.ledger.early),
        );
        let early = self.early_against_ack();
        check(
            !early.is_empty(),
            format!("fired events before the acknowledged fires_at: {early:?}"),
        );
        check(
            !self.ledger.abandoned.is_empty(),
            format!("sets never answered: {:?}", self.ledger.abandoned),
        );
        check(
            !self.got.not_fired.is_empty() || !self.got.failed.is_empty(),
            format!(
                "GetTimer: not fired {:?}, failed {:?}",
                self.got.not_fired, self.got.failed
            ),
        );
        check(
            !self.got.early.is_empty(),
            format!("GetTimer: ended before fires_at {:?}", self.got.early),
        );
        check(
            self.dropped > 0,
            format!("WebSocket clients dropped: {}", self.dropped),
        );
        let slow = self.slow_resumes();
        check(
            !slow.is_empty(),
            format!("frames resumed later than {RESUME_WITHIN:?} after: {slow:?}"),
        );
        check(
            self.counters.refused_total() > 0,
            format!("connects refused: {}", self.counters.refused_total()),
        );
        check(
            !self.orphans.is_empty(),
            format!("orphans: {:?}", self.orphans),
        );
        let over = self.over_memory();
        check(
            !over.is_empty(),
            format!("memory not back to idle: {over:?}"),
        );
        failures
    }
}
