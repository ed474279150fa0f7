//! P10: the supervised fleet of `clocker up` — how long it takes to start
//! (until its `ready` line), how much memory it holds idle (every child plus
//! the supervisor), and how long a service killed with SIGKILL takes to
//! serve again, and how many connects it refused meanwhile (none: the
//! supervisor holds every listener and hands it to the next process).
//!
//! Each run is a fresh `clocker up --ephemeral` with its own runtime and data
//! directories; the services are found with `clocker ps --json`, as a user
//! would, and probed on their own ports the way the supervisor probes them
//! (gRPC health, or `GET /health` for the HTTP services). The backoff of a
//! service doubles with each restart that comes within 30 s of its previous
//! start, so every run kills each service once: every sample is a first
//! restart (100 ms backoff).

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use clocker_fleet::ServiceName;
use clocker_supervisor::probe::Prober;
use clocker_wire::Row;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid as NixPid;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::children::Programs;
use crate::procfs::{self, Pid};
use crate::report::Table;
use crate::stats::{Samples, Summary, duration, verdict};

/// Options of P10.
#[derive(Debug, Clone, clap::Args)]
pub struct P10Args {
    /// Fleets started, one after the other (each measured and stopped).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Wait between `ready` and reading the fleet's resident memory.
    #[arg(long, default_value = "3s", value_parser = crate::parse_duration)]
    pub settle: Duration,
    /// Services killed with SIGKILL once per run, one after the other.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "current-time,hours,minutes,seconds,milliseconds,funnel,accounts,timers,random,gateway,stream"
    )]
    pub kill: Vec<ServiceName>,
    /// Time between probes of a killed service's port.
    #[arg(long, default_value = "5ms", value_parser = crate::parse_duration)]
    pub poll_every: Duration,
}

const STARTUP_TARGET: Duration = Duration::from_millis(1_500);
/// 100 MB (decimal megabytes, as the issue writes it).
const MEMORY_TARGET_BYTES: u64 = 100_000_000;
/// How long `clocker up` may take to say `ready`, a killed service to serve
/// again, or the fleet to stop, before the benchmark gives up.
const PATIENCE: Duration = Duration::from_secs(30);
/// How long one probe of a restarting service may take.
const PROBE_TIMEOUT: Duration = Duration::from_millis(200);
/// Output lines of `clocker up` kept for error messages.
const TAIL_LINES: usize = 30;
const MIB: f64 = 1024.0 * 1024.0;

/// What one fleet measured.
#[derive(Debug)]
struct Run {
    startup: Duration,
    /// Services that answered a health probe right after `ready`.
    answering_at_ready: usize,
    services: usize,
    supervisor: Memory,
    /// Each service's memory, the largest Pss first.
    service_memory: Vec<(String, Memory)>,
    /// Processes outside the fleet running the same binary (they share its
    /// pages, so they take some of the fleet's Pss).
    others: usize,
    /// Time from SIGKILL to serving again, per killed service.
    restarts: Vec<(ServiceName, Duration)>,
    /// Connects to the killed services' ports meanwhile.
    connects: Connects,
    stop: Duration,
    stopped_cleanly: bool,
    /// Child processes still alive after the supervisor exited.
    left_running: usize,
}

impl Run {
    fn processes(&self) -> impl Iterator<Item = &Memory> {
        std::iter::once(&self.supervisor).chain(self.service_memory.iter().map(|(_, m)| m))
    }

    /// The fleet's memory, each page once.
    fn total_pss(&self) -> u64 {
        self.processes().map(|m| m.pss).sum()
    }

    /// The processes' resident sets added up (shared pages once per process).
    fn total_rss(&self) -> u64 {
        self.processes().map(|m| m.rss).sum()
    }
}

/// One process's memory.
#[derive(Debug, Clone, Copy)]
struct Memory {
    rss: u64,
    /// Of `rss`, the pages backed by files (the `clocker` binary's code).
    rss_file: u64,
    pss: u64,
}

impl Memory {
    fn of(pid: u32) -> anyhow::Result<Self> {
        let pid = Pid::Of(pid);
        Ok(Self {
            rss: procfs::rss_bytes(pid)?,
            rss_file: procfs::rss_file_bytes(pid)?,
            pss: procfs::pss_bytes(pid)?,
        })
    }
}

pub fn run(programs: &Programs, args: &P10Args) -> anyhow::Result<Table> {
    crate::current_thread()?.block_on(measure(programs, args))
}

async fn measure(programs: &Programs, args: &P10Args) -> anyhow::Result<Table> {
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let clocker = programs.clocker()?;
    let mut runs = Vec::with_capacity(args.runs);
    for n in 1..=args.runs {
        let run = fleet(&clocker, args)
            .await
            .with_context(|| format!("run {n}"))?;
        eprintln!(
            "p10: run {n}/{}: ready in {}, idle {} (Pss; VmRSS summed {}), restarts {}, stopped in {}",
            args.runs,
            duration(run.startup),
            mib(run.total_pss()),
            mib(run.total_rss()),
            run.restarts
                .iter()
                .map(|(name, took)| format!("{name} {}", duration(*took)))
                .collect::<Vec<_>>()
                .join(", "),
            duration(run.stop),
        );
        runs.push(run);
    }
    Ok(table(&runs, args))
}

/// One fleet: start, settle, weigh, kill each of `args.kill`, stop.
async fn fleet(clocker: &Path, args: &P10Args) -> anyhow::Result<Run> {
    let dir = tempfile::tempdir()?;
    let runtime_dir = dir.path().join("run");
    let up = Up::start(clocker, &runtime_dir, &dir.path().join("data")).await?;
    let startup = up.startup;

    let answering_at_ready = answering(&up.addrs).await;
    tokio::time::sleep(args.settle).await;
    let rows = ps(clocker, &runtime_dir).await?;
    let supervisor = Memory::of(up.pid).context("clocker up")?;
    let mut service_memory = Vec::with_capacity(rows.len());
    for row in &rows {
        let pid = row.pid.with_context(|| {
            format!(
                "{} has no pid {:?} after `ready`: {row:?}",
                row.name, args.settle
            )
        })?;
        let memory = Memory::of(pid).with_context(|| format!("{} (pid {pid})", row.name))?;
        service_memory.push((row.name.clone(), memory));
    }
    service_memory.sort_by_key(|(_, memory)| std::cmp::Reverse(memory.pss));
    let fleet_pids: Vec<u32> = rows
        .iter()
        .filter_map(|row| row.pid)
        .chain([up.pid])
        .collect();
    let others = running(clocker, &fleet_pids);

    let mut restarts = Vec::with_capacity(args.kill.len());
    let mut connects = Connects::default();
    for &service in &args.kill {
        let (took, meanwhile) = kill_and_wait(clocker, &runtime_dir, service, args.poll_every)
            .await
            .with_context(|| format!("killing {service}"))?;
        restarts.push((service, took));
        connects.add(meanwhile);
    }

    let last_rows = ps(clocker, &runtime_dir).await?;
    let (stop, stopped_cleanly) = up.stop().await?;
    let left_running = last_rows
        .iter()
        .filter_map(|row| row.pid)
        .filter(|&pid| alive(pid))
        .count();
    Ok(Run {
        startup,
        answering_at_ready,
        services: rows.len(),
        supervisor,
        service_memory,
        others,
        restarts,
        connects,
        stop,
        stopped_cleanly,
        left_running,
    })
}

/// Plain TCP connects to a port, counted by how they ended.
#[derive(Debug, Default, Clone, Copy)]
struct Connects {
    made: u64,
    refused: u64,
    /// Failed otherwise (timed out, reset).
    failed: u64,
}

impl Connects {
    fn add(&mut self, other: Connects) {
        self.made += other.made;
        self.refused += other.refused;
        self.failed += other.failed;
    }
}

/// Connects to `addr` one after the other, each closed at once, until
/// `stop` fires.
async fn connect_until(addr: SocketAddr, stop: clocker_runtime::CancellationToken) -> Connects {
    let mut connects = Connects::default();
    while !stop.is_cancelled() {
        let attempt = tokio::time::timeout(PATIENCE, tokio::net::TcpStream::connect(addr)).await;
        match attempt {
            Ok(Ok(_)) => connects.made += 1,
            Ok(Err(err)) if err.kind() == std::io::ErrorKind::ConnectionRefused => {
                connects.refused += 1;
            }
            Ok(Err(_)) | Err(_) => connects.failed += 1,
        }
        // Paced, so what waits for the next process stays within the backlog.
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    connects
}

/// SIGKILLs `service`'s process and returns how long until its port answers
/// a health probe again (from a new process), and how the connects made to
/// its port meanwhile (from just before the kill) ended.
async fn kill_and_wait(
    clocker: &Path,
    runtime_dir: &Path,
    service: ServiceName,
    poll_every: Duration,
) -> anyhow::Result<(Duration, Connects)> {
    // The previous kill may have left it (or what it requires) restarting.
    let waited = Instant::now();
    let before = loop {
        let row = row_of(&ps(clocker, runtime_dir).await?, service)?;
        if row.state == "ready" {
            break row;
        }
        if waited.elapsed() > PATIENCE {
            bail!("it is not ready before the kill: {row:?}");
        }
        tokio::time::sleep(poll_every).await;
    };
    let pid = before.pid.context("a ready service without a pid")?;
    let addr: SocketAddr = before
        .addr
        .parse()
        .with_context(|| format!("bad address {}", before.addr))?;
    let stop_connecting = clocker_runtime::CancellationToken::new();
    let connecting = tokio::spawn(connect_until(addr, stop_connecting.clone()));
    let killed = Instant::now();
    kill(nix_pid(pid)?, Signal::SIGKILL).with_context(|| format!("cannot kill pid {pid}"))?;
    // Probe only once the old process is gone, so no answer comes from it.
    while alive(pid) {
        if killed.elapsed() > PATIENCE {
            bail!("pid {pid} was still alive {PATIENCE:?} after SIGKILL");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let took = loop {
        let error = match Prober::new(service, addr).check(PROBE_TIMEOUT).await {
            Ok(_) => break killed.elapsed(),
            Err(error) => error,
        };
        if killed.elapsed() > PATIENCE {
            bail!("not serving {PATIENCE:?} after SIGKILL (last probe: {error})");
        }
        tokio::time::sleep(poll_every).await;
    };
    stop_connecting.cancel();
    let connects = connecting.await.context("the connecting task")?;
    let after = row_of(&ps(clocker, runtime_dir).await?, service)?;
    if after.pid == before.pid || after.restarts != before.restarts + 1 {
        bail!(
            "it answered, but clocker ps does not show one restart: before {before:?}, after {after:?}"
        );
    }
    Ok((took, connects))
}

/// How many of the services answer one health probe now.
async fn answering(addrs: &BTreeMap<ServiceName, SocketAddr>) -> usize {
    let probes = addrs
        .iter()
        .map(|(&name, &addr)| Prober::new(name, addr).check(Duration::from_secs(1)));
    futures_util::future::join_all(probes)
        .await
        .iter()
        .filter(|answer| answer.is_ok())
        .count()
}

/// A running `clocker up --ephemeral`.
struct Up {
    process: tokio::process::Child,
    pid: u32,
    /// Spawn to the `ready` line.
    startup: Duration,
    /// What it printed before `ready`: where each service listens.
    addrs: BTreeMap<ServiceName, SocketAddr>,
    /// Its last output lines (both streams), for error messages.
    tail: Arc<Mutex<VecDeque<String>>>,
}

impl Up {
    async fn start(clocker: &Path, runtime_dir: &Path, data_dir: &Path) -> anyhow::Result<Self> {
        let started = Instant::now();
        let mut process = Command::new(clocker)
            .args(["up", "--ephemeral"])
            .env("CLOCKER_RUNTIME_DIR", runtime_dir)
            .env("CLOCKER_DATA_DIR", data_dir)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start clocker up")?;
        let pid = process.id().context("clocker up exited at once")?;
        let tail = Arc::new(Mutex::new(VecDeque::with_capacity(TAIL_LINES)));
        let (ready_tx, ready_rx) = oneshot::channel();
        let stdout = process.stdout.take().context("no stdout")?;
        let stderr = process.stderr.take().context("no stderr")?;
        tokio::spawn(read_lines(stdout, tail.clone(), Some(ready_tx)));
        tokio::spawn(read_lines(stderr, tail.clone(), None));
        let mut up = Self {
            process,
            pid,
            startup: Duration::ZERO,
            addrs: BTreeMap::new(),
            tail,
        };
        let ready = tokio::time::timeout(PATIENCE, ready_rx).await;
        up.startup = started.elapsed();
        match ready {
            Ok(Ok(addrs)) => up.addrs = addrs,
            Ok(Err(_)) => bail!(
                "clocker up ended its output before `ready`; it said:\n{}",
                up.tail()
            ),
            Err(_) => bail!(
                "clocker up did not say `ready` within {PATIENCE:?}; it said:\n{}",
                up.tail()
            ),
        }
        if up.addrs.len() != ServiceName::ALL.len() {
            bail!(
                "clocker up listed {} services, not {}:\n{}",
                up.addrs.len(),
                ServiceName::ALL.len(),
                up.tail()
            );
        }
        Ok(up)
    }

    /// SIGTERM, then waits for it to exit: how long that took, and whether
    /// it exited with status 0.
    async fn stop(mut self) -> anyhow::Result<(Duration, bool)> {
        let started = Instant::now();
        kill(nix_pid(self.pid)?, Signal::SIGTERM).context("cannot signal clocker up")?;
        let status = tokio::time::timeout(PATIENCE, self.process.wait())
            .await
            .with_context(|| {
                format!(
                    "clocker up did not exit within {PATIENCE:?} of SIGTERM:\n{}",
                    self.tail()
                )
            })??;
        let took = started.elapsed();
        if !status.success() {
            eprintln!(
                "p10: clocker up exited with {status} after SIGTERM; it said:\n{}",
                self.tail()
            );
        }
        Ok((took, status.success()))
    }

    fn tail(&self) -> String {
        let tail = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        tail.iter().cloned().collect::<Vec<_>>().join("\n")
    }
}

/// Reads `output` to its end, keeping its last lines in `tail`; with
/// `ready`, collects the `NAME  grpc|http  HOST:PORT` lines and sends them
/// at the `ready` line.
async fn read_lines(
    output: impl AsyncRead + Unpin,
    tail: Arc<Mutex<VecDeque<String>>>,
    mut ready: Option<oneshot::Sender<BTreeMap<ServiceName, SocketAddr>>>,
) {
    let mut addrs = BTreeMap::new();
    let mut lines = BufReader::new(output).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if ready.is_some() {
            if line.starts_with("ready") {
                if let Some(ready) = ready.take() {
                    let _ = ready.send(std::mem::take(&mut addrs));
                }
            } else if let Some((name, addr)) = service_line(&line) {
                addrs.insert(name, addr);
            }
        }
        let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line);
    }
}

/// `hours         grpc  127.0.0.1:40001` → (hours, 127.0.0.1:40001).
fn service_line(line: &str) -> Option<(ServiceName, SocketAddr)> {
    let mut words = line.split_whitespace();
    let name = words.next()?.parse().ok()?;
    let kind = words.next()?;
    if kind != "grpc" && kind != "http" {
        return None;
    }
    let addr = words.next()?.parse().ok()?;
    words.next().is_none().then_some((name, addr))
}

/// `clocker ps --json` against the supervisor of `runtime_dir`.
async fn ps(clocker: &Path, runtime_dir: &Path) -> anyhow::Result<Vec<Row>> {
    let output = Command::new(clocker)
        .args(["ps", "--json"])
        .env("CLOCKER_RUNTIME_DIR", runtime_dir)
        .stdin(Stdio::null())
        .output()
        .await
        .context("cannot run clocker ps")?;
    if !output.status.success() {
        bail!(
            "clocker ps --json failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    serde_json::from_slice(&output.stdout).context("clocker ps --json printed no rows")
}

fn row_of(rows: &[Row], service: ServiceName) -> anyhow::Result<Row> {
    rows.iter()
        .find(|row| row.name == service.as_str())
        .cloned()
        .with_context(|| format!("clocker ps does not list {service}"))
}

fn nix_pid(pid: u32) -> anyhow::Result<NixPid> {
    Ok(NixPid::from_raw(i32::try_from(pid)?))
}

/// How many processes other than `fleet` run `binary`.
fn running(binary: &Path, fleet: &[u32]) -> usize {
    let Ok(binary) = binary.canonicalize() else {
        return 0;
    };
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| !fleet.contains(pid))
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == binary))
        .count()
}

/// Whether `pid` runs (a zombie, dead but not yet reaped, does not).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X']))
    })
}

fn summary(samples: impl IntoIterator<Item = Duration>) -> Summary {
    let mut all = Samples::default();
    for sample in samples {
        all.record(sample);
    }
    all.summary()
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / MIB)
}

fn table(runs: &[Run], args: &P10Args) -> Table {
    let startup = summary(runs.iter().map(|run| run.startup));
    let stop = summary(runs.iter().map(|run| run.stop));
    // The run whose fleet held the most memory speaks for the fleet.
    let heaviest = runs
        .iter()
        .max_by_key(|run| run.total_pss())
        .expect("at least one run");
    let lightest = runs.iter().map(Run::total_pss).min().unwrap_or(0);
    let (pss, rss) = (heaviest.total_pss(), heaviest.total_rss());
    let n = runs.len();

    let mut table = Table::new(
        "P10 — clocker up: start-up, idle memory, restart after SIGKILL",
        &["", "measured", "target", "met"],
    );
    table.row([
        format!("start-up to `ready`, p50 / max of {n}"),
        format!("{} / {}", duration(startup.p50), duration(startup.max)),
        "≤ 1.5 s (every run)".to_owned(),
        verdict(startup.max <= STARTUP_TARGET).to_owned(),
    ]);
    let answering: usize = runs.iter().map(|run| run.answering_at_ready).sum();
    let services: usize = runs.iter().map(|run| run.services).sum();
    table.row([
        "services answering a health probe right after `ready`".to_owned(),
        format!("{answering} / {services}"),
        String::new(),
        String::new(),
    ]);
    let processes = heaviest.services + 1;
    table.row([
        format!(
            "idle memory, {} services + supervisor, {:?} after `ready`: Pss summed (each page once)",
            heaviest.services, args.settle
        ),
        format!("{} ({:.1} MB)", mib(pss), pss as f64 / 1e6),
        "≤ 100 MB".to_owned(),
        verdict(pss <= MEMORY_TARGET_BYTES).to_owned(),
    ]);
    table.row([
        format!("the same, VmRSS summed (shared pages once per process: {processes}×)"),
        format!("{} ({:.1} MB)", mib(rss), rss as f64 / 1e6),
        String::new(),
        String::new(),
    ]);
    let largest: Vec<String> = heaviest
        .service_memory
        .iter()
        .take(3)
        .map(|(name, memory)| format!("{name} {}", mib(memory.pss)))
        .collect();
    let smallest = heaviest
        .service_memory
        .last()
        .map(|(name, memory)| format!("; smallest: {name} {}", mib(memory.pss)))
        .unwrap_or_default();
    table.row([
        "Pss by process, largest".to_owned(),
        format!(
            "{}{smallest}; supervisor {}",
            largest.join(", "),
            mib(heaviest.supervisor.pss)
        ),
        String::new(),
        String::new(),
    ]);
    let range = |value: fn(&Memory) -> u64| {
        let values = heaviest.processes().map(value);
        let (low, high) = values.fold((u64::MAX, 0), |(low, high), v| (low.min(v), high.max(v)));
        format!("{:.1}–{}", low as f64 / MIB, mib(high))
    };
    table.row([
        "VmRSS of one process; of it, file-backed (RssFile: the `clocker` binary's pages)"
            .to_owned(),
        format!("{}; {}", range(|m| m.rss), range(|m| m.rss_file)),
        String::new(),
        String::new(),
    ]);
    for &service in &args.kill {
        let restart = summary(
            runs.iter()
                .flat_map(|run| &run.restarts)
                .filter(|(name, _)| *name == service)
                .map(|(_, took)| *took),
        );
        table.row([
            format!("SIGKILL → {service} serving again, p50 / max of {n}"),
            format!("{} / {}", duration(restart.p50), duration(restart.max)),
            String::new(),
            String::new(),
        ]);
    }
    let mut connects = Connects::default();
    for run in runs {
        connects.add(run.connects);
    }
    table.row([
        format!(
            "connects refused during a SIGKILL-restart of each of the {} services, all {n} runs",
            args.kill.len()
        ),
        format!(
            "{} of {} ({} failed otherwise)",
            connects.refused,
            connects.made + connects.refused + connects.failed,
            connects.failed
        ),
        "0".to_owned(),
        verdict(connects.refused == 0 && connects.failed == 0).to_owned(),
    ]);
    let clean = runs.iter().filter(|run| run.stopped_cleanly).count();
    let left: usize = runs.iter().map(|run| run.left_running).sum();
    table.row([
        format!("SIGTERM → clocker up exited, p50 / max of {n}"),
        format!(
            "{} / {} ({clean} / {n} with status 0, {left} services left running)",
            duration(stop.p50),
            duration(stop.max)
        ),
        String::new(),
        String::new(),
    ]);
    table.note(format!(
        "{n} runs of `clocker up --ephemeral` (release), each with its own temporary \
         `CLOCKER_RUNTIME_DIR` and `CLOCKER_DATA_DIR` (SQLite), `RUST_LOG=warn`, the binary \
         already built and in the page cache. Start-up: from spawning `clocker up` to its \
         `ready` line, which it prints once every service, started one after another in \
         dependency order, has printed its listening line; right after it, one gRPC health \
         check or `GET /health` to each service. Idle memory: {:?} after `ready`, every pid \
         `clocker ps --json` lists plus the supervisor's own, from `/proc` (the run that held \
         the most; the lightest: {} Pss). All twelve processes run the one `clocker` binary, \
         whose resident code pages (RssFile) every process's VmRSS counts in full, so VmRSS \
         summed counts them twelve times; Pss (`smaps_rollup`) divides each page among the \
         processes that map it, and summed over the fleet counts every page once: the memory \
         the fleet holds (a `clocker` process outside the fleet would take its share of those \
         pages out: {}). Restart: for each of {} in turn, SIGKILL to the pid \
         `clocker ps --json` shows, then, once that process is gone, a probe of the service's \
         own port every {:?} (a fresh connection each: gRPC health, or `GET /health` over \
         HTTP/1.0 for the HTTP services) until one answers; `clocker ps` then has to show a new \
         pid and one more restart. Meanwhile, from just before the SIGKILL until that probe \
         answered, a client connects to the same port one after the other (each closed at \
         once, 1 ms apart) and counts the connects refused. Each service is killed once per run, so every sample is a \
         first restart, after the supervisor's 100 ms backoff. Stop: SIGTERM to `clocker up`, \
         which stops the services in reverse order, until it exits.",
        args.settle,
        mib(lightest),
        match runs.iter().map(|run| run.others).max().unwrap_or(0) {
            0 => "none ran".to_owned(),
            k => format!("up to {k} ran"),
        },
        args.kill
            .iter()
            .map(|name| name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        args.poll_every,
    ));
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_address_lines_of_clocker_up() {
        assert_eq!(
            service_line("hours         grpc  127.0.0.1:40001"),
            Some((ServiceName::Hours, "127.0.0.1:40001".parse().expect("addr")))
        );
        assert_eq!(
            service_line("funnel        http  127.0.0.1:8080"),
            Some((ServiceName::Funnel, "127.0.0.1:8080".parse().expect("addr")))
        );
        assert_eq!(service_line("timers        zeromq tcp://127.0.0.1:1"), None);
        assert_eq!(
            service_line("       hours | listening on 127.0.0.1:1"),
            None
        );
        assert_eq!(
            service_line("supervisor on 127.0.0.1:1: clocker ps shows the services"),
            None
        );
    }

    #[test]
    fn this_process_is_alive() {
        assert!(alive(std::process::id()));
        assert!(!alive(u32::MAX));
    }
}
