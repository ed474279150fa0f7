//! What a username and a password may be, checked before anything else
//! happens: usernames 3–32 of `[a-z0-9_.-]` after folding ASCII upper case to
//! lower case, passwords 8–1024 bytes.

use std::fmt;

use crate::AccountsError;

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 32;
pub const PASSWORD_MIN_BYTES: usize = 8;
pub const PASSWORD_MAX_BYTES: usize = 1024;

/// A valid, case-folded username.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Folds `raw` to lower case and checks it.
    pub fn parse(raw: &str) -> Result<Self, AccountsError> {
        let length = raw.chars().count();
        if !(USERNAME_MIN..=USERNAME_MAX).contains(&length) {
            return Err(AccountsError::Invalid(format!(
                "usernames are {USERNAME_MIN} to {USERNAME_MAX} characters long (this one has {length})"
            )));
        }
        let folded = raw.to_ascii_lowercase();
        if let Some(bad) = folded
            .chars()
            .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '_' | '.' | '-'))
        {
            return Err(AccountsError::Invalid(format!(
                "usernames may contain only a-z, 0-9, '_', '.' and '-' (found {bad:?})"
            )));
        }
        Ok(Self(folded))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password of acceptable length; never printed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: String) -> Result<Self, AccountsError> {
        let bytes = raw.len();
        if !(PASSWORD_MIN_BYTES..=PASSWORD_MAX_BYTES).contains(&bytes) {
            return Err(AccountsError::Invalid(format!(
                "passwords are {PASSWORD_MIN_BYTES} to {PASSWORD_MAX_BYTES} bytes long (this one has {bytes})"
            )));
        }
        Ok(Self(raw))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_case_folded() {
        assert_eq!(
            Username::parse("Alice.B-2_").expect("valid").as_str(),
            "alice.b-2_"
        );
    }

    #[test]
    fn usernames_outside_the_alphabet_or_length_are_refused() {
        for bad in [
            "ab",
            &"a".repeat(33),
            "o'brien",
            "'; DROP TABLE accounts; --",
            "zoë",
            "日本語",
            "has space",
            "tab\tname",
            "",
        ] {
            let err = Username::parse(bad).expect_err(bad);
            assert!(matches!(err, AccountsError::Invalid(_)), "{bad}: {err:?}");
        }
        assert!(Username::parse(&"a".repeat(32)).is_ok());
        assert!(Username::parse("abc").is_ok());
    }

    #[test]
    fn passwords_are_8_to_1024_bytes() {
        assert!(Password::parse("1234567".into()).is_err());
        assert!(Password::parse("12345678".into()).is_ok());
        assert!(Password::parse("x".repeat(1024)).is_ok());
        assert!(Password::parse("x".repeat(1025)).is_err());
        // Bytes, not characters: four 2-byte characters are 8 bytes.
        assert!(Password::parse("éééé".into()).is_ok());
    }

    #[test]
    fn a_password_never_shows_in_debug_output() {
        let shown = format!(
            "{:?}",
            Password::parse("hunter2-secret".into()).expect("valid")
        );
        assert!(!shown.contains("hunter2"));
    }
}
