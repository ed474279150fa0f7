//! An account's world clock through the real gateway and accounts service
//! (`GET`/`PUT /api/account/world-clock`): the session's own list, stored
//! canonically, the limits in plain words, and no list without a session.

use std::net::SocketAddr;

use clocker_fleet::ServiceName;
use serde_json::{Value, json};

use crate::support::{HttpResponse, TestFleet, http_send};

const PATH: &str = "/api/account/world-clock";

fn body(response: &HttpResponse) -> Value {
    serde_json::from_str(&response.body).unwrap_or_else(|_| panic!("a JSON body: {response:?}"))
}

/// A new account's bearer header line.
async fn signed_in(gateway: SocketAddr, username: &str) -> String {
    let credentials = json!({"username": username, "password": "correct horse battery"});
    let credentials = credentials.to_string();
    let created = http_send(gateway, "POST", "/api/accounts", &[], Some(&credentials)).await;
    assert_eq!(created.status, 201, "{created:?}");
    let session = http_send(gateway, "POST", "/api/sessions", &[], Some(&credentials)).await;
    assert_eq!(session.status, 200, "{session:?}");
    let token = body(&session)["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    format!("Authorization: Bearer {token}")
}

async fn put(gateway: SocketAddr, bearer: &str, zones: &Value) -> HttpResponse {
    let sent = json!({ "zones": zones }).to_string();
    http_send(gateway, "PUT", PATH, &[bearer], Some(&sent)).await
}

async fn get(gateway: SocketAddr, bearer: &str) -> HttpResponse {
    http_send(gateway, "GET", PATH, &[bearer], None).await
}

#[tokio::test]
async fn a_world_clock_is_kept_per_account_by_canonical_names() {
    let fleet = TestFleet::start_only(&[ServiceName::Gateway], &[]).await;
    let gateway = fleet.addr(ServiceName::Gateway);
    let ada = signed_in(gateway, "ada").await;
    let bob = signed_in(gateway, "bob").await;

    let fresh = get(gateway, &ada).await;
    assert_eq!((fresh.status, body(&fresh)), (200, json!({"zones": []})));

    let stored = put(
        gateway,
        &ada,
        &json!(["asia/tokyo", "Etc/UTC", "Asia/Tokyo", "Europe/Paris"]),
    )
    .await;
    let canonical = json!({"zones": ["Asia/Tokyo", "UTC", "Europe/Paris"]});
    assert_eq!((stored.status, body(&stored)), (200, canonical.clone()));
    let read = get(gateway, &ada).await;
    assert_eq!((read.status, body(&read)), (200, canonical.clone()));

    // Another account never sees it, nor changes it.
    let other = get(gateway, &bob).await;
    assert_eq!((other.status, body(&other)), (200, json!({"zones": []})));
    assert_eq!(
        put(gateway, &bob, &json!(["America/New_York"]))
            .await
            .status,
        200
    );
    assert_eq!(body(&get(gateway, &ada).await), canonical);

    let cleared = put(gateway, &ada, &json!([])).await;
    assert_eq!(
        (cleared.status, body(&cleared)),
        (200, json!({"zones": []}))
    );
}

#[tokio::test]
async fn bad_world_clocks_are_400_in_plain_words_and_no_session_is_401() {
    let fleet = TestFleet::start_only(&[ServiceName::Gateway], &[]).await;
    let gateway = fleet.addr(ServiceName::Gateway);
    let ada = signed_in(gateway, "ada").await;
    assert_eq!(put(gateway, &ada, &json!(["UTC"])).await.status, 200);

    let unknown = put(gateway, &ada, &json!(["Europe/Paris", "Mars/Olympus"])).await;
    assert_eq!(unknown.status, 400, "{unknown:?}");
    let message = body(&unknown)["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.starts_with("unknown time zone 'Mars/Olympus'"),
        "{message}"
    );

    let thirteen = put(gateway, &ada, &json!(vec!["UTC"; 13])).await;
    assert_eq!(thirteen.status, 400, "{thirteen:?}");
    assert_eq!(
        body(&thirteen)["error"],
        "a world clock holds at most 12 time zones (got 13)"
    );

    let not_a_list = http_send(gateway, "PUT", PATH, &[&ada], Some(r#"{"zones":"UTC"}"#)).await;
    assert_eq!(not_a_list.status, 400, "{not_a_list:?}");
    assert_eq!(
        body(&not_a_list)["error"],
        r#""zones" must be a list of strings (got "UTC")"#
    );
    // None of that changed the list.
    assert_eq!(body(&get(gateway, &ada).await), json!({"zones": ["UTC"]}));

    for bearer in [
        "X-No-Session: 1",
        "Authorization: Bearer not-a-session-token",
    ] {
        let read = get(gateway, bearer).await;
        assert_eq!(read.status, 401, "{read:?}");
        let written = put(gateway, bearer, &json!(["UTC"])).await;
        assert_eq!(written.status, 401, "{written:?}");
    }
}
