//! Where a request's session token is: its `token` field, else the
//! `authorization: Bearer <token>` metadata (as HTTP clients send it).

use tonic::metadata::MetadataMap;

/// The session token of a request: `field` when set, else the bearer token
/// in `metadata`, else empty (anonymous).
pub fn session_token(metadata: &MetadataMap, field: &str) -> String {
    if !field.is_empty() {
        return field.to_owned();
    }
    metadata
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(|token| token.trim().to_owned())
        .unwrap_or_default()
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
}
