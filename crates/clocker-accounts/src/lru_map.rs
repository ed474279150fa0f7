//! A map that holds at most a fixed number of records and forgets the least
//! recently used first: for state keyed by what clients send, which a client
//! must not be able to grow.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// A map of at most `cap` records that forgets the least recently used.
#[derive(Debug)]
pub(crate) struct LruMap<K, V> {
    cap: usize,
    records: HashMap<K, (V, u64)>,
    /// Keys by last use (a sequence number), oldest first.
    by_use: BTreeMap<u64, K>,
    next_use: u64,
}

impl<K: Clone + Eq + Hash, V> LruMap<K, V> {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            records: HashMap::new(),
            by_use: BTreeMap::new(),
            next_use: 0,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    pub(crate) fn peek(&self, key: &K) -> Option<&V> {
        self.records.get(key).map(|(value, _)| value)
    }

    /// The record of `key`, if kept, without marking it as used.
    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.records.get_mut(key).map(|(value, _)| value)
    }

    /// The record of `key`, made with `new` (forgetting the least recently
    /// used record when full), and marked as just used.
    pub(crate) fn touch(&mut self, key: &K, new: impl FnOnce() -> V) -> &mut V {
        let use_now = self.next_use;
        self.next_use += 1;
        if let Some((_, used)) = self.records.get_mut(key) {
            self.by_use.remove(used);
            *used = use_now;
        } else {
            if self.records.len() >= self.cap
                && let Some((_, oldest)) = self.by_use.pop_first()
            {
                self.records.remove(&oldest);
            }
            self.records.insert(key.clone(), (new(), use_now));
        }
        self.by_use.insert(use_now, key.clone());
        let (value, _) = self
            .records
            .get_mut(key)
            .expect("the record was just found or inserted");
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_record_goes_first() {
        // A record in use is kept: an attacker cannot flush its own by
        // filling the map (it is touched at each attempt).
        let mut map = LruMap::new(2);
        *map.touch(&"a", || 0) += 1;
        map.touch(&"b", || 0);
        *map.touch(&"a", || 0) += 1;
        map.touch(&"c", || 0);
        assert_eq!(map.len(), 2);
        assert_eq!(map.peek(&"a"), Some(&2));
        assert_eq!(map.peek(&"b"), None);
        assert_eq!(map.peek(&"c"), Some(&0));
    }
}
