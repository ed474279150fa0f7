//! Login throttling per username: a few failures are free, then each further
//! failure locks the name for twice as long as the last (1 s, 2 s, 4 s, …
//! up to 15 min by default). A success clears the record; an idle one is
//! forgotten. Unknown usernames are throttled exactly like known ones.
//!
//! The state is in memory, per accounts process, bounded in size.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How failures turn into waiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures allowed before the first lockout.
    pub free_failures: u32,
    /// The first lockout; each one after doubles it.
    pub first_lockout: Duration,
    pub max_lockout: Duration,
    /// A name with no failure for this long starts afresh.
    pub forget_after: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            free_failures: 5,
            first_lockout: Duration::from_secs(1),
            max_lockout: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(15 * 60),
        }
    }
}

/// The most usernames tracked at once; past it, idle and then unlocked
/// records are dropped first.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug)]
struct Record {
    failures: u32,
    last_failure: Instant,
    locked_until: Option<Instant>,
}

/// Failure records by username.
#[derive(Debug, Default)]
pub struct Throttle {
    policy: ThrottlePolicy,
    records: Mutex<HashMap<String, Record>>,
}

impl Throttle {
    pub fn new(policy: ThrottlePolicy) -> Self {
        Self {
            policy,
            records: Mutex::default(),
        }
    }

    /// `Err(wait)` while `username` is locked.
    pub fn check(&self, username: &str, now: Instant) -> Result<(), Duration> {
        let records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        match records.get(username).and_then(|r| r.locked_until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Counts a failed login; locks the name once the free failures are used.
    pub fn record_failure(&self, username: &str, now: Instant) {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        if records.len() >= MAX_TRACKED && !records.contains_key(username) {
            self.make_room(&mut records, now);
        }
        let record = records.entry(username.to_owned()).or_insert(Record {
            failures: 0,
            last_failure: now,
            locked_until: None,
        });
        if now.saturating_duration_since(record.last_failure) > self.policy.forget_after {
            record.failures = 0;
        }
        record.failures += 1;
        record.last_failure = now;
        if let Some(beyond) = record.failures.checked_sub(self.policy.free_failures + 1) {
            let lockout = self
                .policy
                .first_lockout
                .saturating_mul(2u32.saturating_pow(beyond.min(31)))
                .min(self.policy.max_lockout);
            record.locked_until = Some(now + lockout);
            metrics::counter!("clocker_accounts_lockouts_total").increment(1);
        }
    }

    /// A successful login clears the name's record.
    pub fn record_success(&self, username: &str) {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        records.remove(username);
    }

    fn make_room(&self, records: &mut HashMap<String, Record>, now: Instant) {
        let forget_after = self.policy.forget_after;
        records.retain(|_, r| now.saturating_duration_since(r.last_failure) <= forget_after);
        if records.len() >= MAX_TRACKED {
            records.retain(|_, r| r.locked_until.is_some_and(|until| until > now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            free_failures: 3,
            first_lockout: Duration::from_secs(1),
            max_lockout: Duration::from_secs(10),
            forget_after: Duration::from_secs(60),
        }
    }

    #[test]
    fn free_failures_do_not_lock() {
        let throttle = Throttle::new(policy());
        let now = Instant::now();
        for _ in 0..3 {
            throttle.record_failure("alice", now);
        }
        assert_eq!(throttle.check("alice", now), Ok(()));
    }

    #[test]
    fn each_further_failure_doubles_the_lockout_up_to_the_cap() {
        let throttle = Throttle::new(policy());
        let mut now = Instant::now();
        for _ in 0..3 {
            throttle.record_failure("alice", now);
        }
        let mut waits = Vec::new();
        for _ in 0..6 {
            throttle.record_failure("alice", now);
            let wait = throttle.check("alice", now).expect_err("locked");
            waits.push(wait.as_secs());
            now += wait;
            assert_eq!(
                throttle.check("alice", now),
                Ok(()),
                "released after the wait"
            );
        }
        assert_eq!(waits, [1, 2, 4, 8, 10, 10]);
    }

    #[test]
    fn a_lock_on_one_name_leaves_others_alone() {
        let throttle = Throttle::new(policy());
        let now = Instant::now();
        for _ in 0..4 {
            throttle.record_failure("alice", now);
        }
        assert!(throttle.check("alice", now).is_err());
        assert_eq!(throttle.check("bob", now), Ok(()));
    }

    #[test]
    fn success_and_idleness_start_afresh() {
        let throttle = Throttle::new(policy());
        let now = Instant::now();
        for _ in 0..3 {
            throttle.record_failure("alice", now);
        }
        throttle.record_success("alice");
        throttle.record_failure("alice", now);
        assert_eq!(throttle.check("alice", now), Ok(()), "the count restarted");

        for _ in 0..2 {
            throttle.record_failure("alice", now);
        }
        let later = now + Duration::from_secs(61);
        throttle.record_failure("alice", later);
        assert_eq!(
            throttle.check("alice", later),
            Ok(()),
            "old failures were forgotten"
        );
    }
}
