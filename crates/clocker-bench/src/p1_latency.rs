//! P1: GetCurrentTime latency with one call in flight, next to a raw TCP
//! loopback round trip measured in the same run.

use std::time::{Duration, Instant};

use anyhow::Context;
use clocker_fleet::ServiceName;
use clocker_proto::v1::CurrentTimeRequest;
use clocker_proto::v1::current_time_client::CurrentTimeClient;

use crate::children::{self, Child, Programs};
use crate::echo;
use crate::report::Table;
use crate::stats::{self, Samples, Summary, duration, duration_ratio, verdict};

/// Options of P1.
#[derive(Debug, Clone, clap::Args)]
pub struct P1Args {
    /// Measured calls (and raw round trips).
    #[arg(long, default_value_t = 20_000)]
    pub calls: usize,
    /// Unmeasured calls first.
    #[arg(long, default_value_t = 2_000)]
    pub warmup: usize,
}

/// The p99.9 every call must beat.
const P999_TARGET: Duration = Duration::from_millis(5);
/// How many raw round trips a call may cost at the median.
const P50_TARGET_RATIO: f64 = 3.0;

/// Runs P1 on a current-thread runtime (one call in flight needs no more).
pub fn run(programs: &Programs, args: &P1Args) -> anyhow::Result<Table> {
    crate::current_thread()?.block_on(measure(programs, args))
}

async fn measure(programs: &Programs, args: &P1Args) -> anyhow::Result<Table> {
    eprintln!("p1: raw TCP echo, {} round trips", args.calls);
    let server = children::own_server("echo-server", &[], "echo server").await?;
    let raw = echo::round_trips(server.addr(), args.warmup, args.calls).await?;
    server.stop().await;

    eprintln!("p1: bare tonic server, {} calls, 1 in flight", args.calls);
    let server = children::own_server("bare-server", &[], "bare tonic server").await?;
    let bare = calls(&server, args).await;
    server.stop().await;

    eprintln!(
        "p1: clocker current-time, {} calls, 1 in flight",
        args.calls
    );
    let server = children::serve(programs, ServiceName::CurrentTime, &[], &[]).await?;
    let clocker = calls(&server, args).await;
    server.stop().await;
    Ok(table(
        [raw.summary(), bare?.summary(), clocker?.summary()],
        args,
    ))
}

async fn calls(server: &Child, args: &P1Args) -> anyhow::Result<Samples> {
    let mut client = CurrentTimeClient::new(children::channel(server.addr()).await?);
    let mut samples = Samples::with_capacity(args.calls);
    for n in 0..args.warmup + args.calls {
        let start = Instant::now();
        let request = CurrentTimeRequest { tz: "UTC".into() };
        client
            .get_current_time(request)
            .await
            .context("GetCurrentTime failed")?;
        if n >= args.warmup {
            samples.record(start.elapsed());
        }
    }
    Ok(samples)
}

/// A row: its name, the percentile it shows, its target and whether it was met.
type Row = (&'static str, fn(&Summary) -> Duration, String, Option<bool>);

fn table([raw, bare, clocker]: [Summary; 3], args: &P1Args) -> Table {
    let mut table = Table::new(
        "P1 — GetCurrentTime latency, 1 call in flight",
        &[
            "",
            "raw TCP echo",
            "bare tonic server",
            "clocker current-time",
            "clocker ÷ raw",
            "target",
            "met",
        ],
    );
    let p50_limit = raw.p50.mul_f64(P50_TARGET_RATIO);
    let rows: [Row; 4] = [
        (
            "p50",
            |s| s.p50,
            format!("≤ 3× raw ({})", duration(p50_limit)),
            Some(clocker.p50 <= p50_limit),
        ),
        ("p99", |s| s.p99, String::new(), None),
        (
            "p99.9",
            |s| s.p999,
            "< 5 ms".to_owned(),
            Some(clocker.p999 < P999_TARGET),
        ),
        ("max", |s| s.max, String::new(), None),
    ];
    for (name, pick, target, met) in rows {
        table.row([
            name.to_owned(),
            duration(pick(&raw)),
            duration(pick(&bare)),
            duration(pick(&clocker)),
            duration_ratio(pick(&clocker), pick(&raw)),
            target,
            met.map_or("", verdict).to_owned(),
        ]);
    }
    table.row([
        "calls/s (1 in flight)".to_owned(),
        stats::count(per_second(raw.mean)),
        stats::count(per_second(bare.mean)),
        stats::count(per_second(clocker.mean)),
    ]);
    table.note(format!(
        "{} measured calls of each after {} warm-up calls, one after another, from a tokio \
         current-thread client; each server a separate single-threaded tokio process. Raw TCP \
         echo: {} bytes each way with TCP_NODELAY. Bare tonic server: the same RPC on \
         `tonic::transport::Server` with nothing else (no budget layer, metrics, health, \
         reflection or axum router), to tell what tonic and HTTP/2 cost by themselves. clocker \
         current-time: `clocker serve current-time`, `tz: \"UTC\"`.",
        clocker.count,
        args.warmup,
        echo::MESSAGE_BYTES
    ));
    table.note(
        "Bottleneck: neither side's CPU. One call is in flight at a time, so each figure is a \
         round trip (client, loopback, server and back), the client's share included."
            .to_owned(),
    );
    table
}

fn per_second(mean: Duration) -> f64 {
    stats::divide(1.0, mean.as_secs_f64())
}
