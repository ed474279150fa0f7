//! The numbers behind the plots, as JSON: P4, P6 and P8 each write
//! `<series dir>/<p4|p6|p8>.json` once they have measured, which
//! `bench/plot.py` draws (`bench/run.sh` runs it after the benchmarks).
//! Durations are in milliseconds, memory in bytes or KiB as named.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};

use crate::procfs::CpuUse;
use crate::stats::Summary;

/// Where the series go; `None`: nowhere (set once, by `main`).
static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Sets the directory the series are written to (`None`: none are).
pub fn set_dir(dir: Option<PathBuf>) {
    // Set once, before any benchmark runs.
    let _ = DIR.set(dir);
}

/// Writes `value` to `<dir>/<name>.json`. A series that cannot be written
/// costs the plot, not the benchmark's table: it is reported on stderr.
pub fn write(name: &str, value: &Value) {
    let Some(Some(dir)) = DIR.get() else {
        return;
    };
    let path = dir.join(format!("{name}.json"));
    let result = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&path, format!("{value:#}\n").as_bytes()));
    match result {
        Ok(()) => eprintln!("bench: wrote {}", path.display()),
        Err(err) => eprintln!("bench: cannot write {}: {err}", path.display()),
    }
}

/// A duration in milliseconds (µs precision).
pub fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// A latency summary in milliseconds.
pub fn summary(summary: &Summary) -> Value {
    json!({
        "count": summary.count,
        "p50": ms(summary.p50),
        "p99": ms(summary.p99),
        "p999": ms(summary.p999),
        "max": ms(summary.max),
        "mean": ms(summary.mean),
    })
}

/// CPU use in % of one core.
pub fn cpu(cpu: &CpuUse) -> Value {
    let round = |x: f64| (x * 10.0).round() / 10.0;
    json!({
        "user": round(cpu.user),
        "system": round(cpu.system),
        "total": round(cpu.total()),
    })
}

/// What one client count of a fan-out (P4's WebSocket, P6's SSE) measured.
pub struct FanOut<'a> {
    pub clients: usize,
    pub connect: Duration,
    pub lag: &'a Summary,
    pub received: u64,
    pub expected: f64,
    pub lost: usize,
    pub server_cpu: &'a CpuUse,
    pub generator_cpu: &'a CpuUse,
    pub rss_idle: u64,
    pub rss_loaded: u64,
}

impl FanOut<'_> {
    pub fn to_json(&self) -> Value {
        let per_connection =
            self.rss_loaded.saturating_sub(self.rss_idle) as f64 / self.clients.max(1) as f64;
        json!({
            "clients": self.clients,
            "connect_ms": ms(self.connect),
            "lag_ms": summary(self.lag),
            "received": self.received,
            "expected": self.expected.round(),
            "clients_lost": self.lost,
            "server_cpu_percent": cpu(self.server_cpu),
            "generator_cpu_percent": cpu(self.generator_cpu),
            "rss_idle_bytes": self.rss_idle,
            "rss_loaded_bytes": self.rss_loaded,
            "rss_per_connection_kib": (per_connection / 1024.0 * 100.0).round() / 100.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fan_out_level_is_in_ms_and_kib() {
        let lag = Summary {
            count: 3,
            p50: Duration::from_micros(10_500),
            p99: Duration::from_millis(20),
            ..Summary::default()
        };
        let cpu = CpuUse {
            user: 10.04,
            system: 5.0,
        };
        let level = FanOut {
            clients: 1_000,
            connect: Duration::from_millis(140),
            lag: &lag,
            received: 200,
            expected: 200.4,
            lost: 0,
            server_cpu: &cpu,
            generator_cpu: &cpu,
            rss_idle: 10 << 20,
            rss_loaded: (10 << 20) + 8 * 1024 * 1_000,
        }
        .to_json();
        assert_eq!(level["lag_ms"]["p50"], 10.5);
        assert_eq!(level["lag_ms"]["p99"], 20.0);
        assert_eq!(level["expected"], 200.0);
        assert_eq!(level["rss_per_connection_kib"], 8.0);
        assert_eq!(level["server_cpu_percent"]["total"], 15.0);
    }
}
