//! How `clocker timer` shows timers to a person: one line when a timer is
//! set or fires, a table for `list`, times in this machine's zone on a
//! 24-hour clock, durations as "1 min 30 s". (`--json` prints the service's
//! JSON instead; ISO instants appear only there.)

use serde::Deserialize;

pub use crate::local_clock::Clock;
use crate::table::text_table;

/// A timer as the service's replies describe it (`clocker_wire::TimerJson`).
#[derive(Debug, Clone, Deserialize)]
pub struct TimerReply {
    pub id: String,
    #[serde(default)]
    pub label: String,
    pub hours: i64,
    pub minutes: i64,
    pub seconds: i64,
    pub state: String,
    pub fires_at_unix_ms: i64,
    #[serde(default)]
    pub ended_at_unix_ms: Option<i64>,
    #[serde(default)]
    pub late_ms: i64,
}

impl TimerReply {
    /// How long the timer was set for, in milliseconds.
    pub fn total_ms(&self) -> i64 {
        (self.hours * 3600 + self.minutes * 60 + self.seconds) * 1000
    }

    /// ` (tea)` for a labelled timer, else nothing.
    fn label_suffix(&self) -> String {
        if self.label.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.label)
        }
    }
}

/// `Timer ID (tea) set: fires at 14:05:09 (in 1 min 30 s)`.
pub fn set_line(timer: &TimerReply, clock: &Clock) -> String {
    format!(
        "Timer {}{} set: fires at {} (in {})",
        timer.id,
        timer.label_suffix(),
        clock.time_of(timer.fires_at_unix_ms),
        span(clock.left_until(timer.fires_at_unix_ms))
    )
}

/// `Timer ID (tea) fired at 14:05:09.` with how late, if it was.
pub fn fired_line(timer: &TimerReply, clock: &Clock) -> String {
    let late = if timer.late_ms > 0 {
        format!(", {} ms late", timer.late_ms)
    } else {
        String::new()
    };
    format!(
        "Timer {}{} fired at {}{late}.",
        timer.id,
        timer.label_suffix(),
        clock.time_of(fired_at(timer))
    )
}

/// When a fired timer fired.
fn fired_at(timer: &TimerReply) -> i64 {
    timer
        .ended_at_unix_ms
        .unwrap_or(timer.fires_at_unix_ms + timer.late_ms)
}

/// The timers as a table: ID, LABEL, STATE, FIRES/FIRED AT (local
/// time), REMAINING.
pub fn table(timers: &[TimerReply], clock: &Clock) -> String {
    let rows: Vec<[String; 5]> = timers
        .iter()
        .map(|timer| {
            let (at, remaining) = match timer.state.as_str() {
                "pending" => (
                    clock.time_of(timer.fires_at_unix_ms),
                    span(clock.left_until(timer.fires_at_unix_ms)),
                ),
                "fired" => (clock.time_of(fired_at(timer)), "-".to_owned()),
                _ => ("-".to_owned(), "-".to_owned()),
            };
            let label = if timer.label.is_empty() {
                "-".to_owned()
            } else {
                timer.label.clone()
            };
            [timer.id.clone(), label, timer.state.clone(), at, remaining]
        })
        .collect();
    text_table(
        ["ID", "LABEL", "STATE", "FIRES/FIRED AT", "REMAINING"],
        &rows,
    )
}

/// `1 h 2 min 3 s`, `45 s`, `2 d 3 h` (days and hours only past a day):
/// milliseconds rounded up to the second.
pub fn span(ms: i64) -> String {
    let secs = (ms.max(0) + 999) / 1000;
    let (days, hours, minutes, seconds) =
        (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let parts: Vec<String> = if days > 0 {
        [(days, "d"), (hours, "h")]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, unit)| format!("{n} {unit}"))
            .collect()
    } else {
        [(hours, "h"), (minutes, "min"), (seconds, "s")]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, unit)| format!("{n} {unit}"))
            .collect()
    };
    if parts.is_empty() {
        "0 s".to_owned()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;

    fn clock() -> Clock {
        Clock {
            zone: clocker_runtime::time_zone("Europe/Paris").expect("a zone"),
            // 14:03:39 in Paris.
            now: "2026-12-06T13:03:39Z".parse().expect("an instant"),
        }
    }

    fn timer(state: &str, fires_at: &str) -> TimerReply {
        let at: Timestamp = fires_at.parse().expect("an instant");
        TimerReply {
            id: "0193a4".into(),
            label: "tea".into(),
            hours: 0,
            minutes: 1,
            seconds: 30,
            state: state.into(),
            fires_at_unix_ms: at.as_millisecond(),
            ended_at_unix_ms: None,
            late_ms: 0,
        }
    }

    #[test]
    fn spans_read_as_a_person_says_them() {
        assert_eq!(span(90_000), "1 min 30 s");
        assert_eq!(span(89_001), "1 min 30 s");
        assert_eq!(span(3_600_000), "1 h");
        assert_eq!(span(3_723_000), "1 h 2 min 3 s");
        assert_eq!(span(0), "0 s");
        assert_eq!(span(-5), "0 s");
        assert_eq!(span((2 * 86_400 + 3 * 3600 + 59) * 1000), "2 d 3 h");
    }

    #[test]
    fn a_set_timer_says_when_it_fires_in_local_time() {
        let line = set_line(&timer("pending", "2026-12-06T13:05:09Z"), &clock());
        assert_eq!(
            line,
            "Timer 0193a4 (tea) set: fires at 14:05:09 (in 1 min 30 s)"
        );
        let tomorrow = set_line(&timer("pending", "2026-12-07T13:05:09Z"), &clock());
        assert!(
            tomorrow.contains("fires at 2026-12-07 14:05:09"),
            "{tomorrow}"
        );
    }

    #[test]
    fn the_list_has_a_header_and_says_fired_for_fired_timers() {
        let mut fired = timer("fired", "2026-12-06T13:00:00Z");
        fired.ended_at_unix_ms = Some(fired.fires_at_unix_ms + 4);
        let timers = [timer("pending", "2026-12-06T13:05:09Z"), fired];
        let text = table(&timers, &clock());
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("ID      LABEL  STATE    FIRES/FIRED AT  REMAINING"),
            "{text}"
        );
        assert!(lines[1].contains("pending  14:05:09") && lines[1].ends_with("1 min 30 s"));
        assert!(lines[2].contains("fired    14:00:00") && lines[2].ends_with('-'));
        assert!(!text.contains("fires "), "{text}");
    }
}
