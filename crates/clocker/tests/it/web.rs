//! The web UI as the funnel serves it: the page, its hashed assets with
//! their caching, client-side routes, and missing files.

use clocker_fleet::ServiceName;

use crate::support::{TestFleet, http_request};

/// The first `/assets/…` file `index` links to.
fn first_asset(index: &str) -> Option<&str> {
    let start = index.find("/assets/")?;
    let end = index[start..].find('"')? + start;
    Some(&index[start..end])
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_with_types_and_caching() {
    let fleet = TestFleet::start_only(&[ServiceName::Funnel], &[]).await;
    let funnel = fleet.addr(ServiceName::Funnel);
    let index = http_request(funnel, "/", &[]).await;
    assert_eq!(index.status, 200, "{index:?}");
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let built = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../web/dist/index.html")
        .exists();
    let Some(asset) = first_asset(&index.body) else {
        // Built without web/dist: the page says how to build the UI.
        assert!(!built, "web/dist is built but not embedded: {}", index.body);
        assert!(index.body.contains("make web"), "{}", index.body);
        assert_eq!(index.header("cache-control"), Some("no-store"));
        fleet.stop().await;
        return;
    };
    assert_eq!(index.header("cache-control"), Some("no-cache"));
    let policy = index.header("content-security-policy").expect("a CSP");
    assert!(policy.contains("default-src 'self'"), "{policy}");

    let file = http_request(funnel, asset, &[]).await;
    assert_eq!(file.status, 200, "{asset}: {file:?}");
    assert_eq!(
        file.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let expected_type = if asset.ends_with(".css") {
        "text/css; charset=utf-8"
    } else {
        "text/javascript; charset=utf-8"
    };
    assert_eq!(file.header("content-type"), Some(expected_type), "{asset}");

    let etag = index.header("etag").expect("an ETag");
    let again = http_request(funnel, "/", &[&format!("If-None-Match: {etag}")]).await;
    assert_eq!(again.status, 304, "{again:?}");
    assert!(again.body.is_empty());
    fleet.stop().await;
}

#[tokio::test]
async fn client_routes_get_the_page_and_missing_files_a_404() {
    let fleet = TestFleet::start_only(&[ServiceName::Funnel], &[]).await;
    let funnel = fleet.addr(ServiceName::Funnel);
    let index = http_request(funnel, "/", &[]).await;
    let route = http_request(funnel, "/status?tz=Asia/Tokyo", &[]).await;
    assert_eq!(route.status, 200, "{route:?}");
    assert_eq!(route.body, index.body);

    for missing in ["/assets/index-0000dead.js", "/favicon-missing.png"] {
        let response = http_request(funnel, missing, &[]).await;
        assert_eq!(response.status, 404, "{missing}: {response:?}");
    }
    fleet.stop().await;
}

#[tokio::test]
async fn the_ui_does_not_hide_the_funnels_own_routes() {
    let fleet = TestFleet::start_only(&[ServiceName::Funnel], &[]).await;
    let funnel = fleet.addr(ServiceName::Funnel);
    let health = http_request(funnel, "/health", &[]).await;
    assert_eq!(health.header("content-type"), Some("application/json"));
    let metrics = http_request(funnel, "/metrics", &[]).await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.body.contains("clocker_"), "{}", metrics.body);
    fleet.stop().await;
}
