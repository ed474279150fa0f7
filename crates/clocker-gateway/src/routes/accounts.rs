//! Accounts over REST: `POST /api/accounts` registers, `POST /api/sessions`
//! logs in (the token comes back once), `GET /api/accounts/me` and
//! `DELETE /api/sessions/current` act on the bearer token's session.

use axum::Json;
use axum::extract::State;
use axum::http::{Extensions, HeaderMap, StatusCode};
use clocker_proto::v1::{Account, LoginRequest, LogoutRequest, RegisterRequest, WhoAmIRequest};
use clocker_runtime::http::ApiError;
use clocker_wire::{rfc3339, unix_ms};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::{BodyFields, Field};
use super::{ErrorBody, JsonBody, idempotency_key};
use crate::state::Shared;

/// The service behind these routes, as errors name it.
const UPSTREAM: &str = "accounts";

pub fn router() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(create_account))
        .routes(routes!(get_me))
        .routes(routes!(create_session))
        .routes(routes!(delete_session))
}

/// A username and password (never logged), with the accounts service's
/// limits (`clocker-accounts`' `credentials`, which checks them).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialsJson {
    /// 3 to 32 of a-z, 0-9, `_`, `.`, `-` (upper case is folded to lower).
    #[schema(
        example = "ada",
        min_length = 3,
        max_length = 32,
        pattern = "^[A-Za-z0-9_.-]+$"
    )]
    username: String,
    /// 8 to 1024 bytes of UTF-8. JSON Schema counts characters, which are
    /// 1 to 4 bytes, so the limits declared are the ones every password
    /// within them meets: at least 8 characters (at least 8 bytes) and at
    /// most 256 (at most 1024 bytes). A password outside them may still be
    /// within the bytes (`éééé` is 8 bytes), and is taken.
    #[schema(
        example = "correct horse battery staple",
        min_length = 8,
        max_length = 256
    )]
    password: String,
}

impl BodyFields for CredentialsJson {
    const FIELDS: &'static [Field] = &[
        Field::Text {
            name: "username",
            required: true,
        },
        Field::Text {
            name: "password",
            required: true,
        },
    ];
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountJson {
    #[schema(format = "uuid")]
    id: String,
    /// As stored: folded to lower case.
    #[schema(
        example = "ada",
        min_length = 3,
        max_length = 32,
        pattern = "^[a-z0-9_.-]+$"
    )]
    username: String,
    /// RFC 3339.
    #[schema(format = DateTime)]
    created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionJson {
    /// Send it as `Authorization: Bearer <token>`: 43 characters of
    /// URL-safe base64.
    #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
    token: String,
    #[schema(format = DateTime)]
    expires_at: String,
    account: AccountJson,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeJson {
    account: AccountJson,
    /// When the session ends.
    #[schema(format = DateTime)]
    expires_at: String,
}

/// Creates an account. With an `Idempotency-Key` header, a retry from the
/// same address for the same name and password answers the account the
/// first one created.
#[utoipa::path(post, path = "/api/accounts", tag = "accounts",
    request_body = CredentialsJson,
    params(("Idempotency-Key" = Option<String>, Header, max_length = 128, pattern = "^[!-~]*$",
        description = "1 to 128 printable ASCII characters (a UUID, say; empty is none). A retry with the key of an earlier registration of this name from this address answers that account (once the password matches) instead of 409; the key reused for another name is 400. Kept for a day.")),
    responses(
        (status = 201, body = AccountJson, description = "The account (or, retried with its idempotency key, the one the first request made)"),
        (status = 400, body = ErrorBody, description = "Bad username, password, idempotency key or JSON (the message says which)"),
        (status = 409, body = ErrorBody, description = "The username is taken"),
        (status = 429, body = ErrorBody, description = "Too many registrations from this address, or too many password hashes at once; retry after Retry-After",
            headers(("Retry-After" = u64, description = "Whole seconds to wait before retrying"))),
    ))]
async fn create_account(
    State(state): State<Shared>,
    headers: HeaderMap,
    extensions: Extensions,
    JsonBody(CredentialsJson { username, password }): JsonBody<CredentialsJson>,
) -> Result<(StatusCode, Json<AccountJson>), ApiError> {
    let message = RegisterRequest {
        username,
        password,
        idempotency_key: idempotency_key(&headers, String::new())?,
    };
    // The bearer header is not passed on: registering is anonymous.
    let request = state.request_from_client(message, &HeaderMap::new(), &extensions);
    let reply = state
        .call(UPSTREAM, state.accounts.clone().register(request))
        .await?;
    Ok((StatusCode::CREATED, Json(account_json(reply.account))))
}

/// Logs in: a new session and its token.
#[utoipa::path(post, path = "/api/sessions", tag = "accounts",
    request_body = CredentialsJson,
    responses(
        (status = 200, body = SessionJson, description = "A new session; its token is shown only here"),
        (status = 400, body = ErrorBody, description = "A username or password outside the documented limits, or malformed JSON"),
        (status = 401, body = ErrorBody, description = "Wrong username or password"),
        (status = 429, body = ErrorBody, description = "Too many failed logins, or too many password hashes at once; retry after Retry-After",
            headers(("Retry-After" = u64, description = "Whole seconds to wait before retrying"))),
    ))]
async fn create_session(
    State(state): State<Shared>,
    extensions: Extensions,
    JsonBody(CredentialsJson { username, password }): JsonBody<CredentialsJson>,
) -> Result<Json<SessionJson>, ApiError> {
    let message = LoginRequest { username, password };
    let request = state.request_from_client(message, &HeaderMap::new(), &extensions);
    let reply = state
        .call(UPSTREAM, state.accounts.clone().login(request))
        .await?;
    Ok(Json(SessionJson {
        token: reply.token,
        expires_at: timestamp_text(reply.expires_at.as_ref()),
        account: account_json(reply.account),
    }))
}

/// The bearer token's account.
#[utoipa::path(get, path = "/api/accounts/me", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, body = MeJson, description = "The session's account and when the session ends"),
        (status = 401, body = ErrorBody, description = "No token, or the session ended"),
    ))]
async fn get_me(State(state): State<Shared>, headers: HeaderMap) -> Result<Json<MeJson>, ApiError> {
    let request = state.request(WhoAmIRequest::default(), &headers);
    let reply = state
        .call(UPSTREAM, state.accounts.clone().who_am_i(request))
        .await?;
    Ok(Json(MeJson {
        account: account_json(reply.account),
        expires_at: timestamp_text(reply.expires_at.as_ref()),
    }))
}

/// Logs out: ends the bearer token's session (again is fine).
#[utoipa::path(delete, path = "/api/sessions/current", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The session has ended"),
        (status = 401, body = ErrorBody, description = "No bearer token, or not one of ours"),
    ))]
async fn delete_session(
    State(state): State<Shared>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let request = state.request(LogoutRequest::default(), &headers);
    state
        .call(UPSTREAM, state.accounts.clone().logout(request))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn account_json(account: Option<Account>) -> AccountJson {
    let account = account.unwrap_or_default();
    AccountJson {
        id: account.id,
        username: account.username,
        created_at: timestamp_text(account.created_at.as_ref()),
    }
}

fn timestamp_text(at: Option<&prost_types::Timestamp>) -> String {
    at.map(|at| rfc3339(unix_ms(at))).unwrap_or_default()
}
