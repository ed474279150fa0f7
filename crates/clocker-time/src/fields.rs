//! The pure part: zones, formatting, and extracting a component from an
//! instant. Everything here is synchronous and allocation-light.

use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};

use clocker_runtime::zone_name;

use crate::TimeError;

/// One field of the time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Component {
    Hours,
    Minutes,
    Seconds,
    Milliseconds,
}

impl Component {
    /// The four components, in the order they are printed.
    pub const ALL: [Component; 4] = [
        Component::Hours,
        Component::Minutes,
        Component::Seconds,
        Component::Milliseconds,
    ];

    /// The component of `zoned`.
    pub fn of(self, zoned: &ZonedDateTime) -> u32 {
        let value = match self {
            Component::Hours => i16::from(zoned.hour()),
            Component::Minutes => i16::from(zoned.minute()),
            Component::Seconds => i16::from(zoned.second()),
            Component::Milliseconds => zoned.millisecond(),
        };
        u32::try_from(value).expect("time-of-day fields are never negative")
    }

    /// How many digits the component is printed with.
    pub const fn width(self) -> usize {
        match self {
            Component::Milliseconds => 3,
            _ => 2,
        }
    }

    /// `value` zero-padded to this component's width: `"09"`, `"007"`.
    pub fn text(self, value: u32) -> String {
        format!("{value:0width$}", width = self.width())
    }
}

/// `HH:MM:SS.mmm` of `zoned`.
pub fn format_time(zoned: &ZonedDateTime) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        zoned.hour(),
        zoned.minute(),
        zoned.second(),
        zoned.millisecond()
    )
}

/// The zone named `name` in the bundled tz database; `default` when empty.
pub fn resolve_zone(name: &str, default: &TimeZone) -> Result<TimeZone, TimeError> {
    if name.is_empty() {
        return Ok(default.clone());
    }
    clocker_runtime::time_zone(name).map_err(|_| TimeError::UnknownZone(name.to_owned()))
}

/// Fuzzing entry point (`fuzz/fuzz_targets/zone.rs`, replayed on stable
/// from `fuzz/corpus/zone`): `data` as a zone name from a request, resolved
/// as the services resolve it, then every field of the instants at the ends
/// of what a reply can hold, in that zone. Panics only on a defect.
pub fn fuzz_zone(data: &[u8]) {
    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(zone) = resolve_zone(name, &TimeZone::UTC) else {
        return;
    };
    assert!(!zone_name(&zone).is_empty());
    for nanos in [i64::MIN, 0, i64::MAX] {
        let at = Timestamp::from_nanosecond(i128::from(nanos))
            .expect("every i64 of nanoseconds is an instant");
        let zoned = at.to_zoned_datetime(zone.clone());
        assert_eq!(format_time(&zoned).len(), "HH:MM:SS.mmm".len());
        for component in Component::ALL {
            assert_eq!(
                component.text(component.of(&zoned)).len(),
                component.width()
            );
        }
    }
}

/// This machine's zone, or UTC when it has none with an IANA name.
pub fn local_zone() -> TimeZone {
    match TimeZone::try_system() {
        Ok(zone) if zone.iana_name().is_some() => zone,
        _ => TimeZone::UTC,
    }
}

/// An instant from its protobuf form, checked against jiff's range.
pub fn timestamp_from_proto(at: prost_types::Timestamp) -> Result<Timestamp, TimeError> {
    let out_of_range = || TimeError::OutOfRange {
        seconds: at.seconds,
        nanos: at.nanos,
    };
    if !(0..1_000_000_000).contains(&at.nanos) {
        return Err(out_of_range());
    }
    Timestamp::new(at.seconds, at.nanos).map_err(|_| out_of_range())
}

/// The protobuf form of an instant (`nanos` always within 0..1e9, as the
/// protobuf rules require, also before 1970).
pub fn timestamp_to_proto(at: Timestamp) -> prost_types::Timestamp {
    let nanos = at.as_nanosecond();
    prost_types::Timestamp {
        seconds: i64::try_from(nanos.div_euclid(1_000_000_000))
            .expect("every timestamp's seconds fit in i64"),
        nanos: i32::try_from(nanos.rem_euclid(1_000_000_000))
            .expect("a remainder of 1e9 fits in i32"),
    }
}

/// An instant from unix nanoseconds (every `i64` is in range).
pub fn timestamp_from_nanos(unix_nanos: i64) -> Timestamp {
    Timestamp::from_nanosecond(i128::from(unix_nanos))
        .expect("every i64 of nanoseconds is in range")
}

/// Unix nanoseconds of an instant, saturating outside 1677..2262.
pub fn timestamp_to_nanos(at: Timestamp) -> i64 {
    i64::try_from(at.as_nanosecond()).unwrap_or(if at.as_second() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zoned(instant: &str, zone: &str) -> ZonedDateTime {
        let at: Timestamp = instant.parse().expect("literal");
        at.to_zoned_datetime(clocker_runtime::time_zone(zone).expect("bundled zone"))
    }

    #[test]
    fn components_are_zero_padded_to_their_width() {
        assert_eq!(Component::Hours.text(9), "09");
        assert_eq!(Component::Minutes.text(0), "00");
        assert_eq!(Component::Seconds.text(59), "59");
        assert_eq!(Component::Milliseconds.text(7), "007");
        assert_eq!(Component::Milliseconds.text(999), "999");
    }

    #[test]
    fn components_are_extracted_in_the_zone() {
        let paris = zoned("2026-07-01T07:08:09.010Z", "Europe/Paris");
        let values: Vec<u32> = Component::ALL.iter().map(|c| c.of(&paris)).collect();
        assert_eq!(values, [9, 8, 9, 10]);
        assert_eq!(format_time(&paris), "09:08:09.010");
    }

    #[test]
    fn half_hour_zones_shift_the_minutes() {
        let kolkata = zoned("2026-01-01T00:00:00Z", "Asia/Kolkata");
        assert_eq!(format_time(&kolkata), "05:30:00.000");
    }

    #[test]
    fn dst_gap_is_skipped_and_fold_is_repeated() {
        for (instant, shown) in [
            // New York springs forward at 07:00 UTC on 2026-03-08: 01:59 -> 03:00.
            ("2026-03-08T06:59:59.999Z", "01:59:59.999"),
            ("2026-03-08T07:00:00Z", "03:00:00.000"),
            // ...and falls back at 06:00 UTC on 2026-11-01: 01:59 -> 01:00 again.
            ("2026-11-01T05:59:59.999Z", "01:59:59.999"),
            ("2026-11-01T06:00:00Z", "01:00:00.000"),
        ] {
            assert_eq!(
                format_time(&zoned(instant, "America/New_York")),
                shown,
                "{instant}"
            );
        }
    }

    #[test]
    fn unknown_zones_are_named_in_the_error() {
        let err = resolve_zone("Mars/Olympus_Mons", &TimeZone::UTC).expect_err("not a zone");
        assert!(err.to_string().contains("Mars/Olympus_Mons"), "{err}");
        assert_eq!(
            zone_name(&resolve_zone("", &TimeZone::UTC).expect("default")),
            "UTC"
        );
    }

    #[test]
    fn proto_instants_are_range_checked() {
        let ok = prost_types::Timestamp {
            seconds: 1_700_000_000,
            nanos: 5,
        };
        assert_eq!(
            timestamp_to_proto(timestamp_from_proto(ok).expect("in range")),
            ok
        );
        for bad in [
            prost_types::Timestamp {
                seconds: i64::MAX,
                nanos: 0,
            },
            prost_types::Timestamp {
                seconds: 0,
                nanos: -1,
            },
            prost_types::Timestamp {
                seconds: 0,
                nanos: 1_000_000_000,
            },
        ] {
            assert!(timestamp_from_proto(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn instants_before_1970_keep_nanos_positive() {
        let at: Timestamp = "1969-12-31T23:59:59.5Z".parse().expect("literal");
        let proto = timestamp_to_proto(at);
        assert_eq!((proto.seconds, proto.nanos), (-1, 500_000_000));
        assert_eq!(timestamp_from_proto(proto).expect("in range"), at);
    }

    #[test]
    fn nanos_round_trip() {
        let at = timestamp_from_nanos(1_767_225_599_999_999_999);
        assert_eq!(timestamp_to_nanos(at), 1_767_225_599_999_999_999);
    }
}
