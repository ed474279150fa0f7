//! What the fan-out benchmarks share (P4: WebSocket at 20 Hz; P6: SSE and
//! WebSocket at 10 Hz): the servers they measure, ours and the peers a user
//! would pick instead (`servers`); the clients, one lean module for both
//! protocols (`client`); one server at one client count, measured the same
//! way whoever it is (`measure`, over the window of `window`); and the table
//! setting ours against the peers (`table`).

pub mod client;
pub mod servers;
pub mod table;
mod window;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::Context;
use clocker_runtime::CancellationToken;

use crate::children::Programs;
use crate::procfs::{self, CpuUse};
use crate::series;
use crate::stats::{self, Samples, Summary};
use client::Control;
use servers::{Kind, Server, Setup};

/// How long a fresh server may take to send its first message (ours wait
/// for their upstream).
const READY_DEADLINE: Duration = Duration::from_secs(10);

/// How each server is measured.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Wait between the last connection and the measurement.
    pub settle: Duration,
    /// Measured time.
    pub duration: Duration,
    /// Connections being opened at once.
    pub connect_concurrency: usize,
    /// How long connecting every client may take before the server is
    /// reported as not measured.
    pub connect_deadline: Duration,
    /// The load generator's runtime worker threads.
    pub threads: usize,
}

/// What one server measured at one client count.
#[derive(Debug)]
pub struct Level {
    pub clients: usize,
    pub connect: Duration,
    pub lag: Summary,
    /// Messages the clients received (those without a send time included).
    pub delivered: u64,
    /// Clients × window ÷ tick.
    pub expected: f64,
    pub window: Duration,
    /// Messages without a send time (funnel frames with `unix_ms: null`).
    pub degraded: u64,
    /// Clients whose connection ended before the measurement did.
    pub lost: usize,
    pub first_error: Option<String>,
    pub server_cpu: CpuUse,
    pub client_cpu: CpuUse,
    /// The whole machine's CPU use over the window (% of one core).
    pub machine_cpu: f64,
    pub rss_idle: u64,
    pub rss_loaded: u64,
}

impl Level {
    /// Server CPU time per message delivered (the tick's own work included).
    pub fn cpu_per_delivery(&self) -> Duration {
        let seconds = self.server_cpu.total() / 100.0 * self.window.as_secs_f64();
        Duration::from_secs_f64(stats::divide(seconds, self.delivered as f64))
    }

    /// (VmRSS loaded − VmRSS idle) ÷ clients, in bytes.
    pub fn rss_per_connection(&self) -> f64 {
        self.rss_loaded.saturating_sub(self.rss_idle) as f64 / self.clients.max(1) as f64
    }

    /// Delivered ÷ expected.
    pub fn delivered_share(&self) -> f64 {
        stats::divide(self.delivered as f64, self.expected)
    }

    /// This level as a point of the plots' series.
    fn series(&self) -> series::FanOut<'_> {
        series::FanOut {
            clients: self.clients,
            connect: self.connect,
            lag: &self.lag,
            window: self.window,
            received: self.delivered,
            expected: self.expected,
            degraded: self.degraded,
            lost: self.lost,
            server_cpu: &self.server_cpu,
            generator_cpu: &self.client_cpu,
            rss_idle: self.rss_idle,
            rss_loaded: self.rss_loaded,
        }
    }
}

/// One server at one client count: measured, or (a peer) why not.
#[derive(Debug)]
pub struct Row {
    pub kind: Kind,
    pub clients: usize,
    pub outcome: Result<Level, String>,
}

/// Starts `kind`, measures it with `clients` clients, and stops it. A peer
/// that cannot be measured (it cannot take that many clients in time, say)
/// is a row saying why; ours failing fails the benchmark.
pub async fn row(
    label: &str,
    programs: &Programs,
    kind: Kind,
    setup: &Setup,
    clients: usize,
    plan: &Plan,
) -> anyhow::Result<Row> {
    eprintln!("{label}: {clients} clients of {}", kind.label());
    let outcome = async {
        let server = Server::start(programs, kind, setup).await?;
        let measured = measure(label, &server, clients, setup.tick, plan).await;
        server.stop().await;
        measured
    }
    .await;
    let outcome = match outcome {
        Ok(level) => Ok(level),
        Err(err) if !kind.ours() => {
            eprintln!("{label}:   {} not measured: {err:#}", kind.label());
            Err(format!("{err:#}"))
        }
        Err(err) => {
            return Err(err.context(format!("{} with {clients} clients", kind.label())));
        }
    };
    Ok(Row {
        kind,
        clients,
        outcome,
    })
}

/// Connects `clients` clients to `server`, waits `plan.settle`, and counts
/// for `plan.duration` what they receive, the server sending every `tick`.
async fn measure(
    label: &str,
    server: &Server,
    clients: usize,
    tick: Duration,
    plan: &Plan,
) -> anyhow::Result<Level> {
    let target = server.target();
    let pid = server.child.pid();
    client::first_message(&target, READY_DEADLINE).await?;
    // Let its start-up allocations settle before weighing it idle.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = procfs::rss_bytes(pid)?;
    let per_client = plan.duration.as_secs_f64() / tick.as_secs_f64();
    let control = Control {
        measuring: Arc::new(AtomicBool::new(false)),
        stop: CancellationToken::new(),
        expected_messages: per_client.ceil() as usize + 8,
    };
    let started = Instant::now();
    let mut tasks = client::connect_all(
        label,
        &target,
        clients,
        plan.connect_concurrency,
        plan.connect_deadline,
        &control,
    )
    .await?;
    let connect = started.elapsed();

    let window =
        window::measure(label, pid, plan.settle, plan.duration, &control.measuring).await?;
    control.stop.cancel();

    let mut lags = Samples::with_capacity(clients * control.expected_messages);
    let (mut delivered, mut degraded, mut lost, mut first_error) = (0, 0, 0, None);
    while let Some(received) = tasks.join_next().await {
        let received = received.context("a client task panicked")?;
        lags.merge(received.lags);
        delivered += received.delivered;
        degraded += received.degraded;
        lost += usize::from(received.stopped_early);
        if let Some(error) = received.error {
            first_error.get_or_insert(error);
        }
    }
    Ok(Level {
        clients,
        connect,
        lag: lags.summary(),
        delivered,
        expected: clients as f64 * window.elapsed.as_secs_f64() / tick.as_secs_f64(),
        window: window.elapsed,
        degraded,
        lost,
        first_error,
        server_cpu: window.server_cpu,
        client_cpu: window.client_cpu,
        machine_cpu: window.machine_cpu,
        rss_idle,
        rss_loaded: window.server_rss,
    })
}

/// The series of one benchmark's servers, in the order first measured.
pub fn series(rows: &[Row]) -> serde_json::Value {
    let mut kinds: Vec<Kind> = Vec::new();
    for row in rows {
        if !kinds.contains(&row.kind) {
            kinds.push(row.kind);
        }
    }
    kinds
        .iter()
        .map(|&kind| {
            let of_kind = || rows.iter().filter(move |row| row.kind == kind);
            series::FanOutServer {
                key: kind.key(),
                label: kind.label(),
                ours: kind.ours(),
                protocol: match kind.protocol() {
                    client::Protocol::WebSocket => "websocket",
                    client::Protocol::Sse => "sse",
                },
                levels: of_kind()
                    .filter_map(|row| row.outcome.as_ref().ok().map(Level::series))
                    .collect(),
                unmeasured: of_kind()
                    .filter_map(|row| {
                        let why = row.outcome.as_ref().err()?;
                        Some((row.clients, why.as_str()))
                    })
                    .collect(),
            }
            .to_json()
        })
        .collect()
}

/// Fails unless `clients` sockets fit under the open-file limit.
pub fn check_open_files(clients: &[usize]) -> anyhow::Result<()> {
    let most = clients.iter().copied().max().unwrap_or(0);
    let (open_files, _) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
    if open_files < most as u64 + 256 {
        anyhow::bail!(
            "{most} clients need {} open files, but RLIMIT_NOFILE is {open_files} (raise `ulimit -n`)",
            most + 256
        );
    }
    Ok(())
}
