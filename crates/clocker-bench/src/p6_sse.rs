//! P6: SSE fan-out at 10 Hz, ours against a Node.js `node:http` SSE
//! broadcaster, and in the same run WebSocket at the same rate (the funnel
//! against Node.js `ws`), with the same clients and counts. The stream's
//! one upstream `StreamRandomData` call brings 10 points a second; every
//! other server ticks at 10 Hz itself.

use std::time::Duration;

use clocker_fleet::ServiceName;

use crate::children::{self, ClockServices, Programs};
use crate::fanout::client::{self, Target};
use crate::fanout::servers::{Kind, Server, Setup};
use crate::fanout::table::{self, Comparison, Context, kib};
use crate::fanout::{self, Plan};
use crate::p4_fanout::shards_flag;
use crate::procfs;
use crate::report::Table;
use crate::series;
use crate::stats;

/// Options of P6.
#[derive(Debug, Clone, clap::Args)]
pub struct P6Args {
    /// Client counts; every server is started afresh for each.
    #[arg(long, value_delimiter = ',', default_values_t = [1_000, 5_000, 10_000])]
    pub clients: Vec<usize>,
    /// Measured time per server and client count.
    #[arg(long, default_value = "10s", value_parser = crate::parse_duration)]
    pub duration: Duration,
    /// Wait between the last connection and the measurement.
    #[arg(long, default_value = "2s", value_parser = crate::parse_duration)]
    pub settle: Duration,
    /// The stream's and the funnel's `--shards` [default: none passed].
    #[arg(long)]
    pub shards: Option<usize>,
    /// Connections being opened at once.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,
    /// How long connecting every client may take; a peer slower than that
    /// is reported as not measured.
    #[arg(long, default_value = "60s", value_parser = crate::parse_duration)]
    pub connect_deadline: Duration,
    /// Load generator runtime worker threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Skip the WebSocket rows (the funnel and Node.js ws at 10 Hz).
    #[arg(long)]
    pub no_websocket: bool,
    /// Measure ours alone, without the peers.
    #[arg(long)]
    pub no_peers: bool,
}

impl P6Args {
    fn servers(&self) -> Vec<Kind> {
        let mut kinds = vec![Kind::Stream, Kind::NodeSse, Kind::Funnel, Kind::NodeWs];
        kinds.retain(|kind| {
            (kind.ours() || !self.no_peers)
                && (kind.protocol() == client::Protocol::Sse || !self.no_websocket)
        });
        kinds
    }
}

/// The stream's upstream rate (its default: a point every 100 ms), which
/// every other server of P6 ticks at.
const EVENT_INTERVAL: Duration = Duration::from_millis(100);
/// SSE may cost at most this many times WebSocket's memory per connection
/// (ours against ours).
const MEMORY_RATIO_TARGET: f64 = 1.5;

/// Runs P6 on a multi-thread runtime.
pub fn run(programs: &Programs, args: &P6Args) -> anyhow::Result<Table> {
    crate::multi_thread(args.threads)?.block_on(measure(programs, args))
}

async fn measure(programs: &Programs, args: &P6Args) -> anyhow::Result<Table> {
    fanout::check_open_files(&args.clients)?;
    // The clock services feed the funnel; the random service, the stream.
    let clock = ClockServices::start(programs).await?;
    let random = children::serve(programs, ServiceName::Random, &[], &[]).await?;
    let mut env = clock.env();
    env.push((
        ServiceName::Random.addr_env_var(),
        random.addr().to_string(),
    ));
    let setup = Setup {
        tick: EVENT_INTERVAL,
        env,
        funnel_budget: Duration::from_millis(50),
        shards: args.shards,
    };
    let plan = Plan {
        settle: args.settle,
        duration: args.duration,
        connect_concurrency: args.connect_concurrency,
        connect_deadline: args.connect_deadline,
        threads: args.threads,
    };
    let result = async {
        let idle = idle_connection_cost(programs, &setup).await?;
        let mut rows = Vec::new();
        for &clients in &args.clients {
            for kind in args.servers() {
                rows.push(fanout::row("p6", programs, kind, &setup, clients, &plan).await?);
            }
        }
        anyhow::Ok((rows, idle))
    }
    .await;
    random.stop().await;
    clock.stop().await;
    let (rows, idle) = result?;
    let hz = 1.0 / EVENT_INTERVAL.as_secs_f64();
    series::write(
        "p6",
        &serde_json::json!({
            "benchmark": "P6",
            "title": "SSE and WebSocket fan-out",
            "rate_hz": hz,
            "measured_s": args.duration.as_secs_f64(),
            "lag_p99_target_ms": series::ms(table::LAG_P99_TARGET),
            "rss_per_connection_target_kib": table::RSS_PER_CONNECTION_TARGET / 1024.0,
            "rss_ratio_target": table::RSS_RATIO_TARGET,
            "cpu_ratio_target": table::CPU_RATIO_TARGET,
            "cpu_ratio_counts": table::CPU_RATIO_COUNTS,
            "memory_ratio_target": MEMORY_RATIO_TARGET,
            "idle_connection_kib": (idle / 1024.0 * 100.0).round() / 100.0,
            "servers": fanout::series(&rows),
        }),
    );
    let context = Context {
        title: format!(
            "P6 — SSE fan-out at {hz:.0} Hz (the stream against Node.js http), and WebSocket at \
             {hz:.0} Hz (the funnel against Node.js ws)"
        ),
        method: format!(
            "Per client count, one fresh process per server, one after the other. SSE: \
             `clocker serve stream`{shards}, fed by one `clocker serve random` whose \
             `StreamRandomData` brings a point every {EVENT_INTERVAL:?} to the stream's one \
             upstream call, and `node bench/peers/sse-broadcast.mjs` (`node:http`, one string \
             per event written to every response), ticking every {EVENT_INTERVAL:?}; every \
             client sends `GET /stream` over HTTP/1.1 (the stream ends its body with the \
             connection, Node.js sends chunks). Lag = receive wall-clock time − the event's \
             `timestamp` (the random service's unix ms when it made the point, so it includes \
             the gRPC hop to the stream; Node.js's own clock at the tick). WebSocket: the funnel \
             (`--tick {EVENT_INTERVAL:?}`{shards}) and `node bench/peers/ws-broadcast.mjs` \
             (npm ws), as in P4 at {hz:.0} Hz. Every lag reads up to 1 ms high (ms stamps).",
            shards = shards_flag(args.shards),
        ),
        setup: &setup,
        plan: &plan,
    };
    let mut table = table::table(
        &context,
        &rows,
        &[
            Comparison::against_node(Kind::Stream, Kind::NodeSse),
            Comparison::against_node(Kind::Funnel, Kind::NodeWs),
            Comparison {
                ours: Kind::Stream,
                theirs: Kind::Funnel,
                cpu: None,
                rss: Some(MEMORY_RATIO_TARGET),
                rss_bytes: None,
            },
        ],
    );
    table.note(format!(
        "A connection the stream has accepted, before any request, costs it {} ({} \
         connections opened to a fresh stream and left silent): the task waiting for its request \
         head, and the head's buffer. Once the head is read, `GET /stream` keeps only what the \
         client's stream needs.",
        kib(idle),
        stats::count(IDLE_CONNECTIONS as f64),
    ));
    Ok(table)
}

/// Connections opened, then left silent, to weigh what the stream's HTTP
/// server keeps per connection before any request.
const IDLE_CONNECTIONS: usize = 1_000;

/// Resident memory a fresh stream process gains per TCP connection it has
/// accepted but that sent nothing (bytes).
async fn idle_connection_cost(programs: &Programs, setup: &Setup) -> anyhow::Result<f64> {
    eprintln!("p6: {IDLE_CONNECTIONS} idle connections to a fresh stream");
    let stream = Server::start(programs, Kind::Stream, setup).await?;
    let result = async {
        let target: Target = stream.target();
        client::first_message(&target, Duration::from_secs(10)).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let pid = stream.child.pid();
        let before = procfs::rss_bytes(pid)?;
        let mut sockets = Vec::with_capacity(IDLE_CONNECTIONS);
        for _ in 0..IDLE_CONNECTIONS {
            sockets.push(tokio::net::TcpStream::connect(target.addr).await?);
        }
        // Time for the stream to accept every one and start reading it.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = procfs::rss_bytes(pid)?;
        drop(sockets);
        anyhow::Ok(after.saturating_sub(before) as f64 / IDLE_CONNECTIONS as f64)
    }
    .await;
    stream.stop().await;
    result
}
