//! A clock service dies mid-stream: frames say so, the socket stays open,
//! and frames recover by themselves when the service returns.

use clocker_runtime::ServiceName;

use crate::support::{assert_untorn, connect, fast_ticks, frames_until, http_get, start_fleet};

#[tokio::test]
async fn a_killed_component_degrades_frames_until_it_is_restarted() {
    let mut fleet = start_fleet(fast_ticks(10)).await;
    let funnel = fleet.addr(ServiceName::Funnel);
    let mut socket = connect(funnel, "?tz=UTC").await;
    frames_until(&mut socket, |f| f.degraded.is_empty()).await;

    fleet.stop_service(ServiceName::Minutes).await;
    let frames = frames_until(&mut socket, |f| !f.degraded.is_empty()).await;
    let degraded = frames.last().expect("a frame");
    assert_eq!(degraded.degraded, ["minutes"]);
    assert_eq!(degraded.minutes, None);
    assert!(degraded.hours.is_some() && degraded.unix_ms.is_some());
    assert_eq!(&degraded.time[2..6], ":--:", "{}", degraded.time);
    let health: serde_json::Value =
        serde_json::from_str(&http_get(funnel, "/health").await).expect("JSON");
    assert_eq!(health["degraded"], serde_json::json!(["minutes"]));

    fleet
        .restart_service(ServiceName::Minutes)
        .await
        .expect("minutes restarts on its port");
    let frames = frames_until(&mut socket, |f| f.degraded.is_empty()).await;
    assert_untorn(frames.last().expect("a frame"));
    fleet.stop().await;
}

#[tokio::test]
async fn a_killed_current_time_degrades_every_field_until_it_is_restarted() {
    let mut fleet = start_fleet(fast_ticks(10)).await;
    let mut socket = connect(fleet.addr(ServiceName::Funnel), "?tz=UTC").await;
    frames_until(&mut socket, |f| f.degraded.is_empty()).await;

    fleet.stop_service(ServiceName::CurrentTime).await;
    let frames = frames_until(&mut socket, |f| !f.degraded.is_empty()).await;
    let degraded = frames.last().expect("a frame");
    assert_eq!(degraded.degraded, ["current-time"]);
    assert_eq!(degraded.unix_ms, None);
    assert_eq!(degraded.time, "--:--:--.---");

    fleet
        .restart_service(ServiceName::CurrentTime)
        .await
        .expect("current-time restarts");
    let frames = frames_until(&mut socket, |f| f.degraded.is_empty()).await;
    assert_untorn(frames.last().expect("a frame"));
    fleet.stop().await;
}
