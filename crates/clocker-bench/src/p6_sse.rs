//! P6: SSE fan-out. Thousands of clients read `/stream` from a stream child
//! process, whose one upstream `StreamRandomData` call brings 10 points a
//! second; each client measures how late the events arrive, while the
//! stream's CPU and memory are read from `/proc`. In the same run, P4's
//! WebSocket fan-out at the same rate and client counts, for comparison.

mod client;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clocker_fleet::ServiceName;
use clocker_runtime::CancellationToken;

use crate::children::{self, Child, ClockServices, Programs};
use crate::fanout_window;
use crate::p4_fanout::{self, P4Args, mib};
use crate::procfs::{self, CpuUse};
use crate::report::Table;
use crate::series;
use crate::stats::{self, Samples, Summary, duration, ratio, verdict};
use client::Control;

/// Options of P6.
#[derive(Debug, Clone, clap::Args)]
pub struct P6Args {
    /// Client counts, one stream (fresh process) per count.
    #[arg(long, value_delimiter = ',', default_values_t = [1_000, 5_000, 10_000])]
    pub clients: Vec<usize>,
    /// Measured time per client count.
    #[arg(long, default_value = "10s", value_parser = crate::parse_duration)]
    pub duration: Duration,
    /// Wait between the last connection and the measurement.
    #[arg(long, default_value = "2s", value_parser = crate::parse_duration)]
    pub settle: Duration,
    /// Connections being opened at once.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,
    /// Load generator runtime worker threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Skip the WebSocket rows (P4's fan-out at the same rate).
    #[arg(long)]
    pub no_websocket: bool,
}

/// The stream's upstream rate (its default: a point every 100 ms).
const EVENT_INTERVAL: Duration = Duration::from_millis(100);
const LAG_P99_TARGET: Duration = Duration::from_millis(50);
/// SSE may cost at most this many times WebSocket's memory per connection.
const MEMORY_RATIO_TARGET: f64 = 1.5;
/// Share of the expected events every level must deliver (the window's
/// edges make the count ± 1 event per client).
const RECEIVED_TARGET: f64 = 0.99;

/// What one client count measured over SSE.
#[derive(Debug)]
struct Level {
    clients: usize,
    connect: Duration,
    lag: Summary,
    events: u64,
    expected: f64,
    lost: usize,
    first_error: Option<String>,
    stream_cpu: CpuUse,
    generator_cpu: CpuUse,
    rss_idle: u64,
    rss_loaded: u64,
}

impl Level {
    fn per_connection(&self) -> f64 {
        self.rss_loaded.saturating_sub(self.rss_idle) as f64 / self.clients.max(1) as f64
    }

    /// This level as a point of the plots' series.
    fn series(&self) -> serde_json::Value {
        series::FanOut {
            clients: self.clients,
            connect: self.connect,
            lag: &self.lag,
            received: self.events,
            expected: self.expected,
            lost: self.lost,
            server_cpu: &self.stream_cpu,
            generator_cpu: &self.generator_cpu,
            rss_idle: self.rss_idle,
            rss_loaded: self.rss_loaded,
        }
        .to_json()
    }
}

fn ws_per_connection(level: &p4_fanout::Level) -> f64 {
    level.rss_loaded.saturating_sub(level.rss_idle) as f64 / level.clients.max(1) as f64
}

/// Runs P6 on a multi-thread runtime.
pub fn run(programs: &Programs, args: &P6Args) -> anyhow::Result<Table> {
    crate::multi_thread(args.threads)?.block_on(measure(programs, args))
}

async fn measure(programs: &Programs, args: &P6Args) -> anyhow::Result<Table> {
    let most = args.clients.iter().copied().max().unwrap_or(0);
    let (open_files, _) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
    if open_files < most as u64 + 256 {
        bail!(
            "{most} clients need {} open files, but RLIMIT_NOFILE is {open_files} (raise `ulimit -n`)",
            most + 256
        );
    }
    // The clock services feed the WebSocket side's funnel (and are what the
    // stream's /stream/time would read; P6 does not ask for it).
    let clock = ClockServices::start(programs).await?;
    let random = children::serve(programs, ServiceName::Random, &[], &[]).await?;
    let mut env = clock.env();
    env.push((
        ServiceName::Random.addr_env_var(),
        random.addr().to_string(),
    ));
    let ws_args = P4Args {
        clients: args.clients.clone(),
        duration: args.duration,
        settle: args.settle,
        tick: EVENT_INTERVAL,
        funnel_budget: Duration::from_millis(50),
        connect_concurrency: args.connect_concurrency,
        threads: args.threads,
    };
    let result = async {
        let idle = idle_connection_cost(programs, &env).await?;
        let mut rows = Vec::with_capacity(args.clients.len());
        for &clients in &args.clients {
            let sse = level(programs, &env, clients, args).await?;
            let ws = if args.no_websocket {
                None
            } else {
                eprintln!("p6: the same over WebSocket (P4's clients, funnel at 10 Hz)");
                Some(p4_fanout::level(programs, &clock, clients, &ws_args).await?)
            };
            rows.push((sse, ws));
        }
        anyhow::Ok((rows, idle))
    }
    .await;
    random.stop().await;
    clock.stop().await;
    let (rows, idle) = result?;
    series::write(
        "p6",
        &serde_json::json!({
            "benchmark": "P6",
            "title": "SSE fan-out, next to WebSocket",
            "rate_hz": 1.0 / EVENT_INTERVAL.as_secs_f64(),
            "measured_s": args.duration.as_secs_f64(),
            "lag_p99_target_ms": series::ms(LAG_P99_TARGET),
            "memory_ratio_target": MEMORY_RATIO_TARGET,
            "idle_connection_kib": (idle / 1024.0 * 100.0).round() / 100.0,
            "sse": rows.iter().map(|(sse, _)| sse.series()).collect::<Vec<_>>(),
            "websocket": rows
                .iter()
                .filter_map(|(_, ws)| ws.as_ref().map(p4_fanout::Level::series))
                .collect::<Vec<_>>(),
        }),
    );
    Ok(table(&rows, idle, args))
}

/// Connections opened, then left silent, to weigh what the stream's HTTP
/// server keeps per connection before any request.
const IDLE_CONNECTIONS: usize = 1_000;

/// Resident memory a fresh stream process gains per TCP connection it has
/// accepted but that sent nothing (bytes).
async fn idle_connection_cost(
    programs: &Programs,
    env: &[(String, String)],
) -> anyhow::Result<f64> {
    eprintln!("p6: {IDLE_CONNECTIONS} idle connections to a fresh stream");
    let stream = children::serve(programs, ServiceName::Stream, env, &[]).await?;
    let result = async {
        client::first_event(stream.addr(), Duration::from_secs(5)).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = procfs::rss_bytes(stream.pid())?;
        let mut sockets = Vec::with_capacity(IDLE_CONNECTIONS);
        for _ in 0..IDLE_CONNECTIONS {
            sockets.push(tokio::net::TcpStream::connect(stream.addr()).await?);
        }
        // Time for the stream to accept every one and start reading it.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = procfs::rss_bytes(stream.pid())?;
        drop(sockets);
        anyhow::Ok(after.saturating_sub(before) as f64 / IDLE_CONNECTIONS as f64)
    }
    .await;
    stream.stop().await;
    result
}

async fn level(
    programs: &Programs,
    env: &[(String, String)],
    clients: usize,
    args: &P6Args,
) -> anyhow::Result<Level> {
    eprintln!("p6: {clients} SSE clients: starting a stream, connecting");
    let stream = children::serve(programs, ServiceName::Stream, env, &[]).await?;
    let result = measure_level(&stream, clients, args).await;
    stream.stop().await;
    result
}

async fn measure_level(stream: &Child, clients: usize, args: &P6Args) -> anyhow::Result<Level> {
    client::first_event(stream.addr(), Duration::from_secs(5)).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = procfs::rss_bytes(stream.pid())?;
    let per_client = args.duration.as_secs_f64() / EVENT_INTERVAL.as_secs_f64();
    let control = Control {
        measuring: Arc::new(AtomicBool::new(false)),
        stop: CancellationToken::new(),
        expected_events: per_client.ceil() as usize + 8,
    };
    let started = Instant::now();
    let mut tasks =
        client::connect_all(stream.addr(), clients, args.connect_concurrency, &control).await?;
    let connect = started.elapsed();

    let window = fanout_window::measure(
        "p6",
        stream.pid(),
        args.settle,
        args.duration,
        &control.measuring,
    )
    .await?;
    control.stop.cancel();

    let mut lags = Samples::with_capacity(clients * control.expected_events);
    let (mut events, mut lost, mut first_error) = (0, 0, None);
    while let Some(received) = tasks.join_next().await {
        let received = received.context("a client task panicked")?;
        lags.merge(received.lags);
        events += received.events;
        lost += usize::from(received.stopped_early);
        if let Some(error) = received.error {
            first_error.get_or_insert(error);
        }
    }
    Ok(Level {
        clients,
        connect,
        lag: lags.summary(),
        events,
        expected: clients as f64 * window.elapsed.as_secs_f64() / EVENT_INTERVAL.as_secs_f64(),
        lost,
        first_error,
        stream_cpu: window.server_cpu,
        generator_cpu: window.generator_cpu,
        rss_idle,
        rss_loaded: window.server_rss,
    })
}

fn kib(bytes: f64) -> String {
    format!("{:.1} KiB", bytes / 1024.0)
}

fn table(rows: &[(Level, Option<p4_fanout::Level>)], idle: f64, args: &P6Args) -> Table {
    let hz = 1.0 / EVENT_INTERVAL.as_secs_f64();
    let mut table = Table::new(
        format!("P6 — SSE fan-out at {hz:.0} Hz, next to WebSocket at {hz:.0} Hz"),
        &[
            "clients",
            "protocol",
            "connect all",
            "lag p50",
            "lag p99",
            "received / expected",
            "server CPU",
            "server RSS idle → loaded",
            "RSS / connection",
            "SSE ÷ WebSocket RSS / connection",
            "generator CPU",
            "met: lag p99 ≤ 50 ms",
            "met: RSS / connection ≤ 1.5× WebSocket's",
        ],
    );
    let lag = |summary: &Summary, d: Duration| {
        if summary.count > 0 {
            duration(d)
        } else {
            "— (nothing received)".to_owned()
        }
    };
    let received = |got: u64, expected: f64| {
        format!(
            "{} / {} ({:.1} %)",
            stats::count(got as f64),
            stats::count(expected),
            100.0 * stats::divide(got as f64, expected)
        )
    };
    for (sse, ws) in rows {
        let memory = ws
            .as_ref()
            .map(|ws| stats::divide(sse.per_connection(), ws_per_connection(ws)));
        // Late events only count when they all came: a client that fell
        // behind skips events instead of being late with them.
        let in_time = sse.lag.count > 0
            && sse.lost == 0
            && sse.events as f64 >= RECEIVED_TARGET * sse.expected
            && sse.lag.p99 <= LAG_P99_TARGET;
        table.row([
            stats::count(sse.clients as f64),
            "SSE (`/stream`)".to_owned(),
            duration(sse.connect),
            lag(&sse.lag, sse.lag.p50),
            lag(&sse.lag, sse.lag.p99),
            received(sse.events, sse.expected),
            sse.stream_cpu.cell(),
            format!("{} → {}", mib(sse.rss_idle), mib(sse.rss_loaded)),
            kib(sse.per_connection()),
            memory.map_or_else(|| "—".to_owned(), ratio),
            sse.generator_cpu.cell(),
            verdict(in_time).to_owned(),
            memory.map_or_else(
                || "—".to_owned(),
                |memory| verdict(memory <= MEMORY_RATIO_TARGET).to_owned(),
            ),
        ]);
        if let Some(ws) = ws {
            table.row([
                stats::count(ws.clients as f64),
                "WebSocket (funnel `/ws`)".to_owned(),
                duration(ws.connect),
                lag(&ws.lag, ws.lag.p50),
                lag(&ws.lag, ws.lag.p99),
                received(ws.frames, ws.expected),
                ws.funnel_cpu.cell(),
                format!("{} → {}", mib(ws.rss_idle), mib(ws.rss_loaded)),
                kib(ws_per_connection(ws)),
                String::new(),
                ws.generator_cpu.cell(),
            ]);
        }
    }
    table.note(format!(
        "SSE: one fresh `clocker serve stream` process per client count (single-threaded), fed by \
         one `clocker serve random` whose `StreamRandomData` brings a point every {EVENT_INTERVAL:?} \
         to the stream's one upstream call; every client sends `GET /stream` over HTTP/1.1 (raw \
         tokio TCP; the stream answers it off the socket, before its router, with a body that \
         ends with the connection). Lag = receive wall-clock time − the event's \
         `timestamp` (the random service's unix ms when it made the point, so lag includes the \
         gRPC hop to the stream and reads up to 1 ms high). WebSocket: P4's clients and funnel \
         (`--tick {EVENT_INTERVAL:?}`), lag against the frame's `unix_ms`. Measured for {:?}, {:?} \
         after the last client connected; expected = clients × window × {hz:.0} Hz. CPU: 100 % = \
         one core, from /proc/PID/stat. RSS / connection = (VmRSS loaded − VmRSS idle) ÷ clients \
         (user-space memory; the kernel's socket buffers are not in it). The lag target also asks \
         for every client to stay connected and at least {:.0} % of the expected events. The load \
         generator (tokio, {} worker threads) shares the machine with the services.",
        args.duration,
        args.settle,
        RECEIVED_TARGET * 100.0,
        args.threads
    ));
    let limits: Vec<String> = rows
        .iter()
        .map(|(sse, ws)| {
            let sse_limit = stats::bottleneck(&sse.stream_cpu, 1, &sse.generator_cpu, args.threads);
            match ws {
                Some(ws) => format!(
                    "{}: SSE {sse_limit}, WebSocket {}",
                    stats::count(sse.clients as f64),
                    stats::bottleneck(&ws.funnel_cpu, 1, &ws.generator_cpu, args.threads)
                ),
                None => format!("{}: SSE {sse_limit}", stats::count(sse.clients as f64)),
            }
        })
        .collect();
    table.bottleneck_note("server", args.threads, &limits);
    let fan_out: Vec<String> = rows
        .iter()
        .map(|(sse, _)| {
            let seconds = sse.stream_cpu.total() / 100.0 * args.duration.as_secs_f64();
            let per_event = stats::divide(seconds, sse.events as f64);
            format!(
                "{:.1} µs at {} clients (one event to all of them: {})",
                per_event * 1e6,
                stats::count(sse.clients as f64),
                duration(Duration::from_secs_f64(per_event * sse.clients as f64)),
            )
        })
        .collect();
    table.note(format!(
        "The stream's CPU per event delivered: {}. Its one thread writes an event to its clients \
         one after another, so the last client of a round gets it about that long after the \
         first: at the larger counts, most of the lag p99.",
        fan_out.join("; ")
    ));
    table.note(format!(
        "A connection the stream has accepted, before any request, costs it {} ({} \
         connections opened to a fresh stream and left silent): the task waiting for its request \
         head, and the head's buffer. Once the head is read, `GET /stream` keeps only what the \
         client's stream needs; any other request goes on to the HTTP server (hyper), whose \
         buffers stay as long as the connection does.",
        kib(idle),
        stats::count(IDLE_CONNECTIONS as f64),
    ));
    for (sse, ws) in rows {
        if sse.lost > 0 || sse.first_error.is_some() {
            table.note(format!(
                "At {} SSE clients {} clients stopped early; first error: {}.",
                stats::count(sse.clients as f64),
                stats::count(sse.lost as f64),
                sse.first_error.as_deref().unwrap_or("none")
            ));
        }
        if let Some(ws) = ws
            && (ws.lost > 0 || ws.degraded > 0 || ws.first_error.is_some())
        {
            table.note(format!(
                "At {} WebSocket clients {} clients stopped early, {} frames without the time; \
                 first error: {}.",
                stats::count(ws.clients as f64),
                stats::count(ws.lost as f64),
                stats::count(ws.degraded as f64),
                ws.first_error.as_deref().unwrap_or("none")
            ));
        }
    }
    table
}
