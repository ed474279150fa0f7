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
use crate::stats::duration;

mod table;
mod up;

use table::{mib, table};
use up::{Up, alive, nix_pid, ps, row_of, running};

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
