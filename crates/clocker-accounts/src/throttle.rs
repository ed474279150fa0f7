//! Throttling of password guesses and registrations, by client address
//! (OWASP authentication cheat sheet): delays that grow, never a lock on an
//! account that an attacker could hold.
//!
//! A login attempt is reserved before any hashing, in one step that checks
//! and counts it ([`Throttle::reserve_login`]), so N guesses sent at once
//! count as N. Three limits apply, each a few free failures and then a delay
//! before the next attempt that doubles with every further failure (1 s,
//! 2 s, … 15 min by default):
//! - per (name, address): one client guessing one account;
//! - per address: one client spraying many names;
//! - per name, from any address: many clients guessing one account. This
//!   one spares addresses the account has logged in from before, so a
//!   victim on a known address gets in while a crowd guesses its password.
//!
//! A successful login gives back what its reservation counted and marks the
//! address as known for the name; a reservation dropped without an answer (a
//! cancelled call) stays counted, so cancelling is no way around the limit.
//! Registration is limited per address (a burst, then one per interval).
//! Unknown names are throttled exactly like known ones.
//!
//! The state is in memory, per accounts process. Every map is keyed by what
//! clients send, so each holds at most [`ThrottlePolicy::max_tracked`]
//! records and forgets the least recently used first.

use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::lru_map::LruMap;

/// How failures turn into waiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// FailureRecord allowed for one name from one address before delays begin.
    pub free_failures: u32,
    /// FailureRecord allowed from one address, whatever the names.
    pub address_free_failures: u32,
    /// FailureRecord allowed for one name from addresses it never logged in from.
    pub name_free_failures: u32,
    /// The first delay; each one after doubles it.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// A record with no failure for this long starts afresh.
    pub forget_after: Duration,
    /// Registrations one address may make at once.
    pub register_burst: u32,
    /// Then one per this interval.
    pub register_every: Duration,
    /// The most records each map keeps.
    pub max_tracked: usize,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            free_failures: 5,
            address_free_failures: 30,
            name_free_failures: 100,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(15 * 60),
            register_burst: 20,
            register_every: Duration::from_secs(6),
            max_tracked: 100_000,
        }
    }
}

/// Where a client is, as far as throttling goes: an IPv4 address, or the
/// /64 network of an IPv6 one (one host usually has the whole /64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl From<IpAddr> for ClientKey {
    fn from(addr: IpAddr) -> Self {
        Self(clocker_runtime::client_network(addr))
    }
}

/// FailureRecord of one key and when the next attempt may come.
#[derive(Debug, Clone)]
struct FailureRecord {
    failures: u32,
    last_failure: Instant,
    not_before: Instant,
    /// (name, address) only: this address has logged in to this name.
    known: bool,
}

impl FailureRecord {
    fn new(now: Instant) -> Self {
        Self {
            failures: 0,
            last_failure: now,
            not_before: now,
            known: false,
        }
    }

    /// How long until the next attempt may come, if it may not now.
    fn wait(&self, now: Instant) -> Option<Duration> {
        (self.not_before > now).then(|| self.not_before - now)
    }

    /// Counts one failure (or a reserved attempt); after `free` of them,
    /// each one delays the next attempt twice as long as the last.
    fn count(&mut self, now: Instant, free: u32, policy: &ThrottlePolicy) {
        if now.saturating_duration_since(self.last_failure) > policy.forget_after {
            self.failures = 0;
        }
        self.failures = self.failures.saturating_add(1);
        self.last_failure = now;
        if let Some(beyond) = self.failures.checked_sub(free.saturating_add(1)) {
            let delay = policy
                .first_delay
                .saturating_mul(2u32.saturating_pow(beyond.min(31)))
                .min(policy.max_delay);
            self.not_before = self.not_before.max(now + delay);
            metrics::counter!("clocker_accounts_login_delays_total").increment(1);
        }
    }

    fn give_back(&mut self) {
        self.failures = self.failures.saturating_sub(1);
    }
}

#[derive(Debug)]
struct State {
    pairs: LruMap<(String, ClientKey), FailureRecord>,
    addresses: LruMap<ClientKey, FailureRecord>,
    names: LruMap<String, FailureRecord>,
    /// Per address: when its registration allowance is next whole
    /// (the "theoretical arrival time" of a GCRA limiter).
    registrations: LruMap<ClientKey, Instant>,
}

/// Login and registration attempts by name and client address.
#[derive(Debug)]
pub struct Throttle {
    policy: ThrottlePolicy,
    state: Mutex<State>,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(ThrottlePolicy::default())
    }
}

impl Throttle {
    pub fn new(policy: ThrottlePolicy) -> Self {
        let cap = policy.max_tracked;
        Self {
            policy,
            state: Mutex::new(State {
                pairs: LruMap::new(cap),
                addresses: LruMap::new(cap),
                names: LruMap::new(cap),
                registrations: LruMap::new(cap),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks and counts a login attempt for `username` from `client` in one
    /// step: `Err(wait)` if it must wait (nothing counted), else a
    /// reservation that counts as a failure unless it is told otherwise.
    pub fn reserve_login(
        &self,
        username: &str,
        client: IpAddr,
        now: Instant,
    ) -> Result<LoginAttempt<'_>, Duration> {
        let client = ClientKey::from(client);
        let pair = (username.to_owned(), client);
        let policy = &self.policy;
        let mut state = self.state();
        let known = state.pairs.peek(&pair).is_some_and(|r| r.known);
        let waits = [
            state.pairs.peek(&pair).and_then(|r| r.wait(now)),
            state.addresses.peek(&client).and_then(|r| r.wait(now)),
            state
                .names
                .peek(&pair.0)
                .filter(|_| !known)
                .and_then(|r| r.wait(now)),
        ];
        if let Some(wait) = waits.into_iter().flatten().max() {
            metrics::counter!("clocker_accounts_login_throttled_total").increment(1);
            return Err(wait);
        }
        state.pairs.touch(&pair, || FailureRecord::new(now)).count(
            now,
            policy.free_failures,
            policy,
        );
        state
            .addresses
            .touch(&client, || FailureRecord::new(now))
            .count(now, policy.address_free_failures, policy);
        state
            .names
            .touch(&pair.0, || FailureRecord::new(now))
            .count(now, policy.name_free_failures, policy);
        Ok(LoginAttempt {
            throttle: self,
            pair: Some(pair),
        })
    }

    /// Checks and counts a registration from `client`: `Err(wait)` once its
    /// burst is spent, until its allowance has grown back by one.
    pub fn reserve_registration(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let every = self.policy.register_every;
        let burst = every.saturating_mul(self.policy.register_burst.saturating_sub(1));
        let mut state = self.state();
        let full_at = state.registrations.touch(&ClientKey::from(client), || now);
        let earliest = (*full_at).max(now);
        let ahead = earliest - now;
        if ahead > burst {
            metrics::counter!("clocker_accounts_registration_throttled_total").increment(1);
            return Err(ahead - burst);
        }
        *full_at = earliest + every;
        Ok(())
    }

    #[cfg(test)]
    fn tracked(&self) -> [usize; 4] {
        let state = self.state();
        [
            state.pairs.len(),
            state.addresses.len(),
            state.names.len(),
            state.registrations.len(),
        ]
    }
}

/// A login attempt counted before its password is checked. Dropped as it
/// is, it stays counted as a failure.
#[derive(Debug)]
#[must_use = "a dropped attempt counts as a failure"]
pub struct LoginAttempt<'a> {
    throttle: &'a Throttle,
    pair: Option<(String, ClientKey)>,
}

impl LoginAttempt<'_> {
    /// The password was right: the failure this attempt counted is given
    /// back, the (name, address) record starts afresh, and the address is
    /// known for the name from now on.
    pub fn succeeded(mut self, now: Instant) {
        if let Some(pair) = self.pair.take() {
            let mut state = self.throttle.state();
            let record = state.pairs.touch(&pair, || FailureRecord::new(now));
            *record = FailureRecord {
                known: true,
                ..FailureRecord::new(now)
            };
            give_back(&mut state, &pair);
        }
    }

    /// The password was never checked (the hashing queue was full, the
    /// store unavailable): the attempt is not counted.
    pub fn not_checked(mut self) {
        if let Some(pair) = self.pair.take() {
            let mut state = self.throttle.state();
            if let Some(record) = state.pairs.get_mut(&pair) {
                record.give_back();
            }
            give_back(&mut state, &pair);
        }
    }
}

fn give_back(state: &mut State, (name, client): &(String, ClientKey)) {
    if let Some(record) = state.addresses.get_mut(client) {
        record.give_back();
    }
    if let Some(record) = state.names.get_mut(name) {
        record.give_back();
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const VICTIM: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            free_failures: 3,
            address_free_failures: 10,
            name_free_failures: 20,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
            forget_after: Duration::from_secs(60),
            register_burst: 3,
            register_every: Duration::from_secs(10),
            max_tracked: 1_000,
        }
    }

    /// A failed login of `name` from `client`.
    fn fail(throttle: &Throttle, name: &str, client: IpAddr, now: Instant) -> Result<(), Duration> {
        throttle.reserve_login(name, client, now).map(drop)
    }

    #[test]
    fn free_failures_then_delays_that_double_up_to_the_cap() {
        let throttle = Throttle::new(policy());
        let mut now = Instant::now();
        for _ in 0..4 {
            fail(&throttle, "alice", ATTACKER, now).expect("free, and one more");
        }
        let mut waits = Vec::new();
        for _ in 0..6 {
            let wait = fail(&throttle, "alice", ATTACKER, now).expect_err("must wait");
            waits.push(wait.as_secs());
            now += wait;
            fail(&throttle, "alice", ATTACKER, now).expect("allowed after the wait");
        }
        assert_eq!(waits, [1, 2, 4, 8, 10, 10]);
    }

    #[test]
    fn parallel_attempts_are_each_counted_before_any_is_checked() {
        // Thirty guesses reserved before any password is checked: only the
        // free ones (and the one that starts the first delay) get through.
        let throttle = Throttle::new(policy());
        let now = Instant::now();
        let reserved: Vec<_> = (0..30)
            .filter_map(|_| throttle.reserve_login("alice", ATTACKER, now).ok())
            .collect();
        assert_eq!(reserved.len(), 4);
    }

    #[test]
    fn a_cancelled_attempt_stays_counted_and_an_unchecked_one_does_not() {
        let throttle = Throttle::new(policy());
        let now = Instant::now();
        for _ in 0..3 {
            throttle
                .reserve_login("alice", ATTACKER, now)
                .expect("free")
                .not_checked();
        }
        for _ in 0..4 {
            // Dropped: as when the caller is cancelled mid-hash.
            let _attempt = throttle
                .reserve_login("alice", ATTACKER, now)
                .expect("free");
        }
        assert!(fail(&throttle, "alice", ATTACKER, now).is_err());
    }

    #[test]
    fn an_attacker_does_not_delay_the_victim_on_another_address() {
        let throttle = Throttle::new(policy());
        let now = Instant::now();
        while fail(&throttle, "alice", ATTACKER, now).is_ok() {}
        throttle
            .reserve_login("alice", VICTIM, now)
            .expect("the victim is not delayed")
            .succeeded(now);
    }

    #[test]
    fn one_address_guessing_many_names_is_delayed() {
        let throttle = Throttle::new(policy());
        let now = Instant::now();
        let allowed = (0..50)
            .filter(|n| fail(&throttle, &format!("user{n}"), ATTACKER, now).is_ok())
            .count();
        assert_eq!(allowed, 11, "the address's free failures, and one more");
        throttle
            .reserve_login("user0", VICTIM, now)
            .expect("other addresses go on")
            .succeeded(now);
    }

    #[test]
    fn many_addresses_guessing_one_name_spare_addresses_it_logged_in_from() {
        let throttle = Throttle::new(policy());
        let now = Instant::now();
        throttle
            .reserve_login("alice", VICTIM, now)
            .expect("first login")
            .succeeded(now);
        for n in 0..=20u8 {
            let crowd = IpAddr::V4(Ipv4Addr::new(10, 1, 0, n));
            fail(&throttle, "alice", crowd, now).expect("each address's first guess");
        }
        let stranger = IpAddr::V4(Ipv4Addr::new(10, 2, 0, 1));
        assert!(
            fail(&throttle, "alice", stranger, now).is_err(),
            "the name is delayed"
        );
        throttle
            .reserve_login("alice", VICTIM, now)
            .expect("but not for an address it logged in from")
            .succeeded(now);
    }

    #[test]
    fn success_gives_back_its_count_and_idleness_starts_afresh() {
        let throttle = Throttle::new(policy());
        let now = Instant::now();
        for _ in 0..20 {
            throttle
                .reserve_login("alice", VICTIM, now)
                .expect("successes cost nothing")
                .succeeded(now);
        }
        for _ in 0..3 {
            fail(&throttle, "alice", ATTACKER, now).expect("free");
        }
        let later = now + Duration::from_secs(61);
        for _ in 0..4 {
            fail(&throttle, "alice", ATTACKER, later).expect("old failures were forgotten");
        }
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_network() {
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("literal");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("literal");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("literal");
        assert_eq!(ClientKey::from(a), ClientKey::from(b));
        assert_ne!(ClientKey::from(a), ClientKey::from(c));
        let mapped: IpAddr = "::ffff:10.0.0.2".parse().expect("literal");
        assert_eq!(ClientKey::from(mapped), ClientKey::from(ATTACKER));
    }

    #[test]
    fn registrations_per_address_are_a_burst_then_one_per_interval() {
        let throttle = Throttle::new(policy());
        let now = Instant::now();
        for _ in 0..3 {
            throttle.reserve_registration(ATTACKER, now).expect("burst");
        }
        let wait = throttle
            .reserve_registration(ATTACKER, now)
            .expect_err("spent");
        assert_eq!(wait, Duration::from_secs(10));
        throttle
            .reserve_registration(VICTIM, now)
            .expect("another address has its own");
        throttle
            .reserve_registration(ATTACKER, now + wait)
            .expect("one more after the interval");
        assert!(throttle.reserve_registration(ATTACKER, now + wait).is_err());
    }

    #[test]
    fn every_map_stays_within_its_cap_forgetting_the_least_recently_used() {
        let throttle = Throttle::new(ThrottlePolicy {
            max_tracked: 100,
            address_free_failures: u32::MAX - 1,
            ..policy()
        });
        let now = Instant::now();
        for n in 0..10_000u32 {
            let client = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n));
            let _ = fail(&throttle, &format!("user{n}"), client, now);
            let _ = throttle.reserve_registration(client, now);
        }
        assert_eq!(throttle.tracked(), [100, 100, 100, 100]);
    }
}
