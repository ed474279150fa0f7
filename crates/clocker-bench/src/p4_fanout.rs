//! P4: WebSocket fan-out at 20 Hz, ours against the peers a user would
//! pick instead, in the same run with the same clients: for each client
//! count, a fresh funnel (fed by the five clock services), then Node.js
//! `ws`, then Python `websockets`, each sending one frame of the funnel's
//! shape per tick to every client; and the floor under them all, a bare
//! writer doing one `write(2)` per delivery and nothing else. Each client measures how late its
//! frames arrive; every server's CPU and memory are read from `/proc`.

use std::time::Duration;

use anyhow::bail;

use crate::children::{ClockServices, Programs};
use crate::fanout::servers::{Kind, Setup};
use crate::fanout::table::{self, Comparison, Context};
use crate::fanout::{self, Plan};
use crate::report::Table;
use crate::series;

/// Options of P4.
#[derive(Debug, Clone, clap::Args)]
pub struct P4Args {
    /// Client counts; every server is started afresh for each.
    #[arg(long, value_delimiter = ',', default_values_t = [1_000, 5_000, 10_000])]
    pub clients: Vec<usize>,
    /// Measured time per server and client count.
    #[arg(long, default_value = "10s", value_parser = crate::parse_duration)]
    pub duration: Duration,
    /// Wait between the last connection and the measurement.
    #[arg(long, default_value = "2s", value_parser = crate::parse_duration)]
    pub settle: Duration,
    /// Every server's tick (50ms is 20 Hz).
    #[arg(long, default_value = "50ms", value_parser = crate::parse_duration)]
    pub tick: Duration,
    /// The funnel's `--budget`: how long each of its clock calls may take.
    #[arg(long, default_value = "50ms", value_parser = crate::parse_duration)]
    pub funnel_budget: Duration,
    /// The funnel's `--shards` [default: none passed, the funnel's own].
    #[arg(long)]
    pub shards: Option<usize>,
    /// WebSocket handshakes in flight while connecting.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,
    /// How long connecting every client may take; a peer slower than that
    /// is reported as not measured.
    #[arg(long, default_value = "60s", value_parser = crate::parse_duration)]
    pub connect_deadline: Duration,
    /// Load generator runtime worker threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Measure the funnel alone, without the peers and the floor.
    #[arg(long)]
    pub no_peers: bool,
}

impl P4Args {
    fn servers(&self) -> &'static [Kind] {
        if self.no_peers {
            &[Kind::Funnel]
        } else {
            &[
                Kind::Funnel,
                Kind::BareWs,
                Kind::NodeWs,
                Kind::PythonWebsockets,
            ]
        }
    }

    fn plan(&self) -> Plan {
        Plan {
            settle: self.settle,
            duration: self.duration,
            connect_concurrency: self.connect_concurrency,
            connect_deadline: self.connect_deadline,
            threads: self.threads,
        }
    }
}

/// Runs P4 on a multi-thread runtime.
pub fn run(programs: &Programs, args: &P4Args) -> anyhow::Result<Table> {
    crate::multi_thread(args.threads)?.block_on(measure(programs, args))
}

async fn measure(programs: &Programs, args: &P4Args) -> anyhow::Result<Table> {
    fanout::check_open_files(&args.clients)?;
    if args.tick.is_zero() {
        bail!("--tick must be longer than 0");
    }
    let clock = ClockServices::start(programs).await?;
    let setup = Setup {
        tick: args.tick,
        env: clock.env(),
        funnel_budget: args.funnel_budget,
        shards: args.shards,
    };
    let plan = args.plan();
    let result = async {
        let mut rows = Vec::new();
        for &clients in &args.clients {
            for &kind in args.servers() {
                rows.push(fanout::row("p4", programs, kind, &setup, clients, &plan).await?);
            }
        }
        anyhow::Ok(rows)
    }
    .await;
    clock.stop().await;
    let rows = result?;
    let hz = 1.0 / args.tick.as_secs_f64();
    series::write(
        "p4",
        &serde_json::json!({
            "benchmark": "P4",
            "title": "WebSocket fan-out",
            "rate_hz": hz,
            "measured_s": args.duration.as_secs_f64(),
            "lag_p99_target_ms": series::ms(table::LAG_P99_TARGET),
            "rss_per_connection_target_kib": table::RSS_PER_CONNECTION_TARGET / 1024.0,
            "rss_ratio_target": table::RSS_RATIO_TARGET,
            "cpu_ratio_target": table::CPU_RATIO_TARGET,
            "cpu_ratio_counts": table::CPU_RATIO_COUNTS,
            "servers": fanout::series(&rows),
        }),
    );
    let context = Context {
        title: format!(
            "P4 — WebSocket fan-out at {hz:.0} Hz: the funnel against Node.js ws and Python websockets"
        ),
        method: format!(
            "Per client count, one fresh process per server, one after the other: the funnel \
             (`clocker serve funnel --tick {:?} --budget {:?}`{}, fed by five `clocker serve` \
             clock processes), the bare writer (`clocker-bench bare-ws`: one current-thread \
             loop that answers the upgrade, then per tick encodes one frame and hands it to \
             every socket with one non-blocking `write(2)`, nothing else: the kernel's cost of a \
             delivery), `node bench/peers/ws-broadcast.mjs` (npm ws, its README's \
             broadcast loop) and `bench/peers/websockets_broadcast.py` (websockets' \
             `broadcast`), each ticking every {:?} and sending one frame of the funnel's shape, \
             built once per tick, to every client of `/ws?tz=UTC`. Lag = receive wall-clock time \
             − the frame's `unix_ms` (the funnel's: the instant its tick read from current-time; \
             a peer's: its own clock at the tick), truncated to the ms, so it reads up to 1 ms high.",
            args.tick,
            args.funnel_budget,
            shards_flag(args.shards),
            args.tick,
        ),
        setup: &setup,
        plan: &plan,
    };
    let mut table = table::table(
        &context,
        &rows,
        &[
            Comparison::against_node(Kind::Funnel, Kind::NodeWs),
            Comparison::against_floor(Kind::Funnel),
            Comparison::against_floor(Kind::NodeWs),
        ],
    );
    if let Some(note) = table::floor_note(&rows, Kind::NodeWs) {
        table.note(note);
    }
    Ok(table)
}

/// ` --shards N` when given, as the method notes write it.
pub(crate) fn shards_flag(shards: Option<usize>) -> String {
    shards.map_or_else(String::new, |shards| format!(" --shards {shards}"))
}
