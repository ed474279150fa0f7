//! Closed-loop gRPC load: workers that each keep one call in flight, back to
//! back, recording the latency of the calls started in the measured window
//! (P2 and P5 use it), metering the server's CPU and its own.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::task::JoinSet;

use crate::procfs::{CpuMeter, CpuUse, Pid};
use crate::stats::Samples;

/// What the workers saw.
#[derive(Debug, Default)]
pub struct Calls {
    pub latency: Samples,
    pub errors: u64,
    pub first_error: Option<String>,
}

/// The reply of one call, boxed so one worker serves any RPC.
pub type Reply<'a> = Pin<Box<dyn Future<Output = Result<(), tonic::Status>> + Send + 'a>>;

/// One call on `client`.
pub type Call<C> = for<'a> fn(&'a mut C) -> Reply<'a>;

/// Calls back to back until `until`; records the calls started from `measure_from`.
async fn worker<C>(mut client: C, call: Call<C>, measure_from: Instant, until: Instant) -> Calls {
    let mut calls = Calls {
        latency: Samples::with_capacity(8192),
        ..Calls::default()
    };
    loop {
        let start = Instant::now();
        if start >= until {
            return calls;
        }
        let reply = call(&mut client).await;
        if start < measure_from {
            continue;
        }
        match reply {
            Ok(()) => calls.latency.record(start.elapsed()),
            Err(status) => {
                calls.errors += 1;
                calls.first_error.get_or_insert_with(|| status.to_string());
                // A failing server answers at once; do not spin.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

/// Waits for every worker and adds up what they saw.
async fn join(mut workers: JoinSet<Calls>) -> anyhow::Result<Calls> {
    let mut total = Calls::default();
    while let Some(done) = workers.join_next().await {
        let done = done.context("a load worker panicked")?;
        total.latency.merge(done.latency);
        total.errors += done.errors;
        total.first_error = total.first_error.or(done.first_error);
    }
    Ok(total)
}

/// What one measured closed-loop run saw.
#[derive(Debug)]
pub struct Run {
    pub calls: Calls,
    /// Calls completed per second of the measured window.
    pub per_second: f64,
    /// CPU of the server under load, over the measured window.
    pub server_cpu: CpuUse,
    /// CPU of this process (the load generator), over the same window.
    pub client_cpu: CpuUse,
}

/// One worker per client in `workers`, calling `call` back to back for
/// `warmup` and then the measured `duration`, with the CPU of `server` and of
/// this process metered over the measured window.
pub async fn run<C: Send + 'static>(
    server: Pid,
    workers: Vec<C>,
    call: Call<C>,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<Run> {
    let measure_from = Instant::now() + warmup;
    let until = measure_from + duration;
    let mut running = JoinSet::new();
    for client in workers {
        running.spawn(worker(client, call, measure_from, until));
    }
    tokio::time::sleep_until(measure_from.into()).await;
    let server_meter = CpuMeter::start(server)?;
    let client_meter = CpuMeter::start(Pid::This)?;
    tokio::time::sleep_until(until.into()).await;
    let (server_cpu, client_cpu) = (server_meter.read()?, client_meter.read()?);
    let calls = join(running).await?;
    Ok(Run {
        per_second: calls.latency.len() as f64 / duration.as_secs_f64(),
        calls,
        server_cpu,
        client_cpu,
    })
}
