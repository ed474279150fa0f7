//! P4: WebSocket fan-out. Thousands of clients subscribe to a funnel child
//! process ticking at 20 Hz; each measures how late its frames arrive, while
//! the funnel's CPU and memory are read from `/proc`.

mod client;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clocker_fleet::ServiceName;
use clocker_runtime::CancellationToken;

use crate::children::{self, ClockServices, Programs};
use crate::fanout_window;
use crate::procfs::{self, CpuUse};
use crate::report::Table;
use crate::series;
use crate::stats::{self, Samples, Summary, duration, verdict};
use client::Control;

/// Options of P4.
#[derive(Debug, Clone, clap::Args)]
pub struct P4Args {
    /// Client counts, one funnel (fresh process) per count.
    #[arg(long, value_delimiter = ',', default_values_t = [1_000, 5_000, 10_000])]
    pub clients: Vec<usize>,
    /// Measured time per client count.
    #[arg(long, default_value = "10s", value_parser = crate::parse_duration)]
    pub duration: Duration,
    /// Wait between the last connection and the measurement.
    #[arg(long, default_value = "2s", value_parser = crate::parse_duration)]
    pub settle: Duration,
    /// The funnel's tick (50ms is 20 Hz).
    #[arg(long, default_value = "50ms", value_parser = crate::parse_duration)]
    pub tick: Duration,
    /// The funnel's `--budget`: how long each of its clock calls may take.
    #[arg(long, default_value = "50ms", value_parser = crate::parse_duration)]
    pub funnel_budget: Duration,
    /// WebSocket handshakes in flight while connecting.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,
    /// Load generator runtime worker threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}

/// Targets, which the brief sets at 10k clients.
const LAG_P99_TARGET: Duration = Duration::from_millis(50);
const RSS_PER_CONNECTION_TARGET: f64 = 20.0 * 1024.0;

/// What one client count measured.
#[derive(Debug)]
pub(crate) struct Level {
    pub(crate) clients: usize,
    pub(crate) connect: Duration,
    pub(crate) lag: Summary,
    pub(crate) frames: u64,
    pub(crate) expected: f64,
    pub(crate) window: Duration,
    pub(crate) degraded: u64,
    pub(crate) lost: usize,
    pub(crate) first_error: Option<String>,
    pub(crate) funnel_cpu: CpuUse,
    pub(crate) generator_cpu: CpuUse,
    pub(crate) rss_idle: u64,
    pub(crate) rss_loaded: u64,
}

impl Level {
    /// This level as a point of the plots' series.
    pub(crate) fn series(&self) -> serde_json::Value {
        let mut point = series::FanOut {
            clients: self.clients,
            connect: self.connect,
            lag: &self.lag,
            received: self.frames,
            expected: self.expected,
            lost: self.lost,
            server_cpu: &self.funnel_cpu,
            generator_cpu: &self.generator_cpu,
            rss_idle: self.rss_idle,
            rss_loaded: self.rss_loaded,
        }
        .to_json();
        point["degraded"] = self.degraded.into();
        point
    }
}

/// Runs P4 on a multi-thread runtime.
pub fn run(programs: &Programs, args: &P4Args) -> anyhow::Result<Table> {
    crate::multi_thread(args.threads)?.block_on(measure(programs, args))
}

async fn measure(programs: &Programs, args: &P4Args) -> anyhow::Result<Table> {
    let most = args.clients.iter().copied().max().unwrap_or(0);
    let (open_files, _) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
    if open_files < most as u64 + 256 {
        bail!(
            "{most} clients need {} open files, but RLIMIT_NOFILE is {open_files} (raise `ulimit -n`)",
            most + 256
        );
    }
    if args.tick.is_zero() {
        bail!("--tick must be longer than 0");
    }
    let clock = ClockServices::start(programs).await?;
    let mut levels = Vec::with_capacity(args.clients.len());
    for &clients in &args.clients {
        levels.push(level(programs, &clock, clients, args).await?);
    }
    clock.stop().await;
    series::write(
        "p4",
        &serde_json::json!({
            "benchmark": "P4",
            "title": "WebSocket fan-out",
            "rate_hz": 1.0 / args.tick.as_secs_f64(),
            "measured_s": args.duration.as_secs_f64(),
            "lag_p99_target_ms": series::ms(LAG_P99_TARGET),
            "rss_per_connection_target_kib": RSS_PER_CONNECTION_TARGET / 1024.0,
            "levels": levels.iter().map(Level::series).collect::<Vec<_>>(),
        }),
    );
    Ok(table(&levels, args))
}

/// One client count against a fresh funnel fed by `clock` (P6 runs it too).
pub(crate) async fn level(
    programs: &Programs,
    clock: &ClockServices,
    clients: usize,
    args: &P4Args,
) -> anyhow::Result<Level> {
    eprintln!("p4: {clients} clients: starting a funnel, connecting");
    let tick = format!("{}ms", args.tick.as_millis());
    let budget = format!("{}ms", args.funnel_budget.as_millis());
    let funnel = children::serve(
        programs,
        ServiceName::Funnel,
        &clock.env(),
        &["--tick", &tick, "--budget", &budget],
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = procfs::rss_bytes(funnel.pid())?;
    let per_client = args.duration.as_secs_f64() / args.tick.as_secs_f64();
    let control = Control {
        measuring: Arc::new(AtomicBool::new(false)),
        stop: CancellationToken::new(),
        expected_frames: per_client.ceil() as usize + 8,
    };
    let url = format!("ws://{}/ws?tz=UTC", funnel.addr());
    let started = Instant::now();
    let mut tasks = client::connect_all(&url, clients, args.connect_concurrency, &control).await?;
    let connect = started.elapsed();

    let window = fanout_window::measure(
        "p4",
        funnel.pid(),
        args.settle,
        args.duration,
        &control.measuring,
    )
    .await?;
    control.stop.cancel();

    let mut lags = Samples::with_capacity(clients * control.expected_frames);
    let (mut frames, mut degraded, mut lost, mut first_error) = (0, 0, 0, None);
    while let Some(received) = tasks.join_next().await {
        let received = received.context("a client task panicked")?;
        lags.merge(received.lags);
        frames += received.frames;
        degraded += received.degraded;
        lost += usize::from(received.stopped_early);
        if let Some(error) = received.error {
            first_error.get_or_insert(error);
        }
    }
    funnel.stop().await;
    Ok(Level {
        clients,
        connect,
        lag: lags.summary(),
        frames,
        expected: clients as f64 * window.elapsed.as_secs_f64() / args.tick.as_secs_f64(),
        window: window.elapsed,
        degraded,
        lost,
        first_error,
        funnel_cpu: window.server_cpu,
        generator_cpu: window.generator_cpu,
        rss_idle,
        rss_loaded: window.server_rss,
    })
}

/// Funnel CPU time per frame the clients received (the tick's own work included).
fn cpu_per_frame(level: &Level) -> String {
    let seconds = level.funnel_cpu.total() / 100.0 * level.window.as_secs_f64();
    let per_frame = stats::divide(seconds, level.frames as f64);
    duration(Duration::from_secs_f64(per_frame))
}

pub(crate) fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn table(levels: &[Level], args: &P4Args) -> Table {
    let hz = 1.0 / args.tick.as_secs_f64();
    let mut table = Table::new(
        format!("P4 — WebSocket fan-out at {hz:.0} Hz"),
        &[
            "clients",
            "connect all",
            "lag p50",
            "lag p99",
            "frames received / expected",
            "funnel CPU",
            "funnel CPU / frame sent",
            "funnel RSS idle → loaded",
            "RSS / connection",
            "generator CPU",
            "target (at 10k)",
            "met",
        ],
    );
    for level in levels {
        let per_connection =
            level.rss_loaded.saturating_sub(level.rss_idle) as f64 / level.clients.max(1) as f64;
        // Frames without the time (current-time not answering) are not a
        // clock: a level only meets its targets when every frame had one.
        let met = level.lag.count > 0
            && level.degraded == 0
            && level.lost == 0
            && level.lag.p99 <= LAG_P99_TARGET
            && per_connection <= RSS_PER_CONNECTION_TARGET;
        let lag = |d: Duration| {
            if level.lag.count > 0 {
                duration(d)
            } else {
                "— (no timed frame)".to_owned()
            }
        };
        let without_time = if level.degraded > 0 {
            format!(", {} without the time", stats::count(level.degraded as f64))
        } else {
            String::new()
        };
        table.row([
            stats::count(level.clients as f64),
            duration(level.connect),
            lag(level.lag.p50),
            lag(level.lag.p99),
            format!(
                "{} / {} ({:.1} %){without_time}",
                stats::count(level.frames as f64),
                stats::count(level.expected),
                100.0 * stats::divide(level.frames as f64, level.expected)
            ),
            level.funnel_cpu.cell(),
            cpu_per_frame(level),
            format!("{} → {}", mib(level.rss_idle), mib(level.rss_loaded)),
            format!("{:.1} KiB", per_connection / 1024.0),
            level.generator_cpu.cell(),
            "p99 ≤ 50 ms, ≤ 20 KiB/conn".to_owned(),
            verdict(met).to_owned(),
        ]);
    }
    table.note(format!(
        "One fresh funnel process per row (`clocker serve funnel --tick {:?} --budget {:?}`), fed by five \
         `clocker serve` clock processes; every client subscribes to `/ws?tz=UTC`. Measured for \
         {:?}, {:?} after the last client connected. Lag = receive wall-clock time − the frame's \
         `unix_ms` (the instant the tick read from current-time, truncated to the ms, so lag \
         includes assembling the frame and reads up to 1 ms high). Expected = clients × window \
         ÷ tick. CPU: 100 % = one core, from /proc/PID/stat. RSS / connection = (VmRSS loaded − \
         VmRSS idle) ÷ clients. The load generator (tokio, {} worker threads, tokio-tungstenite) \
         shares the machine with the funnel and the clock services.",
        args.tick, args.funnel_budget, args.duration, args.settle, args.threads
    ));
    let limits: Vec<String> = levels
        .iter()
        .map(|level| {
            format!(
                "{}: {}",
                stats::count(level.clients as f64),
                stats::bottleneck(&level.funnel_cpu, 1, &level.generator_cpu, args.threads)
            )
        })
        .collect();
    table.bottleneck_note("funnel", args.threads, &limits);
    for level in levels {
        if level.funnel_cpu.total() >= 90.0 {
            table.note(format!(
                "At {} clients the funnel's one thread is saturated ({:.0} % of a core, {:.0} % of \
                 it in the kernel): frames that cannot be sent in time are skipped (each client \
                 only ever holds the newest), so lag grows and fewer frames arrive.",
                stats::count(level.clients as f64),
                level.funnel_cpu.total(),
                100.0 * stats::divide(level.funnel_cpu.system, level.funnel_cpu.total()),
            ));
        }
        if level.degraded > 0 {
            table.note(format!(
                "At {} clients {} frames came without the time (`unix_ms: null`, current-time \
                 named in `degraded`): the funnel's call for the tick's instant did not complete \
                 within its {:?} budget.",
                stats::count(level.clients as f64),
                stats::count(level.degraded as f64),
                args.funnel_budget,
            ));
        }
        if level.lost > 0 || level.first_error.is_some() {
            table.note(format!(
                "At {} clients {} clients stopped early; first error: {}.",
                stats::count(level.clients as f64),
                stats::count(level.lost as f64),
                level.first_error.as_deref().unwrap_or("none")
            ));
        }
    }
    table
}
