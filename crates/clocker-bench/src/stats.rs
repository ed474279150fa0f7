//! Percentiles over recorded latencies (a sorted `Vec`, nearest rank), and
//! how durations, rates and ratios are written in the tables.

use std::time::Duration;

/// Latencies in nanoseconds, in the order they were recorded.
#[derive(Debug, Default, Clone)]
pub struct Samples {
    nanos: Vec<u64>,
}

impl Samples {
    /// Room for `capacity` samples, so recording does not reallocate.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            nanos: Vec::with_capacity(capacity),
        }
    }

    /// Records one latency.
    pub fn record(&mut self, latency: Duration) {
        self.record_nanos(u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX));
    }

    /// Records one latency given in nanoseconds.
    pub fn record_nanos(&mut self, nanos: u64) {
        self.nanos.push(nanos);
    }

    /// Adds the samples of `other`.
    pub fn merge(&mut self, other: Samples) {
        self.nanos.extend(other.nanos);
    }

    /// How many samples were recorded.
    pub fn len(&self) -> usize {
        self.nanos.len()
    }

    /// Sorts the samples once and summarizes them.
    pub fn summary(mut self) -> Summary {
        self.nanos.sort_unstable();
        let sorted = self.nanos;
        // Nearest rank: the smallest value with `per_mille` ‰ of the samples
        // at or below it (integer arithmetic, so 99.9 % of 1000 is rank 999).
        let at = |per_mille: usize| {
            if sorted.is_empty() {
                return Duration::ZERO;
            }
            let rank = (per_mille * sorted.len()).div_ceil(1000);
            Duration::from_nanos(sorted[rank.clamp(1, sorted.len()) - 1])
        };
        let total: u128 = sorted.iter().map(|&n| u128::from(n)).sum();
        let mean = match u128::try_from(sorted.len()) {
            Ok(count) if count > 0 => {
                Duration::from_nanos(u64::try_from(total / count).unwrap_or(u64::MAX))
            }
            _ => Duration::ZERO,
        };
        Summary {
            count: sorted.len(),
            p50: at(500),
            p99: at(990),
            p999: at(999),
            max: sorted
                .last()
                .map_or(Duration::ZERO, |&n| Duration::from_nanos(n)),
            mean,
        }
    }
}

/// Percentiles of a set of latencies.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub count: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub p999: Duration,
    pub max: Duration,
    pub mean: Duration,
}

/// A duration in the unit that suits it: `41.3 µs`, `2.45 ms`, `1.20 s`.
pub fn duration(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros < 1_000.0 {
        format!("{micros:.1} µs")
    } else if micros < 1_000_000.0 {
        format!("{:.2} ms", micros / 1e3)
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}

/// A count with thousands separators: `123,456`.
pub fn count(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A ratio: `3.42×`.
pub fn ratio(value: f64) -> String {
    format!("{value:.2}×")
}

/// `a / b` as a ratio: `0.42×`.
pub fn duration_ratio(a: Duration, b: Duration) -> String {
    ratio(divide(a.as_secs_f64(), b.as_secs_f64()))
}

/// `a / b` as floats (0 when `b` is 0).
pub fn divide(a: f64, b: f64) -> f64 {
    if b == 0.0 { 0.0 } else { a / b }
}

/// Whether a target was met, as a table cell.
pub fn verdict(met: bool) -> &'static str {
    if met { "✅ met" } else { "❌ missed" }
}

/// Which side of a load test limited it: the one using at least 90 % of
/// the CPU its threads can use (100 % = one core).
pub fn bottleneck(
    server: &crate::procfs::CpuUse,
    server_threads: usize,
    client: &crate::procfs::CpuUse,
    client_threads: usize,
) -> &'static str {
    let busy = |cpu: &crate::procfs::CpuUse, threads: usize| cpu.total() >= 90.0 * threads as f64;
    match (busy(server, server_threads), busy(client, client_threads)) {
        (true, false) => "the server",
        (false, true) => "the load generator",
        (true, true) => "both",
        (false, false) => "neither (round trips, not CPU)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut samples = Samples::default();
        for n in 1..=1000 {
            samples.record_nanos(n);
        }
        let summary = samples.summary();
        assert_eq!(summary.count, 1000);
        assert_eq!(summary.p50, Duration::from_nanos(500));
        assert_eq!(summary.p99, Duration::from_nanos(990));
        assert_eq!(summary.p999, Duration::from_nanos(999));
        assert_eq!(summary.max, Duration::from_nanos(1000));
    }

    #[test]
    fn an_empty_set_summarizes_to_zero() {
        let summary = Samples::default().summary();
        assert_eq!(summary.count, 0);
        assert_eq!(summary.p99, Duration::ZERO);
    }

    #[test]
    fn numbers_are_written_for_people() {
        assert_eq!(count(1234567.0), "1,234,567");
        assert_eq!(count(999.0), "999");
        assert_eq!(duration(Duration::from_micros(41)), "41.0 µs");
        assert_eq!(duration(Duration::from_micros(2450)), "2.45 ms");
        assert_eq!(ratio(3.421), "3.42×");
    }
}
