//! Many clients, one upstream; the seed's /health and /metrics, with real
//! numbers.

use std::time::Duration;

use tokio::time::Instant;

use crate::support::{PATIENCE, Sse, StreamUnderTest};

#[tokio::test]
async fn a_hundred_clients_share_one_upstream_stream() {
    let services = StreamUnderTest::start(Duration::from_millis(20), 64).await;
    let mut clients = Vec::new();
    for _ in 0..100 {
        clients.push(Sse::open(services.stream, "/stream", None).await);
    }
    for client in &mut clients {
        assert_eq!(
            client.next().await.map(|e| e.event),
            Some("data".to_owned())
        );
    }
    let metrics = services.get_json("/metrics").await;
    assert_eq!(metrics["clients"], 100);
    // One StreamRandomData call however many clients: the random service
    // (in this process) has exactly one stream open.
    let prometheus = services.get("/metrics/prometheus").await;
    let open = prometheus
        .lines()
        .find(|line| line.starts_with("clocker_random_streams"))
        .and_then(|line| line.split_whitespace().last())
        .and_then(|value| value.parse::<f64>().ok());
    assert_eq!(open, Some(1.0), "{prometheus}");
    drop(clients);
    let deadline = Instant::now() + PATIENCE;
    while services.get_json("/metrics").await["clients"] != 0 {
        assert!(Instant::now() < deadline, "closed clients are counted out");
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn health_and_metrics_have_the_seeds_shape_and_real_values() {
    let services = StreamUnderTest::start(Duration::from_millis(10), 64).await;
    let health = services.get_json("/health").await;
    // Only random runs beside this stream: it is not ready, and says which
    // of the services it requires are away (the seed's `time` still there).
    assert_eq!(health["status"], "not ready", "{health}");
    let failing: Vec<&str> = health["failing"]
        .as_array()
        .expect("the failing checks")
        .iter()
        .filter_map(|failing| failing["check"].as_str())
        .collect();
    assert!(failing.contains(&"timers"), "{health}");
    assert!(!failing.contains(&"random"), "{health}");
    let time = health["time"].as_str().expect("a time");
    assert!(
        time.parse::<jiff::Timestamp>().is_ok() && time.ends_with('Z'),
        "{time}"
    );

    let before = services.get_json("/metrics").await;
    let keys: Vec<&String> = before.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["clients", "messages_sent", "uptime"]);
    assert!(before["uptime"].is_u64());
    let mut sse = Sse::open(services.stream, "/stream", None).await;
    for _ in 0..5 {
        sse.next().await.expect("an event");
    }
    let during = services.get_json("/metrics").await;
    assert_eq!(during["clients"], 1);
    let sent = |metrics: &serde_json::Value| metrics["messages_sent"].as_u64().expect("count");
    assert!(sent(&during) >= sent(&before) + 5, "{before} then {during}");
}
