//! The errors every route of a kind may answer, added to the document once
//! here rather than listed by each route, and the error body they share.

use std::collections::BTreeMap;

use utoipa::IntoResponses;
use utoipa::openapi::{OpenApi, RefOr, Response};

/// The routes that call a service behind the gateway, by path.
const UPSTREAM_PATHS: [&str; 2] = ["/api/", "/random/"];

/// The routes answered whatever the `Host`: the probes, and the metrics
/// the runtime serves beside the gateway's routes.
const ANY_HOST_PATHS: [&str; 3] = ["/health", "/livez", "/metrics"];

/// The header a throttled answer carries: whole seconds to wait.
pub const RETRY_AFTER: &str = "Retry-After";

/// Adds to each operation the errors that come from how it is served, not
/// from what it does: [`Upstream`] to every route that calls a service,
/// [`BodyErrors`] to every route that takes a body (`JsonBody`). So a new
/// route documents them without listing them; and [`HostErrors`] to every
/// route that checks the `Host`. Every `Retry-After` an
/// operation documents is marked required: the services always send it
/// with the answers that document it.
pub fn document_shared_errors(api: &mut OpenApi) {
    for (path, item) in api.paths.paths.iter_mut() {
        let calls_a_service = UPSTREAM_PATHS.iter().any(|prefix| path.starts_with(prefix));
        let checks_the_host = !ANY_HOST_PATHS.contains(&path.as_str());
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let mut shared = BTreeMap::new();
            if checks_the_host {
                shared.extend(HostErrors::responses());
            }
            if calls_a_service {
                shared.extend(Upstream::responses());
            }
            if operation.request_body.is_some() {
                shared.extend(BodyErrors::responses());
            }
            for (status, response) in shared {
                operation
                    .responses
                    .responses
                    .entry(status)
                    .or_insert(response);
            }
            for response in operation.responses.responses.values_mut() {
                if let RefOr::T(response) = response {
                    require_retry_after(response);
                }
            }
        }
    }
}

/// Marks `Retry-After` required where a response documents it. utoipa's
/// `Header` has no `required` (OpenAPI 3.1's Header Object does), so it is
/// written as the field it serializes beside the header's others.
fn require_retry_after(response: &mut Response) {
    if let Some(RefOr::T(header)) = response.headers.get_mut(RETRY_AFTER) {
        header
            .extensions
            .get_or_insert_with(Default::default)
            .insert("required".into(), serde_json::Value::Bool(true));
    }
}

/// What any route of the gateway's own may answer about the request's
/// `Host` (added to each by [`document_shared_errors`]).
#[derive(IntoResponses)]
#[allow(dead_code)]
enum HostErrors {
    /// The `Host` is not one the gateway answers to (`localhost`, an IP
    /// literal, or one of `--allowed-hosts`): a guard against DNS rebinding.
    #[response(status = 421)]
    Misdirected(ErrorBody),
}

/// What any route that calls a service may answer when that service fails
/// (added to each by [`document_shared_errors`]).
#[derive(IntoResponses)]
#[allow(dead_code)]
enum Upstream {
    /// The service behind the gateway failed (its log says why).
    #[response(status = 502)]
    Failed(ErrorBody),
    /// The service behind the gateway is away; retry shortly.
    #[response(status = 503)]
    Unavailable(ErrorBody),
    /// The service behind the gateway did not answer in time.
    #[response(status = 504)]
    TimedOut(ErrorBody),
}

/// What a route that takes a JSON body may answer about the body itself
/// (added to each by [`document_shared_errors`]).
#[derive(IntoResponses)]
#[allow(dead_code)]
enum BodyErrors {
    /// The body is not JSON, not an object, or a field is unknown, missing
    /// or not what the schema says (the message names it).
    #[response(status = 400)]
    Invalid(ErrorBody),
    /// The body is over 16 KiB.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// The body is not sent as `application/json`.
    #[response(status = 415)]
    NotJson(ErrorBody),
}

/// Every error body: what went wrong, for a person to read.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    #[schema(example = "Invalid 'min' parameter", min_length = 1)]
    error: String,
}
