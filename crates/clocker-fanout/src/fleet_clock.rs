//! The fleet's time as the funnel knows it: current-time's clock, learned
//! from the instants the tick loop reads, so the funnel can timestamp the
//! clock-sync pongs it sends browsers in the same timebase as its frames.
//!
//! Each read of current-time is an NTP-style sample: the funnel's wall clock
//! just before the call and just after the reply bracket the instant, so the
//! offset (current-time − funnel) is known to within half the round trip.
//! The estimate keeps the sample with the smallest error bound, where a
//! kept sample's bound grows with its age (clocks drift), and jumps to a
//! new sample that contradicts it (current-time's clock was stepped,
//! restarted with another setting, or is a test clock that does not run).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// How fast a kept sample's error bound grows: 50 µs per second of age,
/// well above what a quartz oscillator drifts (NTP assumes 15 ppm).
const DRIFT_NANOS_PER_SEC: i128 = 50_000;

/// Marks "no sample yet".
const UNKNOWN: i64 = i64::MIN;

/// The funnel's current estimate of current-time's clock, shared between
/// the tick loop (the one writer) and the sockets (readers).
#[derive(Debug)]
pub struct FleetClock {
    /// current-time's clock minus the funnel's wall clock, in nanoseconds;
    /// [`UNKNOWN`] until the first read.
    offset_nanos: AtomicI64,
}

impl Default for FleetClock {
    fn default() -> Self {
        Self {
            offset_nanos: AtomicI64::new(UNKNOWN),
        }
    }
}

impl FleetClock {
    /// The fleet's time now, in unix nanoseconds; `None` until current-time
    /// has answered once.
    pub fn now_nanos(&self) -> Option<i64> {
        self.offset_nanos()
            .map(|offset| wall_clock_nanos().saturating_add(offset))
    }

    /// The offset in use (current-time − funnel, nanoseconds), if known.
    pub fn offset_nanos(&self) -> Option<i64> {
        match self.offset_nanos.load(Ordering::Relaxed) {
            UNKNOWN => None,
            offset => Some(offset),
        }
    }

    fn publish(&self, offset: i64) {
        // UNKNOWN is 292 years away from any real offset.
        self.offset_nanos
            .store(offset.max(UNKNOWN + 1), Ordering::Relaxed);
    }
}

/// One read of current-time: the funnel's wall clock before and after the
/// call, and the instant it answered (all unix nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub sent: i64,
    pub received: i64,
    pub instant: i64,
}

impl Sample {
    fn offset(&self) -> i128 {
        let midpoint = (i128::from(self.sent) + i128::from(self.received)) / 2;
        i128::from(self.instant) - midpoint
    }

    /// How far [`Self::offset`] may be from the truth: half the round trip.
    fn bound(&self) -> i128 {
        (i128::from(self.received) - i128::from(self.sent)).max(0) / 2
    }
}

/// The tick loop's side: filters samples and publishes the best offset.
#[derive(Debug, Default)]
pub struct Estimator {
    kept: Option<Sample>,
}

impl Estimator {
    /// Considers one read; publishes to `clock` when it improves the estimate.
    pub fn observe(&mut self, sample: Sample, clock: &FleetClock) {
        let take = match &self.kept {
            None => true,
            Some(kept) => {
                let age = i128::from(sample.received) - i128::from(kept.received);
                let aged_bound = kept.bound() + age.max(0) * DRIFT_NANOS_PER_SEC / 1_000_000_000;
                let contradicts =
                    (sample.offset() - kept.offset()).abs() > aged_bound + sample.bound();
                sample.bound() <= aged_bound || contradicts
            }
        };
        if take {
            self.kept = Some(sample);
            let offset = sample
                .offset()
                .clamp(i128::from(i64::MIN), i128::from(i64::MAX));
            clock.publish(i64::try_from(offset).expect("clamped to i64"));
        }
    }
}

/// The funnel's wall clock, in unix nanoseconds (negative before 1970;
/// jiff's range is wider than i64 nanoseconds, hence the clamp).
pub fn wall_clock_nanos() -> i64 {
    let now = jiff::Timestamp::now().as_nanosecond();
    i64::try_from(now).unwrap_or(if now < 0 { i64::MIN } else { i64::MAX })
}

/// `duration` in nanoseconds, saturating (292 years fit).
pub fn nanos(duration: Duration) -> i64 {
    i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1_000_000_000;
    const MS: i64 = 1_000_000;

    /// A read at `at` taking `rtt`, of a clock `offset` ahead, answered
    /// `skew` after the midpoint (an asymmetric path).
    fn sample(at: i64, rtt: i64, offset: i64, skew: i64) -> Sample {
        Sample {
            sent: at,
            received: at + rtt,
            instant: at + rtt / 2 + skew + offset,
        }
    }

    #[test]
    fn unknown_until_the_first_sample() {
        let clock = FleetClock::default();
        assert_eq!(clock.now_nanos(), None);
        Estimator::default().observe(sample(0, MS, 90 * SEC, 0), &clock);
        assert_eq!(clock.offset_nanos(), Some(90 * SEC));
        let now = clock.now_nanos().expect("known");
        assert!((now - wall_clock_nanos() - 90 * SEC).abs() < SEC);
    }

    #[test]
    fn the_sample_with_the_shortest_round_trip_wins() {
        let clock = FleetClock::default();
        let mut estimator = Estimator::default();
        let offset = 1_234 * MS;
        estimator.observe(sample(0, 2 * MS, offset, 900_000), &clock);
        estimator.observe(sample(50 * MS, 200_000, offset, 40_000), &clock);
        estimator.observe(sample(100 * MS, 3 * MS, offset, -1_400_000), &clock);
        assert_eq!(clock.offset_nanos(), Some(offset + 40_000));
    }

    #[test]
    fn a_kept_sample_gives_way_as_it_ages() {
        let clock = FleetClock::default();
        let mut estimator = Estimator::default();
        estimator.observe(sample(0, 100_000, 0, 0), &clock);
        // 300 µs of round trip: worse than the kept 50 µs bound for now...
        estimator.observe(sample(SEC, 300_000, 0, 20_000), &clock);
        assert_eq!(clock.offset_nanos(), Some(0));
        // ...but not once the kept one is 3 s old (50 + 150 µs ≥ 150 µs).
        estimator.observe(sample(3 * SEC, 300_000, 0, 20_000), &clock);
        assert_eq!(clock.offset_nanos(), Some(20_000));
    }

    #[test]
    fn a_stepped_clock_is_followed_at_once() {
        let clock = FleetClock::default();
        let mut estimator = Estimator::default();
        estimator.observe(sample(0, 100_000, 0, 0), &clock);
        estimator.observe(sample(50 * MS, 5 * MS, -90 * SEC, 0), &clock);
        assert_eq!(clock.offset_nanos(), Some(-90 * SEC));
    }

    #[test]
    fn extreme_instants_saturate_instead_of_overflowing() {
        let clock = FleetClock::default();
        let read = Sample {
            sent: i64::MAX - 10,
            received: i64::MAX,
            instant: i64::MIN,
        };
        Estimator::default().observe(read, &clock);
        assert_eq!(clock.offset_nanos(), Some(i64::MIN + 1));
        assert!(clock.now_nanos().is_some());
    }
}
