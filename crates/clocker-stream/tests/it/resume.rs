//! seed 004's events, their ids, and resuming with Last-Event-ID.

use std::time::Duration;

use crate::support::{Sse, StreamUnderTest};

#[tokio::test]
async fn events_have_the_seeds_shape_and_increasing_ids() {
    let services = StreamUnderTest::start(Duration::from_millis(10), 1024).await;
    let mut sse = Sse::open(services.stream, "/stream", None).await;
    assert_eq!(sse.status, 200);
    assert_eq!(sse.header("content-type"), Some("text/event-stream"));
    let mut last = 0;
    for _ in 0..20 {
        let event = sse.next().await.expect("an event");
        assert_eq!(event.event, "data");
        let id = event.id.expect("every event has an id");
        assert!(id > last, "{id} after {last}");
        last = id;
        let data: serde_json::Value = serde_json::from_str(&event.data).expect("JSON");
        let keys: Vec<&String> = data.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["sequence", "timestamp", "value"]);
        assert_eq!(data["sequence"].as_u64(), Some(id));
        assert!(
            data["timestamp"]
                .as_i64()
                .is_some_and(|ms| ms > 1_700_000_000_000)
        );
        assert!(
            data["value"]
                .as_i64()
                .is_some_and(|v| (0..=100).contains(&v))
        );
    }
}

#[tokio::test]
async fn last_event_id_resumes_without_loss_within_the_history() {
    let services = StreamUnderTest::start(Duration::from_millis(10), 1024).await;
    let mut first = Sse::open(services.stream, "/stream", None).await;
    let mut seen = Vec::new();
    for _ in 0..10 {
        seen.push(first.next().await.expect("an event").id.expect("an id"));
    }
    drop(first);
    let resume_after = seen[4];
    let mut again = Sse::open(services.stream, "/stream", Some(resume_after)).await;
    for expected in resume_after + 1..resume_after + 31 {
        let id = again.next().await.expect("an event").id.expect("an id");
        assert_eq!(id, expected, "no event is lost or repeated");
    }
    // The query parameter does the same for clients that cannot set headers.
    let mut by_query = Sse::open(
        services.stream,
        &format!("/stream?last_event_id={resume_after}"),
        None,
    )
    .await;
    assert_eq!(
        by_query.next().await.and_then(|e| e.id),
        Some(resume_after + 1)
    );
}

#[tokio::test]
async fn the_stream_survives_the_random_service_and_ids_keep_counting() {
    let mut services = StreamUnderTest::start(Duration::from_millis(10), 1024).await;
    let mut sse = Sse::open(services.stream, "/stream", None).await;
    let before = sse.next().await.and_then(|e| e.id).expect("an id");
    services.stop_random().await;
    services.restart_random().await;
    // Events resume on the same connection, and ids go on from where they were.
    let mut after = before;
    while after <= before + 5 {
        let id = sse.next().await.and_then(|e| e.id).expect("events resume");
        assert!(id > after, "{id} after {after}");
        after = id;
    }
}
