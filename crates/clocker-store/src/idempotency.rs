//! Idempotency keys: a write retried with the key of an earlier one gets
//! the earlier one's result instead of being done twice (a reply lost to a
//! deadline or a dropped connection must not make a retry a duplicate).
//!
//! A key is claimed in the transaction of the write it guards, so the two
//! commit (or roll back) together; a concurrent claim of the same key waits
//! for the first and then finds it taken.

use sqlx::any::Any;
use sqlx::{Row, Transaction};

use crate::{Store, StoreError};

/// The longest key accepted, in bytes.
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 128;

/// A client's key for one write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdempotencyKey<'a> {
    /// Whose key it is and what it writes, such as `timer address:127.0.0.1`:
    /// another client's identical key is another key.
    pub scope: &'a str,
    pub key: &'a str,
    /// The request, canonically written: the key reused for another
    /// request is refused.
    pub fingerprint: &'a str,
}

/// A client's key when it is one (`None` for an empty one): 1 to
/// [`MAX_IDEMPOTENCY_KEY_BYTES`] printable ASCII characters, such as a UUID;
/// otherwise the sentence saying so.
pub fn checked_idempotency_key(key: &str) -> Result<Option<&str>, String> {
    if key.is_empty() {
        return Ok(None);
    }
    if key.len() > MAX_IDEMPOTENCY_KEY_BYTES || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "an idempotency key is 1 to {MAX_IDEMPOTENCY_KEY_BYTES} printable ASCII characters \
             (a UUID, say); got {} bytes",
            key.len()
        ));
    }
    Ok(Some(key))
}

/// What the first use of a key recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The same request: what it produced (an id).
    Same(String),
    /// Another request was made with this key.
    Other,
}

/// Claims `key` in `tx` for a write producing `result`: false when it was
/// taken (by a committed write, or one that commits while this waits).
pub(crate) async fn claim(
    tx: &mut Transaction<'_, Any>,
    key: &IdempotencyKey<'_>,
    result: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "INSERT INTO idempotency_keys (scope, idem_key, fingerprint, result, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (scope, idem_key) DO NOTHING",
    )
    .bind(key.scope)
    .bind(key.key)
    .bind(key.fingerprint)
    .bind(result)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

impl Store {
    /// What the first use of `key` recorded; `None` when it is unknown
    /// (never used, or expired).
    pub async fn recorded(&self, key: &IdempotencyKey<'_>) -> Result<Option<Recorded>, StoreError> {
        let row = sqlx::query(
            "SELECT fingerprint, result FROM idempotency_keys WHERE scope = $1 AND idem_key = $2",
        )
        .bind(key.scope)
        .bind(key.key)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let fingerprint: String = row.try_get("fingerprint")?;
        Ok(Some(if fingerprint == key.fingerprint {
            Recorded::Same(row.try_get("result")?)
        } else {
            Recorded::Other
        }))
    }

    /// Deletes up to `limit` keys first used before `before_ms`; how many.
    pub async fn delete_idempotency_keys(
        &self,
        before_ms: i64,
        limit: i64,
    ) -> Result<u64, StoreError> {
        let deleted = sqlx::query(
            "DELETE FROM idempotency_keys WHERE (scope, idem_key) IN \
             (SELECT scope, idem_key FROM idempotency_keys WHERE created_at_ms < $1 \
              ORDER BY created_at_ms LIMIT $2)",
        )
        .bind(before_ms)
        .bind(limit)
        .execute(&self.pool)
        .await?;
        Ok(deleted.rows_affected())
    }
}
