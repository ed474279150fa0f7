//! P5: the REST gateway's cost. `GET /random/number` through the gateway
//! (on `--shards` shards), driven by `wrk`, next to the same RPC
//! (`random.RandomService/GetRandomNumber`) called directly over gRPC with as
//! many calls in flight, against the same random service process, and next
//! to a bare hyper handler answering the same request under the same wrk
//! load (`bare_http`): all in the same run.
//!
//! Layout: `wrk` runs and reads wrk; `table` writes what was measured.

mod table;
mod wrk;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clocker_fleet::ServiceName;
use clocker_proto::random::NumberRequest;
use clocker_proto::random::random_service_client::RandomServiceClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::transport::Channel;

use crate::children::{self, Child, Programs};
use crate::closed_loop;
use crate::procfs::{CpuMeter, CpuUse};
use crate::report::Table;

/// Options of P5.
#[derive(Debug, Clone, clap::Args)]
pub struct P5Args {
    /// Requests in flight: wrk's connections, and the direct gRPC calls.
    #[arg(long, default_value_t = 64)]
    pub in_flight: usize,
    /// Measured time per path (whole seconds: wrk's unit).
    #[arg(long, default_value = "10s", value_parser = crate::parse_duration)]
    pub duration: Duration,
    /// Unmeasured load first, per path (whole seconds).
    #[arg(long, default_value = "1s", value_parser = crate::parse_duration)]
    pub warmup: Duration,
    /// wrk's threads.
    #[arg(long, default_value_t = 2)]
    pub wrk_threads: usize,
    /// The wrk binary.
    #[arg(long, default_value = "wrk")]
    pub wrk: PathBuf,
    /// HTTP/2 connections of the direct gRPC client (the gateway holds one
    /// to the random service).
    #[arg(long, default_value_t = 1)]
    pub channels: usize,
    /// Worker threads of the direct gRPC client's runtime.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// The gateway's shards (its --shards) [default: the cores].
    #[arg(long, default_value_t = clocker_runtime::default_shards())]
    pub shards: usize,
}

const PATH: &str = "/random/number?min=1&max=100";

/// What one path sustained.
#[derive(Debug, Default)]
struct Load {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    errors: u64,
    first_error: Option<String>,
    /// The process the load generator talks to: the gateway, the bare
    /// handler, or (direct) the random service.
    server_cpu: CpuUse,
    /// The random service's, when it is behind the server (the gateway).
    behind_cpu: Option<CpuUse>,
    generator_cpu: CpuUse,
}

/// The three paths, measured one after the other.
#[derive(Debug)]
struct Paths {
    gateway: Load,
    bare: Load,
    direct: Load,
}

/// Runs P5 on a multi-thread runtime (the direct client's).
pub fn run(programs: &Programs, args: &P5Args) -> anyhow::Result<Table> {
    crate::multi_thread(args.threads)?.block_on(measure(programs, args))
}

async fn measure(programs: &Programs, args: &P5Args) -> anyhow::Result<Table> {
    if args.in_flight == 0 || args.channels == 0 || args.shards == 0 {
        bail!("--in-flight, --channels and --shards must be at least 1");
    }
    if args.duration.as_secs() == 0 {
        bail!("--duration must be at least 1s (wrk counts in seconds)");
    }
    wrk::check(&args.wrk).await?;
    let random = children::serve(programs, ServiceName::Random, &[], &[]).await?;
    let env = [(
        ServiceName::Random.addr_env_var(),
        random.addr().to_string(),
    )];
    let shards = args.shards.to_string();
    let gateway =
        children::serve(programs, ServiceName::Gateway, &env, &["--shards", &shards]).await?;
    let bare = children::own_server("bare-http", &[], "bare hyper handler").await?;
    let result = async {
        ready(gateway.addr()).await?;
        ready(bare.addr()).await?;
        eprintln!(
            "p5: gateway ({} shards), wrk {} connections × {:?}",
            args.shards, args.in_flight, args.duration
        );
        let through = with_wrk(&gateway, Some(&random), args).await?;
        eprintln!(
            "p5: bare hyper handler, wrk {} connections × {:?}",
            args.in_flight, args.duration
        );
        let bare_load = with_wrk(&bare, None, args).await?;
        eprintln!(
            "p5: direct gRPC, {} calls in flight × {:?}",
            args.in_flight, args.duration
        );
        let direct = direct(&random, args).await?;
        anyhow::Ok(Paths {
            gateway: through,
            bare: bare_load,
            direct,
        })
    }
    .await;
    gateway.stop().await;
    bare.stop().await;
    random.stop().await;
    Ok(table::table(&result?, args))
}

/// Waits until `server` answers the benchmark's request (the gateway's
/// channels to the random service connect on the first call).
async fn ready(server: SocketAddr) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let answer = get(server, PATH).await;
        match &answer {
            Ok(text) if text.starts_with("HTTP/1.1 200") && text.contains("\"number\":") => {
                return Ok(());
            }
            _ if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(text) => bail!("{server} answers {PATH} with: {text}"),
            Err(err) => bail!("{server} does not answer {PATH}: {err:#}"),
        }
    }
}

/// One `GET` with `Connection: close`; the whole response as text.
async fn get(addr: SocketAddr, path: &str) -> anyhow::Result<String> {
    let mut socket = TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    socket.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(3), socket.read_to_string(&mut response))
        .await
        .context("no answer within 3s")??;
    Ok(response)
}

/// wrk's load on `server`, metering it and the service `behind` it.
async fn with_wrk(server: &Child, behind: Option<&Child>, args: &P5Args) -> anyhow::Result<Load> {
    let url = format!("http://{}{PATH}", server.addr());
    let load = |duration| wrk::Load {
        wrk: &args.wrk,
        threads: args.wrk_threads,
        connections: args.in_flight,
        duration,
    };
    if args.warmup.as_secs() > 0 {
        wrk::run(load(args.warmup), &url).await?;
    }
    let server_meter = CpuMeter::start(server.pid())?;
    let behind_meter = behind
        .map(|child| CpuMeter::start(child.pid()))
        .transpose()?;
    let report = wrk::run(load(args.duration), &url).await?;
    Ok(Load {
        per_second: report.per_second,
        p50: report.p50,
        p99: report.p99,
        errors: report.errors,
        first_error: None,
        server_cpu: server_meter.read()?,
        behind_cpu: behind_meter.map(|meter| meter.read()).transpose()?,
        generator_cpu: report.cpu,
    })
}

async fn direct(random: &Child, args: &P5Args) -> anyhow::Result<Load> {
    let mut clients = Vec::with_capacity(args.channels);
    for _ in 0..args.channels {
        clients.push(RandomServiceClient::new(
            children::channel(random.addr()).await?,
        ));
    }
    // `in_flight` workers, spread over the connections.
    let workers = (0..args.in_flight)
        .map(|i| clients[i % clients.len()].clone())
        .collect();
    let run = closed_loop::run(
        random.pid(),
        workers,
        get_random_number,
        args.warmup,
        args.duration,
    )
    .await?;
    let latency = run.calls.latency.summary();
    Ok(Load {
        per_second: run.per_second,
        p50: latency.p50,
        p99: latency.p99,
        errors: run.calls.errors,
        first_error: run.calls.first_error,
        server_cpu: run.server_cpu,
        behind_cpu: None,
        generator_cpu: run.client_cpu,
    })
}

fn get_random_number(client: &mut RandomServiceClient<Channel>) -> closed_loop::Reply<'_> {
    Box::pin(async move {
        client
            .get_random_number(NumberRequest { min: 1, max: 100 })
            .await
            .map(drop)
    })
}
