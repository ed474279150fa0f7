//! Accounts and sessions: the rows and the queries on them.
//!
//! Usernames arrive already validated and case-folded; password hashes are
//! PHC strings; sessions are keyed by the hex SHA-256 of their token. An
//! account's world clock (its list of time zones) is a column of its row,
//! the names one a line.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::idempotency::{self, IdempotencyKey, Recorded};
use crate::{Store, StoreError};

/// One row of `accounts`.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountRecord {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub created_at_ms: i64,
}

impl std::fmt::Debug for AccountRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountRecord")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password_hash", &"<redacted>")
            .field("created_at_ms", &self.created_at_ms)
            .finish()
    }
}

/// One row of `sessions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_sha256: String,
    pub account_id: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

/// The `accounts` columns [`account_from`] reads, for `concat!`.
macro_rules! account_columns {
    () => {
        "a.id, a.username, a.password_hash, a.created_at_ms"
    };
}

fn account_from(row: &AnyRow) -> Result<AccountRecord, sqlx::Error> {
    Ok(AccountRecord {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

impl Store {
    /// Adds an account; [`StoreError::Conflict`] when the username is taken.
    pub async fn insert_account(&self, account: &AccountRecord) -> Result<(), StoreError> {
        match self.insert_account_keyed(account, None).await? {
            None => Ok(()),
            Some(_) => Err(StoreError::Conflict),
        }
    }

    /// [`Store::insert_account`] with an idempotency key, claimed in the
    /// same transaction: `Some` (nothing written) with what the key's first
    /// use recorded when it was used before.
    pub async fn insert_account_keyed(
        &self,
        account: &AccountRecord,
        idempotency: Option<IdempotencyKey<'_>>,
    ) -> Result<Option<Recorded>, StoreError> {
        let mut tx = self.pool.begin().await?;
        if let Some(key) = &idempotency
            && !idempotency::claim(&mut tx, key, &account.id, account.created_at_ms).await?
        {
            tx.rollback().await?;
            // Expired in between: as good as another request's.
            return Ok(Some(self.recorded(key).await?.unwrap_or(Recorded::Other)));
        }
        sqlx::query(
            "INSERT INTO accounts (id, username, password_hash, created_at_ms) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&account.id)
        .bind(&account.username)
        .bind(&account.password_hash)
        .bind(account.created_at_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(None)
    }

    /// The account called `username` (already case-folded), if any.
    pub async fn get_account_by_username(
        &self,
        username: &str,
    ) -> Result<Option<AccountRecord>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts a WHERE a.username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(account_from).transpose()?)
    }

    /// Records a new session.
    pub async fn insert_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (token_sha256, account_id, created_at_ms, expires_at_ms) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&session.token_sha256)
        .bind(&session.account_id)
        .bind(session.created_at_ms)
        .bind(session.expires_at_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session with this token digest and its account, unless it has
    /// expired by `now_ms`.
    pub async fn get_live_session(
        &self,
        token_sha256: &str,
        now_ms: i64,
    ) -> Result<Option<(SessionRecord, AccountRecord)>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT s.token_sha256, s.account_id, s.created_at_ms AS session_created_at_ms, ",
            "s.expires_at_ms, ",
            account_columns!(),
            " FROM sessions s JOIN accounts a ON a.id = s.account_id",
            " WHERE s.token_sha256 = $1 AND s.expires_at_ms > $2"
        ))
        .bind(token_sha256)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let session = SessionRecord {
            token_sha256: row.try_get("token_sha256")?,
            account_id: row.try_get("account_id")?,
            created_at_ms: row.try_get("session_created_at_ms")?,
            expires_at_ms: row.try_get("expires_at_ms")?,
        };
        Ok(Some((session, account_from(&row)?)))
    }

    /// Ends a session; `false` when there was none with this digest.
    pub async fn delete_session(&self, token_sha256: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE token_sha256 = $1")
            .bind(token_sha256)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The world clock of the account `account_id`: its time zones, in the
    /// order set; `None` when there is no such account.
    pub async fn get_world_clock(
        &self,
        account_id: &str,
    ) -> Result<Option<Vec<String>>, StoreError> {
        let row = sqlx::query("SELECT world_clock FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let stored: String = row.try_get("world_clock")?;
        Ok(Some(stored.lines().map(str::to_owned).collect()))
    }

    /// Replaces the world clock of the account `account_id` with `zones`
    /// (zone names, already checked: none empty, none with a line break);
    /// `false` when there is no such account.
    pub async fn set_world_clock(
        &self,
        account_id: &str,
        zones: &[String],
    ) -> Result<bool, StoreError> {
        if zones
            .iter()
            .any(|zone| zone.is_empty() || zone.contains(['\n', '\r']))
        {
            return Err(StoreError::Internal(sqlx::Error::Protocol(
                "a world clock's zone names are neither empty nor hold a line break".into(),
            )));
        }
        let done = sqlx::query("UPDATE accounts SET world_clock = $1 WHERE id = $2")
            .bind(zones.join("\n"))
            .bind(account_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes sessions that expired by `now_ms`; how many went.
    pub async fn delete_expired_sessions(&self, now_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at_ms <= $1")
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
