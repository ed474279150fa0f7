//! A log line about an event that can come thousands of times a second
//! (a refused connection, a call over its deadline) is written at most once
//! a period, and says how many events it stands for: under attack or
//! overload one line each would flood the log.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Counts events and says when the next line about them may be written.
#[derive(Debug)]
pub(crate) struct LogRateLimit {
    every: Duration,
    state: Mutex<Unlogged>,
}

#[derive(Debug, Default)]
struct Unlogged {
    last_logged: Option<Instant>,
    events: u64,
}

impl LogRateLimit {
    /// At most one line a second.
    pub(crate) fn once_a_second() -> Self {
        Self {
            every: Duration::from_secs(1),
            state: Mutex::default(),
        }
    }

    /// Counts one event; when a line is due now, how many events it stands
    /// for (this one and those not logged since the last line).
    pub(crate) fn record_event(&self) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.events += 1;
        let now = Instant::now();
        if state
            .last_logged
            .is_some_and(|last| now.duration_since(last) < self.every)
        {
            return None;
        }
        state.last_logged = Some(now);
        Some(std::mem::take(&mut state.events))
    }
}

impl Default for LogRateLimit {
    fn default() -> Self {
        Self::once_a_second()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_line_a_second_counting_the_events_it_stands_for() {
        let limit = LogRateLimit::once_a_second();
        assert_eq!(limit.record_event(), Some(1));
        assert_eq!(limit.record_event(), None);
        assert_eq!(limit.record_event(), None);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(limit.record_event(), Some(3));
        assert_eq!(limit.record_event(), None);
    }
}
