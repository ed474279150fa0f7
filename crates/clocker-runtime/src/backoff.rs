//! Retry pacing: 100 ms doubling to 5 s, back to the start after success
//! (used by the stream's upstream feed and the supervisor's restarts).

use std::time::Duration;

/// The wait before the next attempt.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
}

impl Backoff {
    /// The first wait.
    pub const FIRST: Duration = Duration::from_millis(100);
    /// The longest wait.
    pub const MAX: Duration = Duration::from_secs(5);

    /// The wait the next [`Backoff::step`] returns.
    pub fn current(&self) -> Duration {
        self.next
    }

    /// Returns the wait for this attempt and doubles the next one.
    pub fn step(&mut self) -> Duration {
        let now = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        now
    }

    /// Starts over from [`Backoff::FIRST`] (after a success).
    pub fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next: Self::FIRST }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_five_seconds_and_resets() {
        let mut backoff = Backoff::default();
        let waits: Vec<u64> = (0..8).map(|_| backoff.step().as_millis() as u64).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        backoff.reset();
        assert_eq!(backoff.step(), Duration::from_millis(100));
    }
}
