//! The measured window of a fan-out benchmark (P4, P6):
//! once every client is connected, let the server settle, then count for a
//! fixed time while metering the server's CPU and this process's, and read
//! the server's resident memory under that load.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::procfs::{self, CpuMeter, CpuUse, Pid};

/// What the window measured.
#[derive(Debug)]
pub struct Window {
    /// How long the clients counted (`duration`, give or take a tick).
    pub elapsed: Duration,
    pub server_cpu: CpuUse,
    pub client_cpu: CpuUse,
    /// The server's resident memory at the end of the window.
    pub server_rss: u64,
    /// What the whole machine used meanwhile, in % of one core (others'
    /// work included: a saturated machine shows here).
    pub machine_cpu: f64,
}

/// Waits `settle`, then sets `measuring` (what the clients count by) for
/// `duration`; `label` names the benchmark in the progress line.
pub async fn measure(
    label: &str,
    server: Pid,
    settle: Duration,
    duration: Duration,
    measuring: &AtomicBool,
) -> anyhow::Result<Window> {
    tokio::time::sleep(settle).await;
    eprintln!("{label}:   measuring for {duration:?}");
    let server_meter = CpuMeter::start(server)?;
    let client_meter = CpuMeter::start(Pid::This)?;
    let machine_before = procfs::machine_busy()?;
    let start = Instant::now();
    measuring.store(true, Ordering::Relaxed);
    tokio::time::sleep(duration).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = start.elapsed();
    let machine_busy = procfs::machine_busy()?.saturating_sub(machine_before);
    Ok(Window {
        machine_cpu: 100.0 * machine_busy.as_secs_f64() / elapsed.as_secs_f64(),
        elapsed,
        server_cpu: server_meter.read()?,
        client_cpu: client_meter.read()?,
        server_rss: procfs::rss_bytes(server)?,
    })
}
