//! Closed-loop gRPC load: workers that each keep one call in flight, back to
//! back, recording the latency of every call started in the measured window,
//! failed ones included (P2 and P5 use it), metering the server's CPU and its
//! own.

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
    /// Every measured call's latency, answered or failed: a server that
    /// fails fast must not look fast.
    pub latency: Samples,
    /// How many of them failed.
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
        calls.latency.record(start.elapsed());
        match reply {
            Ok(()) => {}
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
    /// Calls answered OK per second of the measured window (failed ones
    /// are `calls.errors`, not counted here).
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
        per_second: calls.latency.len().saturating_sub(calls.errors as usize) as f64
            / duration.as_secs_f64(),
        calls,
        server_cpu,
        client_cpu,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every other call fails, after the same 1 ms as a success.
    fn flaky(calls: &mut u64) -> Reply<'_> {
        *calls += 1;
        let fails = calls.is_multiple_of(2);
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            if fails {
                Err(tonic::Status::unavailable("down"))
            } else {
                Ok(())
            }
        })
    }

    #[tokio::test]
    async fn failed_calls_are_in_the_latency_and_not_in_the_rate() {
        let window = Duration::from_millis(300);
        let run = run(Pid::This, vec![0u64, 0], flaky, Duration::ZERO, window)
            .await
            .expect("runs");
        let all = run.calls.latency.len() as u64;
        assert!(
            run.calls.errors > 0 && run.calls.errors < all,
            "{:?}",
            run.calls.errors
        );
        // Half fail: about as many failed as answered, all of them timed.
        let answered = all - run.calls.errors;
        assert!(
            answered.abs_diff(run.calls.errors) <= 2,
            "{answered} vs {}",
            run.calls.errors
        );
        let rate = run.per_second * window.as_secs_f64();
        assert!(
            (rate - answered as f64).abs() < 1.0,
            "{rate} calls/s counted, {answered} answered"
        );
        assert!(run.calls.latency.summary().p50 >= Duration::from_millis(1));
    }
}
