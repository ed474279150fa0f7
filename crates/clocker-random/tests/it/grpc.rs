//! seed 004's three RPCs, called as any client would.

use std::time::Duration;

use clocker_proto::random::data_point::Value;
use clocker_proto::random::random_service_client::RandomServiceClient;
use clocker_proto::random::{DataType, NumberRequest, StreamRequest, StringRequest};
use clocker_runtime::{CancellationToken, Launched, RuntimeConfig, bind};
use futures_util::StreamExt;
use tonic::Code;
use tonic::transport::Channel;

struct Random {
    client: RandomServiceClient<Channel>,
    shutdown: CancellationToken,
    launched: Launched,
}

async fn start() -> Random {
    let listener = bind("random", "127.0.0.1:0".parse().expect("literal"))
        .await
        .expect("port");
    let shutdown = CancellationToken::new();
    let settings = RuntimeConfig {
        budget: Duration::from_secs(2),
        ..RuntimeConfig::default()
    };
    let launched = clocker_random::launch(listener, &settings, shutdown.clone())
        .await
        .expect("random starts");
    let client = RandomServiceClient::connect(format!("http://{}", launched.addr))
        .await
        .expect("connects");
    Random {
        client,
        shutdown,
        launched,
    }
}

#[tokio::test]
async fn numbers_cover_the_full_int32_range_and_reversed_bounds_work() {
    let mut random = start().await;
    let mut signs = (false, false);
    for _ in 0..64 {
        let value = random
            .client
            .get_random_number(NumberRequest {
                min: i32::MIN,
                max: i32::MAX,
            })
            .await
            .expect("any range is valid")
            .into_inner()
            .value;
        signs = (signs.0 || value < 0, signs.1 || value > 0);
    }
    assert_eq!(signs, (true, true));
    let reversed = random
        .client
        .get_random_number(NumberRequest { min: 10, max: 5 })
        .await
        .expect("reversed bounds are swapped")
        .into_inner()
        .value;
    assert!((5..=10).contains(&reversed), "{reversed}");
}

#[tokio::test]
async fn strings_follow_the_alphabet_rules_and_bad_lengths_are_invalid_argument() {
    let mut random = start().await;
    let request = |length, include_digits, include_special| StringRequest {
        length,
        include_digits,
        include_special,
    };
    let letters = random
        .client
        .get_random_string(request(200, false, false))
        .await
        .expect("valid")
        .into_inner()
        .value;
    assert_eq!(letters.len(), 200);
    assert!(
        letters.chars().all(|c| c.is_ascii_alphabetic()),
        "{letters}"
    );
    for length in [0, 1001, -3] {
        let status = random
            .client
            .get_random_string(request(length, true, true))
            .await
            .expect_err("outside 1 to 1000");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(
            status.message().contains("between 1 and 1000"),
            "{status:?}"
        );
    }
}

#[tokio::test]
async fn a_stream_counts_from_one_in_bounds_with_its_window() {
    let mut random = start().await;
    let mut points = random
        .client
        .stream_random_data(StreamRequest {
            data_type: DataType::Numeric.into(),
            frequency_ms: 10,
            min_value: -3,
            max_value: 3,
            history_size: 4,
        })
        .await
        .expect("valid")
        .into_inner();
    let mut last_timestamp = 0;
    for expected in 1..=6 {
        let point = points.message().await.expect("healthy").expect("a point");
        assert_eq!(point.sequence, expected);
        assert!(point.timestamp >= last_timestamp);
        last_timestamp = point.timestamp;
        assert!(matches!(point.value, Some(Value::NumericValue(n)) if (-3..=3).contains(&n)));
        assert_eq!(point.label, "numeric");
        assert_eq!(point.series, "random");
        let window: usize = point.metadata["window"].parse().expect("a count");
        assert_eq!(window, usize::try_from(expected.min(4)).expect("small"));
    }
}

#[tokio::test]
async fn bad_stream_requests_are_invalid_argument() {
    let mut random = start().await;
    for (frequency_ms, history_size, data_type) in [(5, 0, 0), (10, 1001, 0), (10, 0, 7)] {
        let status = random
            .client
            .stream_random_data(StreamRequest {
                data_type,
                frequency_ms,
                history_size,
                ..StreamRequest::default()
            })
            .await
            .expect_err("invalid");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    }
}

#[tokio::test]
async fn shutdown_ends_open_streams_and_the_service_stops() {
    let mut random = start().await;
    let mut points = random
        .client
        .stream_random_data(StreamRequest {
            data_type: DataType::Boolean.into(),
            frequency_ms: 10,
            ..StreamRequest::default()
        })
        .await
        .expect("valid")
        .into_inner();
    assert!(points.message().await.expect("healthy").is_some());
    random.shutdown.cancel();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(_)) = points.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ends on shutdown");
    tokio::time::timeout(Duration::from_secs(10), random.launched.stopped())
        .await
        .expect("stops within the drain")
        .expect("stops cleanly");
}
