//! The hub: one latest-frame slot per time zone in use.
//!
//! Each zone's slot is a `watch` channel holding the serialized frame, so a
//! tick costs one serialization per zone however many clients listen, and a
//! slow client only ever skips to the newest frame (bounded memory). Zones no
//! one listens to any more are dropped at the next tick.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::ws::Utf8Bytes;
use jiff::tz::TimeZone;
use tokio::sync::{Notify, watch};

/// A frame as published: its sequence number and its JSON, serialized once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Published {
    pub seq: u64,
    pub json: Utf8Bytes,
}

/// One zone in use: its rules and its latest frame.
#[derive(Debug)]
struct ZoneSlot {
    tz: TimeZone,
    latest: Arc<watch::Sender<Published>>,
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
    zones: Mutex<HashMap<Arc<str>, ZoneSlot>>,
    degraded: Mutex<Vec<Cow<'static, str>>>,
    first_subscriber: Notify,
}

impl Hub {
    fn zones(&self) -> MutexGuard<'_, HashMap<Arc<str>, ZoneSlot>> {
        // A panic while holding this lock leaves the map consistent.
        self.zones
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Subscribes to the frames of `tz`, a zone from the tz database. The
    /// receiver sees the latest frame at once when there is one.
    pub fn subscribe(&self, tz: &TimeZone) -> watch::Receiver<Published> {
        let name = tz.iana_name().unwrap_or("UTC");
        let mut zones = self.zones();
        let mut receiver = match zones.get(name) {
            Some(slot) => slot.latest.subscribe(),
            None => {
                let (latest, receiver) = watch::channel(Published::default());
                let slot = ZoneSlot {
                    tz: tz.clone(),
                    latest: Arc::new(latest),
                };
                zones.insert(Arc::from(name), slot);
                receiver
            }
        };
        if !receiver.borrow().json.is_empty() {
            receiver.mark_changed();
        }
        drop(zones);
        self.first_subscriber.notify_one();
        receiver
    }

    /// The zones someone listens to; forgets the others.
    pub fn zones_in_use(&self) -> Vec<ZoneInUse> {
        let mut zones = self.zones();
        zones.retain(|_, slot| slot.latest.receiver_count() > 0);
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

    /// Publishes `frame` (number `seq`) as the latest of `zone`. Subscribers are woken
    /// outside the lock, so the socket thread never waits on it for long.
    pub fn publish(&self, zone: &str, seq: u64, frame: String) {
        let latest = self.zones().get(zone).map(|slot| slot.latest.clone());
        if let Some(latest) = latest {
            latest.send_replace(Published {
                seq,
                json: Utf8Bytes::from(frame),
            });
        }
    }

    /// Records which services the last tick found down.
    pub fn set_degraded(&self, degraded: Vec<Cow<'static, str>>) {
        *self.degraded.lock().unwrap_or_else(|p| p.into_inner()) = degraded;
    }

    /// The services the last tick found down.
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
    fn slow_subscribers_only_see_the_latest_frame() {
        let hub = Hub::default();
        let mut rx = hub.subscribe(&zone("UTC"));
        assert!(!rx.has_changed().expect("open"));
        for n in 0..100 {
            hub.publish("UTC", n, format!("frame {n}"));
        }
        assert!(rx.has_changed().expect("open"));
        assert_eq!(rx.borrow_and_update().json.as_str(), "frame 99");
        assert!(!rx.has_changed().expect("open"));
    }

    #[test]
    fn late_subscribers_get_the_latest_frame_at_once() {
        let hub = Hub::default();
        let _first = hub.subscribe(&zone("UTC"));
        hub.publish("UTC", 1, "frame".into());
        let mut late = hub.subscribe(&zone("UTC"));
        assert!(late.has_changed().expect("open"));
        assert_eq!(late.borrow_and_update().json.as_str(), "frame");
    }
}
