//! When a clock service counts as down: when it has missed every read for
//! [`OUTAGE_AFTER`], not at its first late reply. On a busy machine one reply
//! in a hundred can miss a tick's budget; that frame says so (its `degraded`
//! field), but the logs, `/health` and the page's badge speak of an outage
//! only once it has lasted, and of the recovery once, at the first answer.
//! The web page applies the same rule to the frames it receives
//! (`web/src/clock/connection.ts`).

use std::borrow::Cow;
use std::time::{Duration, Instant};

/// How long a service must miss every read before it is down.
pub const OUTAGE_AFTER: Duration = Duration::from_millis(500);

/// The services missing from reads, and since when; those down.
#[derive(Debug, Default)]
pub struct Outages {
    missing_since: Vec<(Cow<'static, str>, Instant)>,
    down: Vec<Cow<'static, str>>,
}

impl Outages {
    /// Takes the services one read at `now` found missing. Returns the
    /// services down when that set changed: newly down, or back (an empty
    /// set is every service answering again).
    pub fn observe(
        &mut self,
        missing: &[Cow<'static, str>],
        now: Instant,
    ) -> Option<&[Cow<'static, str>]> {
        self.missing_since
            .retain(|(name, _)| missing.contains(name));
        for name in missing {
            if !self.missing_since.iter().any(|(known, _)| known == name) {
                self.missing_since.push((name.clone(), now));
            }
        }
        let down: Vec<Cow<'static, str>> = self
            .missing_since
            .iter()
            .filter(|(_, since)| now.saturating_duration_since(*since) >= OUTAGE_AFTER)
            .map(|(name, _)| name.clone())
            .collect();
        if down == self.down {
            return None;
        }
        self.down = down;
        Some(&self.down)
    }

    /// How long the longest current outage has lasted.
    pub fn longest(&self, now: Instant) -> Duration {
        self.missing_since
            .iter()
            .map(|(_, since)| now.saturating_duration_since(*since))
            .max()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICK: Duration = Duration::from_millis(50);

    fn names(list: &[&'static str]) -> Vec<Cow<'static, str>> {
        list.iter().map(|&name| Cow::Borrowed(name)).collect()
    }

    #[test]
    fn one_late_reply_is_not_an_outage() {
        let (mut outages, start) = (Outages::default(), Instant::now());
        assert_eq!(outages.observe(&names(&["hours"]), start), None);
        assert_eq!(outages.observe(&[], start + TICK), None);
    }

    #[test]
    fn a_service_missing_every_read_for_500_ms_is_down_once_and_back_once() {
        let (mut outages, start) = (Outages::default(), Instant::now());
        let missing = names(&["current-time"]);
        let mut changes = Vec::new();
        for tick in 0..30u32 {
            if let Some(down) = outages.observe(&missing, start + TICK * tick) {
                changes.push((tick, down.to_vec()));
            }
        }
        // Down at the read 500 ms after the first miss (the 11th), once.
        assert_eq!(changes, vec![(10, missing.clone())]);
        assert_eq!(outages.longest(start + TICK * 29), TICK * 29);

        let back = outages.observe(&[], start + TICK * 30).map(<[_]>::to_vec);
        assert_eq!(back, Some(Vec::new()));
        assert_eq!(outages.observe(&[], start + TICK * 31), None);
    }

    #[test]
    fn a_service_that_misses_every_other_read_never_flaps() {
        let (mut outages, start) = (Outages::default(), Instant::now());
        for tick in 0..200u32 {
            let missing = if tick % 2 == 0 {
                names(&["seconds"])
            } else {
                Vec::new()
            };
            assert_eq!(
                outages.observe(&missing, start + TICK * tick),
                None,
                "tick {tick}"
            );
        }
    }

    #[test]
    fn each_service_has_its_own_outage() {
        let (mut outages, start) = (Outages::default(), Instant::now());
        outages.observe(&names(&["hours"]), start);
        outages.observe(
            &names(&["hours", "minutes"]),
            start + Duration::from_millis(300),
        );
        let down = outages.observe(&names(&["hours", "minutes"]), start + OUTAGE_AFTER);
        assert_eq!(down.map(<[_]>::to_vec), Some(names(&["hours"])));
        let down = outages.observe(&names(&["minutes"]), start + Duration::from_millis(800));
        assert_eq!(down.map(<[_]>::to_vec), Some(names(&["minutes"])));
    }
}
