//! seed 004's routes answer with its exact JSON; Clocker's own routes
//! with theirs.

use axum::http::StatusCode;
use serde_json::Value;

use crate::support::start;

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn health_is_the_seeds_status_ok() {
    let gateway = start(true).await;
    let (status, body) = gateway.get("/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn random_number_has_the_seeds_keys_defaults_and_range() {
    let gateway = start(true).await;
    let (status, body) = gateway.get("/random/number").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys(&body), ["max", "min", "number"]);
    assert_eq!(
        (body["min"].as_i64(), body["max"].as_i64()),
        (Some(1), Some(100))
    );
    let number = body["number"].as_i64().expect("an integer");
    assert!((1..=100).contains(&number));

    let (_, body) = gateway
        .get("/random/number?min=-2147483648&max=2147483647")
        .await;
    assert_eq!(body["min"], -2_147_483_648_i64);
    assert!(body["number"].is_i64());
    let (_, body) = gateway.get("/random/number?min=7&max=7").await;
    assert_eq!(body["number"], 7);
}

#[tokio::test]
async fn random_string_has_the_seeds_keys_and_defaults() {
    let gateway = start(true).await;
    let (status, body) = gateway.get("/random/string").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        keys(&body),
        ["include_digits", "include_special", "length", "string"]
    );
    assert_eq!(body["length"], 10);
    assert_eq!(body["include_digits"], true);
    assert_eq!(body["include_special"], false);
    assert_eq!(body["string"].as_str().map(str::len), Some(10));

    let (_, body) = gateway
        .get("/random/string?length=1000&digits=false&special=T")
        .await;
    let string = body["string"].as_str().expect("a string");
    assert_eq!(string.len(), 1000);
    assert!(!string.chars().any(|c| c.is_ascii_digit()));
    assert_eq!(body["include_special"], true);
}

#[tokio::test]
async fn time_in_a_zone_is_one_read_of_current_time() {
    let gateway = start(true).await;
    let (status, body) = gateway.get("/api/time?tz=Europe/Paris").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        serde_json::json!({
            "datetime": "2026-07-01T14:00:00.042+02:00",
            "time": "14:00:00.042",
            "unix_ms": 1_782_907_200_042_i64,
            "timezone": "Europe/Paris",
            "utc_offset": "+02:00",
            "dst": true,
            "abbreviation": "CEST",
        })
    );
    let (_, utc) = gateway.get("/api/time").await;
    assert_eq!(utc["timezone"], "UTC");
    // Any ASCII case is taken, and the answer names the zone canonically,
    // as the current-time service does.
    for (asked, canonical) in [
        ("asia/tokyo", "Asia/Tokyo"),
        ("EUROPE/PARIS", "Europe/Paris"),
        ("utc", "UTC"),
    ] {
        let (status, body) = gateway.get(&format!("/api/time?tz={asked}")).await;
        assert_eq!(status, StatusCode::OK, "{asked}");
        assert_eq!(body["timezone"], canonical, "{asked}");
    }
    let (status, body) = gateway.get("/api/time?tz=Mars/Olympus").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unknown time zone 'Mars/Olympus'");
}

#[tokio::test]
async fn bad_parameters_are_400_naming_the_parameter() {
    let gateway = start(true).await;
    let cases = [
        ("/random/number?min=abc", "Invalid 'min' parameter"),
        ("/random/number?max=2147483648", "Invalid 'max' parameter"),
        ("/random/number?min=1.5", "Invalid 'min' parameter"),
        ("/random/string?length=ten", "Invalid 'length' parameter"),
        ("/random/string?digits=yes", "Invalid 'digits' parameter"),
        (
            "/random/string?special=maybe",
            "Invalid 'special' parameter",
        ),
        (
            "/random/string?length=0",
            "Invalid 'length' parameter: must be between 1 and 1000",
        ),
        (
            "/random/string?length=1001",
            "Invalid 'length' parameter: must be between 1 and 1000",
        ),
    ];
    for (uri, message) in cases {
        let (status, body) = gateway.get(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(body, serde_json::json!({ "error": message }), "{uri}");
    }
    // Empty takes the default, as in the seed.
    let (status, body) = gateway.get("/random/number?min=&max=").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (body["min"].as_i64(), body["max"].as_i64()),
        (Some(1), Some(100))
    );
}
