//! The hub: one channel per time zone in use.
//!
//! Each zone's frames go into a [`Channel`] that keeps only the newest, each
//! frame encoded for the wire once (a WebSocket text frame for the funnel,
//! an SSE event for the stream), so a tick costs one serialization and one
//! encoding per zone however many clients listen, and a slow client only
//! ever skips to the newest frame. A tick raises the hub's [`Signal`] once
//! for all its zones. Zones no one follows any more are dropped at the next
//! tick.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use jiff::tz::TimeZone;
use tokio::sync::Notify;

use crate::channel::{Channel, Message, Signal};
use crate::websocket;

/// How a hub's frames go on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// A WebSocket text frame (the funnel's `/ws`).
    #[default]
    WebSocket,
    /// An SSE `event: frame` whose id is the frame's `seq` (the stream's
    /// `/stream/time`).
    Sse,
}

impl Encoding {
    fn encode(self, seq: u64, json: &str) -> Bytes {
        match self {
            Self::WebSocket => websocket::text(json),
            Self::Sse => crate::sse::event("frame", seq, json),
        }
    }
}

/// One zone in use: its rules and its frames.
#[derive(Debug)]
struct ZoneSlot {
    tz: TimeZone,
    frames: Arc<Channel>,
}

/// A zone someone listens to.
#[derive(Debug, Clone)]
pub struct ZoneInUse {
    /// Its canonical IANA name.
    pub name: Arc<str>,
    pub tz: TimeZone,
}

/// Frames per zone, and the degraded services of the last tick.
#[derive(Debug, Default)]
pub struct Hub {
    encoding: Encoding,
    zones: Mutex<HashMap<Arc<str>, ZoneSlot>>,
    degraded: Mutex<Vec<Cow<'static, str>>>,
    first_subscriber: Notify,
    signal: Signal,
}

impl Hub {
    /// A hub whose frames are encoded as `encoding`, and whose ticks raise
    /// `signal` (which a service may share with its other channels, so
    /// its shards wait on one signal).
    pub fn new(encoding: Encoding, signal: Signal) -> Self {
        Self {
            encoding,
            signal,
            ..Self::default()
        }
    }

    fn zones(&self) -> MutexGuard<'_, HashMap<Arc<str>, ZoneSlot>> {
        // A panic while holding this lock leaves the map consistent.
        self.zones
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The channel of `tz`'s frames, a zone from the tz database; the zone
    /// is in use for as long as the channel is held. Its newest frame, when
    /// there is one, is what a new subscriber gets first.
    pub fn subscribe(&self, tz: &TimeZone) -> Arc<Channel> {
        let name = clocker_runtime::zone_name(tz);
        let mut zones = self.zones();
        let frames = match zones.get(name) {
            Some(slot) => slot.frames.clone(),
            None => {
                let frames = Channel::new(1, self.signal.clone());
                let slot = ZoneSlot {
                    tz: tz.clone(),
                    frames: frames.clone(),
                };
                zones.insert(Arc::from(name), slot);
                frames
            }
        };
        drop(zones);
        self.first_subscriber.notify_one();
        frames
    }

    /// What the hub's publications raise: each shard's writer waits on it.
    pub fn signal(&self) -> &Signal {
        &self.signal
    }

    /// The zones someone listens to; forgets the others.
    pub fn zones_in_use(&self) -> Vec<ZoneInUse> {
        let mut zones = self.zones();
        zones.retain(|_, slot| Arc::strong_count(&slot.frames) > 1);
        zones
            .iter()
            .map(|(name, slot)| ZoneInUse {
                name: name.clone(),
                tz: slot.tz.clone(),
            })
            .collect()
    }

    /// Waits until someone subscribes (returns at once if someone did since
    /// the last call).
    pub async fn wait_for_subscriber(&self) {
        self.first_subscriber.notified().await;
    }

    /// Publishes `frame` (number `seq`, serialized once) as the newest of
    /// `zone`, encoded once. Subscribers learn of it at [`Hub::raise`].
    pub fn publish(&self, zone: &str, seq: u64, frame: &str) {
        let frames = self.zones().get(zone).map(|slot| slot.frames.clone());
        if let Some(frames) = frames {
            frames.publish(Message {
                id: seq,
                bytes: self.encoding.encode(seq, frame),
            });
        }
    }

    /// Wakes every shard: the tick's frames are published.
    pub fn raise(&self) {
        self.signal.raise();
    }

    /// Records which services are down (see [`crate::outage`]).
    pub fn set_degraded(&self, degraded: Vec<Cow<'static, str>>) {
        *self.degraded.lock().unwrap_or_else(|p| p.into_inner()) = degraded;
    }

    /// The services down (see [`crate::outage`]).
    pub fn degraded(&self) -> Vec<Cow<'static, str>> {
        self.degraded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> TimeZone {
        clocker_runtime::time_zone(name).expect("bundled zone")
    }

    #[test]
    fn zones_without_listeners_are_forgotten() {
        let hub = Hub::default();
        let paris = hub.subscribe(&zone("Europe/Paris"));
        let _utc = hub.subscribe(&zone("UTC"));
        assert_eq!(hub.zones_in_use().len(), 2);
        drop(paris);
        let names: Vec<_> = hub.zones_in_use().into_iter().map(|z| z.name).collect();
        assert_eq!(names, vec![Arc::<str>::from("UTC")]);
    }

    #[test]
    fn a_zone_keeps_only_its_newest_frame_encoded_once() {
        let hub = Hub::new(Encoding::WebSocket, Signal::default());
        let utc = hub.subscribe(&zone("UTC"));
        for n in 1..=100 {
            hub.publish("UTC", n, &format!("frame {n}"));
        }
        let newest = utc.newest().expect("published");
        assert_eq!(newest.id, 100);
        assert_eq!(&newest.bytes[..], b"\x81\x09frame 100");
        let mut kept = Vec::new();
        utc.after(0, &mut kept);
        assert_eq!(kept.len(), 1);
    }

    #[test]
    fn sse_hubs_encode_frames_as_events_numbered_by_seq() {
        let hub = Hub::new(Encoding::Sse, Signal::default());
        let utc = hub.subscribe(&zone("UTC"));
        hub.publish("UTC", 7, r#"{"seq":7}"#);
        assert_eq!(
            &utc.newest().expect("published").bytes[..],
            b"event: frame\nid: 7\ndata: {\"seq\":7}\n\n"
        );
    }
}
