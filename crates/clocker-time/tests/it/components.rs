use clocker_proto::v1::ComponentRequest;
use clocker_time::Clock;
use tonic::Code;

use crate::support::{Clocks, instant};

fn at(rfc3339: &str, tz: &str) -> ComponentRequest {
    ComponentRequest {
        at: Some(instant(rfc3339)),
        tz: tz.into(),
    }
}

#[tokio::test]
async fn components_agree_with_the_instant_they_were_given() {
    // current-time is frozen elsewhere: a component that read it would be wrong.
    let clocks = Clocks::start(Clock::Frozen(
        "2001-01-01T00:00:00Z".parse().expect("literal"),
    ))
    .await;
    let given = "2026-03-29T00:59:59.987Z";
    let [h, m, s, ms] = clocks.ask_all(at(given, "Europe/Paris")).await;
    assert_eq!((h.value, h.text.as_str()), (1, "01"));
    assert_eq!((m.value, m.text.as_str()), (59, "59"));
    assert_eq!((s.value, s.text.as_str()), (59, "59"));
    assert_eq!((ms.value, ms.text.as_str()), (987, "987"));
    for reply in [&h, &m, &s, &ms] {
        assert_eq!(reply.at, Some(instant(given)));
        assert_eq!(reply.tz, "Europe/Paris");
    }
    // One millisecond later Paris springs forward from 01:59:59.999 to 03:00.
    let after = clocks
        .hours()
        .await
        .get_hours(at("2026-03-29T01:00:00Z", "Europe/Paris"))
        .await
        .expect("hours")
        .into_inner();
    assert_eq!(after.value, 3);
}

#[tokio::test]
async fn without_an_instant_a_component_asks_current_time() {
    let frozen = "2026-10-25T00:59:59.007Z";
    let clocks = Clocks::start(Clock::Frozen(frozen.parse().expect("literal"))).await;
    let request = || ComponentRequest {
        at: None,
        tz: "UTC".into(),
    };
    let [h, m, s, ms] = clocks.ask_all(request()).await;
    assert_eq!([h.value, m.value, s.value, ms.value], [0, 59, 59, 7]);
    assert_eq!(ms.text, "007");
    assert_eq!(
        h.at,
        Some(instant(frozen)),
        "the reply names the instant read"
    );
}

#[tokio::test]
async fn out_of_range_instants_are_invalid_arguments_naming_the_value() {
    let clocks = Clocks::start(Clock::System).await;
    let mut hours = clocks.hours().await;
    for (seconds, nanos) in [
        (i64::MAX, 0),
        (0, -1),
        (0, 1_000_000_000),
        (-400_000_000_000, 0),
    ] {
        let status = hours
            .get_hours(ComponentRequest {
                at: Some(prost_types::Timestamp { seconds, nanos }),
                tz: "UTC".into(),
            })
            .await
            .expect_err("out of range");
        assert_eq!(status.code(), Code::InvalidArgument, "{seconds}s {nanos}ns");
        let named = format!("instant {seconds}s + {nanos}ns is out of range");
        assert!(status.message().contains(&named), "{}", status.message());
    }
}

#[tokio::test]
async fn unknown_zone_is_rejected_by_components_too() {
    let clocks = Clocks::start(Clock::System).await;
    let status = clocks
        .minutes()
        .await
        .get_minutes(at("2026-01-01T00:00:00Z", "Europe/Atlantis"))
        .await
        .expect_err("not a zone");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("Europe/Atlantis"));
}

#[tokio::test]
async fn a_component_without_current_time_is_unavailable_but_still_serves_given_instants() {
    let clocks = Clocks::start(Clock::System).await;
    // A component whose current-time address leads nowhere.
    let mut book = clocker_runtime::AddressBook::default();
    let nowhere = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    book.set(
        clocker_proto::v1::current_time_server::SERVICE_NAME,
        nowhere.local_addr().expect("addr"),
    );
    drop(nowhere);
    let shutdown = clocker_runtime::CancellationToken::new();
    let listener = clocker_runtime::bind("seconds", crate::support::any_port())
        .await
        .expect("bind");
    let launched = clocker_time::launch_component(
        clocker_time::Component::Seconds,
        listener,
        book,
        &clocker_runtime::RuntimeConfig::default(),
        shutdown.clone(),
    )
    .await
    .expect("starts without its dependency");
    let channel = crate::support::connect(launched.addr).await;
    let mut seconds = clocker_proto::v1::seconds_client::SecondsClient::new(channel);
    let status = seconds
        .get_seconds(ComponentRequest {
            at: None,
            tz: String::new(),
        })
        .await
        .expect_err("current-time is down");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    let given = seconds
        .get_seconds(at("2026-01-01T00:00:42Z", "UTC"))
        .await
        .expect("an instant needs no current-time")
        .into_inner();
    assert_eq!(given.value, 42);
    shutdown.cancel();
    drop(clocks);
}
