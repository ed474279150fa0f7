//! Closed-loop gRPC load: workers that each keep one call in flight, back to
//! back, recording the latency of the calls started in the measured window
//! (P2 and P5 use it).

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::task::JoinSet;

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
pub async fn worker<C>(
    mut client: C,
    call: Call<C>,
    measure_from: Instant,
    until: Instant,
) -> Calls {
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
pub async fn join(mut workers: JoinSet<Calls>) -> anyhow::Result<Calls> {
    let mut total = Calls::default();
    while let Some(done) = workers.join_next().await {
        let done = done.context("a load worker panicked")?;
        total.latency.merge(done.latency);
        total.errors += done.errors;
        total.first_error = total.first_error.or(done.first_error);
    }
    Ok(total)
}
