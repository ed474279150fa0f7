//! Channels: what is published once and written to many sockets (one
//! zone's clock frames, the random feed's events). Each message is encoded
//! for the wire once, when it is published (a WebSocket frame, an SSE
//! event), and the same bytes go to every subscriber.
//!
//! A channel keeps its last few messages, so a subscriber that fell behind
//! catches up from them: with a log of one (clock frames) it skips to the
//! newest; with a longer log (the feed's history) it misses nothing that is
//! still kept. Publishing wakes each shard once ([`Signal`]), never each
//! subscriber.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::watch;

/// One published message: its id (increasing; 0 is "none yet") and its
/// bytes, ready for the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: u64,
    pub bytes: Bytes,
}

/// A channel: its kept messages and the signal its publications raise.
#[derive(Debug)]
pub struct Channel {
    log: Mutex<VecDeque<Message>>,
    capacity: usize,
    newest: AtomicU64,
    signal: Signal,
}

impl Channel {
    /// A channel keeping its last `capacity` messages (at least one), whose
    /// publications raise `signal`.
    pub fn new(capacity: usize, signal: Signal) -> Arc<Self> {
        let capacity = capacity.max(1);
        Arc::new(Self {
            log: Mutex::new(VecDeque::with_capacity(capacity)),
            capacity,
            newest: AtomicU64::new(0),
            signal,
        })
    }

    fn log(&self) -> MutexGuard<'_, VecDeque<Message>> {
        // A panic while holding this lock leaves the log consistent.
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps `message` (forgetting the oldest beyond the capacity). Shards
    /// learn of it at the next [`Signal::raise`]: a publisher of several
    /// channels (one per zone) raises it once for all of them.
    pub fn publish(&self, message: Message) {
        let id = message.id;
        {
            let mut log = self.log();
            if log.len() == self.capacity {
                log.pop_front();
            }
            log.push_back(message);
        }
        self.newest.store(id, Ordering::Release);
    }

    /// [`publish`](Self::publish), then wakes the shards.
    pub fn publish_and_raise(&self, message: Message) {
        self.publish(message);
        self.signal.raise();
    }

    /// The newest message's id (0 before the first).
    pub fn newest_id(&self) -> u64 {
        self.newest.load(Ordering::Acquire)
    }

    /// The newest message, if any.
    pub fn newest(&self) -> Option<Message> {
        self.log().back().cloned()
    }

    /// Appends to `out` the kept messages newer than `after`.
    pub fn after(&self, after: u64, out: &mut Vec<Message>) {
        let log = self.log();
        let newer = log.partition_point(|message| message.id <= after);
        out.extend(log.range(newer..).cloned());
    }

    /// Where a subscriber that last had `last_id` (`None`: nothing yet)
    /// starts: after it while it is kept or newer, else (an id from before a
    /// restart, newer than any sent) with what comes next.
    pub fn resume_after(&self, last_id: Option<u64>) -> u64 {
        let newest = self.newest_id();
        last_id.filter(|&last| last <= newest).unwrap_or(newest)
    }

    /// The messages after `after`, then every new one, as a stream (for a
    /// response that has a task of its own; shards do without).
    pub fn follow(self: Arc<Self>, after: u64) -> impl Stream<Item = Message> + Send + use<> {
        let raised = self.signal.watch();
        futures_util::stream::unfold(
            (self, raised, after, VecDeque::new()),
            |(channel, mut raised, mut after, mut ready)| async move {
                loop {
                    if let Some(message) = ready.pop_front() {
                        return Some((message, (channel, raised, after, ready)));
                    }
                    raised.mark_unchanged();
                    let mut newer = Vec::new();
                    channel.after(after, &mut newer);
                    if let Some(last) = newer.last() {
                        after = last.id;
                        ready.extend(newer);
                        continue;
                    }
                    raised.changed().await.ok()?;
                }
            },
        )
    }
}

/// What publications raise to wake the shards: one wake per shard however
/// many channels changed.
#[derive(Debug, Clone)]
pub struct Signal(Arc<watch::Sender<u64>>);

impl Default for Signal {
    fn default() -> Self {
        Self(Arc::new(watch::Sender::new(0)))
    }
}

impl Signal {
    /// Wakes every shard waiting on this signal.
    pub fn raise(&self) {
        self.0
            .send_modify(|raised| *raised = raised.wrapping_add(1));
    }

    /// A shard's end: resolves at the next raise.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: u64) -> Message {
        Message {
            id,
            bytes: Bytes::from(id.to_string()),
        }
    }

    fn ids_after(channel: &Channel, after: u64) -> Vec<u64> {
        let mut out = Vec::new();
        channel.after(after, &mut out);
        out.iter().map(|m| m.id).collect()
    }

    #[test]
    fn a_log_of_one_keeps_only_the_newest() {
        let channel = Channel::new(1, Signal::default());
        for id in 1..=5 {
            channel.publish(message(id));
        }
        assert_eq!(ids_after(&channel, 0), [5]);
        assert_eq!(ids_after(&channel, 5), Vec::<u64>::new());
        assert_eq!(channel.newest_id(), 5);
    }

    #[test]
    fn a_longer_log_gives_what_followed_and_forgets_the_oldest() {
        let channel = Channel::new(3, Signal::default());
        for id in 1..=5 {
            channel.publish(message(id));
        }
        assert_eq!(ids_after(&channel, 3), [4, 5]);
        assert_eq!(ids_after(&channel, 0), [3, 4, 5]);
        assert_eq!(ids_after(&channel, 0).first(), Some(&3), "the oldest kept");
    }

    #[tokio::test]
    async fn following_gives_what_followed_then_what_is_published() {
        use futures_util::StreamExt;
        let channel = Channel::new(8, Signal::default());
        for id in 1..=3 {
            channel.publish(message(id));
        }
        let mut follower = Box::pin(channel.clone().follow(channel.resume_after(Some(1))));
        assert_eq!(follower.next().await.map(|m| m.id), Some(2));
        assert_eq!(follower.next().await.map(|m| m.id), Some(3));
        channel.publish_and_raise(message(4));
        assert_eq!(follower.next().await.map(|m| m.id), Some(4));
        // An id from before a restart (newer than any sent) starts live.
        assert_eq!(channel.resume_after(Some(99)), 4);
        assert_eq!(channel.resume_after(None), 4);
    }

    #[tokio::test]
    async fn raising_wakes_every_watcher_once() {
        let signal = Signal::default();
        let mut first = signal.watch();
        let mut second = signal.watch();
        let channel = Channel::new(1, signal.clone());
        channel.publish(message(1));
        channel.publish_and_raise(message(2));
        first.changed().await.expect("raised");
        second.changed().await.expect("raised");
        first.mark_unchanged();
        assert!(!first.has_changed().expect("open"));
    }
}
