//! The hub: one latest-frame slot per time zone in use.
//!
//! Each zone's slot is a `watch` channel holding the serialized frame, so a
//! tick costs one serialization per zone however many clients listen, and a
//! slow client only ever skips to the newest frame (bounded memory). Zones no
//! one listens to any more are dropped at the next tick.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{Notify, watch};

/// Frames per zone, and the degraded services of the last tick.
#[derive(Debug, Default)]
pub struct Hub {
    zones: Mutex<HashMap<Arc<str>, watch::Sender<Utf8Bytes>>>,
    degraded: Mutex<Vec<&'static str>>,
    first_subscriber: Notify,
}

impl Hub {
    fn zones(&self) -> MutexGuard<'_, HashMap<Arc<str>, watch::Sender<Utf8Bytes>>> {
        // A panic while holding this lock leaves the map consistent.
        self.zones
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Subscribes to the frames of `zone` (a canonical IANA name). The
    /// receiver sees the latest frame at once when there is one.
    pub fn subscribe(&self, zone: &str) -> watch::Receiver<Utf8Bytes> {
        let mut zones = self.zones();
        let mut receiver = match zones.get(zone) {
            Some(sender) => sender.subscribe(),
            None => {
                let (sender, receiver) = watch::channel(Utf8Bytes::default());
                zones.insert(Arc::from(zone), sender);
                receiver
            }
        };
        if !receiver.borrow().is_empty() {
            receiver.mark_changed();
        }
        drop(zones);
        self.first_subscriber.notify_one();
        receiver
    }

    /// The zones someone listens to; forgets the others.
    pub fn zones_in_use(&self) -> Vec<Arc<str>> {
        let mut zones = self.zones();
        zones.retain(|_, sender| sender.receiver_count() > 0);
        zones.keys().cloned().collect()
    }

    /// Waits until someone subscribes (returns at once if someone did since
    /// the last call).
    pub async fn wait_for_subscriber(&self) {
        self.first_subscriber.notified().await;
    }

    /// Publishes `frame` as the latest of `zone`.
    pub fn publish(&self, zone: &str, frame: String) {
        if let Some(sender) = self.zones().get(zone) {
            sender.send_replace(Utf8Bytes::from(frame));
        }
    }

    /// Records which services the last tick found down.
    pub fn set_degraded(&self, degraded: Vec<&'static str>) {
        *self.degraded.lock().unwrap_or_else(|p| p.into_inner()) = degraded;
    }

    /// The services the last tick found down.
    pub fn degraded(&self) -> Vec<&'static str> {
        self.degraded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_without_listeners_are_forgotten() {
        let hub = Hub::default();
        let paris = hub.subscribe("Europe/Paris");
        let _utc = hub.subscribe("UTC");
        assert_eq!(hub.zones_in_use().len(), 2);
        drop(paris);
        assert_eq!(hub.zones_in_use(), vec![Arc::<str>::from("UTC")]);
    }

    #[test]
    fn slow_subscribers_only_see_the_latest_frame() {
        let hub = Hub::default();
        let mut rx = hub.subscribe("UTC");
        assert!(!rx.has_changed().expect("open"));
        for n in 0..100 {
            hub.publish("UTC", format!("frame {n}"));
        }
        assert!(rx.has_changed().expect("open"));
        assert_eq!(rx.borrow_and_update().as_str(), "frame 99");
        assert!(!rx.has_changed().expect("open"));
    }

    #[test]
    fn late_subscribers_get_the_latest_frame_at_once() {
        let hub = Hub::default();
        let _first = hub.subscribe("UTC");
        hub.publish("UTC", "frame".into());
        let mut late = hub.subscribe("UTC");
        assert!(late.has_changed().expect("open"));
        assert_eq!(late.borrow_and_update().as_str(), "frame");
    }
}
