//! The clock current-time reads: the system clock, or a settable one so tests
//! and demos can stand at any boundary.

use std::fmt;
use std::str::FromStr;

use jiff::{SignedDuration, Timestamp};

/// Where "now" comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// The system clock shifted by a fixed amount (it keeps running).
    Offset(SignedDuration),
    /// Always the same instant.
    Frozen(Timestamp),
}

impl Clock {
    /// A running clock that reads `start` right now.
    pub fn starting_at(start: Timestamp) -> Self {
        Clock::Offset(start.duration_since(Timestamp::now()))
    }

    /// The current instant on this clock.
    pub fn now(&self) -> Timestamp {
        match *self {
            Clock::System => Timestamp::now(),
            Clock::Offset(offset) => {
                let now = Timestamp::now();
                now.checked_add(offset).unwrap_or(now)
            }
            Clock::Frozen(instant) => instant,
        }
    }
}

/// A `--clock` value that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot read clock '{input}': {reason}; expected 'system', 'offset:<duration>' (offset:-90s, \
     offset:+2h), 'start:<RFC 3339 instant>' or 'frozen:<RFC 3339 instant>' \
     (frozen:2026-03-29T00:59:59.900Z)"
)]
pub struct BadClock {
    input: String,
    reason: String,
}

impl FromStr for Clock {
    type Err = BadClock;

    /// `system`, `offset:<duration>`, `start:<instant>` or `frozen:<instant>`.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let bad = |reason: String| BadClock {
            input: input.to_owned(),
            reason,
        };
        let (kind, value) = input.split_once(':').unwrap_or((input, ""));
        match kind {
            "system" if value.is_empty() => Ok(Clock::System),
            "offset" => value
                .trim_start_matches('+')
                .parse::<SignedDuration>()
                .map(Clock::Offset)
                .map_err(|e| bad(e.to_string())),
            "start" => value
                .parse::<Timestamp>()
                .map(Clock::starting_at)
                .map_err(|e| bad(e.to_string())),
            "frozen" => value
                .parse::<Timestamp>()
                .map(Clock::Frozen)
                .map_err(|e| bad(e.to_string())),
            _ => Err(bad("unknown kind".into())),
        }
    }
}

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Clock::System => f.write_str("system"),
            Clock::Offset(offset) => write!(f, "offset:{offset:#}"),
            Clock::Frozen(instant) => write!(f, "frozen:{instant}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_parse_from_their_flag_syntax() {
        assert_eq!("system".parse::<Clock>().ok(), Some(Clock::System));
        assert_eq!(
            "offset:-90s".parse::<Clock>().ok(),
            Some(Clock::Offset(SignedDuration::from_secs(-90)))
        );
        assert_eq!(
            "offset:+2h".parse::<Clock>().ok(),
            Some(Clock::Offset(SignedDuration::from_hours(2)))
        );
        let frozen: Timestamp = "2026-03-29T00:59:59.9Z".parse().expect("literal");
        assert_eq!(
            "frozen:2026-03-29T00:59:59.9Z".parse::<Clock>().ok(),
            Some(Clock::Frozen(frozen))
        );
    }

    #[test]
    fn bad_clocks_say_what_is_expected() {
        let err = "sometimes".parse::<Clock>().expect_err("not a clock");
        assert!(err.to_string().contains("frozen:"), "{err}");
        assert!("offset:soon".parse::<Clock>().is_err());
        assert!("frozen:yesterday".parse::<Clock>().is_err());
    }

    #[test]
    fn a_started_clock_runs_from_its_start() {
        let start: Timestamp = "2030-01-01T00:00:00Z".parse().expect("literal");
        let read = Clock::starting_at(start).now();
        let drift = read.duration_since(start).abs();
        assert!(drift < SignedDuration::from_secs(5), "{drift:?}");
    }

    #[test]
    fn a_frozen_clock_stands_still() {
        let at: Timestamp = "2026-10-25T00:59:59.999Z".parse().expect("literal");
        assert_eq!(Clock::Frozen(at).now(), at);
    }
}
