//! P7: the timer service's ZeroMQ round trip and throughput with 1 and 8
//! REQ clients, next to a pyzmq REP echo server measured with the same
//! client in the same run.

use std::net::{Ipv4Addr, TcpListener};
use std::time::{Duration, Instant};

use anyhow::Context;
use clocker_fleet::ServiceName;
use tokio::process::Command;
use zeromq::{ReqSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

use crate::children::{self, Programs};
use crate::report::Table;
use crate::stats::{self, Samples, Summary, duration, ratio, verdict};

/// Options of P7.
#[derive(Debug, Clone, clap::Args)]
pub struct P7Args {
    /// Measured round trips per request kind, one in flight.
    #[arg(long, default_value_t = 5_000)]
    pub calls: usize,
    /// Unmeasured round trips first.
    #[arg(long, default_value_t = 500)]
    pub warmup: usize,
    /// Length of each throughput window.
    #[arg(long, default_value = "3s", value_parser = crate::parse_duration)]
    pub duration: Duration,
    /// Clients of the second throughput window.
    #[arg(long, default_value_t = 8)]
    pub clients: usize,
}

/// How many echo round trips a timer request may cost at the median.
const P50_TARGET_RATIO: f64 = 1.2;
const PYTHON_DEADLINE: Duration = Duration::from_secs(60);
const ECHO_SERVER: &str = "bench/zmq_echo.py";

/// What one server measured for one request.
struct Measured {
    latency: Summary,
    one: f64,
    many: f64,
}

pub fn run(programs: &Programs, args: &P7Args) -> anyhow::Result<Table> {
    crate::multi_thread(2)?.block_on(measure(programs, args))
}

async fn measure(programs: &Programs, args: &P7Args) -> anyhow::Result<Table> {
    let seed_request: &[&[u8]] = &[b"0", b"1", b"30"];

    eprintln!("p7: pyzmq REP echo, {} round trips", args.calls);
    let mut command = Command::new(&programs.python);
    command.arg(ECHO_SERVER);
    let echo = children::Child::spawn("pyzmq echo", command, PYTHON_DEADLINE)
        .await
        .context("the echo server needs `make python-env` (pyzmq)")?;
    let endpoint = format!("tcp://{}", echo.addr());
    let echoed = load(&endpoint, seed_request, args).await;
    echo.stop().await;

    eprintln!(
        "p7: clocker timers, {} round trips of each request",
        args.calls
    );
    let data = tempfile::tempdir().context("cannot make a temporary data directory")?;
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port();
    let endpoint = format!("tcp://127.0.0.1:{port}");
    let data_dir = data.path().display().to_string();
    let timers = children::serve(
        programs,
        ServiceName::Timers,
        &[],
        // Every request is an anonymous set from one address: the quota of
        // pending timers would refuse most of them, and counting thousands
        // of pending timers would cost more than the door; this measures the
        // door, so the quota is off.
        &[
            "--zmq-addr",
            &endpoint,
            "--data-dir",
            &data_dir,
            "--timer-quota-anonymous",
            "0",
        ],
    )
    .await?;
    let set = load(&endpoint, seed_request, args).await;
    let first = round_trip(&mut connect(&endpoint).await?, seed_request).await?;
    let id = serde_json::from_slice::<serde_json::Value>(&first)?["id"]
        .as_str()
        .context("the set reply has no id")?
        .to_owned();
    let get_request = format!(r#"{{"op":"get","id":"{id}"}}"#);
    let get = load(&endpoint, &[get_request.as_bytes()], args).await;
    timers.stop().await;
    Ok(table(echoed?, set?, get?, args))
}

async fn connect(endpoint: &str) -> anyhow::Result<ReqSocket> {
    let mut socket = ReqSocket::new();
    socket
        .connect(endpoint)
        .await
        .with_context(|| format!("cannot connect to {endpoint}"))?;
    Ok(socket)
}

async fn round_trip(socket: &mut ReqSocket, frames: &[&[u8]]) -> anyhow::Result<bytes::Bytes> {
    let frames: Vec<bytes::Bytes> = frames
        .iter()
        .map(|f| bytes::Bytes::copy_from_slice(f))
        .collect();
    let message = ZmqMessage::try_from(frames).map_err(|_| anyhow::anyhow!("no frames"))?;
    socket.send(message).await?;
    let reply = socket.recv().await?;
    reply.into_vec().pop().context("an empty reply")
}

/// Latency with one in flight, then throughput with 1 and `clients` clients.
async fn load(endpoint: &str, frames: &[&[u8]], args: &P7Args) -> anyhow::Result<Measured> {
    let mut socket = connect(endpoint).await?;
    let mut samples = Samples::with_capacity(args.calls);
    for n in 0..args.warmup + args.calls {
        let start = Instant::now();
        round_trip(&mut socket, frames).await?;
        if n >= args.warmup {
            samples.record(start.elapsed());
        }
    }
    let one = throughput(endpoint, frames, 1, args.duration).await?;
    let many = throughput(endpoint, frames, args.clients, args.duration).await?;
    Ok(Measured {
        latency: samples.summary(),
        one,
        many,
    })
}

/// Round trips per second with `clients` REQ sockets, each one in flight.
async fn throughput(
    endpoint: &str,
    frames: &[&[u8]],
    clients: usize,
    window: Duration,
) -> anyhow::Result<f64> {
    let frames: Vec<Vec<u8>> = frames.iter().map(|f| f.to_vec()).collect();
    let deadline = Instant::now() + window;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let mut socket = connect(endpoint).await?;
        let frames = frames.clone();
        tasks.push(tokio::spawn(async move {
            let frames: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
            let mut done = 0u64;
            while Instant::now() < deadline {
                round_trip(&mut socket, &frames).await?;
                done += 1;
            }
            anyhow::Ok(done)
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    Ok(stats::divide(total as f64, started.elapsed().as_secs_f64()))
}

fn table(echo: Measured, set: Measured, get: Measured, args: &P7Args) -> Table {
    let mut table = Table::new(
        "P7 — ZeroMQ round trip: timer service vs a pyzmq echo server",
        &[
            "",
            "pyzmq REP echo",
            "timers: set (3 frames)",
            "timers: get (JSON)",
            "target",
            "met",
        ],
    );
    let limit = echo.latency.p50.mul_f64(P50_TARGET_RATIO);
    let over = |a: Duration| {
        ratio(stats::divide(
            a.as_secs_f64(),
            echo.latency.p50.as_secs_f64(),
        ))
    };
    table.row([
        "p50".to_owned(),
        duration(echo.latency.p50),
        format!("{} ({})", duration(set.latency.p50), over(set.latency.p50)),
        format!("{} ({})", duration(get.latency.p50), over(get.latency.p50)),
        format!("≤ 1.2× echo ({})", duration(limit)),
        verdict(set.latency.p50 <= limit && get.latency.p50 <= limit).to_owned(),
    ]);
    for (name, pick) in [
        ("p99", (|s: &Summary| s.p99) as fn(&Summary) -> Duration),
        ("max", |s| s.max),
    ] {
        table.row([
            name.to_owned(),
            duration(pick(&echo.latency)),
            duration(pick(&set.latency)),
            duration(pick(&get.latency)),
        ]);
    }
    table.row([
        "round trips/s, 1 client".to_owned(),
        stats::count(echo.one),
        stats::count(set.one),
        stats::count(get.one),
    ]);
    table.row([
        format!("round trips/s, {} clients", args.clients),
        stats::count(echo.many),
        stats::count(set.many),
        stats::count(get.many),
    ]);
    table.note(format!(
        "The same Rust client (zeromq crate REQ sockets on a 2-thread tokio runtime) against a \
         pyzmq REP server that sends each request back, then against `clocker serve timers` \
         (release, SQLite in a temporary directory). Set: the seed's request, three frames \
         \"0\" \"1\" \"30\", each stores a timer (one durable insert with its event) and \
         answers JSON. Get: `{{\"op\":\"get\",\"id\":…}}`, a read. {} round trips one at a time \
         after {} unmeasured; throughput for {:?} per window.",
        args.calls, args.warmup, args.duration
    ));
    table.note(
        "Bottleneck: for set, the store (one SQLite transaction per set: ~16 page reads and ~18 \
         WAL writes, against one socket read and one write; bench/NOTES.md has the syscall \
         counts); for get and the echo, round trips (one request in flight per client)."
            .to_owned(),
    );
    table
}
