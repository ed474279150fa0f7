//! The tick loop: once per tick, one instant, then the frame of every zone
//! in use, each serialized once and published to the hub. Nothing here runs
//! per client; with no subscribers the loop sleeps.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use crate::{Assembler, Hub};

/// Runs until `shutdown` fires.
pub async fn run(hub: Arc<Hub>, assembler: Assembler, tick: Duration, shutdown: CancellationToken) {
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut seq: u64 = 0;
    let mut degraded: Vec<&'static str> = Vec::new();
    loop {
        let mut zones = hub.zones_in_use();
        while zones.is_empty() {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = hub.wait_for_subscriber() => zones = hub.zones_in_use(),
            }
            interval.reset_immediately();
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = interval.tick() => {}
        }
        seq += 1;
        let started = Instant::now();
        let instant = assembler.read_instant().await;
        let frames = assembler.frames(seq, &zones, &instant).await;

        let mut now_degraded: Vec<&'static str> = Vec::new();
        for name in frames.iter().flat_map(|frame| &frame.degraded) {
            if !now_degraded.contains(name) {
                now_degraded.push(name);
            }
        }
        if now_degraded != degraded {
            if now_degraded.is_empty() {
                tracing::info!("all clock services answer again");
            } else {
                tracing::warn!(degraded = ?now_degraded, "frames are degraded: services not answering");
            }
            degraded = now_degraded;
            hub.set_degraded(degraded.clone());
        }

        for (zone, frame) in zones.iter().zip(frames) {
            hub.publish(&zone.name, frame.to_json());
        }
        metrics::histogram!("clocker_funnel_tick_duration_seconds")
            .record(started.elapsed().as_secs_f64());
        metrics::gauge!("clocker_funnel_zones").set(zones.len() as f64);
    }
}
