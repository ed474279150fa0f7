//! The clock timers are set and fired by: the system's wall clock, shifted
//! by an offset that is zero except in tests and demos (`--timers-clock
//! offset:+15m` shows timers that fell due while the service was down).
//!
//! It is not current-time's `--clock`: a frozen or stepping clock would
//! never fire a timer, and one that starts at an instant would move every
//! timer at each restart. It runs at the system clock's rate, and a step of
//! the system clock (NTP, a suspend) is a step of this one, which the
//! scheduler notices within a second.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jiff::{SignedDuration, Timestamp};

/// The system clock plus an offset; clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct TimerClock {
    offset_ns: Arc<AtomicI64>,
}

/// The most an offset may be: a century either way.
const MAX_OFFSET: SignedDuration = SignedDuration::from_hours(100 * 366 * 24);

impl TimerClock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// The system clock shifted by `by` (at most a century either way).
    pub fn offset(by: SignedDuration) -> Self {
        let clock = Self::default();
        clock.step(by);
        clock
    }

    /// Now, in unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        let now = Timestamp::now().as_millisecond();
        now.saturating_add(self.offset_ns.load(Ordering::Relaxed) / 1_000_000)
    }

    /// Now, in unix nanoseconds.
    pub fn now_ns(&self) -> i128 {
        Timestamp::now().as_nanosecond() + i128::from(self.offset_ns.load(Ordering::Relaxed))
    }

    /// Moves this clock by `by` (clamped to a century either way), as a
    /// step of the system clock would: a test's wall-clock step.
    pub fn step(&self, by: SignedDuration) {
        let max = MAX_OFFSET.as_nanos() as i64;
        let by = by.as_nanos().clamp(-i128::from(max), i128::from(max)) as i64;
        let _ = self
            .offset_ns
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |offset| {
                Some(offset.saturating_add(by).clamp(-max, max))
            });
    }
}

/// A `--timers-clock` value that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot use '{0}' as the timers' clock: expected 'system' or 'offset:<duration>' (offset:+15m, \
     offset:-2h, at most a century); frozen, start and stepping clocks are current-time's (--clock) \
     and would stop or move timers"
)]
pub struct BadTimerClock(String);

impl FromStr for TimerClock {
    type Err = BadTimerClock;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let bad = || BadTimerClock(input.chars().take(64).collect());
        match input.split_once(':') {
            None if input == "system" => Ok(Self::system()),
            Some(("offset", value)) => {
                let by: SignedDuration =
                    value.trim_start_matches('+').parse().map_err(|_| bad())?;
                if by.abs() > MAX_OFFSET {
                    return Err(bad());
                }
                Ok(Self::offset(by))
            }
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for TimerClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset_ns.load(Ordering::Relaxed) {
            0 => f.write_str("system"),
            offset => write!(f, "offset:{}", SignedDuration::from_nanos(offset)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_and_offsets_are_accepted_and_other_clocks_refused() {
        assert_eq!(
            "system".parse::<TimerClock>().expect("system").to_string(),
            "system"
        );
        let ahead: TimerClock = "offset:+15m".parse().expect("offset");
        let shift = ahead.now_ms() - TimerClock::system().now_ms();
        assert!(
            (15 * 60_000 - 1_000..=15 * 60_000 + 1_000).contains(&shift),
            "{shift}"
        );
        let behind: TimerClock = "offset:-2h".parse().expect("offset");
        assert!(behind.now_ms() < TimerClock::system().now_ms() - 7_000_000);
        for refused in [
            "frozen:2026-01-01T00:00:00Z",
            "stepping:2026-01-01T00:00:00Z/1ms",
            "start:2026-01-01T00:00:00Z",
            "offset:soon",
            "offset:+2000000h",
            "",
        ] {
            let err = refused
                .parse::<TimerClock>()
                .expect_err(refused)
                .to_string();
            assert!(err.contains("system' or 'offset:"), "{err}");
        }
    }

    #[test]
    fn a_step_moves_the_clock_and_is_shared_by_clones() {
        let clock = TimerClock::system();
        let seen_by_scheduler = clock.clone();
        let before = seen_by_scheduler.now_ms();
        clock.step(SignedDuration::from_hours(1));
        let after = seen_by_scheduler.now_ms();
        assert!(
            (3_600_000..3_600_000 + 1_000).contains(&(after - before)),
            "{}",
            after - before
        );
        clock.step(SignedDuration::MAX);
        assert!(
            clock.now_ms() > after,
            "a huge step is clamped, not wrapped"
        );
    }
}
