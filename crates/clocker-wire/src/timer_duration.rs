//! A timer's duration: hours, minutes and seconds as the seed's client types
//! them, each zero or more, in total at least 1 second and at most 366 days.
//! The same rule at every door (ZeroMQ, gRPC, REST, the CLI and the web
//! form): a zero-length timer would fire before anyone saw it set.
//!
//! Text fields (the ZeroMQ three-frame request) must be plain decimal digits:
//! no sign, no fraction, no exponent; anything else is an error that says
//! which field and why. The timer service checks every request with it (in
//! whichever form it came), and the gateway's fuzzing checks JSON the same way.

use jiff::SignedDuration;

/// Why a duration is refused: which field, and why (safe to send back).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidDuration(String);

/// The shortest timer: 1 second.
pub const MIN_TOTAL_SECONDS: i64 = 1;
/// The longest timer: 366 days.
pub const MAX_TOTAL_SECONDS: i64 = 366 * 24 * 3600;

/// How much of a bad field an error message quotes.
const QUOTED_CHARS: usize = 24;

/// A valid duration, as requested field by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerDuration {
    pub hours: i64,
    pub minutes: i64,
    pub seconds: i64,
}

impl TimerDuration {
    /// Checks each field and the total.
    pub fn new(hours: i64, minutes: i64, seconds: i64) -> Result<Self, InvalidDuration> {
        for (name, value) in [("hours", hours), ("minutes", minutes), ("seconds", seconds)] {
            if value < 0 {
                return Err(InvalidDuration(format!(
                    "{name} must not be negative (got {value})"
                )));
            }
        }
        let total = hours
            .checked_mul(3600)
            .and_then(|h| minutes.checked_mul(60).and_then(|m| h.checked_add(m)))
            .and_then(|hm| hm.checked_add(seconds))
            .filter(|total| *total <= MAX_TOTAL_SECONDS);
        match total {
            None => {
                return Err(InvalidDuration(
                    "a timer may run for at most 366 days (8784 hours)".into(),
                ));
            }
            Some(total) if total < MIN_TOTAL_SECONDS => {
                return Err(InvalidDuration(
                    "a timer must run for at least 1 second (got 0)".into(),
                ));
            }
            Some(_) => {}
        }
        Ok(Self {
            hours,
            minutes,
            seconds,
        })
    }

    /// Parses the three text fields of the seed's request.
    pub fn parse(hours: &[u8], minutes: &[u8], seconds: &[u8]) -> Result<Self, InvalidDuration> {
        Self::new(
            parse_field("hours", hours)?,
            parse_field("minutes", minutes)?,
            parse_field("seconds", seconds)?,
        )
    }

    /// The whole duration.
    pub fn total(&self) -> SignedDuration {
        SignedDuration::from_secs(self.hours * 3600 + self.minutes * 60 + self.seconds)
    }
}

/// Fuzzing entry point (`fuzz/fuzz_targets/timer_duration.rs`, replayed on
/// stable from `fuzz/corpus/timer_duration`): `data` split at its first two
/// NUL bytes into the hours, minutes and seconds fields of the seed's
/// three-frame request, parsed as the ZeroMQ door parses them. Panics only
/// on a defect: an accepted duration outside 1 second to 366 days.
pub fn fuzz_timer_duration(data: &[u8]) {
    let mut fields = data.splitn(3, |&b| b == 0);
    let hours = fields.next().unwrap_or_default();
    let minutes = fields.next().unwrap_or_default();
    let seconds = fields.next().unwrap_or_default();
    match TimerDuration::parse(hours, minutes, seconds) {
        Ok(duration) => {
            let total = duration.total();
            assert!(
                (MIN_TOTAL_SECONDS..=MAX_TOTAL_SECONDS).contains(&total.as_secs()),
                "{duration:?} accepted"
            );
        }
        Err(err) => assert!(!err.to_string().is_empty()),
    }
}

fn parse_field(name: &str, bytes: &[u8]) -> Result<i64, InvalidDuration> {
    let invalid = |why: String| InvalidDuration(format!("{name}: {why}"));
    let text = std::str::from_utf8(bytes)
        .map_err(|_| invalid("not text (expected decimal digits)".into()))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid("empty (expected a whole number such as 5)".into()));
    }
    let quoted: String = text
        .chars()
        .take(QUOTED_CHARS)
        .collect::<String>()
        .escape_debug()
        .to_string();
    if text.starts_with('-') {
        return Err(invalid(format!("must not be negative (got \"{quoted}\")")));
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        let why = if text.contains(['.', ',', 'e', 'E']) && text.bytes().any(|b| b.is_ascii_digit())
        {
            "must be a whole number"
        } else {
            "not a number"
        };
        return Err(invalid(format!("{why} (got \"{quoted}\")")));
    }
    text.parse::<i64>().map_err(|_| {
        invalid(format!(
            "too large (got \"{quoted}\"; a timer may run for at most 366 days)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(h: &str, m: &str, s: &str) -> Result<TimerDuration, String> {
        TimerDuration::parse(h.as_bytes(), m.as_bytes(), s.as_bytes()).map_err(|e| e.to_string())
    }

    #[test]
    fn the_seeds_fields_parse() {
        assert_eq!(
            parse("0", "1", "30"),
            Ok(TimerDuration {
                hours: 0,
                minutes: 1,
                seconds: 30
            })
        );
        assert_eq!(
            parse(" 2 ", "0", "0").map(|d| d.total()),
            Ok(SignedDuration::from_hours(2))
        );
        // Fields need not be normalised: 90 seconds is fine.
        assert_eq!(
            parse("0", "0", "90").map(|d| d.total()),
            Ok(SignedDuration::from_secs(90))
        );
    }

    #[test]
    fn bad_fields_are_named_and_explained() {
        let cases = [
            (("x", "0", "0"), "hours: not a number"),
            (("0", "-1", "0"), "minutes: must not be negative"),
            (("0", "0", "1.5"), "seconds: must be a whole number"),
            (("0", "0", "1e3"), "seconds: must be a whole number"),
            (("99999999999999999999", "0", "0"), "hours: too large"),
            (("", "0", "0"), "hours: empty"),
            (("0", "0", "+5"), "seconds: not a number"),
        ];
        for ((h, m, s), expected) in cases {
            let err = parse(h, m, s).expect_err(expected);
            assert!(err.starts_with(expected), "{h} {m} {s}: {err}");
        }
        let err = TimerDuration::parse(&[0xff, 0xfe], b"0", b"0").expect_err("binary");
        assert!(err.to_string().starts_with("hours: not text"), "{err}");
    }

    #[test]
    fn the_total_is_at_least_1_second() {
        assert_eq!(
            parse("0", "0", "0"),
            Err("a timer must run for at least 1 second (got 0)".into())
        );
        assert_eq!(TimerDuration::new(0, 0, 0).map(|d| d.total()).ok(), None);
        assert_eq!(
            TimerDuration::new(0, 0, MIN_TOTAL_SECONDS).map(|d| d.total()),
            Ok(SignedDuration::from_secs(1))
        );
    }

    #[test]
    fn the_total_is_at_most_366_days() {
        assert!(TimerDuration::new(8784, 0, 0).is_ok());
        assert!(TimerDuration::new(8784, 0, 1).is_err());
        assert!(TimerDuration::new(0, 0, MAX_TOTAL_SECONDS).is_ok());
        assert!(TimerDuration::new(i64::MAX, i64::MAX, i64::MAX).is_err());
        assert!(TimerDuration::new(0, -1, 0).is_err());
    }
}
