//! No torn frame: with current-time's clock standing just before a boundary,
//! every frame's fields equal the fields of its own `unix_ms`.
//!
//! The clock steps 1 ms at every read, so the test does not depend on timing,
//! and any design that reads the clock more than once per frame (as the seed
//! did: each component asking current-time) shows up twice over: fields that
//! disagree across the boundary, and instants that run ahead of the frame count.

use clocker_fleet::ServiceName;
use clocker_time::Clock;
use jiff::{SignedDuration, Timestamp};

use crate::support::{TestFleet, assert_untorn, connect, frames_until};

/// Enough frames before the boundary that a client which is slow to be
/// scheduled (and so skips to the latest frame) still sees some of them.
const READS_BEFORE_BOUNDARY: i64 = 100;

async fn assert_no_frame_tears_across(boundary: &str, zone: &str) {
    let boundary: Timestamp = boundary.parse().expect("RFC 3339 literal");
    let step = SignedDuration::from_millis(1);
    let start = boundary - step * READS_BEFORE_BOUNDARY as i32;
    let clock = Clock::stepping(start, step).to_string();
    let fleet = TestFleet::start_only(
        &[ServiceName::Funnel],
        &["--tick", "5ms", "--clock", &clock],
    )
    .await;
    let mut socket = connect(fleet.addr(ServiceName::Funnel), &format!("?tz={zone}")).await;
    let end = (boundary + step * 20).as_millisecond();
    let frames = frames_until(&mut socket, |frame| {
        frame.unix_ms.is_some_and(|ms| ms >= end)
    })
    .await;
    for frame in &frames {
        assert_eq!(frame.tz, zone);
        assert_untorn(frame);
        // The funnel reads the clock once as it starts (to learn the
        // fleet's time for clock sync), then exactly once per frame.
        let reads_before = i64::try_from(frame.seq).expect("small");
        assert_eq!(
            frame.unix_ms,
            Some(start.as_millisecond() + reads_before),
            "frame {} must be built from the clock's read number {}: one read per frame",
            frame.seq,
            frame.seq
        );
    }
    let boundary_ms = boundary.as_millisecond();
    let before = frames
        .iter()
        .filter(|f| f.unix_ms < Some(boundary_ms))
        .count();
    let after = frames.len() - before;
    assert!(
        before > 0 && after > 0,
        "{before} frames before and {after} after the boundary"
    );
    fleet.stop().await;
}

#[tokio::test]
async fn frame_never_tears_across_the_hour() {
    assert_no_frame_tears_across("2026-11-23T11:00:00Z", "UTC").await;
}

#[tokio::test]
async fn frame_never_tears_across_the_day_and_year() {
    // Midnight of New Year in Tokyo.
    assert_no_frame_tears_across("2026-12-31T15:00:00Z", "Asia/Tokyo").await;
}

#[tokio::test]
async fn frame_never_tears_across_the_spring_forward_gap() {
    // New York: 01:59:59.999 EST is followed by 03:00:00.000 EDT.
    assert_no_frame_tears_across("2026-03-08T07:00:00Z", "America/New_York").await;
}

#[tokio::test]
async fn frame_never_tears_across_the_fall_back_fold() {
    // Paris: 02:59:59.999 CEST is followed by 02:00:00.000 CET.
    assert_no_frame_tears_across("2026-10-25T01:00:00Z", "Europe/Paris").await;
}
