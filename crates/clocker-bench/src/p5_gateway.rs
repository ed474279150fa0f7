//! P5: the REST gateway's cost. `GET /random/number` through the gateway,
//! driven by `wrk`, next to the same RPC (`random.RandomService/
//! GetRandomNumber`) called directly over gRPC with as many calls in flight,
//! against the same random service process, in the same run.

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
use crate::stats::{self, duration, duration_ratio};

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
}

/// The gateway must keep at least this share of the direct calls/s.
const TARGET_RATIO: f64 = 0.5;
const PATH: &str = "/random/number?min=1&max=100";

/// What one path sustained.
#[derive(Debug, Default)]
struct Load {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    errors: u64,
    first_error: Option<String>,
    random_cpu: CpuUse,
    gateway_cpu: Option<CpuUse>,
    generator_cpu: CpuUse,
}

/// Runs P5 on a multi-thread runtime (the direct client's).
pub fn run(programs: &Programs, args: &P5Args) -> anyhow::Result<Table> {
    crate::multi_thread(args.threads)?.block_on(measure(programs, args))
}

async fn measure(programs: &Programs, args: &P5Args) -> anyhow::Result<Table> {
    if args.in_flight == 0 || args.channels == 0 {
        bail!("--in-flight and --channels must be at least 1");
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
    let gateway = children::serve(programs, ServiceName::Gateway, &env, &[]).await?;
    let result = async {
        ready(gateway.addr()).await?;
        eprintln!(
            "p5: gateway, wrk {} connections × {:?}",
            args.in_flight, args.duration
        );
        let through = through_gateway(&random, &gateway, args).await?;
        eprintln!(
            "p5: direct gRPC, {} calls in flight × {:?}",
            args.in_flight, args.duration
        );
        let direct = direct(&random, args).await?;
        anyhow::Ok((through, direct))
    }
    .await;
    gateway.stop().await;
    random.stop().await;
    let (through, direct) = result?;
    Ok(table(&through, &direct, args))
}

/// Waits until the gateway answers the benchmark's request (its channel to
/// the random service connects on the first call).
async fn ready(gateway: SocketAddr) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let answer = get(gateway, PATH).await;
        match &answer {
            Ok(text) if text.starts_with("HTTP/1.1 200") && text.contains("\"number\":") => {
                return Ok(());
            }
            _ if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(text) => bail!("the gateway answers {PATH} with: {text}"),
            Err(err) => bail!("the gateway does not answer {PATH}: {err:#}"),
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

async fn through_gateway(random: &Child, gateway: &Child, args: &P5Args) -> anyhow::Result<Load> {
    let url = format!("http://{}{PATH}", gateway.addr());
    let load = |duration| wrk::Load {
        wrk: &args.wrk,
        threads: args.wrk_threads,
        connections: args.in_flight,
        duration,
    };
    if args.warmup.as_secs() > 0 {
        wrk::run(load(args.warmup), &url).await?;
    }
    let random_meter = CpuMeter::start(random.pid())?;
    let gateway_meter = CpuMeter::start(gateway.pid())?;
    let report = wrk::run(load(args.duration), &url).await?;
    Ok(Load {
        per_second: report.per_second,
        p50: report.p50,
        p99: report.p99,
        errors: report.errors,
        first_error: None,
        random_cpu: random_meter.read()?,
        gateway_cpu: Some(gateway_meter.read()?),
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
        random_cpu: run.server_cpu,
        gateway_cpu: None,
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

fn table(through: &Load, direct: &Load, args: &P5Args) -> Table {
    let mut table = Table::side_by_side(
        format!(
            "P5 — GetRandomNumber through the REST gateway vs direct gRPC, {} in flight",
            args.in_flight
        ),
        "gateway: GET /random/number (wrk)",
        "direct gRPC (tonic)",
        "gateway ÷ direct",
    );
    table.rate_row(
        "requests/s",
        through.per_second,
        direct.per_second,
        TARGET_RATIO,
        through.errors == 0,
    );
    table.row([
        "latency p50".to_owned(),
        duration(through.p50),
        duration(direct.p50),
        duration_ratio(through.p50, direct.p50),
    ]);
    table.row([
        "latency p99".to_owned(),
        duration(through.p99),
        duration(direct.p99),
        duration_ratio(through.p99, direct.p99),
    ]);
    table.row([
        "errors".to_owned(),
        stats::count(through.errors as f64),
        stats::count(direct.errors as f64),
    ]);
    table.row([
        "gateway CPU (100 % = 1 core)".to_owned(),
        through
            .gateway_cpu
            .map_or_else(|| "—".to_owned(), |cpu| cpu.cell()),
        "—".to_owned(),
    ]);
    table.row([
        "random service CPU".to_owned(),
        through.random_cpu.cell(),
        direct.random_cpu.cell(),
    ]);
    // CPU seconds per request, from a CPU share (100 % = one core).
    let per_request = |cpu: CpuUse, load: &Load| {
        let seconds = stats::divide(cpu.total() / 100.0, load.per_second);
        duration(Duration::from_secs_f64(seconds))
    };
    table.row([
        "CPU per request: gateway".to_owned(),
        through
            .gateway_cpu
            .map_or_else(|| "—".to_owned(), |cpu| per_request(cpu, through)),
        "—".to_owned(),
    ]);
    table.row([
        "CPU per request: random service".to_owned(),
        per_request(through.random_cpu, through),
        per_request(direct.random_cpu, direct),
    ]);
    table.row([
        "CPU per request: load generator".to_owned(),
        per_request(through.generator_cpu, through),
        per_request(direct.generator_cpu, direct),
    ]);
    table.row([
        "load generator CPU".to_owned(),
        through.generator_cpu.cell(),
        direct.generator_cpu.cell(),
    ]);
    // Through the gateway, the server side is the gateway (the random
    // service behind it does less per request); direct, it is random.
    let through_server = through.gateway_cpu.unwrap_or(through.random_cpu);
    table.row([
        "bottleneck (≥ 90 % of its threads' CPU)".to_owned(),
        stats::bottleneck(&through_server, 1, &through.generator_cpu, args.wrk_threads).to_owned(),
        stats::bottleneck(&direct.random_cpu, 1, &direct.generator_cpu, args.threads).to_owned(),
    ]);
    table.note(format!(
        "`clocker serve random` and `clocker serve gateway` (release, each single-threaded), the \
         gateway holding one HTTP/2 connection to the random service. Gateway: `wrk --latency -t {} \
         -c {} -d {}s` on `GET {PATH}` (HTTP/1.1 keep-alive), after {}s unmeasured. Direct: \
         `GetRandomNumber {{min: 1, max: 100}}` from a tonic client ({} HTTP/2 connection(s), {} \
         runtime thread(s)) with {} calls in flight, {:?} measured after {:?} of warm-up. One \
         path after the other against the same random process. Errors: non-2xx responses and \
         socket errors (wrk), non-OK statuses (tonic); the target also asks for no gateway error.",
        args.wrk_threads,
        args.in_flight,
        args.duration.as_secs(),
        args.warmup.as_secs(),
        args.channels,
        args.threads,
        args.in_flight,
        args.duration,
        args.warmup,
    ));
    if let Some(error) = &direct.first_error {
        table.note(format!("First direct error: `{error}`."));
    }
    table
}
