//! The numbers behind the plots, as JSON: P4, P6 and P8 each write
//! `<series dir>/<p4|p6|p8>.json` once they have measured, which
//! `bench/plot.py` draws (`bench/run.sh` runs it after the benchmarks).
//! P4's and P6's list every server measured, ours and the peers, each with
//! its levels ([`FanOutServer`]). Durations are in milliseconds (CPU per
//! delivery in µs), memory in bytes or KiB as named.

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

/// One server of a fan-out benchmark (ours or a peer): how it is named,
/// what it measured at each client count, and the counts it could not be
/// measured at (with why).
pub struct FanOutServer<'a> {
    /// `funnel`, `stream`, `node-ws`, `node-sse`, `python-websockets`.
    pub key: &'a str,
    pub label: &'a str,
    pub ours: bool,
    /// `websocket` or `sse`.
    pub protocol: &'a str,
    pub levels: Vec<FanOut<'a>>,
    pub unmeasured: Vec<(usize, &'a str)>,
}

impl FanOutServer<'_> {
    pub fn to_json(&self) -> Value {
        json!({
            "key": self.key,
            "label": self.label,
            "ours": self.ours,
            "protocol": self.protocol,
            "levels": self.levels.iter().map(FanOut::to_json).collect::<Vec<_>>(),
            "unmeasured": self
                .unmeasured
                .iter()
                .map(|(clients, reason)| json!({ "clients": clients, "reason": reason }))
                .collect::<Vec<_>>(),
        })
    }
}

/// What one server of a fan-out (P4's WebSocket, P6's SSE and WebSocket)
/// measured at one client count.
pub struct FanOut<'a> {
    pub clients: usize,
    pub connect: Duration,
    pub lag: &'a Summary,
    /// The measured window.
    pub window: Duration,
    /// Messages delivered.
    pub received: u64,
    pub expected: f64,
    /// Of those, without a send time.
    pub degraded: u64,
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
        let cpu_seconds = self.server_cpu.total() / 100.0 * self.window.as_secs_f64();
        let per_delivery_us = if self.received > 0 {
            cpu_seconds * 1e6 / self.received as f64
        } else {
            0.0
        };
        json!({
            "clients": self.clients,
            "connect_ms": ms(self.connect),
            "lag_ms": summary(self.lag),
            "window_s": (self.window.as_secs_f64() * 1e3).round() / 1e3,
            "received": self.received,
            "expected": self.expected.round(),
            "degraded": self.degraded,
            "clients_lost": self.lost,
            "server_cpu_percent": cpu(self.server_cpu),
            "cpu_per_delivery_us": (per_delivery_us * 100.0).round() / 100.0,
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
            window: Duration::from_secs(2),
            received: 200,
            expected: 200.4,
            degraded: 0,
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
        // 15.04 % of a core for 2 s over 200 messages: 1,504 µs each.
        assert_eq!(level["cpu_per_delivery_us"], 1504.0);
    }

    #[test]
    fn a_fan_out_server_lists_its_levels_and_what_it_missed() {
        let (lag, cpu) = (Summary::default(), CpuUse::default());
        let server = FanOutServer {
            key: "python-websockets",
            label: "Python websockets",
            ours: false,
            protocol: "websocket",
            levels: vec![FanOut {
                clients: 1_000,
                connect: Duration::ZERO,
                lag: &lag,
                window: Duration::from_secs(1),
                received: 0,
                expected: 20_000.0,
                degraded: 0,
                lost: 0,
                server_cpu: &cpu,
                generator_cpu: &cpu,
                rss_idle: 0,
                rss_loaded: 0,
            }],
            unmeasured: vec![(10_000, "only 6,000 connected")],
        }
        .to_json();
        assert_eq!(server["levels"][0]["clients"], 1_000);
        assert_eq!(server["levels"][0]["cpu_per_delivery_us"], 0.0);
        assert_eq!(server["unmeasured"][0]["clients"], 10_000);
        assert_eq!(server["unmeasured"][0]["reason"], "only 6,000 connected");
    }
}
