//! Password hashing with argon2id (OWASP's first choice: 19 MiB, 2 passes,
//! 1 lane), stored as PHC strings that carry their own salt and parameters.
//!
//! Hashing is slow on purpose, so it never runs on the service's event loop:
//! each hash runs on tokio's blocking pool, at most one per core at a time,
//! and when too many are already waiting a call is refused at once
//! ([`AccountsError::Busy`]) instead of queueing past its deadline.
//!
//! Verifying for an unknown user checks the password against a dummy hash
//! with the same parameters, so "no such user" costs what "wrong password"
//! costs and the answer time does not tell them apart.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::AccountsError;
use crate::credentials::Password;

/// How many hashes may wait per core before new ones are refused.
const WAITING_PER_PERMIT: usize = 16;

/// Hashes and verifies passwords off the event loop.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    argon2: Argon2<'static>,
    permits: Semaphore,
    waiting: AtomicUsize,
    waiting_limit: usize,
    dummy_hash: String,
}

impl PasswordHasher {
    /// A hasher with argon2id's default (OWASP) parameters, running at most
    /// `concurrency` hashes at once. Computes the dummy hash, so it takes
    /// one hash's time.
    pub fn new(concurrency: usize) -> Result<Self, AccountsError> {
        Self::with_params(Params::default(), concurrency)
    }

    /// A hasher with explicit argon2 parameters.
    pub fn with_params(params: Params, concurrency: usize) -> Result<Self, AccountsError> {
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy_hash = argon2
            .hash_password(b"no account has this password")
            .map_err(|err| AccountsError::Internal(format!("argon2: {err}")))?
            .to_string();
        let concurrency = concurrency.max(1);
        Ok(Self {
            inner: Arc::new(Inner {
                argon2,
                permits: Semaphore::new(concurrency),
                waiting: AtomicUsize::new(0),
                waiting_limit: concurrency * WAITING_PER_PERMIT,
                dummy_hash,
            }),
        })
    }

    /// A PHC string for `password`, with a fresh random salt.
    pub async fn hash(&self, password: Password) -> Result<String, AccountsError> {
        self.run("hash", move |argon2| {
            argon2
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|err| AccountsError::Internal(format!("argon2: {err}")))
        })
        .await?
    }

    /// Whether `password` matches `stored` (a PHC string); with no stored
    /// hash, checks against the dummy and answers `false`.
    pub async fn verify(
        &self,
        password: Password,
        stored: Option<String>,
    ) -> Result<bool, AccountsError> {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| self.inner.dummy_hash.clone());
        let matches = self
            .run("verify", move |argon2| {
                let Ok(hash) = PasswordHash::new(&phc) else {
                    tracing::error!("a stored password hash is not a valid PHC string");
                    return false;
                };
                argon2.verify_password(password.as_bytes(), &hash).is_ok()
            })
            .await?;
        Ok(known && matches)
    }

    async fn run<T: Send + 'static>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&Argon2<'static>) -> T + Send + 'static,
    ) -> Result<T, AccountsError> {
        let inner = &self.inner;
        if inner.waiting.fetch_add(1, Ordering::AcqRel) >= inner.waiting_limit {
            inner.waiting.fetch_sub(1, Ordering::AcqRel);
            metrics::counter!("clocker_accounts_hash_refused_total").increment(1);
            return Err(AccountsError::Busy);
        }
        let permit = inner.permits.acquire().await;
        inner.waiting.fetch_sub(1, Ordering::AcqRel);
        let _permit = permit.map_err(|_| AccountsError::Internal("hasher closed".into()))?;
        let argon2 = inner.argon2.clone();
        let started = Instant::now();
        let result = tokio::task::spawn_blocking(move || work(&argon2))
            .await
            .map_err(|err| AccountsError::Internal(format!("hashing task failed: {err}")))?;
        metrics::histogram!("clocker_accounts_password_hash_seconds", "operation" => operation)
            .record(started.elapsed().as_secs_f64());
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(text: &str) -> Password {
        Password::parse(text.into()).expect("valid")
    }

    #[tokio::test]
    async fn a_hash_is_an_argon2id_phc_string_that_verifies() {
        let hasher = PasswordHasher::new(1).expect("hasher");
        let hash = hasher.hash(password("correct horse")).await.expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(!hash.contains("correct horse"));
        assert!(
            hasher
                .verify(password("correct horse"), Some(hash.clone()))
                .await
                .expect("verify")
        );
        assert!(
            !hasher
                .verify(password("wrong horse"), Some(hash))
                .await
                .expect("verify")
        );
    }

    #[tokio::test]
    async fn the_same_password_gets_a_different_salt_each_time() {
        let hasher = PasswordHasher::new(1).expect("hasher");
        let a = hasher.hash(password("same password")).await.expect("hash");
        let b = hasher.hash(password("same password")).await.expect("hash");
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn no_stored_hash_never_verifies() {
        let hasher = PasswordHasher::new(1).expect("hasher");
        assert!(
            !hasher
                .verify(password("no account has this password"), None)
                .await
                .expect("verify")
        );
    }

    #[tokio::test]
    async fn a_corrupt_stored_hash_does_not_verify() {
        let hasher = PasswordHasher::new(1).expect("hasher");
        let verified = hasher
            .verify(password("anything"), Some("not-a-phc".into()))
            .await;
        assert!(!verified.expect("answered"));
    }
}
