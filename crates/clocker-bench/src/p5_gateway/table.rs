//! P5's table: the gateway, the bare hyper handler and direct gRPC side by
//! side, with the two targets: the gateway keeps ≥ 0.6× of direct gRPC's
//! requests/s, and spends ≤ 2× the bare handler's CPU per request.

use std::time::Duration;

use super::{Load, P5Args, PATH, Paths};
use crate::procfs::CpuUse;
use crate::report::Table;
use crate::stats::{self, duration, duration_ratio};

/// The gateway must keep at least this share of the direct calls/s.
const RATE_TARGET: f64 = 0.6;
/// The gateway may spend at most this many times the bare handler's CPU
/// per request.
const CPU_TARGET: f64 = 2.0;

/// CPU seconds per request, from a CPU share (100 % = one core).
fn cpu_per_request(cpu: CpuUse, load: &Load) -> f64 {
    stats::divide(cpu.total() / 100.0, load.per_second)
}

fn per_request_cell(cpu: CpuUse, load: &Load) -> String {
    duration(Duration::from_secs_f64(cpu_per_request(cpu, load)))
}

pub(super) fn table(paths: &Paths, args: &P5Args) -> Table {
    let Paths {
        gateway,
        bare,
        direct,
    } = paths;
    let mut table = Table::new(
        format!(
            "P5 — GetRandomNumber through the REST gateway ({} shards) vs a bare hyper handler and direct gRPC, {} in flight",
            args.shards, args.in_flight
        ),
        &[
            "",
            "gateway: GET /random/number (wrk)",
            "bare hyper handler (wrk)",
            "direct gRPC (tonic)",
            "compared",
            "target",
            "met",
        ],
    );
    let rate_ratio = stats::divide(gateway.per_second, direct.per_second);
    table.row([
        "requests/s".to_owned(),
        stats::count(gateway.per_second),
        stats::count(bare.per_second),
        stats::count(direct.per_second),
        format!("gateway ÷ direct {}", stats::ratio(rate_ratio)),
        format!("≥ {RATE_TARGET}×"),
        stats::verdict(rate_ratio >= RATE_TARGET && gateway.errors == 0).to_owned(),
    ]);
    let cpu_ratio = stats::divide(
        cpu_per_request(gateway.server_cpu, gateway),
        cpu_per_request(bare.server_cpu, bare),
    );
    table.row([
        "CPU per request: the server answering".to_owned(),
        per_request_cell(gateway.server_cpu, gateway),
        per_request_cell(bare.server_cpu, bare),
        per_request_cell(direct.server_cpu, direct),
        format!("gateway ÷ bare {}", stats::ratio(cpu_ratio)),
        format!("≤ {CPU_TARGET}×"),
        stats::verdict(cpu_ratio > 0.0 && cpu_ratio <= CPU_TARGET).to_owned(),
    ]);
    for (name, pick) in [
        (
            "latency p50",
            (|load: &Load| load.p50) as fn(&Load) -> Duration,
        ),
        ("latency p99", |load: &Load| load.p99),
    ] {
        table.row([
            name.to_owned(),
            duration(pick(gateway)),
            duration(pick(bare)),
            duration(pick(direct)),
            format!(
                "gateway ÷ direct {}",
                duration_ratio(pick(gateway), pick(direct))
            ),
        ]);
    }
    table.row(
        [
            "errors",
            &stats::count(gateway.errors as f64),
            &stats::count(bare.errors as f64),
            &stats::count(direct.errors as f64),
        ]
        .map(str::to_owned),
    );
    table.row([
        "CPU of the server answering (100 % = 1 core)".to_owned(),
        gateway.server_cpu.cell(),
        bare.server_cpu.cell(),
        direct.server_cpu.cell(),
    ]);
    let random_cpu = gateway.behind_cpu.unwrap_or_default();
    table.row([
        "random service CPU".to_owned(),
        random_cpu.cell(),
        "—".to_owned(),
        direct.server_cpu.cell(),
    ]);
    table.row([
        "CPU per request: random service".to_owned(),
        per_request_cell(random_cpu, gateway),
        "—".to_owned(),
        per_request_cell(direct.server_cpu, direct),
    ]);
    table.row([
        "CPU per request: load generator".to_owned(),
        per_request_cell(gateway.generator_cpu, gateway),
        per_request_cell(bare.generator_cpu, bare),
        per_request_cell(direct.generator_cpu, direct),
    ]);
    table.row([
        "load generator CPU".to_owned(),
        gateway.generator_cpu.cell(),
        bare.generator_cpu.cell(),
        direct.generator_cpu.cell(),
    ]);
    table.row([
        "bottleneck (≥ 90 % of its threads' CPU)".to_owned(),
        stats::bottleneck(
            &gateway.server_cpu,
            args.shards,
            &gateway.generator_cpu,
            args.wrk_threads,
        )
        .to_owned(),
        stats::bottleneck(&bare.server_cpu, 1, &bare.generator_cpu, args.wrk_threads).to_owned(),
        stats::bottleneck(&direct.server_cpu, 1, &direct.generator_cpu, args.threads).to_owned(),
    ]);
    table.note(format!(
        "`clocker serve random` (release, single-threaded) and `clocker serve gateway --shards {}` \
         (release; each shard a thread with its own HTTP/2 connection to the random service), and \
         `clocker-bench bare-http` (hyper 1 HTTP/1.1 on one current-thread runtime, answering \
         `{{\"number\":N,\"min\":1,\"max\":100}}` with no router, limits, metrics or call behind \
         it). Gateway and bare handler: `wrk --latency -t {} -c {} -d {}s` on `GET {PATH}` \
         (HTTP/1.1 keep-alive), each after {}s unmeasured. Direct: `GetRandomNumber {{min: 1, \
         max: 100}}` from a tonic client ({} HTTP/2 connection(s), {} runtime thread(s)) with {} \
         calls in flight, {:?} measured after {:?} of warm-up. One path after the other, against \
         the same random process. CPU is the whole process's (every shard of the gateway). \
         Errors: non-2xx responses and socket errors (wrk), non-OK statuses (tonic); the rate \
         target also asks for no gateway error.",
        args.shards,
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
    table.note(floor_note(paths, args));
    if let Some(error) = &direct.first_error {
        table.note(format!("First direct error: `{error}`."));
    }
    table
}

/// The least a REST-to-gRPC hop can cost with these libraries: answering
/// the HTTP request (the bare handler's CPU per request) plus making the one
/// gRPC call (the direct tonic client's CPU per call), against the CPU
/// target and the gateway's own cost.
fn floor_note(paths: &Paths, args: &P5Args) -> String {
    let Paths {
        gateway,
        bare,
        direct,
    } = paths;
    let answer = cpu_per_request(bare.server_cpu, bare);
    let call = cpu_per_request(direct.generator_cpu, direct);
    let floor = answer + call;
    let micros = |seconds: f64| duration(Duration::from_secs_f64(seconds));
    format!(
        "The floor under the gateway's CPU per request: answering an HTTP request (the bare \
         handler's {}) plus making one gRPC call (the direct tonic client's {} per call, {} in \
         flight) is {}, {} the bare handler's, where the target allows {}; the gateway spends \
         {} that floor.",
        micros(answer),
        micros(call),
        args.in_flight,
        micros(floor),
        stats::ratio(stats::divide(floor, answer)),
        stats::ratio(CPU_TARGET),
        stats::ratio(stats::divide(
            cpu_per_request(gateway.server_cpu, gateway),
            floor
        )),
    )
}
