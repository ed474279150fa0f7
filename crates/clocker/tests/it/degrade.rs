//! A clock service dies mid-stream: frames say so, the socket stays open,
//! the funnel reports itself not ready (naming it), and frames and
//! readiness recover by themselves when the service returns.

use clocker_fleet::ServiceName;

use crate::support::{
    FAST_TICKS, PATIENCE, TestFleet, assert_untorn, connect, frames_until, http_request,
};

#[tokio::test]
async fn a_killed_component_degrades_frames_until_it_is_restarted() {
    let mut fleet = TestFleet::start_only(&[ServiceName::Funnel], &FAST_TICKS).await;
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
    // Readiness follows within a round of checks (every second).
    let health = funnel_health_until(funnel, 503).await;
    assert_eq!(health["degraded"], serde_json::json!(["minutes"]));
    assert_eq!(health["status"], "not ready", "{health}");
    assert_eq!(health["failing"][0]["check"], "minutes", "{health}");
    assert_eq!(http_request(funnel, "/livez", &[]).await.status, 200);

    fleet.restart_service(ServiceName::Minutes).await;
    let frames = frames_until(&mut socket, |f| f.degraded.is_empty()).await;
    assert_untorn(frames.last().expect("a frame"));
    let health = funnel_health_until(funnel, 200).await;
    assert_eq!(health["status"], "ok", "{health}");
    fleet.stop().await;
}

/// Polls the funnel's `/health` until it answers `status`; its JSON.
async fn funnel_health_until(funnel: std::net::SocketAddr, status: u16) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let response = http_request(funnel, "/health", &[]).await;
        if response.status == status {
            return serde_json::from_str(&response.body).expect("JSON");
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/health never answered {status}: {response:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_killed_current_time_degrades_every_field_until_it_is_restarted() {
    let mut fleet = TestFleet::start_only(&[ServiceName::Funnel], &FAST_TICKS).await;
    let mut socket = connect(fleet.addr(ServiceName::Funnel), "?tz=UTC").await;
    frames_until(&mut socket, |f| f.degraded.is_empty()).await;

    fleet.stop_service(ServiceName::CurrentTime).await;
    let frames = frames_until(&mut socket, |f| !f.degraded.is_empty()).await;
    let degraded = frames.last().expect("a frame");
    assert_eq!(degraded.degraded, ["current-time"]);
    assert_eq!(degraded.unix_ms, None);
    assert_eq!(degraded.time, "--:--:--.---");

    fleet.restart_service(ServiceName::CurrentTime).await;
    let frames = frames_until(&mut socket, |f| f.degraded.is_empty()).await;
    assert_untorn(frames.last().expect("a frame"));
    fleet.stop().await;
}
