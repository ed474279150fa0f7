//! Session tokens: 32 random bytes from the OS, handed to the client as
//! URL-safe base64 (43 characters); only their SHA-256 (hex) is stored, so
//! a copy of the database does not let anyone in.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

const TOKEN_BYTES: usize = 32;

/// A new session token, as the client receives it. Never logged.
pub struct SessionToken(String);

impl SessionToken {
    /// A fresh token from the operating system's random source.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes)?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the store keeps.
    pub fn digest(&self) -> String {
        digest_of(self.0.as_bytes())
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// The stored digest of a token a client sent, or `None` when it cannot be
/// one of ours (wrong length or alphabet) — no lookup is needed for those.
pub fn digest_of_presented(token: &str) -> Option<String> {
    let decoded = URL_SAFE_NO_PAD.decode(token.as_bytes()).ok()?;
    (decoded.len() == TOKEN_BYTES).then(|| digest_of(token.as_bytes()))
}

fn digest_of(token: &[u8]) -> String {
    Sha256::digest(token)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_differ() {
        let a = SessionToken::generate().expect("random");
        let b = SessionToken::generate().expect("random");
        assert_eq!(a.expose().len(), 43);
        assert!(
            a.expose()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn the_digest_of_a_presented_token_matches_the_stored_one() {
        let token = SessionToken::generate().expect("random");
        assert_eq!(digest_of_presented(token.expose()), Some(token.digest()));
        assert_eq!(token.digest().len(), 64);
        assert_ne!(token.digest(), token.expose());
    }

    #[test]
    fn malformed_tokens_have_no_digest() {
        for bad in [
            "",
            "short",
            &"A".repeat(44),
            "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
        ] {
            assert_eq!(digest_of_presented(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_token_never_shows_in_debug_output() {
        let token = SessionToken::generate().expect("random");
        assert!(!format!("{token:?}").contains(token.expose()));
    }
}
