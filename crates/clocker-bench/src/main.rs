//! `clocker-bench`: benchmarks of the Clocker services, run against the real
//! `clocker` binary. Every service under test is a child process listening on
//! a free port of 127.0.0.1, killed when the benchmark ends (also on error).
//! Each benchmark is bounded in time and calls, and prints a Markdown table
//! with its targets on stdout; progress goes to stderr.
//!
//! - `p1`: GetCurrentTime latency, 1 call in flight, next to a raw TCP
//!   loopback round trip and a bare tonic server (`p1_latency`, `echo`,
//!   `bare`).
//! - `p2`: GetCurrentTime throughput, ours against a Python `grpc.aio`
//!   server (`p2_throughput`).
//! - `p3`: frame latency and rate, the seed's design against the funnel's
//!   (`p3_frames`).
//! - `p4`: WebSocket fan-out to thousands of clients, the funnel against
//!   Node.js `ws` and Python `websockets` (`p4_fanout`).
//! - `p5`: the REST gateway (`wrk`) against direct gRPC to the random
//!   service and a bare hyper handler (`p5_gateway`, `bare_http`).
//! - `p6`: SSE fan-out from the stream service against a Node.js SSE
//!   broadcaster, and WebSocket's at the same rate (`p6_sse`).
//! - `p7`: the timer service's ZeroMQ door against a pyzmq echo (`p7_zmq`).
//! - `p8`: a million pending timers, 100k due in one second (`p8_timers`).
//! - `p10`: `clocker up`'s supervised fleet: start-up, idle memory, restart
//!   after SIGKILL (`p10_supervisor`).
//! - `p11`: the accounts service on SQLite and PostgreSQL (`p11_accounts`).
//! - `p12`: timer fail-over on PostgreSQL, the scheduler SIGKILLed
//!   (`p12_failover`).
//! - `all`: every one, with their default options.
//!
//! P4, P6 and P8 also write the numbers behind the plots of BENCHMARKS.md as
//! JSON (`series`), to `--series-dir` (`target/bench/series`).
//!
//! Layout, besides one module per benchmark:
//! - `children`: the programs under test, run as child processes.
//! - `closed_loop`: gRPC load from workers that each keep one call in flight.
//! - `fanout`: what P4 and P6 share: the servers (ours and the peers of
//!   `bench/peers/`), the lean clients, one server measured at one client
//!   count, the table setting ours against the peers.
//! - `bare`, `bare_http`, `bare_ws`, `echo`: the baselines, a bare tonic
//!   server, a bare hyper HTTP/1.1 handler, a bare WebSocket writer and a
//!   raw TCP echo.
//! - `procfs`: CPU time and resident memory of a process, from `/proc`.
//! - `stats`: percentiles, and how durations, rates and ratios are written.
//! - `report`: the Markdown tables (side by side, with targets) and notes.
//! - `series`: the numbers behind the plots, as JSON.

mod bare;
mod bare_http;
mod bare_ws;
mod children;
mod closed_loop;
mod echo;
mod fanout;
mod p10_supervisor;
mod p11_accounts;
mod p12_failover;
mod p1_latency;
mod p2_throughput;
mod p3_frames;
mod p4_fanout;
mod p5_gateway;
mod p6_sse;
mod p7_zmq;
mod p8_timers;
mod procfs;
mod report;
mod series;
mod stats;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use children::Programs;
use report::Table;

/// Benchmarks of the Clocker services; prints Markdown tables.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    programs: Programs,
    /// Where P4, P6 and P8 write the numbers behind the plots, as
    /// `p4.json`, `p6.json`, `p8.json` (`bench/plot.py` draws them).
    #[arg(
        long,
        env = "CLOCKER_BENCH_SERIES",
        default_value = "target/bench/series",
        global = true
    )]
    series_dir: PathBuf,
    /// Write no series.
    #[arg(long, global = true)]
    no_series: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// GetCurrentTime latency with 1 call in flight, next to raw TCP.
    P1(p1_latency::P1Args),
    /// GetCurrentTime throughput: ours against Python grpc.aio.
    P2(p2_throughput::P2Args),
    /// Frame latency and rate: the seed's design against the funnel's.
    P3(p3_frames::P3Args),
    /// WebSocket fan-out to 1k, 5k and 10k clients, against Node.js and Python peers.
    P4(p4_fanout::P4Args),
    /// GetRandomNumber through the REST gateway (wrk) against direct gRPC and a bare hyper handler.
    P5(p5_gateway::P5Args),
    /// SSE fan-out to 1k, 5k and 10k clients against Node.js, and WebSocket's.
    P6(p6_sse::P6Args),
    /// Timers: ZeroMQ round trip and throughput against a pyzmq echo server.
    P7(p7_zmq::P7Args),
    /// Timers: memory of 1M pending, lateness of 1k to 100k due within a second.
    P8(p8_timers::P8Args),
    /// Supervisor: clocker up start-up, idle memory, restart after SIGKILL.
    P10(p10_supervisor::P10Args),
    /// Accounts: Login and WhoAmI on SQLite and PostgreSQL.
    P11(p11_accounts::P11Args),
    /// Timers: fail-over between two replicas on PostgreSQL, the scheduler SIGKILLed.
    P12(p12_failover::P12Args),
    /// Every benchmark with its default options.
    All,
    /// The raw TCP echo server P1 measures against (run by P1 itself).
    #[command(hide = true)]
    EchoServer,
    /// The bare tonic server P1 measures against (run by P1 itself).
    #[command(hide = true)]
    BareServer,
    /// The bare hyper HTTP handler P5 measures against (run by P5 itself).
    #[command(hide = true)]
    BareHttp,
    /// The bare WebSocket writer P4 measures against (run by P4 itself).
    #[command(hide = true)]
    BareWs(bare_ws::BareWsArgs),
}

/// Parses the options of one benchmark from nothing: its defaults.
#[derive(Debug, Parser)]
struct Defaults<T: clap::Args> {
    #[command(flatten)]
    args: T,
}

fn defaults<T: clap::Args>() -> anyhow::Result<T> {
    Ok(Defaults::<T>::try_parse_from(["clocker-bench"])?.args)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    series::set_dir((!cli.no_series).then(|| cli.series_dir.clone()));
    let result = match cli.command {
        Command::EchoServer => echo::serve(),
        Command::BareServer => bare::serve(),
        Command::BareHttp => bare_http::serve(),
        Command::BareWs(args) => bare_ws::serve(&args),
        command => {
            raise_open_files();
            run(&cli.programs, command)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(programs: &Programs, command: Command) -> anyhow::Result<()> {
    match command {
        Command::P1(args) => print(&p1_latency::run(programs, &args)?),
        Command::P2(args) => print(&p2_throughput::run(programs, &args)?),
        Command::P3(args) => print(&p3_frames::run(programs, &args)?),
        Command::P4(args) => print(&p4_fanout::run(programs, &args)?),
        Command::P5(args) => print(&p5_gateway::run(programs, &args)?),
        Command::P6(args) => print(&p6_sse::run(programs, &args)?),
        Command::P7(args) => print(&p7_zmq::run(programs, &args)?),
        Command::P8(args) => print(&p8_timers::run(programs, &args)?),
        Command::P10(args) => print(&p10_supervisor::run(programs, &args)?),
        Command::P11(args) => print(&p11_accounts::run(programs, &args)?),
        Command::P12(args) => print(&p12_failover::run(programs, &args)?),
        Command::All => all(programs),
        Command::EchoServer => echo::serve(),
        Command::BareServer => bare::serve(),
        Command::BareHttp => bare_http::serve(),
        Command::BareWs(args) => bare_ws::serve(&args),
    }
}

/// One benchmark with its default options.
type Benchmark = fn(&Programs) -> anyhow::Result<Table>;

/// Runs every benchmark, even after one fails; fails if any did.
fn all(programs: &Programs) -> anyhow::Result<()> {
    let runs: [(&str, Benchmark); 11] = [
        ("P1", |p| p1_latency::run(p, &defaults()?)),
        ("P2", |p| p2_throughput::run(p, &defaults()?)),
        ("P3", |p| p3_frames::run(p, &defaults()?)),
        ("P4", |p| p4_fanout::run(p, &defaults()?)),
        ("P5", |p| p5_gateway::run(p, &defaults()?)),
        ("P6", |p| p6_sse::run(p, &defaults()?)),
        ("P7", |p| p7_zmq::run(p, &defaults()?)),
        ("P8", |p| p8_timers::run(p, &defaults()?)),
        ("P10", |p| p10_supervisor::run(p, &defaults()?)),
        ("P11", |p| p11_accounts::run(p, &defaults()?)),
        ("P12", |p| p12_failover::run(p, &defaults()?)),
    ];
    let mut failed = Vec::new();
    for (name, run) in runs {
        match run(programs) {
            Ok(table) => print(&table)?,
            Err(err) => {
                eprintln!("error: {name} failed: {err:#}");
                print_text(&format!("### {name} — failed\n\n`{err:#}`\n"))?;
                failed.push(name);
            }
        }
    }
    if !failed.is_empty() {
        anyhow::bail!("failed: {}", failed.join(", "));
    }
    Ok(())
}

fn print(table: &Table) -> anyhow::Result<()> {
    print_text(&table.to_string())
}

fn print_text(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(())
}

/// Lifts the soft open-file limit to the hard one (P4 and P6 open thousands
/// of sockets; the funnel and stream children inherit the limit).
fn raise_open_files() {
    if let Err(err) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("bench: cannot raise the open-file limit: {err}");
    }
}

/// A current-thread tokio runtime (one call in flight needs no more).
pub(crate) fn current_thread() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// A multi-thread tokio runtime with `workers` threads.
pub(crate) fn multi_thread(workers: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .enable_all()
        .build()?)
}

/// `10s`, `50ms`, `1m`: a non-negative duration.
pub(crate) fn parse_duration(input: &str) -> Result<Duration, String> {
    let signed: jiff::SignedDuration = input
        .parse()
        .map_err(|_| format!("'{input}' is not a duration (for example 50ms, 10s)"))?;
    Duration::try_from(signed).map_err(|_| format!("'{input}' must not be negative"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_come_from_the_cli() {
        let p4: p4_fanout::P4Args = defaults().expect("defaults parse");
        assert_eq!(p4.clients, vec![1_000, 5_000, 10_000]);
        assert_eq!(p4.tick, Duration::from_millis(50));
        let p10: p10_supervisor::P10Args = defaults().expect("defaults parse");
        // Every service of the fleet is killed once per run.
        assert_eq!(p10.kill, clocker_fleet::ServiceName::ALL.to_vec());
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
