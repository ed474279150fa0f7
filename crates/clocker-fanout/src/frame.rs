//! Building a clock [`Frame`] from what the four component services
//! answered for one instant: each field, its place in `time` (`--` where a
//! service did not answer), and the services that did not.

use clocker_wire::Frame;

/// The names a frame's `degraded` lists the clock services by:
/// current-time, then the services behind the four fields in field order.
pub const CLOCK_SERVICE_NAMES: [&str; 5] =
    [CURRENT_TIME, "hours", "minutes", "seconds", "milliseconds"];

const CURRENT_TIME: &str = "current-time";

/// A frame for the instant `unix_nanos`, from the four components'
/// values (hours, minutes, seconds, milliseconds; `None` = no answer).
pub fn build(seq: u64, tz: &str, unix_nanos: i64, values: [Option<u32>; 4]) -> Frame {
    let [hours, minutes, seconds, milliseconds] = values;
    let part = |value: Option<u32>, width: usize| match value {
        Some(v) => format!("{v:0width$}"),
        None => "-".repeat(width),
    };
    Frame {
        time: format!(
            "{}:{}:{}.{}",
            part(hours, 2),
            part(minutes, 2),
            part(seconds, 2),
            part(milliseconds, 3)
        ),
        hours,
        minutes,
        seconds,
        milliseconds,
        unix_ms: Some(unix_nanos.div_euclid(1_000_000)),
        tz: tz.to_owned(),
        seq,
        degraded: CLOCK_SERVICE_NAMES[1..]
            .iter()
            .zip(values)
            .filter(|(_, value)| value.is_none())
            .map(|(service, _)| (*service).into())
            .collect(),
    }
}

/// The frame sent when current-time itself did not answer.
pub fn without_instant(seq: u64, tz: &str) -> Frame {
    Frame {
        time: "--:--:--.---".into(),
        hours: None,
        minutes: None,
        seconds: None,
        milliseconds: None,
        unix_ms: None,
        tz: tz.to_owned(),
        seq,
        degraded: vec![CURRENT_TIME.into()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_serialize_to_the_documented_shape() {
        let frame = build(
            7,
            "Europe/Paris",
            1_767_225_599_999_000_000,
            [Some(0), Some(59), Some(9), Some(7)],
        );
        assert_eq!(
            frame.to_json(),
            r#"{"time":"00:59:09.007","hours":0,"minutes":59,"seconds":9,"milliseconds":7,"unix_ms":1767225599999,"tz":"Europe/Paris","seq":7}"#
        );
    }

    #[test]
    fn missing_components_are_named_and_dashed() {
        let frame = build(1, "UTC", 0, [Some(1), None, Some(2), None]);
        assert_eq!(frame.time, "01:--:02.---");
        assert_eq!(frame.degraded, ["minutes", "milliseconds"]);
        assert!(
            frame
                .to_json()
                .contains(r#""degraded":["minutes","milliseconds"]"#)
        );
    }

    #[test]
    fn negative_instants_floor_to_the_millisecond() {
        let frame = build(1, "UTC", -1, [Some(23), Some(59), Some(59), Some(999)]);
        assert_eq!(frame.unix_ms, Some(-1));
    }

    #[test]
    fn a_frame_without_instant_blames_current_time() {
        let frame = without_instant(3, "UTC");
        assert_eq!(frame.degraded, ["current-time"]);
        assert_eq!(frame.unix_ms, None);
    }
}
