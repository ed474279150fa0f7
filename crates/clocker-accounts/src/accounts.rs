//! The accounts domain: register, log in, look up and end sessions. No gRPC
//! here (that is `service`), no SQL (that is `clocker-store`).

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use clocker_runtime::TaskTracker;
use clocker_store::{
    AccountRecord, IdempotencyKey, Recorded, SessionRecord, Store, StoreError,
    checked_idempotency_key,
};
use jiff::{SignedDuration, Timestamp};
use tokio::sync::Semaphore;

use crate::credentials::{Password, Username};
use crate::password::PasswordHasher;
use crate::throttle::Throttle;
use crate::token::{SessionToken, digest_of_presented};
use crate::{AccountsConfig, AccountsError};

/// Where "now" comes from, for session expiry (settable in tests).
pub type WallClock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// An account as callers see it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub created_at: Timestamp,
}

/// A new session: the token is shown to the client once.
#[derive(Debug)]
pub struct NewSession {
    pub token: SessionToken,
    pub expires_at: Timestamp,
    pub account: Account,
}

/// A session found by its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSession {
    pub account: Account,
    pub expires_at: Timestamp,
}

/// Store calls Register and Login may make at once: half of SQLite's 4
/// connections, so a storm of logins leaves WhoAmI and Logout theirs.
const STORE_CALLS: usize = 2;

pub(crate) const NO_SESSION: &str = "the session is unknown, ended or expired; log in again";

/// Users, password hashes and sessions.
pub struct Accounts {
    store: Store,
    hasher: PasswordHasher,
    throttle: Throttle,
    /// Store calls of Register and Login, run to their end (see
    /// [`Accounts::to_the_end`]), at most [`STORE_CALLS`] at once.
    store_calls: TaskTracker,
    store_call_permits: Arc<Semaphore>,
    session_ttl: SignedDuration,
    clock: WallClock,
}

impl Accounts {
    /// Accounts kept in `store`, reading the system clock.
    pub fn new(store: Store, config: &AccountsConfig) -> Result<Self, AccountsError> {
        Self::with_clock(store, config, Arc::new(Timestamp::now))
    }

    /// Accounts kept in `store`, reading `clock` for session expiry.
    pub fn with_clock(
        store: Store,
        config: &AccountsConfig,
        clock: WallClock,
    ) -> Result<Self, AccountsError> {
        let session_ttl = SignedDuration::try_from(config.session_ttl)
            .map_err(|_| AccountsError::Invalid("the session lifetime is too long".into()))?;
        Ok(Self {
            store,
            hasher: PasswordHasher::new(config.hash_concurrency)?,
            throttle: Throttle::new(config.throttle.clone()),
            store_calls: TaskTracker::new(),
            store_call_permits: Arc::new(Semaphore::new(STORE_CALLS)),
            session_ttl,
            clock,
        })
    }

    /// The store the accounts live in.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Creates an account for a client at `client`. A taken name costs the
    /// same hash as a free one, so the answer's time does not tell which.
    ///
    /// With an `idempotency_key` (empty for none) this client used before to
    /// register the same name, the account it created is answered once the
    /// password matches (a retry after a lost reply), and nothing is written.
    pub async fn register(
        &self,
        username: &str,
        password: String,
        client: IpAddr,
        idempotency_key: &str,
    ) -> Result<Account, AccountsError> {
        let username = Username::parse(username)?;
        let password = Password::parse(password)?;
        let key = checked_idempotency_key(idempotency_key).map_err(AccountsError::Invalid)?;
        self.throttle
            .reserve_registration(client, Instant::now())
            .map_err(|retry_after| AccountsError::Throttled { retry_after })?;
        let scope = format!("account address:{client}");
        let key = key.map(|key| IdempotencyKey {
            scope: &scope,
            key,
            fingerprint: username.as_str(),
        });
        if let Some(key) = &key
            && let Some(recorded) = self.store.recorded(key).await?
        {
            return self.registered_before(recorded, &username, password).await;
        }
        // Hash first, whether or not the name is taken: the unique key
        // answers "taken", after the same work as for a free name.
        let record = AccountRecord {
            id: uuid::Uuid::now_v7().to_string(),
            username: username.as_str().to_owned(),
            password_hash: self.hasher.hash(password.clone()).await?,
            created_at_ms: (self.clock)().as_millisecond(),
        };
        let store = self.store.clone();
        let inserted = record.clone();
        let owned_key = key.map(|key| (key.scope.to_owned(), key.key.to_owned()));
        let result = self
            .to_the_end(async move {
                let key = owned_key.as_ref().map(|(scope, key)| IdempotencyKey {
                    scope,
                    key,
                    fingerprint: &inserted.username,
                });
                store.insert_account_keyed(&inserted, key).await
            })
            .await;
        let outcome = match &result {
            Ok(None) => "created",
            Ok(Some(_)) => "repeated",
            Err(AccountsError::AlreadyExists) => "taken",
            Err(_) => "error",
        };
        metrics::counter!("clocker_accounts_registrations_total", "result" => outcome).increment(1);
        if let Some(recorded) = result? {
            // The same key, claimed by a concurrent call.
            return self.registered_before(recorded, &username, password).await;
        }
        tracing::info!(username = %username, "account registered");
        Ok(account_from(&record))
    }

    /// The answer to a registration whose idempotency key was used before:
    /// the account that use created, if the password is the one it was
    /// created with; "taken" otherwise, as for any taken name.
    async fn registered_before(
        &self,
        recorded: Recorded,
        username: &Username,
        password: Password,
    ) -> Result<Account, AccountsError> {
        let Recorded::Same(id) = recorded else {
            return Err(AccountsError::Invalid(
                "this idempotency key was first used to register another name; send a new key \
                 for a new registration (a key is kept for a day)"
                    .into(),
            ));
        };
        let (store, name) = (self.store.clone(), username.as_str().to_owned());
        let record = self
            .to_the_end(async move { store.get_account_by_username(&name).await })
            .await?
            .filter(|record| record.id == id);
        let stored_hash = record.as_ref().map(|r| r.password_hash.clone());
        let verified = self.hasher.verify(password, stored_hash).await?;
        match record {
            Some(record) if verified => Ok(account_from(&record)),
            _ => Err(AccountsError::AlreadyExists),
        }
    }

    /// Starts a session for the user whose password this is, for a client
    /// at `client`.
    pub async fn login(
        &self,
        username: &str,
        password: String,
        client: IpAddr,
    ) -> Result<NewSession, AccountsError> {
        let result = self.try_login(username, password, client).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(AccountsError::BadCredentials | AccountsError::Invalid(_)) => "refused",
            Err(AccountsError::Throttled { .. }) => "throttled",
            Err(_) => "error",
        };
        metrics::counter!("clocker_accounts_logins_total", "result" => outcome).increment(1);
        result
    }

    async fn try_login(
        &self,
        username: &str,
        password: String,
        client: IpAddr,
    ) -> Result<NewSession, AccountsError> {
        let username = Username::parse(username)?;
        let password = Password::parse(password)?;
        // Counted before the check, in one step: parallel guesses count as
        // many, and a cancelled one stays counted.
        let attempt = self
            .throttle
            .reserve_login(username.as_str(), client, Instant::now())
            .map_err(|retry_after| AccountsError::Throttled { retry_after })?;
        let checked = async {
            let (store, name) = (self.store.clone(), username.as_str().to_owned());
            let record = self
                .to_the_end(async move { store.get_account_by_username(&name).await })
                .await?;
            let stored_hash = record.as_ref().map(|r| r.password_hash.clone());
            let verified = self.hasher.verify(password, stored_hash).await?;
            Ok::<_, AccountsError>(record.filter(|_| verified))
        };
        let record = match checked.await {
            Ok(record) => record,
            Err(err) => {
                attempt.not_checked();
                return Err(err);
            }
        };
        let Some(record) = record else {
            drop(attempt);
            tracing::info!(username = %username, "login refused");
            return Err(AccountsError::BadCredentials);
        };
        attempt.succeeded(Instant::now());

        let token = SessionToken::generate()
            .map_err(|err| AccountsError::Internal(format!("no randomness for a token: {err}")))?;
        // Whole milliseconds, as stored: the expiry promised is the one kept.
        let now = timestamp_from_ms((self.clock)().as_millisecond());
        let expires_at = now.saturating_add(self.session_ttl).map_err(|err| {
            AccountsError::Internal(format!("session expiry out of range: {err}"))
        })?;
        let expires_at = timestamp_from_ms(expires_at.as_millisecond());
        self.store
            .insert_session(&SessionRecord {
                token_sha256: token.digest(),
                account_id: record.id.clone(),
                created_at_ms: now.as_millisecond(),
                expires_at_ms: expires_at.as_millisecond(),
            })
            .await?;
        tracing::info!(username = %username, "logged in");
        Ok(NewSession {
            token,
            expires_at,
            account: account_from(&record),
        })
    }

    /// Runs a store call to its end even if the caller goes (a client
    /// deadline): sqlx closes a connection whose query was dropped mid-flight
    /// and opens another, with a thread of its own, so a storm of cancelled
    /// logins would be a storm of threads. The call is one short query; its
    /// permit (waited for by the caller, cancellably) goes with it.
    async fn to_the_end<T: Send + 'static>(
        &self,
        call: impl Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, AccountsError> {
        let permit = self
            .store_call_permits
            .clone()
            .acquire_owned()
            .await
            .expect("the store call semaphore is never closed");
        self.store_calls
            .spawn(async move {
                let _permit = permit;
                call.await
            })
            .await
            .map_err(AccountsError::StoreTask)?
            .map_err(AccountsError::from)
    }

    /// The account behind a session token.
    pub async fn who_am_i(&self, token: &str) -> Result<LiveSession, AccountsError> {
        let digest = stored_digest(token)?;
        let now = (self.clock)().as_millisecond();
        let (session, account) = self
            .store
            .get_live_session(&digest, now)
            .await?
            .ok_or(AccountsError::Unauthenticated(NO_SESSION))?;
        Ok(LiveSession {
            account: account_from(&account),
            expires_at: timestamp_from_ms(session.expires_at_ms),
        })
    }

    /// Ends a session; ending one that is unknown or over already succeeds.
    pub async fn logout(&self, token: &str) -> Result<(), AccountsError> {
        let digest = stored_digest(token)?;
        if self.store.delete_session(&digest).await? {
            tracing::info!("logged out");
        }
        Ok(())
    }

    /// Deletes expired sessions; how many went.
    pub async fn sweep_expired_sessions(&self) -> Result<u64, AccountsError> {
        let now = (self.clock)().as_millisecond();
        Ok(self.store.delete_expired_sessions(now).await?)
    }
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts")
            .field("store", &self.store)
            .field("session_ttl", &self.session_ttl)
            .finish_non_exhaustive()
    }
}

/// The stored digest of a presented token, or why there is none.
fn stored_digest(token: &str) -> Result<String, AccountsError> {
    if token.is_empty() {
        return Err(AccountsError::Unauthenticated(
            "no session token (send the token field or an authorization: Bearer header)",
        ));
    }
    digest_of_presented(token).ok_or(AccountsError::Unauthenticated(NO_SESSION))
}

fn account_from(record: &AccountRecord) -> Account {
    Account {
        id: record.id.clone(),
        username: record.username.clone(),
        created_at: timestamp_from_ms(record.created_at_ms),
    }
}

fn timestamp_from_ms(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::time::Duration;

    use clocker_store::StoreConfig;

    use std::net::Ipv4Addr;

    use super::*;
    use crate::ThrottlePolicy;

    const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    /// Accounts on an in-memory database with a clock the test moves.
    async fn accounts(config: AccountsConfig) -> (Accounts, Arc<AtomicI64>) {
        let store = Store::connect(&StoreConfig::from_url("sqlite::memory:").expect("valid"))
            .await
            .expect("in-memory store");
        let now_ms = Arc::new(AtomicI64::new(1_800_000_000_000));
        let reading = now_ms.clone();
        let clock: WallClock = Arc::new(move || {
            Timestamp::from_millisecond(reading.load(Ordering::SeqCst)).expect("in range")
        });
        (
            Accounts::with_clock(store, &config, clock).expect("accounts"),
            now_ms,
        )
    }

    #[tokio::test]
    async fn a_session_expires_after_its_lifetime() {
        let config = AccountsConfig {
            session_ttl: Duration::from_secs(60),
            ..AccountsConfig::default()
        };
        let (accounts, now_ms) = accounts(config).await;
        accounts
            .register("alice", "password1".into(), CLIENT, "")
            .await
            .expect("registered");
        let session = accounts
            .login("alice", "password1".into(), CLIENT)
            .await
            .expect("logged in");
        let token = session.token.expose().to_owned();
        let live = accounts.who_am_i(&token).await.expect("live");
        assert_eq!(live.account.username, "alice");
        assert_eq!(
            live.expires_at, session.expires_at,
            "the expiry promised is the one kept"
        );
        now_ms.fetch_add(59_999, Ordering::SeqCst);
        assert!(
            accounts.who_am_i(&token).await.is_ok(),
            "still live 1 ms before expiry"
        );
        now_ms.fetch_add(1, Ordering::SeqCst);
        let err = accounts.who_am_i(&token).await.expect_err("expired");
        assert!(matches!(err, AccountsError::Unauthenticated(_)), "{err:?}");
        assert_eq!(accounts.sweep_expired_sessions().await.expect("sweep"), 1);
    }

    #[tokio::test]
    async fn unknown_user_and_wrong_password_are_the_same_error() {
        let (accounts, _) = accounts(AccountsConfig::default()).await;
        accounts
            .register("alice", "password1".into(), CLIENT, "")
            .await
            .expect("registered");
        let wrong = accounts
            .login("alice", "password2".into(), CLIENT)
            .await
            .expect_err("refused");
        let unknown = accounts
            .login("nobody", "password1".into(), CLIENT)
            .await
            .expect_err("refused");
        assert_eq!(wrong.to_string(), unknown.to_string());
        assert!(matches!(wrong, AccountsError::BadCredentials));
        assert!(matches!(unknown, AccountsError::BadCredentials));
    }

    #[tokio::test]
    async fn a_locked_name_is_refused_even_with_the_right_password() {
        let config = AccountsConfig {
            throttle: ThrottlePolicy {
                free_failures: 2,
                first_delay: Duration::from_secs(300),
                ..ThrottlePolicy::default()
            },
            ..AccountsConfig::default()
        };
        let (accounts, _) = accounts(config).await;
        accounts
            .register("alice", "password1".into(), CLIENT, "")
            .await
            .expect("registered");
        for _ in 0..3 {
            let _ = accounts
                .login("alice", "wrong-password".into(), CLIENT)
                .await;
        }
        let err = accounts
            .login("alice", "password1".into(), CLIENT)
            .await
            .expect_err("locked");
        let AccountsError::Throttled { retry_after } = err else {
            panic!("expected throttling, got {err:?}");
        };
        assert!(retry_after > Duration::from_secs(290), "{retry_after:?}");
    }

    #[tokio::test]
    async fn usernames_are_case_blind() {
        let (accounts, _) = accounts(AccountsConfig::default()).await;
        let account = accounts
            .register("Alice", "password1".into(), CLIENT, "")
            .await
            .expect("registered");
        assert_eq!(account.username, "alice");
        let err = accounts
            .register("ALICE", "password1".into(), CLIENT, "")
            .await
            .expect_err("taken");
        assert!(matches!(err, AccountsError::AlreadyExists));
        assert!(
            accounts
                .login("aLiCe", "password1".into(), CLIENT)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn logout_is_idempotent_and_ends_the_session() {
        let (accounts, _) = accounts(AccountsConfig::default()).await;
        accounts
            .register("alice", "password1".into(), CLIENT, "")
            .await
            .expect("registered");
        let token = accounts
            .login("alice", "password1".into(), CLIENT)
            .await
            .expect("in")
            .token;
        accounts.logout(token.expose()).await.expect("logged out");
        accounts
            .logout(token.expose())
            .await
            .expect("again is fine");
        assert!(accounts.who_am_i(token.expose()).await.is_err());
        assert!(matches!(
            accounts.logout("").await,
            Err(AccountsError::Unauthenticated(_))
        ));
    }
}
