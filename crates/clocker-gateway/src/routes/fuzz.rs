//! Fuzzing entry points (`fuzz/fuzz_targets/gateway_*.rs`, replayed on
//! stable from `fuzz/corpus/gateway_*`): the gateway's query and JSON
//! extraction, as its handlers run it, without a socket or a service behind.
//! They panic only on a defect: a malformed request must be a 400.

use axum::Json;
use axum::extract::Query;
use axum::http::{StatusCode, Uri};
use clocker_runtime::http::ApiError;
use clocker_wire::{SetTimerJson, TimerDuration};
use jiff::Timestamp;

use super::accounts::CredentialsJson;
use super::body::json_body;
use super::{params, random, time};

/// `data` as a request target (`/random/number?min=1&max=9`): its query
/// read as axum reads it, then every route's parameters from it, and for a
/// zone the `/api/time` answer at the ends of the instants a reply can hold.
pub fn fuzz_gateway_query(data: &[u8]) {
    let Ok(uri) = Uri::try_from(data) else {
        // hyper answers 400 before the router sees it.
        return;
    };
    let query = match Query::<params::QueryParams>::try_from_uri(&uri) {
        Ok(Query(query)) => query,
        Err(rejection) => {
            assert_eq!(rejection.status(), StatusCode::BAD_REQUEST, "{uri}");
            return;
        }
    };
    assert_bad_request(random::number_request(&query).err());
    assert_bad_request(random::string_request(&query).err());
    match time::zone_param(&query) {
        Ok((name, zone)) => {
            for nanos in [i64::MIN, 0, i64::MAX] {
                let at = Timestamp::from_nanosecond(i128::from(nanos))
                    .expect("every i64 of nanoseconds is an instant");
                time::time_json(at, name, &zone);
            }
        }
        Err(err) => assert_bad_request(Some(err)),
    }
}

/// `data` as the JSON body of `POST /api/accounts` (and `/api/sessions`)
/// and of `POST /api/timers`, with the duration checked as the timer service
/// checks it.
pub fn fuzz_gateway_json(data: &[u8]) {
    if data.len() > crate::BODY_LIMIT {
        // Refused (413) before it is read.
        return;
    }
    assert_bad_request(
        json_body::<CredentialsJson>(Json::<serde_json::Value>::from_bytes(data)).err(),
    );
    match json_body::<SetTimerJson>(Json::<serde_json::Value>::from_bytes(data)) {
        Ok(timer) => {
            if let Ok(duration) = TimerDuration::new(timer.hours, timer.minutes, timer.seconds) {
                assert!(!duration.total().is_negative());
            }
        }
        Err(err) => assert_bad_request(Some(err)),
    }
}

fn assert_bad_request(err: Option<ApiError>) {
    if let Some(err) = err {
        assert_eq!(err.status(), StatusCode::BAD_REQUEST, "{err:?}");
    }
}
