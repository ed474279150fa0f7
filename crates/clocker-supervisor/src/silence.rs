//! When a child counts as silent: measured from the probes the supervisor
//! sent, never from the clock alone.
//!
//! A child is silent when every probe sent to it over the last `kill_after`
//! went unanswered by its own deadline, and there were at least
//! [`MIN_UNANSWERED`] of them. A stall of the supervisor itself (Ctrl-Z, a
//! blocked loop) sends no probes, so it cannot make a child silent: when
//! the supervisor notices it stalled ([`Silence::stalled`]), what it had
//! measured is forgotten, and probes that were out during the stall count
//! for nothing.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// The fewest unanswered probes that make a child silent.
pub const MIN_UNANSWERED: usize = 3;

/// The probes sent to one child that went unanswered since its last answer.
#[derive(Debug)]
pub struct Silence {
    kill_after: Duration,
    /// When the unanswered probes were sent, oldest first; only those sent
    /// after the last answered one.
    unanswered: VecDeque<Instant>,
    /// When the last answered probe was sent.
    last_answered: Option<Instant>,
    /// Probes sent before this (the end of the supervisor's last stall, or
    /// when watching began) count for nothing when unanswered.
    measured_since: Instant,
}

impl Silence {
    pub fn new(kill_after: Duration, now: Instant) -> Self {
        Self {
            kill_after,
            unanswered: VecDeque::new(),
            last_answered: None,
            measured_since: now,
        }
    }

    /// The probe sent at `sent` was answered (healthy or not: the child's
    /// thread runs).
    pub fn answered(&mut self, sent: Instant) {
        if self.last_answered.is_none_or(|last| sent > last) {
            self.last_answered = Some(sent);
        }
        self.unanswered.retain(|&at| at > sent);
    }

    /// The probe sent at `sent` got no answer by its deadline.
    pub fn unanswered(&mut self, sent: Instant) {
        if sent < self.measured_since || self.last_answered.is_some_and(|last| sent <= last) {
            return;
        }
        // Probes overlap, so they may come back out of order.
        let at = self.unanswered.partition_point(|&other| other <= sent);
        self.unanswered.insert(at, sent);
        // Only the window and the first of the run matter; the rest is bounded.
        while self.unanswered.len() > 4 * MIN_UNANSWERED
            && self.unanswered.get(1).is_some_and(|&second| {
                self.unanswered
                    .back()
                    .is_some_and(|&last| last - second >= self.kill_after)
            })
        {
            self.unanswered.pop_front();
        }
    }

    /// The supervisor itself did not run for a while, up to `now`: what the
    /// child did meanwhile is unknown, so silence is measured anew.
    pub fn stalled(&mut self, now: Instant) {
        self.unanswered.clear();
        self.measured_since = now;
    }

    /// Whether every probe sent over the last `kill_after` went unanswered,
    /// at least [`MIN_UNANSWERED`] of them: then, how long it has been silent.
    pub fn silent_for(&self, now: Instant) -> Option<Duration> {
        let first = *self.unanswered.front()?;
        let silent = now.saturating_duration_since(first);
        let window_start = now.checked_sub(self.kill_after)?;
        let in_window = self
            .unanswered
            .iter()
            .filter(|&&sent| sent >= window_start)
            .count();
        (silent >= self.kill_after && in_window >= MIN_UNANSWERED).then_some(silent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KILL_AFTER: Duration = Duration::from_secs(1);
    const EVERY: Duration = Duration::from_millis(100);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn probes_unanswered_for_kill_after_make_a_child_silent() {
        let start = Instant::now();
        let mut silence = Silence::new(KILL_AFTER, start);
        for i in 0..=10 {
            silence.unanswered(start + EVERY * i);
        }
        assert_eq!(silence.silent_for(start + ms(900)), None);
        assert_eq!(silence.silent_for(start + ms(1000)), Some(ms(1000)));
    }

    #[test]
    fn one_answer_in_the_window_keeps_it_alive() {
        let start = Instant::now();
        let mut silence = Silence::new(KILL_AFTER, start);
        for i in 0..=10 {
            silence.unanswered(start + EVERY * i);
        }
        // A slow answer to a probe sent at 500 ms arrives last.
        silence.answered(start + ms(500));
        assert_eq!(silence.silent_for(start + ms(1100)), None);
        assert_eq!(silence.silent_for(start + ms(1600)), Some(ms(1000)));
    }

    #[test]
    fn a_stall_of_the_supervisor_is_not_silence() {
        let start = Instant::now();
        let mut silence = Silence::new(KILL_AFTER, start);
        silence.answered(start);
        // Its last probe before a 3 s Ctrl-Z times out, late, on resume.
        let resumed = start + ms(3100);
        silence.stalled(resumed);
        silence.unanswered(start + ms(100));
        assert_eq!(silence.silent_for(resumed), None);
        assert_eq!(silence.silent_for(resumed + ms(500)), None);
    }

    #[test]
    fn too_few_probes_are_not_silence() {
        // Only two probes went out over the last second (the supervisor
        // barely ran): that is not enough to call a child silent.
        let start = Instant::now();
        let mut silence = Silence::new(KILL_AFTER, start);
        silence.unanswered(start);
        silence.unanswered(start + ms(600));
        silence.unanswered(start + ms(1200));
        assert_eq!(silence.silent_for(start + ms(1300)), None);
        silence.unanswered(start + ms(1250));
        assert_eq!(silence.silent_for(start + ms(1300)), Some(ms(1300)));
    }

    #[test]
    fn a_long_silence_is_remembered_in_bounded_space() {
        let start = Instant::now();
        let mut silence = Silence::new(KILL_AFTER, start);
        for i in 0..10_000 {
            silence.unanswered(start + EVERY * i);
        }
        assert!(silence.unanswered.len() <= 4 * MIN_UNANSWERED);
        assert!(silence.silent_for(start + EVERY * 10_000).is_some());
    }
}
