//! P2: GetCurrentTime throughput with many connections and many calls in
//! flight, against our server and a Python `grpc.aio` server implementing the
//! same RPC, with the same Rust client in the same run.

use std::time::Duration;

use anyhow::Context;
use clocker_fleet::ServiceName;
use clocker_proto::v1::CurrentTimeRequest;
use clocker_proto::v1::current_time_client::CurrentTimeClient;
use tokio::process::Command;
use tonic::transport::Channel;

use crate::children::{self, Child, Programs};
use crate::closed_loop;
use crate::procfs::CpuUse;
use crate::report::Table;
use crate::stats::{self, Summary, duration, duration_ratio};

/// Options of P2.
#[derive(Debug, Clone, clap::Args)]
pub struct P2Args {
    /// Connections (one HTTP/2 channel each).
    #[arg(long, default_value_t = 8)]
    pub channels: usize,
    /// Calls in flight on each channel.
    #[arg(long, default_value_t = 64)]
    pub in_flight: usize,
    /// Measured time per server.
    #[arg(long, default_value = "10s", value_parser = crate::parse_duration)]
    pub duration: Duration,
    /// Unmeasured load first.
    #[arg(long, default_value = "1s", value_parser = crate::parse_duration)]
    pub warmup: Duration,
    /// Client runtime worker threads (on 2 cores, 1 leaves the server a
    /// core and drove it hardest: more threads cost more in wake-ups).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
}

/// How many times the Python server's throughput ours must reach.
const TARGET_RATIO: f64 = 8.0;
/// The Python server generates its stubs first.
const PYTHON_DEADLINE: Duration = Duration::from_secs(60);

/// What one server sustained.
#[derive(Debug)]
struct Load {
    per_second: f64,
    latency: Summary,
    errors: u64,
    first_error: Option<String>,
    server_cpu: CpuUse,
    client_cpu: CpuUse,
}

/// Runs P2 on a multi-thread runtime.
pub fn run(programs: &Programs, args: &P2Args) -> anyhow::Result<Table> {
    crate::multi_thread(args.threads)?.block_on(measure(programs, args))
}

async fn measure(programs: &Programs, args: &P2Args) -> anyhow::Result<Table> {
    eprintln!(
        "p2: Rust current-time, {} channels × {} in flight for {:?}",
        args.channels, args.in_flight, args.duration
    );
    let server = children::serve(programs, ServiceName::CurrentTime, &[], &[]).await?;
    let rust = load(&server, args).await;
    server.stop().await;
    let rust = rust?;

    eprintln!("p2: Python grpc.aio current-time, same load");
    let mut command = Command::new(&programs.python);
    command.arg(&programs.python_server);
    let server = Child::spawn("python current-time", command, PYTHON_DEADLINE)
        .await
        .context("the Python server needs `make python-env` (grpcio, grpcio-tools)")?;
    let python = load(&server, args).await;
    server.stop().await;
    Ok(table(&rust, &python?, args))
}

async fn load(server: &Child, args: &P2Args) -> anyhow::Result<Load> {
    let mut clients = Vec::with_capacity(args.channels);
    for _ in 0..args.channels {
        clients.push(CurrentTimeClient::new(
            children::channel(server.addr()).await?,
        ));
    }
    // `in_flight` workers on each connection.
    let workers = clients
        .iter()
        .flat_map(|client| std::iter::repeat_n(client, args.in_flight).cloned())
        .collect();
    let run = closed_loop::run(
        server.pid(),
        workers,
        get_current_time,
        args.warmup,
        args.duration,
    )
    .await?;
    Ok(Load {
        per_second: run.per_second,
        latency: run.calls.latency.summary(),
        errors: run.calls.errors,
        first_error: run.calls.first_error,
        server_cpu: run.server_cpu,
        client_cpu: run.client_cpu,
    })
}

fn get_current_time(client: &mut CurrentTimeClient<Channel>) -> closed_loop::Reply<'_> {
    Box::pin(async move {
        client
            .get_current_time(CurrentTimeRequest { tz: "UTC".into() })
            .await
            .map(drop)
    })
}

fn table(rust: &Load, python: &Load, args: &P2Args) -> Table {
    let mut table = Table::side_by_side(
        "P2 — GetCurrentTime throughput, many connections × many in flight",
        "Rust (clocker current-time)",
        "Python grpc.aio",
        "Rust ÷ Python",
    );
    table.rate_row(
        "calls/s answered OK",
        rust.per_second,
        python.per_second,
        TARGET_RATIO,
        true,
    );
    for (name, pick) in [
        (
            "latency p50 (failed calls included)",
            (|s: &Summary| s.p50) as fn(&Summary) -> Duration,
        ),
        ("latency p99 (failed calls included)", |s: &Summary| s.p99),
    ] {
        let (r, p) = (pick(&rust.latency), pick(&python.latency));
        table.row([
            name.to_owned(),
            duration(r),
            duration(p),
            duration_ratio(r, p),
        ]);
    }
    let failed = |load: &Load| {
        let all = load.latency.count as f64;
        format!(
            "{} ({:.2} % of calls)",
            stats::count(load.errors as f64),
            100.0 * stats::divide(load.errors as f64, all)
        )
    };
    table.row(["failed calls".to_owned(), failed(rust), failed(python)]);
    table.row([
        "server CPU (100 % = 1 core)".to_owned(),
        rust.server_cpu.cell(),
        python.server_cpu.cell(),
    ]);
    table.row([
        "load generator CPU".to_owned(),
        rust.client_cpu.cell(),
        python.client_cpu.cell(),
    ]);
    table.note(format!(
        "{} channels (HTTP/2 connections) × {} calls in flight each = {} concurrent calls, \
         {:?} measured after {:?} of warm-up, per server, one after the other. Same tonic \
         client ({} worker thread(s)) for both servers. Both servers are single processes; \
         ours runs one thread, Python runs one asyncio loop (grpc core adds its own threads).",
        args.channels,
        args.in_flight,
        args.channels * args.in_flight,
        args.duration,
        args.warmup,
        args.threads,
    ));
    table.row([
        "bottleneck".to_owned(),
        stats::bottleneck(&rust.server_cpu, 1, &rust.client_cpu, args.threads).to_owned(),
        stats::bottleneck(&python.server_cpu, 1, &python.client_cpu, args.threads).to_owned(),
    ]);
    table.note(
        "Bottleneck: the side using ≥ 90 % of its threads' CPU (the server's one thread, the \
         client's worker threads); where it is the load generator, the figure is a lower bound \
         of what the server sustains."
            .to_owned(),
    );
    for (name, load) in [("Rust", rust), ("Python", python)] {
        if let Some(error) = &load.first_error {
            table.note(format!("First {name} error: `{error}`."));
        }
    }
    table
}
