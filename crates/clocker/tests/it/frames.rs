use clocker_fleet::ServiceName;

use crate::support::{
    FAST_TICKS, TestFleet, assert_untorn, connect, next_frame, next_json, send_json,
};

#[tokio::test]
async fn frames_arrive_in_order_and_their_instants_increase() {
    let fleet = TestFleet::start_only(&[ServiceName::Funnel], &[]).await;
    let mut socket = connect(fleet.addr(ServiceName::Funnel), "?tz=UTC").await;
    let mut previous = next_frame(&mut socket).await;
    assert_untorn(&previous);
    for _ in 0..20 {
        let frame = next_frame(&mut socket).await;
        assert!(frame.seq > previous.seq, "{previous:?} then {frame:?}");
        assert!(
            frame.unix_ms > previous.unix_ms,
            "{previous:?} then {frame:?}"
        );
        assert!(frame.degraded.is_empty(), "{frame:?}");
        assert_untorn(&frame);
        previous = frame;
    }
    fleet.stop().await;
}

#[tokio::test]
async fn clients_pick_their_zone_by_query_or_by_message() {
    let fleet = TestFleet::start_only(&[ServiceName::Funnel], &FAST_TICKS).await;
    let mut socket = connect(fleet.addr(ServiceName::Funnel), "?tz=Asia/Kolkata").await;
    let frame = next_frame(&mut socket).await;
    assert_eq!(frame.tz, "Asia/Kolkata");
    assert_untorn(&frame);

    send_json(&mut socket, r#"{"tz":"America/New_York"}"#).await;
    let switched = crate::support::frames_until(&mut socket, |f| f.tz == "America/New_York").await;
    assert_untorn(switched.last().expect("at least one frame"));
    fleet.stop().await;
}

#[tokio::test]
async fn zone_names_are_matched_without_regard_to_case() {
    let fleet = TestFleet::start_only(&[ServiceName::Funnel], &FAST_TICKS).await;
    let mut socket = connect(fleet.addr(ServiceName::Funnel), "?tz=europe/paris").await;
    assert_eq!(next_frame(&mut socket).await.tz, "Europe/Paris");
    fleet.stop().await;
}

#[tokio::test]
async fn an_unknown_zone_gets_an_error_message_and_the_socket_stays_open() {
    let fleet = TestFleet::start_only(&[ServiceName::Funnel], &FAST_TICKS).await;
    let mut socket = connect(fleet.addr(ServiceName::Funnel), "?tz=Mars/Olympus_Mons").await;
    let error = next_json(&mut socket).await;
    let message = error["error"].as_str().expect("an error message");
    assert!(message.contains("Mars/Olympus_Mons"), "{message}");

    send_json(&mut socket, "this is not JSON").await;
    let error = next_json(&mut socket).await;
    assert!(
        error["error"].as_str().expect("an error").contains("tz"),
        "{error}"
    );

    send_json(&mut socket, r#"{"tz":"UTC"}"#).await;
    assert_eq!(next_frame(&mut socket).await.tz, "UTC");
    fleet.stop().await;
}
