//! The rules of seed 004's generator, made exact: numbers uniform over any
//! `int32` range (rand's widening-multiply rejection, so no modulo bias),
//! strings from the seed's alphabets, and a series of points whose metadata
//! summarises a moving window of recent values.

use std::collections::VecDeque;
use std::time::Duration;

use rand::Rng;

/// The longest string a caller may ask for.
pub const MAX_STRING_LENGTH: i32 = 1000;
/// The special characters seed 004 adds when asked.
pub const SPECIAL: &str = "!@#$%^&*()-_=+[]{}|;:,.<>?/";
const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";

/// The fastest and slowest a stream may tick, and the pace of `0`.
pub const MIN_FREQUENCY: Duration = Duration::from_millis(10);
pub const MAX_FREQUENCY: Duration = Duration::from_secs(3600);
pub const DEFAULT_FREQUENCY: Duration = Duration::from_secs(1);
/// The largest moving window a stream's metadata may cover.
pub const MAX_HISTORY: i32 = 1000;

/// A request outside the rules; the message says which rule.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct Invalid(pub String);

/// A number uniform in `[min, max]`; reversed bounds are swapped.
pub fn number(rng: &mut impl Rng, min: i32, max: i32) -> i32 {
    let (low, high) = if min <= max { (min, max) } else { (max, min) };
    rng.random_range(low..=high)
}

/// `length` characters: letters, plus digits and the special characters
/// when asked.
pub fn string(
    rng: &mut impl Rng,
    length: i32,
    include_digits: bool,
    include_special: bool,
) -> Result<String, Invalid> {
    if !(1..=MAX_STRING_LENGTH).contains(&length) {
        return Err(Invalid(format!(
            "length must be between 1 and {MAX_STRING_LENGTH}, got {length}"
        )));
    }
    let mut alphabet = String::from(LETTERS);
    if include_digits {
        alphabet.push_str(DIGITS);
    }
    if include_special {
        alphabet.push_str(SPECIAL);
    }
    let alphabet = alphabet.as_bytes();
    Ok((0..length)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect())
}

/// What a series yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Integers in `[min, max]`.
    Numeric {
        min: i32,
        max: i32,
    },
    /// Floats in `[0, 100)`.
    Percentage,
    Boolean,
}

/// One value of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Numeric(i32),
    Percentage(f32),
    Boolean(bool),
}

/// A checked stream request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesSpec {
    pub kind: Kind,
    pub every: Duration,
    pub history: usize,
}

impl SeriesSpec {
    /// Checks a request's fields: `frequency_ms` 10 ms to 1 h (0: 1 s),
    /// `history_size` 0 to 1000; numeric bounds of 0 and 0 mean 0 to 100.
    pub fn new(kind: Kind, frequency_ms: i32, history_size: i32) -> Result<SeriesSpec, Invalid> {
        let every = match frequency_ms {
            0 => DEFAULT_FREQUENCY,
            ms => {
                let every = Duration::from_millis(u64::try_from(ms).unwrap_or(0));
                if !(MIN_FREQUENCY..=MAX_FREQUENCY).contains(&every) {
                    return Err(Invalid(format!(
                        "frequency_ms must be between {} and {} (or 0 for {}), got {ms}",
                        MIN_FREQUENCY.as_millis(),
                        MAX_FREQUENCY.as_millis(),
                        DEFAULT_FREQUENCY.as_millis()
                    )));
                }
                every
            }
        };
        let history = usize::try_from(history_size)
            .ok()
            .filter(|&h| h <= MAX_HISTORY as usize)
            .ok_or_else(|| {
                Invalid(format!(
                    "history_size must be between 0 and {MAX_HISTORY}, got {history_size}"
                ))
            })?;
        let kind = match kind {
            Kind::Numeric { min: 0, max: 0 } => Kind::Numeric { min: 0, max: 100 },
            Kind::Numeric { min, max } if min > max => Kind::Numeric { min: max, max: min },
            other => other,
        };
        Ok(SeriesSpec {
            kind,
            every,
            history,
        })
    }
}

/// A point of a series, before it becomes a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub sequence: i64,
    pub value: Value,
    /// `window`, and for numbers `mean`, `min` and `max` over the window.
    pub metadata: Vec<(&'static str, String)>,
}

/// The points of one stream, in order, with the moving window.
#[derive(Debug)]
pub struct Series<R> {
    spec: SeriesSpec,
    rng: R,
    sequence: i64,
    window: VecDeque<f64>,
}

impl<R: Rng> Series<R> {
    pub fn new(spec: SeriesSpec, rng: R) -> Self {
        Self {
            spec,
            rng,
            sequence: 0,
            window: VecDeque::with_capacity(spec.history),
        }
    }

    pub fn spec(&self) -> &SeriesSpec {
        &self.spec
    }

    /// The next point (sequence 1 first).
    pub fn next_point(&mut self) -> Point {
        self.sequence += 1;
        let value = match self.spec.kind {
            Kind::Numeric { min, max } => Value::Numeric(number(&mut self.rng, min, max)),
            Kind::Percentage => Value::Percentage(self.rng.random_range(0.0..100.0)),
            Kind::Boolean => Value::Boolean(self.rng.random()),
        };
        Point {
            sequence: self.sequence,
            value,
            metadata: self.remember(value),
        }
    }

    fn remember(&mut self, value: Value) -> Vec<(&'static str, String)> {
        let history = self.spec.history;
        if history == 0 {
            return Vec::new();
        }
        let number = match value {
            Value::Numeric(n) => f64::from(n),
            Value::Percentage(p) => f64::from(p),
            Value::Boolean(b) => f64::from(u8::from(b)),
        };
        if self.window.len() == history {
            self.window.pop_front();
        }
        self.window.push_back(number);
        let mut metadata = vec![("window", self.window.len().to_string())];
        if !matches!(value, Value::Boolean(_)) {
            let mean = self.window.iter().sum::<f64>() / self.window.len() as f64;
            let min = self.window.iter().copied().fold(f64::INFINITY, f64::min);
            let max = self
                .window
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max);
            metadata.push(("mean", format!("{mean:.3}")));
            metadata.push(("min", min.to_string()));
            metadata.push(("max", max.to_string()));
        }
        metadata
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    fn rng() -> SmallRng {
        SmallRng::seed_from_u64(4)
    }

    #[test]
    fn numbers_stay_in_bounds_and_reversed_bounds_are_swapped() {
        let mut rng = rng();
        for _ in 0..1000 {
            assert!((1..=6).contains(&number(&mut rng, 6, 1)));
        }
        assert_eq!(number(&mut rng, 7, 7), 7);
    }

    #[test]
    fn the_full_int32_range_reaches_both_halves() {
        let mut rng = rng();
        let draws: Vec<i32> = (0..200)
            .map(|_| number(&mut rng, i32::MIN, i32::MAX))
            .collect();
        assert!(draws.iter().any(|&n| n < 0) && draws.iter().any(|&n| n > 0));
    }

    #[test]
    fn small_ranges_are_uniform() {
        // 3 does not divide 2^32: a modulo would favour some values.
        let mut rng = rng();
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[usize::try_from(number(&mut rng, 0, 2)).expect("in range")] += 1;
        }
        for count in counts {
            assert!((9_500..10_500).contains(&count), "{counts:?}");
        }
    }

    #[test]
    fn strings_use_only_the_asked_alphabets() {
        let mut rng = rng();
        let letters = string(&mut rng, 1000, false, false).expect("valid");
        assert!(letters.chars().all(|c| c.is_ascii_alphabetic()));
        let digits = string(&mut rng, 1000, true, false).expect("valid");
        assert!(digits.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(digits.chars().any(|c| c.is_ascii_digit()));
        let special = string(&mut rng, 1000, false, true).expect("valid");
        assert!(special.chars().any(|c| SPECIAL.contains(c)));
        assert!(
            special
                .chars()
                .all(|c| c.is_ascii_alphabetic() || SPECIAL.contains(c))
        );
        assert_eq!(special.len(), 1000);
    }

    #[test]
    fn string_lengths_outside_1_to_1000_are_invalid() {
        let mut rng = rng();
        for length in [0, -1, 1001, i32::MAX] {
            assert!(string(&mut rng, length, true, true).is_err(), "{length}");
        }
        assert_eq!(string(&mut rng, 1, true, true).expect("valid").len(), 1);
    }

    #[test]
    fn stream_requests_are_checked() {
        let numeric = Kind::Numeric { min: 0, max: 0 };
        assert!(SeriesSpec::new(numeric, 9, 0).is_err());
        assert!(SeriesSpec::new(numeric, 3_600_001, 0).is_err());
        assert!(SeriesSpec::new(numeric, -5, 0).is_err());
        assert!(SeriesSpec::new(numeric, 100, 1001).is_err());
        assert!(SeriesSpec::new(numeric, 100, -1).is_err());
        let spec = SeriesSpec::new(numeric, 0, 10).expect("valid");
        assert_eq!(spec.every, DEFAULT_FREQUENCY);
        assert_eq!(spec.kind, Kind::Numeric { min: 0, max: 100 });
        let reversed = SeriesSpec::new(Kind::Numeric { min: 9, max: -9 }, 10, 0).expect("valid");
        assert_eq!(reversed.kind, Kind::Numeric { min: -9, max: 9 });
    }

    #[test]
    fn a_series_counts_from_one_and_summarises_its_window() {
        let spec = SeriesSpec::new(Kind::Numeric { min: 5, max: 5 }, 10, 3).expect("valid");
        let mut series = Series::new(spec, rng());
        let first = series.next_point();
        assert_eq!(first.sequence, 1);
        assert_eq!(first.value, Value::Numeric(5));
        for _ in 0..5 {
            series.next_point();
        }
        let point = series.next_point();
        assert_eq!(point.sequence, 7);
        assert!(point.metadata.contains(&("window", "3".to_owned())));
        assert!(point.metadata.contains(&("mean", "5.000".to_owned())));
    }

    #[test]
    fn percentages_and_booleans() {
        let spec = SeriesSpec::new(Kind::Percentage, 10, 0).expect("valid");
        let mut series = Series::new(spec, rng());
        for _ in 0..1000 {
            let Value::Percentage(p) = series.next_point().value else {
                panic!("a percentage series yields percentages");
            };
            assert!((0.0..100.0).contains(&p));
        }
        let spec = SeriesSpec::new(Kind::Boolean, 10, 0).expect("valid");
        let mut series = Series::new(spec, rng());
        assert!(matches!(series.next_point().value, Value::Boolean(_)));
        assert!(series.next_point().metadata.is_empty());
    }
}
