//! The clock current-time reads: the system clock, or a settable one so tests
//! and demos can stand at any boundary.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jiff::{SignedDuration, Timestamp};

/// Where "now" comes from.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// The system clock shifted by a fixed amount (it keeps running).
    Offset(SignedDuration),
    /// Always the same instant.
    Frozen(Timestamp),
    /// `start`, then one `step` later at every read: each read is a distinct,
    /// predictable instant, so a test can prove how many reads a frame took.
    Stepping(Stepping),
}

/// The state of a [`Clock::Stepping`]; clones share it.
#[derive(Debug, Clone)]
pub struct Stepping {
    start: Timestamp,
    step: SignedDuration,
    reads: Arc<AtomicI64>,
}

impl Clock {
    /// A running clock that reads `start` right now.
    pub fn starting_at(start: Timestamp) -> Self {
        Clock::Offset(start.duration_since(Timestamp::now()))
    }

    /// A clock that reads `start`, then `start + step`, `start + 2 step`, …
    pub fn stepping(start: Timestamp, step: SignedDuration) -> Self {
        Clock::Stepping(Stepping {
            start,
            step,
            reads: Arc::default(),
        })
    }

    /// The current instant on this clock, held within the instants whose
    /// unix nanoseconds fit an `i64` (a stepping clock can walk out of it;
    /// it then stands still at the edge, so every reply stays consistent).
    pub fn now(&self) -> Timestamp {
        let nanos = match self {
            Clock::System => return Timestamp::now(),
            Clock::Frozen(instant) => return *instant,
            Clock::Offset(offset) => shifted(Timestamp::now(), *offset).as_nanosecond(),
            Clock::Stepping(stepping) => {
                let read = stepping.reads.fetch_add(1, Ordering::Relaxed);
                stepping.start.as_nanosecond() + stepping.step.as_nanos() * i128::from(read)
            }
        };
        let held = nanos.clamp(i128::from(i64::MIN), i128::from(i64::MAX));
        Timestamp::from_nanosecond(held).expect("every i64 of nanoseconds is in range")
    }
}

/// A `--clock` value that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot use clock '{input}': {reason}; expected 'system', 'offset:<duration>' (offset:-90s, \
     offset:+2h), 'start:<RFC 3339 instant>', 'frozen:<RFC 3339 instant>' \
     (frozen:2026-03-29T00:59:59.900Z) or 'stepping:<RFC 3339 instant>/<step>' \
     (stepping:2026-03-29T00:59:59.990Z/1ms)"
)]
pub struct BadClock {
    input: String,
    reason: String,
}

/// The instants a clock may show: those whose unix nanoseconds fit an
/// `i64` (1677-09-21 to 2262-04-11), as `CurrentTimeReply.unix_nanos` must.
fn representable(at: Timestamp) -> Result<Timestamp, String> {
    if i64::try_from(at.as_nanosecond()).is_ok() {
        Ok(at)
    } else {
        Err(format!(
            "{at} is outside 1677-09-21..2262-04-11 (unix nanoseconds must fit 64 bits)"
        ))
    }
}

/// `at + by`, saturating at the ends of the timestamp range.
fn shifted(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.checked_add(by).unwrap_or(if by.is_negative() {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

fn instant(value: &str) -> Result<Timestamp, String> {
    let at = value.parse::<Timestamp>().map_err(|e| e.to_string())?;
    representable(at)
}

fn duration(value: &str) -> Result<SignedDuration, String> {
    value
        .trim_start_matches('+')
        .parse::<SignedDuration>()
        .map_err(|e| e.to_string())
}

impl FromStr for Clock {
    type Err = BadClock;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let (kind, value) = input.split_once(':').unwrap_or((input, ""));
        let clock = match kind {
            "system" if value.is_empty() => Ok(Clock::System),
            "offset" => duration(value).and_then(|offset| {
                representable(shifted(Timestamp::now(), offset))?;
                Ok(Clock::Offset(offset))
            }),
            "start" => instant(value).map(Clock::starting_at),
            "frozen" => instant(value).map(Clock::Frozen),
            "stepping" => match value.rsplit_once('/') {
                Some((start, step)) => {
                    instant(start).and_then(|start| Ok(Clock::stepping(start, duration(step)?)))
                }
                None => Err("a stepping clock needs '/<step>'".into()),
            },
            _ => Err("unknown kind".into()),
        };
        clock.map_err(|reason| BadClock {
            input: input.to_owned(),
            reason,
        })
    }
}

/// Fuzzing entry point (`fuzz/fuzz_targets/clock.rs`, replayed on stable
/// from `fuzz/corpus/clock`): `data` as a `--clock` value. A clock it
/// accepts is read twice and printed; a frozen or stepping clock must read
/// back as the same clock from what it prints. Panics only on a defect.
pub fn fuzz_clock(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let clock = match text.parse::<Clock>() {
        Ok(clock) => clock,
        Err(err) => {
            assert!(err.to_string().contains(text), "the error quotes the input");
            return;
        }
    };
    let first = clock.now();
    let second = clock.now();
    if let Clock::Frozen(_) | Clock::Stepping(_) = clock {
        let printed = clock.to_string();
        let again: Clock = printed
            .parse()
            .unwrap_or_else(|err| panic!("{printed:?} does not read back: {err}"));
        assert_eq!(again.to_string(), printed);
        assert_eq!(
            again.now(),
            first,
            "{printed:?} starts elsewhere once read back"
        );
    }
    if let Clock::Frozen(_) = clock {
        assert_eq!(first, second);
    }
}

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Clock::System => f.write_str("system"),
            Clock::Offset(offset) => write!(f, "offset:{offset:#}"),
            Clock::Frozen(instant) => write!(f, "frozen:{instant}"),
            Clock::Stepping(s) => write!(f, "stepping:{}/{:#}", s.start, s.step),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> Timestamp {
        rfc3339.parse().expect("RFC 3339 literal")
    }

    #[test]
    fn clocks_parse_from_their_flag_syntax() {
        assert!(matches!("system".parse(), Ok(Clock::System)));
        assert!(
            matches!("offset:-90s".parse(), Ok(Clock::Offset(o)) if o == SignedDuration::from_secs(-90))
        );
        assert!(
            matches!("offset:+2h".parse(), Ok(Clock::Offset(o)) if o == SignedDuration::from_hours(2))
        );
        let frozen = at("2026-03-29T00:59:59.9Z");
        assert!(
            matches!("frozen:2026-03-29T00:59:59.9Z".parse(), Ok(Clock::Frozen(t)) if t == frozen)
        );
        let stepping: Clock = "stepping:2026-03-29T00:59:59.99Z/1ms"
            .parse()
            .expect("valid");
        assert_eq!(stepping.to_string(), "stepping:2026-03-29T00:59:59.99Z/1ms");
    }

    #[test]
    fn bad_clocks_say_what_is_expected() {
        let err = "sometimes".parse::<Clock>().expect_err("not a clock");
        assert!(err.to_string().contains("frozen:"), "{err}");
        for bad in [
            "offset:soon",
            "frozen:yesterday",
            "stepping:2026-01-01T00:00:00Z",
            "system:now",
        ] {
            assert!(bad.parse::<Clock>().is_err(), "{bad}");
        }
    }

    #[test]
    fn clocks_outside_64_bit_nanoseconds_are_refused() {
        for bad in [
            "frozen:2300-01-01T00:00:00Z",
            "start:1600-01-01T00:00:00Z",
            "offset:+3000000h",
        ] {
            let err = bad.parse::<Clock>().expect_err("out of range");
            assert!(err.to_string().contains("1677-09-21..2262-04-11"), "{err}");
        }
    }

    #[test]
    fn a_stepping_clock_stands_still_at_the_edge_of_the_range() {
        let clock: Clock = "stepping:2262-04-11T23:00:00Z/1h"
            .parse()
            .expect("starts in range");
        let edge = Timestamp::from_nanosecond(i128::from(i64::MAX)).expect("in range");
        let reads: Vec<Timestamp> = (0..4).map(|_| clock.now()).collect();
        assert_eq!(reads[0], at("2262-04-11T23:00:00Z"));
        assert_eq!(&reads[1..], [edge, edge, edge]);
    }

    #[test]
    fn a_started_clock_runs_from_its_start() {
        let start = at("2030-01-01T00:00:00Z");
        let drift = Clock::starting_at(start).now().duration_since(start).abs();
        assert!(drift < SignedDuration::from_secs(5), "{drift:?}");
    }

    #[test]
    fn a_frozen_clock_stands_still() {
        let instant = at("2026-10-25T00:59:59.999Z");
        assert_eq!(Clock::Frozen(instant).now(), instant);
        assert_eq!(Clock::Frozen(instant).now(), instant);
    }

    #[test]
    fn a_stepping_clock_moves_one_step_per_read_across_clones() {
        let clock = Clock::stepping(at("2026-01-01T00:00:00Z"), SignedDuration::from_millis(1));
        let twin = clock.clone();
        assert_eq!(clock.now(), at("2026-01-01T00:00:00Z"));
        assert_eq!(twin.now(), at("2026-01-01T00:00:00.001Z"));
        assert_eq!(clock.now(), at("2026-01-01T00:00:00.002Z"));
    }
}
