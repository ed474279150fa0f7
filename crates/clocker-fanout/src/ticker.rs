//! The tick loop: once per tick, one instant, then the frame of every zone
//! in use, each serialized once and published to the hub. Nothing here runs
//! per client; with no subscribers the loop sleeps.
//!
//! The loop has a thread (and single-threaded runtime) of its own, apart
//! from the sockets: with thousands of clients the socket thread is busy
//! sending every tick, and the clock services' replies must not queue behind
//! that work (they would overrun their deadline, and frames would lose their
//! time although every service answered promptly).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clocker_runtime::{Locator, spawn_single_threaded};
use tokio::sync::oneshot;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use crate::fleet_clock::{Estimator, Sample, nanos, wall_clock_nanos};
use crate::outage::Outages;
use crate::{Assembler, FleetClock, Hub, InstantRead};

/// Starts the tick loop on its own thread; resolves once it is ready (the
/// caller's thread stays free meanwhile), with a receiver that resolves
/// when the loop has stopped (after `shutdown`).
///
/// With a `probe_zone` (the funnel) it first reads current-time once to
/// learn the fleet's time, and while no one listens it probes the services
/// every few seconds so health stays current. Without one (the stream's
/// clock frames) it reads nothing until someone listens.
pub async fn start(
    hub: Arc<Hub>,
    clock: Arc<FleetClock>,
    locator: Locator,
    call_timeout: Duration,
    tick: Duration,
    probe_zone: Option<String>,
    shutdown: CancellationToken,
) -> Result<oneshot::Receiver<()>, String> {
    let (ready_tx, ready_rx) = oneshot::channel();
    let done = spawn_single_threaded("funnel-ticker", move || async move {
        // Located here so the channels' workers live on this thread.
        match Assembler::locate(&locator, call_timeout) {
            Ok(assembler) => {
                let mut reader = InstantReader {
                    assembler: &assembler,
                    clock: &clock,
                    estimator: Estimator::default(),
                };
                // Ready once the fleet's time is known (or current-time
                // failed to answer within the budget), so the first
                // client's clock-sync pings get real timestamps.
                if probe_zone.is_some() {
                    let _ = reader.read().await;
                }
                let _ = ready_tx.send(Ok(()));
                run(hub, reader, tick, probe_zone.as_deref(), shutdown).await;
            }
            Err(err) => {
                let _ = ready_tx.send(Err(err.to_string()));
            }
        }
    })
    .map_err(|err| format!("cannot start the tick thread: {err}"))?;
    ready_rx
        .await
        .map_err(|_| "the tick thread ended before it was ready".to_owned())??;
    Ok(done)
}

/// How often the services are probed while no client is connected, so
/// `/health` stays true when there are no frames to learn it from.
const IDLE_PROBE_EVERY: Duration = Duration::from_secs(2);

/// Runs until `shutdown` fires.
async fn run(
    hub: Arc<Hub>,
    mut reader: InstantReader<'_>,
    tick: Duration,
    probe_zone: Option<&str>,
    shutdown: CancellationToken,
) {
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut seq: u64 = 0;
    let mut outages = Outages::default();
    loop {
        let mut zones = hub.zones_in_use();
        if zones.is_empty() {
            metrics::gauge!("clocker_funnel_zones").set(0.0);
        }
        while zones.is_empty() {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = hub.wait_for_subscriber() => zones = hub.zones_in_use(),
                () = tokio::time::sleep(IDLE_PROBE_EVERY), if probe_zone.is_some() => {
                    let probe_zone = probe_zone.unwrap_or("UTC");
                    let instant = reader.read().await;
                    let probe = reader.assembler.frame(0, probe_zone, &instant).await;
                    note_degraded(&hub, &mut outages, &probe.degraded);
                }
            }
            interval.reset_immediately();
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = interval.tick() => {}
        }
        seq += 1;
        let started = Instant::now();
        let instant = reader.read().await;
        let frames = reader.assembler.frames(seq, &zones, &instant).await;

        let mut now_degraded: Vec<Cow<'static, str>> = Vec::new();
        for name in frames.iter().flat_map(|frame| &frame.degraded) {
            if !now_degraded.contains(name) {
                now_degraded.push(name.clone());
            }
        }
        note_degraded(&hub, &mut outages, &now_degraded);

        for (zone, frame) in zones.iter().zip(frames) {
            hub.publish(&zone.name, frame.seq, &frame.to_json());
        }
        hub.raise();
        metrics::histogram!("clocker_funnel_tick_duration_seconds")
            .record(started.elapsed().as_secs_f64());
        metrics::gauge!("clocker_funnel_zones").set(zones.len() as f64);
    }
}

/// Reads instants from current-time, teaching the funnel's [`FleetClock`]
/// from each read.
struct InstantReader<'a> {
    assembler: &'a Assembler,
    clock: &'a FleetClock,
    estimator: Estimator,
}

impl InstantReader<'_> {
    async fn read(&mut self) -> InstantRead {
        // One wall-clock read; the round trip is timed on the monotonic
        // clock, so a wall clock stepped mid-call cannot fake a short one.
        let sent = wall_clock_nanos();
        let started = Instant::now();
        let instant = self.assembler.read_instant().await;
        if let Ok(instant) = instant {
            let sample = Sample {
                sent,
                received: sent.saturating_add(nanos(started.elapsed())),
                instant,
            };
            self.estimator.observe(sample, self.clock);
        }
        instant
    }
}

/// Records (and logs, when it changes) which services are down: missing
/// from every read for [`OUTAGE_AFTER`](crate::outage::OUTAGE_AFTER), not
/// merely late once.
fn note_degraded(hub: &Hub, outages: &mut Outages, missing: &[Cow<'static, str>]) {
    let now = Instant::now();
    let Some(down) = outages.observe(missing, now).map(<[_]>::to_vec) else {
        return;
    };
    if down.is_empty() {
        tracing::info!("all clock services answer again");
    } else {
        tracing::warn!(
            down = ?down,
            for_ms = outages.longest(now).as_millis() as u64,
            "clock services not answering"
        );
    }
    hub.set_degraded(down);
}
