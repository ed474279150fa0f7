//! Clock sync over `/ws`: pings are answered with the fleet's time, which is
//! current-time's clock (here set 90 s ahead of this machine's).

use std::time::{SystemTime, UNIX_EPOCH};

use clocker_fleet::ServiceName;

use crate::support::{
    FAST_TICKS, PATIENCE, Socket, TestFleet, connect, next_frame, next_json, send_json,
};

const AHEAD_MS: f64 = 90_000.0;

/// How far the funnel's idea of current-time's clock may be off on a loaded
/// test machine (it is off by half a loopback round trip, ~0.1 ms, when idle).
const SLACK_MS: f64 = 25.0;

fn wall_clock_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64()
        * 1_000.0
}

/// The funnel and its clock, current-time's clock 90 s ahead, fast ticks.
async fn fleet_ahead() -> TestFleet {
    TestFleet::start_only(
        &[ServiceName::Funnel],
        &[FAST_TICKS[0], FAST_TICKS[1], "--clock", "offset:90s"],
    )
    .await
}

/// Sends a ping stamped now; the pong and the time it arrived.
async fn ping(socket: &mut Socket) -> (serde_json::Value, f64) {
    let sent = wall_clock_ms();
    send_json(socket, &format!(r#"{{"ping":{sent}}}"#)).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        assert!(tokio::time::Instant::now() < deadline, "no pong in time");
        let message = next_json(socket).await;
        if message.get("pong").is_some() {
            return (message, wall_clock_ms());
        }
    }
}

#[tokio::test]
async fn pongs_carry_the_fleet_time_between_the_ping_and_its_answer() {
    let fleet = fleet_ahead().await;
    let mut socket = connect(fleet.addr(ServiceName::Funnel), "?tz=UTC").await;
    next_frame(&mut socket).await;
    for _ in 0..8 {
        let (pong, arrived) = ping(&mut socket).await;
        let t0 = pong["pong"].as_f64().expect("the ping's time echoed");
        let t1 = pong["received"].as_f64().expect("the fleet time is known");
        let t2 = pong["sent"].as_f64().expect("the fleet time is known");
        assert!(t1 <= t2, "{pong}");
        assert!(
            t1 >= t0 + AHEAD_MS - SLACK_MS && t2 <= arrived + AHEAD_MS + SLACK_MS,
            "{pong} is not 90 s ahead of [{t0}, {arrived}]"
        );
        let offset = ((t1 - t0) + (t2 - arrived)) / 2.0;
        assert!((offset - AHEAD_MS).abs() < SLACK_MS, "offset {offset} ms");
    }
    fleet.stop().await;
}

#[tokio::test]
async fn pongs_agree_with_the_frames_instants() {
    let fleet = fleet_ahead().await;
    let mut socket = connect(fleet.addr(ServiceName::Funnel), "?tz=UTC").await;
    let frame = next_frame(&mut socket).await;
    let (pong, _) = ping(&mut socket).await;
    let frame_ms = frame.unix_ms.expect("an instant") as f64;
    let t1 = pong["received"].as_f64().expect("known");
    assert!(
        t1 >= frame_ms - SLACK_MS && t1 - frame_ms < 5_000.0,
        "pong at {t1} ms, frame before it at {frame_ms} ms"
    );
    fleet.stop().await;
}

#[tokio::test]
async fn a_ping_flood_is_cut_to_a_burst_and_frames_keep_coming() {
    let fleet = fleet_ahead().await;
    let mut socket = connect(fleet.addr(ServiceName::Funnel), "?tz=UTC").await;
    next_frame(&mut socket).await;
    let flood = std::time::Instant::now();
    for n in 0..100 {
        send_json(&mut socket, &format!(r#"{{"ping":{n}}}"#)).await;
    }
    // Frames come every 10 ms; count pongs until 40 frames (≥ 0.4 s) after
    // the first, by when the allowance has earned a ping back.
    let mut pongs = 0;
    let mut frames_after = 0;
    while frames_after < 40 {
        let message = next_json(&mut socket).await;
        if message.get("pong").is_some() {
            pongs += 1;
        } else if message.get("seq").is_some() && pongs > 0 {
            frames_after += 1;
        }
    }
    // 16 at once, plus 4 a second for as long as the pings can have been
    // read (well under a second, unless the machine is loaded).
    let flood_secs = flood.elapsed().as_secs_f64();
    let most = 16 + (4.0 * flood_secs).ceil() as usize + 1;
    assert!(
        (16..=most).contains(&pongs),
        "{pongs} pongs for 100 pings within {flood_secs:.3} s"
    );
    let (pong, _) = ping(&mut socket).await;
    assert!(pong["received"].is_f64(), "{pong}");
    fleet.stop().await;
}

#[tokio::test]
async fn a_malformed_ping_gets_an_error_and_the_socket_stays_open() {
    let fleet = TestFleet::start_only(&[ServiceName::Funnel], &FAST_TICKS).await;
    let mut socket = connect(fleet.addr(ServiceName::Funnel), "?tz=UTC").await;
    next_frame(&mut socket).await;
    for bad in [
        r#"{"ping":"now"}"#,
        r#"{"ping":1e999}"#,
        r#"{"ping":1,"tz":"UTC"}"#,
    ] {
        send_json(&mut socket, bad).await;
        let error = loop {
            let message = next_json(&mut socket).await;
            if let Some(error) = message.get("error") {
                break error.as_str().expect("text").to_owned();
            }
        };
        assert!(error.contains("ping"), "{bad} answered {error}");
    }
    let (pong, _) = ping(&mut socket).await;
    assert!(pong["sent"].is_f64(), "{pong}");
    fleet.stop().await;
}

#[tokio::test]
async fn a_ping_sent_before_any_frame_is_answered_with_the_fleet_time() {
    let fleet = fleet_ahead().await;
    let mut socket = connect(fleet.addr(ServiceName::Funnel), "?tz=UTC").await;
    let (pong, arrived) = ping(&mut socket).await;
    let t1 = pong["received"]
        .as_f64()
        .expect("known from the funnel's start");
    assert!((t1 - arrived - AHEAD_MS).abs() < SLACK_MS, "{pong}");
    fleet.stop().await;
}
