//! P3: how fast a clock frame is built, flat out, one frame after another:
//! the seed's design (the four components called one after another, each
//! without an instant, so each asks current-time itself) against the
//! funnel's (one instant, then the four components in parallel).

use std::time::{Duration, Instant};

use clocker_fanout::{Assembler, CLOCK_SERVICES, frame};
use clocker_proto::v1::hours_client::HoursClient;
use clocker_proto::v1::milliseconds_client::MillisecondsClient;
use clocker_proto::v1::minutes_client::MinutesClient;
use clocker_proto::v1::seconds_client::SecondsClient;
use clocker_proto::v1::{ComponentReply, ComponentRequest};
use clocker_runtime::Locator;
use clocker_wire::Frame;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

use crate::children::{ClockServices, Programs};
use crate::report::Table;
use crate::stats::{self, Samples, Summary, duration, duration_ratio, ratio, verdict};

/// Options of P3.
#[derive(Debug, Clone, clap::Args)]
pub struct P3Args {
    /// Measured time per design.
    #[arg(long, default_value = "5s", value_parser = crate::parse_duration)]
    pub duration: Duration,
    /// Unmeasured frames first, per design.
    #[arg(long, default_value = "1s", value_parser = crate::parse_duration)]
    pub warmup: Duration,
}

/// Each call's deadline (long: a missed deadline would hide the real latency).
const CALL_TIMEOUT: Duration = Duration::from_secs(1);
const ZONE: &str = "UTC";

/// What one design sustained.
#[derive(Debug)]
struct Run {
    latency: Summary,
    per_second: f64,
    errors: u64,
}

/// Runs P3 on a current-thread runtime, as the funnel itself runs.
pub fn run(programs: &Programs, args: &P3Args) -> anyhow::Result<Table> {
    crate::current_thread()?.block_on(measure(programs, args))
}

async fn measure(programs: &Programs, args: &P3Args) -> anyhow::Result<Table> {
    let clock = ClockServices::start(programs).await?;
    let locator = Locator::new("clocker-bench", CLOCK_SERVICES, clock.book());
    let seed = Seed {
        hours: locator.locate()?,
        minutes: locator.locate()?,
        seconds: locator.locate()?,
        milliseconds: locator.locate()?,
    };
    let assembler = Assembler::locate(&locator, CALL_TIMEOUT)?;

    eprintln!(
        "p3: seed design (4 components in sequence) for {:?}",
        args.duration
    );
    let seed = flat_out(args, |seq| seed.frame(seq)).await;
    eprintln!(
        "p3: funnel design (1 instant, 4 in parallel) for {:?}",
        args.duration
    );
    let funnel = flat_out(args, |seq| {
        let assembler = &assembler;
        async move {
            let instant = assembler.read_instant().await;
            assembler.frame(seq, ZONE, &instant).await
        }
    })
    .await;
    clock.stop().await;
    Ok(table(&seed, &funnel, args))
}

/// Builds frames one after another: `warmup` unmeasured, then `duration` measured.
async fn flat_out<F, Fut>(args: &P3Args, mut build: F) -> Run
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Frame>,
{
    let measure_from = Instant::now() + args.warmup;
    let mut seq = 0;
    while Instant::now() < measure_from {
        seq += 1;
        build(seq).await;
    }
    let (start, mut latency, mut errors) = (Instant::now(), Samples::default(), 0);
    while start.elapsed() < args.duration {
        seq += 1;
        let began = Instant::now();
        let frame = build(seq).await;
        latency.record(began.elapsed());
        if !frame.degraded.is_empty() {
            errors += 1;
        }
    }
    Run {
        per_second: latency.len() as f64 / start.elapsed().as_secs_f64(),
        latency: latency.summary(),
        errors,
    }
}

/// The seed's clients: one per component, no instant given.
struct Seed {
    hours: HoursClient<Channel>,
    minutes: MinutesClient<Channel>,
    seconds: SecondsClient<Channel>,
    milliseconds: MillisecondsClient<Channel>,
}

impl Seed {
    /// One frame the seed's way: each component reads current-time itself,
    /// in turn (so a frame can mix instants, and costs 8 calls in sequence).
    async fn frame(&self, seq: u64) -> Frame {
        let request = || {
            let mut request = Request::new(ComponentRequest {
                at: None,
                tz: ZONE.into(),
            });
            request.set_timeout(CALL_TIMEOUT);
            request
        };
        let h = self.hours.clone().get_hours(request()).await;
        let m = self.minutes.clone().get_minutes(request()).await;
        let s = self.seconds.clone().get_seconds(request()).await;
        let ms = self.milliseconds.clone().get_milliseconds(request()).await;
        let unix_nanos = h
            .as_ref()
            .ok()
            .and_then(|reply| reply.get_ref().at)
            .map_or(0, |at| at.seconds * 1_000_000_000 + i64::from(at.nanos));
        frame::build(
            seq,
            ZONE,
            unix_nanos,
            [value(h), value(m), value(s), value(ms)],
        )
    }
}

fn value(reply: Result<Response<ComponentReply>, Status>) -> Option<u32> {
    reply.ok().map(|r| r.into_inner().value)
}

fn table(seed: &Run, funnel: &Run, args: &P3Args) -> Table {
    let mut table = Table::new(
        "P3 — building one frame, flat out: seed design vs funnel design",
        &[
            "",
            "seed: 4 components in sequence, each reads current-time",
            "funnel: 1 instant, then 4 components in parallel",
            "funnel ÷ seed",
            "target",
            "met",
        ],
    );
    let p50_ratio = stats::divide(
        funnel.latency.p50.as_secs_f64(),
        seed.latency.p50.as_secs_f64(),
    );
    table.row([
        "frame latency p50".to_owned(),
        duration(seed.latency.p50),
        duration(funnel.latency.p50),
        ratio(p50_ratio),
        "≤ 0.5×".to_owned(),
        verdict(p50_ratio <= 0.5).to_owned(),
    ]);
    table.row([
        "frame latency p99".to_owned(),
        duration(seed.latency.p99),
        duration(funnel.latency.p99),
        duration_ratio(funnel.latency.p99, seed.latency.p99),
    ]);
    let rate_ratio = stats::divide(funnel.per_second, seed.per_second);
    table.row([
        "frames/s".to_owned(),
        stats::count(seed.per_second),
        stats::count(funnel.per_second),
        ratio(rate_ratio),
        "≥ 2×".to_owned(),
        verdict(rate_ratio >= 2.0).to_owned(),
    ]);
    table.row([
        "frames measured (degraded)".to_owned(),
        format!(
            "{} ({})",
            stats::count(seed.latency.count as f64),
            seed.errors
        ),
        format!(
            "{} ({})",
            stats::count(funnel.latency.count as f64),
            funnel.errors
        ),
    ]);
    table.note(format!(
        "One frame after another for {:?} per design after {:?} of warm-up, from a tokio \
         current-thread client (as the funnel runs), zone UTC. Five separate `clocker serve` \
         processes (current-time and the four components), each single-threaded. The seed \
         design costs 8 calls in sequence per frame (each component asks current-time); the \
         funnel design costs 1 call, then 4 concurrent ones (`clocker_fanout::Assembler`).",
        args.duration, args.warmup
    ));
    table.note(
        "Bottleneck: round trips, not CPU (one frame in flight): a frame's cost is the chain of \
         calls it waits for, the client's share included."
            .to_owned(),
    );
    table
}
