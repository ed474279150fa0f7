//! seed 004's services in the whole fleet: `clocker random` over gRPC, and
//! the page's view of the gateway and the stream (their addresses in
//! `/config.json`, the funnel's origin admitted by CORS) on OS-chosen ports.

use std::process::{Command, Output};

use clocker_fleet::ServiceName;

use crate::support::{TestFleet, http_get, http_request};

fn clocker_random(args: &[&str], random: String) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clocker"))
        .arg("random")
        .args(args)
        .env(ServiceName::Random.addr_env_var(), random)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn clocker_random_asks_the_random_service() {
    let fleet = TestFleet::start_only(&[ServiceName::Random], &[]).await;
    let random = fleet.addr(ServiceName::Random).to_string();

    let number = clocker_random(&["number", "--min", "-5", "--max", "-5"], random.clone());
    assert_eq!(stdout(&number).trim(), "-5");

    // --no-digits, and the older --digits false.
    for letters_only in [&["--no-digits"][..], &["--digits", "false"]] {
        let args = [&["string", "--length", "12"][..], letters_only].concat();
        let string = stdout(&clocker_random(&args, random.clone()));
        assert_eq!(string.trim().len(), 12);
        assert!(
            string.trim().chars().all(|c| c.is_ascii_alphabetic()),
            "{string}"
        );
    }

    let stream = clocker_random(
        &["stream", "--every", "10ms", "--count", "3", "--json"],
        random.clone(),
    );
    let sequences: Vec<i64> = stdout(&stream)
        .lines()
        .map(|line| {
            let point: serde_json::Value = serde_json::from_str(line).expect("JSON lines");
            point["sequence"].as_i64().expect("a sequence")
        })
        .collect();
    assert_eq!(sequences, [1, 2, 3]);

    let invalid = clocker_random(&["string", "--length", "0"], random.clone());
    assert!(!invalid.status.success());
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("1..=1000"));

    fleet.stop().await;
    let dead = clocker_random(&["number"], random);
    assert!(!dead.status.success());
    let stderr = String::from_utf8_lossy(&dead.stderr);
    assert!(stderr.contains("did not answer"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[tokio::test]
async fn the_page_finds_the_gateway_and_the_stream_and_may_call_them() {
    let fleet = TestFleet::start(&[]).await;
    let funnel = fleet.addr(ServiceName::Funnel);
    let gateway = fleet.addr(ServiceName::Gateway);
    let stream = fleet.addr(ServiceName::Stream);

    let config: serde_json::Value =
        serde_json::from_str(&http_get(funnel, "/config.json").await).expect("JSON");
    assert_eq!(config["gateway"], format!("http://{gateway}"));
    assert_eq!(config["stream"], format!("http://{stream}"));
    let page = http_request(funnel, "/", &[]).await;
    let policy = page.header("content-security-policy").expect("a policy");
    assert!(policy.contains(&format!("http://{gateway}")), "{policy}");
    assert!(policy.contains(&format!("http://{stream}")), "{policy}");

    // The funnel started after the gateway, yet its real origin is admitted.
    let origin = format!("Origin: http://{funnel}");
    for addr in [gateway, stream] {
        let response = http_request(addr, "/health", &[&origin]).await;
        assert_eq!(response.status, 200);
        let allowed = response.header("access-control-allow-origin");
        assert_eq!(allowed, Some(format!("http://{funnel}").as_str()), "{addr}");
        let foreign = http_request(addr, "/health", &["Origin: http://evil.example"]).await;
        assert!(foreign.header("access-control-allow-origin").is_none());
    }
}
