//! The tick loop: once per tick, one instant, then one frame per zone in use,
//! all zones in parallel, each serialized once and published to the hub.
//! Nothing here runs per client; with no subscribers the loop sleeps.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use crate::{Assembler, Hub};

/// Runs until `shutdown` fires.
pub async fn run(hub: Arc<Hub>, assembler: Assembler, tick: Duration, shutdown: CancellationToken) {
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut seq: u64 = 0;
    let mut was_degraded = false;
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
        let started = std::time::Instant::now();
        let instant = assembler.read_instant().await;
        let frames = join_all(
            zones
                .iter()
                .map(|zone| assembler.frame(seq, zone, &instant)),
        )
        .await;
        let degraded = frames
            .first()
            .map(|f| f.degraded.clone())
            .unwrap_or_default();
        if degraded.is_empty() == was_degraded {
            was_degraded = !degraded.is_empty();
            if was_degraded {
                tracing::warn!(?degraded, "frames are degraded: services not answering");
            } else {
                tracing::info!("all clock services answer again");
            }
        }
        hub.set_degraded(degraded);
        for (zone, frame) in zones.iter().zip(frames) {
            hub.publish(zone, frame.to_json());
        }
        metrics::histogram!("clocker_funnel_tick_duration_seconds")
            .record(started.elapsed().as_secs_f64());
        metrics::gauge!("clocker_funnel_zones").set(zones.len() as f64);
    }
}
