//! When a time of day next occurs in a zone ([`next_occurrence`]): what an
//! alarm set for `02:30` in `Europe/Berlin` rings at, on the fleet's clock
//! and the bundled tz rules, daylight saving days included.
//!
//! A wall time the clocks skip that day (spring forward) rings as far past
//! the gap as it was into it, as RFC 5545 and jiff's "compatible"
//! disambiguation have it (02:30 in a 02:00→03:00 gap rings at 03:30); one
//! that happens twice (fall back) rings at the first.

use jiff::civil::{Date, Time};
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::{Timestamp, ZonedDateTime};

/// How many days after today a wall time is looked for. Tomorrow always
/// has it (a day skipped whole, as Pacific/Apia's 30 December 2011, rings
/// on the day after); the rest is margin.
const DAYS_AHEAD: i8 = 3;

/// What became of the wall time on the day it next occurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjustment {
    /// It occurs once: the alarm rings at it.
    None,
    /// The clocks skip it (spring forward): the alarm rings as far after
    /// the gap as the wall time was into it.
    Skipped,
    /// It happens twice (fall back): the alarm rings at the first.
    Repeated,
}

/// When a wall time next occurs, and what happened to it on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct NextOccurrence {
    /// The instant the alarm rings, in the zone.
    pub fires_at: ZonedDateTime,
    pub adjustment: Adjustment,
    /// One sentence for a person when the wall time was adjusted, saying
    /// what the clocks do that day and when the alarm rings; empty when it
    /// was not.
    pub note: String,
}

/// The first instant strictly after `now` at which the wall clock in `zone`
/// shows `at`: today if that is still ahead, else on the next day, each
/// day's `at` resolved as the module says.
///
/// `None` only at the end of the instants jiff can represent (the year
/// 9999).
pub fn next_occurrence(now: Timestamp, at: Time, zone: &TimeZone) -> Option<NextOccurrence> {
    let mut day = now.to_zoned_datetime(zone.clone()).date();
    for _ in 0..=DAYS_AHEAD {
        let ambiguous = zone.to_ambiguous_zoned_datetime(day.to_datetime(at));
        let offset = ambiguous.offset();
        let fires_at = ambiguous.compatible().ok()?;
        if fires_at.timestamp() > now {
            return Some(occurrence(fires_at, at, day, offset, zone));
        }
        day = day.tomorrow().ok()?;
    }
    None
}

fn occurrence(
    fires_at: ZonedDateTime,
    at: Time,
    day: Date,
    offset: AmbiguousOffset,
    zone: &TimeZone,
) -> NextOccurrence {
    let name = clocker_runtime::zone_name(zone);
    let rings = format!(
        "{} {}",
        wall_time_text(fires_at.time()),
        zone.to_offset_info(fires_at.timestamp()).abbreviation()
    );
    let on = day.strftime("%A %-d %B %Y");
    let asked = wall_time_text(at);
    let (adjustment, note) = match offset {
        AmbiguousOffset::Unambiguous { .. } => (Adjustment::None, String::new()),
        AmbiguousOffset::Gap { before, after } => {
            let (from, to) = gap_bounds(&fires_at, before, after, zone);
            (
                Adjustment::Skipped,
                format!(
                    "{asked} does not exist in {name} on {on} (clocks go forward from {from} to \
                     {to}); the alarm rings at {rings}."
                ),
            )
        }
        AmbiguousOffset::Fold { .. } => (
            Adjustment::Repeated,
            format!(
                "{asked} happens twice in {name} on {on}; the alarm rings at the first, {rings}."
            ),
        ),
    };
    NextOccurrence {
        fires_at,
        adjustment,
        note,
    }
}

/// The wall times on either side of the gap `fires_at` was pushed past:
/// its transition as the clocks showed it before and after (with their
/// dates when a day was skipped whole).
fn gap_bounds(
    fires_at: &ZonedDateTime,
    before: Offset,
    after: Offset,
    zone: &TimeZone,
) -> (String, String) {
    // The compatible instant is at or after the transition that made the
    // gap (at it for a time at the gap's start), and before the next one;
    // `preceding` yields transitions strictly before the instant it gets.
    let at = fires_at.timestamp();
    let just_after = at
        .checked_add(jiff::SignedDuration::from_nanos(1))
        .unwrap_or(at);
    let transition = zone
        .preceding(just_after)
        .next()
        .map_or(at, |transition| transition.timestamp());
    let (from, to) = (
        before.to_datetime(transition),
        after.to_datetime(transition),
    );
    if from.date() == to.date() {
        (wall_time_text(from.time()), wall_time_text(to.time()))
    } else {
        let shown = |at: jiff::civil::DateTime| at.strftime("%-d %B %H:%M").to_string();
        (shown(from), shown(to))
    }
}

/// `02:30`, or `02:30:15` when the seconds are not zero.
pub fn wall_time_text(time: Time) -> String {
    if time.second() == 0 {
        time.strftime("%H:%M").to_string()
    } else {
        time.strftime("%H:%M:%S").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> TimeZone {
        clocker_runtime::time_zone(name).expect("a bundled zone")
    }

    fn instant(text: &str) -> Timestamp {
        text.parse().expect("an RFC 3339 instant")
    }

    fn wall(text: &str) -> Time {
        text.parse().expect("a time of day")
    }

    fn rfc3339(zoned: &ZonedDateTime) -> String {
        zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
    }

    #[test]
    fn a_time_in_the_spring_forward_gap_rings_as_far_past_it() {
        let berlin = zone("Europe/Berlin");
        let next = next_occurrence(instant("2027-03-27T12:00:00Z"), wall("02:30"), &berlin)
            .expect("in range");
        assert_eq!(rfc3339(&next.fires_at), "2027-03-28T03:30:00+02:00");
        assert_eq!(next.adjustment, Adjustment::Skipped);
        assert_eq!(
            next.note,
            "02:30 does not exist in Europe/Berlin on Sunday 28 March 2027 (clocks go forward \
             from 02:00 to 03:00); the alarm rings at 03:30 CEST."
        );
    }

    #[test]
    fn a_time_in_the_fall_back_fold_rings_at_the_first() {
        let new_york = zone("America/New_York");
        let next = next_occurrence(instant("2026-10-31T20:00:00Z"), wall("01:30"), &new_york)
            .expect("in range");
        assert_eq!(rfc3339(&next.fires_at), "2026-11-01T01:30:00-04:00");
        assert_eq!(next.adjustment, Adjustment::Repeated);
        assert_eq!(
            next.note,
            "01:30 happens twice in America/New_York on Sunday 1 November 2026; the alarm rings \
             at the first, 01:30 EDT."
        );
    }

    #[test]
    fn between_the_two_the_next_is_tomorrows() {
        // 01:45 EST, after both 01:30s: the next is the day after.
        let new_york = zone("America/New_York");
        let next = next_occurrence(instant("2026-11-01T06:45:00Z"), wall("01:30"), &new_york)
            .expect("in range");
        assert_eq!(rfc3339(&next.fires_at), "2026-11-02T01:30:00-05:00");
        assert_eq!(next.adjustment, Adjustment::None);
        assert_eq!(next.note, "");
    }

    #[test]
    fn a_time_already_past_today_is_tomorrows() {
        let paris = zone("Europe/Paris");
        let next = next_occurrence(instant("2026-07-01T12:00:00Z"), wall("07:00"), &paris)
            .expect("in range");
        assert_eq!(rfc3339(&next.fires_at), "2026-07-02T07:00:00+02:00");
        assert_eq!(next.adjustment, Adjustment::None);
        assert!(next.note.is_empty());
    }

    #[test]
    fn a_time_one_second_ahead_is_today_and_now_itself_is_tomorrow() {
        let utc = zone("UTC");
        let now = instant("2026-07-01T12:00:00Z");
        let next = next_occurrence(now, wall("12:00:01"), &utc).expect("in range");
        assert_eq!(rfc3339(&next.fires_at), "2026-07-01T12:00:01+00:00");
        let next = next_occurrence(now, wall("12:00"), &utc).expect("in range");
        assert_eq!(rfc3339(&next.fires_at), "2026-07-02T12:00:00+00:00");
        // A fraction of a second after the minute, the minute is past.
        let next = next_occurrence(instant("2026-07-01T11:59:59.999Z"), wall("12:00"), &utc)
            .expect("in range");
        assert_eq!(rfc3339(&next.fires_at), "2026-07-01T12:00:00+00:00");
    }

    #[test]
    fn lord_howes_half_hour_shift_skips_half_an_hour() {
        // Lord Howe Island goes from +10:30 to +11:00 at 02:00 on the
        // first Sunday of October.
        let lord_howe = zone("Australia/Lord_Howe");
        let next = next_occurrence(instant("2026-10-03T00:00:00Z"), wall("02:15"), &lord_howe)
            .expect("in range");
        assert_eq!(rfc3339(&next.fires_at), "2026-10-04T02:45:00+11:00");
        assert_eq!(next.adjustment, Adjustment::Skipped);
        assert!(
            next.note
                .contains("(clocks go forward from 02:00 to 02:30)"),
            "{}",
            next.note
        );
    }

    #[test]
    fn a_day_the_zone_skipped_whole_rings_on_the_day_after() {
        // Samoa skipped 30 December 2011, crossing the date line.
        // At noon on the 29th (-10:00), 10:00 is past; the 30th has none.
        let apia = zone("Pacific/Apia");
        let next = next_occurrence(instant("2011-12-29T22:00:00Z"), wall("10:00"), &apia)
            .expect("in range");
        assert_eq!(rfc3339(&next.fires_at), "2011-12-31T10:00:00+14:00");
        assert_eq!(next.adjustment, Adjustment::Skipped);
        assert_eq!(
            next.note,
            "10:00 does not exist in Pacific/Apia on Friday 30 December 2011 (clocks go forward \
             from 30 December 00:00 to 31 December 00:00); the alarm rings at 10:00 +14."
        );
    }

    #[test]
    fn times_are_written_without_zero_seconds() {
        assert_eq!(wall_time_text(wall("07:05")), "07:05");
        assert_eq!(wall_time_text(wall("07:05:09")), "07:05:09");
    }
}
