use clocker_proto::v1::CurrentTimeRequest;
use clocker_time::Clock;
use tonic::Code;

use crate::support::Clocks;

#[tokio::test]
async fn current_time_formats_the_instant_it_read_in_the_zone_asked() {
    let frozen: jiff::Timestamp = "2026-07-01T07:08:09.010Z".parse().expect("literal");
    let clocks = Clocks::start(Clock::Frozen(frozen)).await;
    let reply = clocks
        .current_time()
        .await
        .get_current_time(CurrentTimeRequest {
            tz: "Asia/Kolkata".into(),
        })
        .await
        .expect("answers")
        .into_inner();
    assert_eq!(reply.time, "12:38:09.010");
    assert_eq!(reply.tz, "Asia/Kolkata");
    assert_eq!(i128::from(reply.unix_nanos), frozen.as_nanosecond());
}

#[tokio::test]
async fn current_time_reads_the_system_clock_by_default() {
    let clocks = Clocks::start(Clock::System).await;
    let before = jiff::Timestamp::now();
    let reply = clocks
        .current_time()
        .await
        .get_current_time(CurrentTimeRequest { tz: String::new() })
        .await
        .expect("answers")
        .into_inner();
    let after = jiff::Timestamp::now();
    let read = clocker_time::fields::timestamp_from_nanos(reply.unix_nanos);
    assert!(
        before <= read && read <= after,
        "{before} <= {read} <= {after}"
    );
    assert!(!reply.tz.is_empty());
    assert_eq!(reply.time.len(), "HH:MM:SS.mmm".len(), "{}", reply.time);
}

#[tokio::test]
async fn unknown_zone_is_invalid_argument_naming_it() {
    let clocks = Clocks::start(Clock::System).await;
    let status = clocks
        .current_time()
        .await
        .get_current_time(CurrentTimeRequest {
            tz: "Mars/Olympus_Mons".into(),
        })
        .await
        .expect_err("not a zone");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("Mars/Olympus_Mons"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn every_service_reports_serving_over_grpc_health() {
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let clocks = Clocks::start(Clock::System).await;
    for (name, grpc_name) in [
        ("current-time", "clocker.v1.CurrentTime"),
        ("hours", "clocker.v1.Hours"),
        ("minutes", "clocker.v1.Minutes"),
        ("seconds", "clocker.v1.Seconds"),
        ("milliseconds", "clocker.v1.Milliseconds"),
    ] {
        let mut health = HealthClient::new(clocks.channel(name).await);
        for service in ["", grpc_name] {
            let status = health
                .check(HealthCheckRequest {
                    service: service.into(),
                })
                .await
                .expect("health answers")
                .into_inner()
                .status;
            assert_eq!(status, 1, "{name} '{service}' is SERVING");
        }
    }
    // A service this port does not serve is NOT_FOUND, as the protocol says.
    let mut health = HealthClient::new(clocks.channel("hours").await);
    let status = health
        .check(HealthCheckRequest {
            service: "clocker.v1.Minutes".into(),
        })
        .await
        .expect_err("not served here");
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn health_watchers_see_not_serving_and_do_not_hold_the_drain() {
    use clocker_runtime::{CancellationToken, RuntimeConfig, bind};
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let shutdown = CancellationToken::new();
    let settings = RuntimeConfig {
        drain: std::time::Duration::from_secs(60),
        ..RuntimeConfig::default()
    };
    let listener = bind("current-time", crate::support::any_port())
        .await
        .expect("bind");
    let launched =
        clocker_time::launch_current_time(listener, Clock::System, &settings, shutdown.clone())
            .await
            .expect("starts");
    let channel = crate::support::connect(launched.addr).await;
    let mut watch = HealthClient::new(channel)
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("watch starts")
        .into_inner();
    let first = watch.message().await.expect("a status").expect("open");
    assert_eq!(first.status, 1, "SERVING");

    shutdown.cancel();
    let patience = std::time::Duration::from_secs(10);
    let mut statuses = Vec::new();
    while let Ok(Some(update)) = tokio::time::timeout(patience, watch.message())
        .await
        .expect("the watch ends without waiting for the drain")
    {
        statuses.push(update.status);
    }
    assert_eq!(
        statuses.first(),
        Some(&2),
        "NOT_SERVING first: {statuses:?}"
    );
    tokio::time::timeout(patience, launched.stopped())
        .await
        .expect("the service stops without waiting for the drain")
        .expect("cleanly");
}
