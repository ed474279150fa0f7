//! The caller's session token on its way through: read from the
//! `Authorization: Bearer <token>` header of an HTTP request
//! ([`bearer_token`]), forwarded by an HTTP front door into a gRPC request's
//! metadata ([`forward_bearer`]), and read there by the service
//! ([`session_token`]): its `token` field, else that metadata.

use http::{HeaderMap, header};
use tonic::metadata::MetadataMap;

/// Passes the caller's `Authorization` header (its bearer token) from the
/// HTTP request's `headers` on to `request`'s metadata, where
/// [`session_token`] finds it; nothing when the caller sent none.
pub fn forward_bearer<T>(request: &mut tonic::Request<T>, headers: &HeaderMap) {
    if let Some(value) = headers.get(header::AUTHORIZATION)
        && let Ok(value) = value.to_str()
        && let Ok(value) = value.parse()
    {
        request.metadata_mut().insert("authorization", value);
    }
}

/// The session token of a request: `field` when set, else the bearer token
/// in `metadata`, else empty (anonymous).
pub fn session_token(metadata: &MetadataMap, field: &str) -> String {
    if !field.is_empty() {
        return field.to_owned();
    }
    metadata
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(bearer)
        .map(str::to_owned)
        .unwrap_or_default()
}

/// The bearer token of an HTTP request's `Authorization` header, trimmed;
/// `None` without one (or with another scheme).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(bearer)
}

/// The token of an `Authorization` value of the `Bearer` scheme.
fn bearer(authorization: &str) -> Option<&str> {
    authorization.strip_prefix("Bearer ").map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_wins_then_the_bearer_header() {
        let mut metadata = MetadataMap::new();
        assert_eq!(session_token(&metadata, ""), "");
        metadata.insert("authorization", "Bearer abc".parse().expect("ascii"));
        assert_eq!(session_token(&metadata, ""), "abc");
        assert_eq!(session_token(&metadata, "field"), "field");
        metadata.insert("authorization", "Basic xyz".parse().expect("ascii"));
        assert_eq!(session_token(&metadata, ""), "");
    }

    #[test]
    fn a_forwarded_bearer_header_is_the_session_token_on_the_other_side() {
        let mut headers = HeaderMap::new();
        let mut request = tonic::Request::new(());
        forward_bearer(&mut request, &headers);
        assert_eq!(session_token(request.metadata(), ""), "");
        headers.insert(header::AUTHORIZATION, "Bearer abc".parse().expect("ascii"));
        forward_bearer(&mut request, &headers);
        assert_eq!(session_token(request.metadata(), ""), "abc");
    }

    #[test]
    fn the_bearer_token_of_http_headers_is_trimmed_and_other_schemes_are_none() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer_token(&headers), None);
        headers.insert(
            header::AUTHORIZATION,
            "Bearer  abc ".parse().expect("ascii"),
        );
        assert_eq!(bearer_token(&headers), Some("abc"));
        headers.insert(header::AUTHORIZATION, "Basic xyz".parse().expect("ascii"));
        assert_eq!(bearer_token(&headers), None);
    }
}
