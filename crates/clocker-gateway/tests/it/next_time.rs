//! `GET /api/time/next`: when a time of day next occurs, from one read of a
//! frozen current-time, across daylight saving changes.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{start, start_frozen_at};

#[tokio::test]
async fn a_time_in_the_spring_forward_gap_rings_after_it() {
    // Noon UTC the day before Berlin's clocks go forward.
    let gateway = start_frozen_at(false, "2027-03-27T12:00:00Z").await;
    let (status, body) = gateway
        .get("/api/time/next?at=02:30&tz=europe/berlin")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({
            "at": "02:30",
            "timezone": "Europe/Berlin",
            "fires_at": "2027-03-28T03:30:00+02:00",
            "unix_ms": 1_806_197_400_000_i64,
            "in_seconds": 48_600,
            "adjustment": "skipped",
            "note": "02:30 does not exist in Europe/Berlin on Sunday 28 March 2027 (clocks go \
                     forward from 02:00 to 03:00); the alarm rings at 03:30 CEST.",
        })
    );
}

#[tokio::test]
async fn a_time_in_the_fall_back_fold_rings_at_the_first() {
    let gateway = start_frozen_at(false, "2026-10-31T20:00:00Z").await;
    let (status, body) = gateway
        .get("/api/time/next?at=01:30:00&tz=America/New_York")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["fires_at"], "2026-11-01T01:30:00-04:00");
    assert_eq!(body["adjustment"], "repeated");
    assert_eq!(body["at"], "01:30");
    assert!(
        body["note"]
            .as_str()
            .is_some_and(|note| note.contains("happens twice")),
        "{body}"
    );
}

#[tokio::test]
async fn in_seconds_is_rounded_up_from_the_fleets_now() {
    // The frozen instant is 12:00:00.042 UTC.
    let gateway = start(false).await;
    let (status, body) = gateway.get("/api/time/next?at=12:00:01").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["timezone"], "UTC");
    assert_eq!(body["fires_at"], "2026-07-01T12:00:01+00:00");
    assert_eq!(body["in_seconds"], 1, "0.958 s rounds up to 1");
    assert_eq!(body["adjustment"], "none");
    assert_eq!(body["note"], "");
    // The minute already begun is tomorrow's.
    let (_, body) = gateway.get("/api/time/next?at=12:00").await;
    assert_eq!(body["fires_at"], "2026-07-02T12:00:00+00:00");
    assert_eq!(body["in_seconds"], 86_400, "86 399.958 s rounds up");
}

#[tokio::test]
async fn bad_times_and_zones_are_400_in_plain_words() {
    let gateway = start(false).await;
    for uri in [
        "/api/time/next?at=24:00",
        "/api/time/next?at=7:30",
        "/api/time/next?at=07:30:60",
        "/api/time/next?at=noon",
    ] {
        let (status, body) = gateway.get(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(
            body["error"],
            "Invalid 'at' parameter: a time of day is HH:MM or HH:MM:SS, from 00:00 to 23:59:59",
            "{uri}"
        );
    }
    let (status, body) = gateway.get("/api/time/next").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("Missing 'at'"))
    );
    let (status, body) = gateway.get("/api/time/next?at=07:00&tz=Mars/Olympus").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unknown time zone 'Mars/Olympus'");
}
