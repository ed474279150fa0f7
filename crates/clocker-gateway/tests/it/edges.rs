//! What happens at the edges: dead services, big bodies, foreign origins,
//! unknown routes, and a document that covers every route.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};

use crate::support::{FUNNEL_ORIGIN, json, start};

#[tokio::test]
async fn a_dead_service_is_a_503_and_never_a_hang() {
    let gateway = start(false).await;
    for uri in ["/random/number", "/random/string", "/api/timers"] {
        let started = Instant::now();
        let (status, body) = gateway.get(uri).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{uri}");
        let message = body["error"].as_str().expect("an error message");
        assert!(message.contains("unavailable"), "{message}");
        // Not a speed test: a refused connection must not wait for a timeout.
        assert!(started.elapsed() < Duration::from_secs(2), "{uri}");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_json() {
    let gateway = start(false).await;
    let big = format!(
        r#"{{"username":"ada","password":"{}"}}"#,
        "x".repeat(20_000)
    );
    let response = gateway
        .send(
            Request::post("/api/accounts")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(big))
                .expect("request"),
        )
        .await;
    let (status, body) = json(response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn malformed_json_is_400_and_unknown_routes_404_json() {
    let gateway = start(false).await;
    let response = gateway
        .send(
            Request::post("/api/timers")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"hours": "#))
                .expect("request"),
        )
        .await;
    let (status, body) = json(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].is_string());
    let (status, body) = gateway.get("/random/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("/openapi.json"))
    );
}

/// A browser's preflight from `origin` for a `method` request to `uri` with
/// a bearer token and a JSON body.
fn preflight(origin: &str, method: &str, uri: &str) -> Request<Body> {
    Request::builder()
        .method(Method::OPTIONS)
        .uri(uri)
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, method)
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "authorization,content-type",
        )
        .body(Body::empty())
        .expect("request")
}

#[tokio::test]
async fn cors_admits_the_funnels_origin_and_no_other() {
    let gateway = start(true).await;
    let preflight = |origin: &str| preflight(origin, "POST", "/api/timers");
    let allowed = gateway.send(preflight(FUNNEL_ORIGIN)).await;
    assert_eq!(
        allowed.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some(&FUNNEL_ORIGIN.parse().expect("header"))
    );
    let foreign = gateway.send(preflight("http://evil.example")).await;
    assert!(
        foreign
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
}

/// The web page saves its world clock with a PUT from the funnel's origin.
#[tokio::test]
async fn cors_admits_a_put_from_the_funnels_origin() {
    let gateway = start(false).await;
    let answer = gateway
        .send(preflight(FUNNEL_ORIGIN, "PUT", "/api/account/world-clock"))
        .await;
    let methods = answer
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_METHODS)
        .and_then(|methods| methods.to_str().ok())
        .unwrap_or_default();
    assert!(methods.contains("PUT"), "{methods:?}");
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_covers_every_route() {
    let gateway = start(false).await;
    let (status, document) = gateway.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1"))
    );
    let routes = [
        ("/health", "get"),
        ("/livez", "get"),
        ("/random/number", "get"),
        ("/random/string", "get"),
        ("/api/time", "get"),
        ("/api/time/next", "get"),
        ("/api/account/world-clock", "get"),
        ("/api/account/world-clock", "put"),
        ("/api/accounts", "post"),
        ("/api/accounts/me", "get"),
        ("/api/sessions", "post"),
        ("/api/sessions/current", "delete"),
        ("/api/timers", "get"),
        ("/api/timers", "post"),
        ("/api/timers/{id}", "get"),
        ("/api/timers/{id}", "delete"),
        ("/openapi.json", "get"),
        ("/metrics", "get"),
    ];
    for (path, method) in routes {
        assert!(
            document["paths"][path][method].is_object(),
            "{method} {path} is documented"
        );
    }
    let documented: usize = document["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|item| item.as_object().map_or(0, serde_json::Map::len))
        .sum();
    assert_eq!(
        documented,
        routes.len(),
        "no route is documented twice or missing here"
    );
}
