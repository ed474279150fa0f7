//! Leases: one process at a time holds a named lease on the database, for
//! work only one of several replicas may do (the timer service's
//! scheduling).
//!
//! On PostgreSQL a lease is a session-level advisory lock on a connection of
//! its own, outside the pool: it is held for as long as that connection
//! lives, and PostgreSQL releases it the moment the holder's connection
//! ends, whether the holder exited, crashed or was killed, or (its host gone
//! without a word) it has been silent for three seconds. On SQLite (one
//! file, one process) the lease is always granted.

use sqlx::{AnyConnection, AssertSqlSafe, Connection};

use crate::{Backend, Store, StoreError};

/// How long taking or checking a lease may take before it counts as failed.
const LEASE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);
/// How often a holder must [`HeldLease::check`] its lease.
pub const LEASE_CHECK_EVERY: std::time::Duration = std::time::Duration::from_millis(500);
/// A holder whose connection says nothing for this long (its host gone
/// without closing it) has its session ended by PostgreSQL, which frees the
/// lease (`idle_session_timeout`, PostgreSQL 14 and later): six missed checks.
const SILENT_HOLDER_MS: u64 = 3_000;

/// A lease this process holds; dropping it (or [`HeldLease::release`])
/// gives it up.
pub struct HeldLease {
    /// The connection holding the advisory lock (`None` on SQLite).
    connection: Option<AnyConnection>,
}

impl Store {
    /// Tries once to take the lease `key`: `Ok(None)` while another process
    /// holds it.
    pub async fn try_lease(&self, key: i64) -> Result<Option<HeldLease>, StoreError> {
        if self.backend == Backend::Sqlite {
            return Ok(Some(HeldLease { connection: None }));
        }
        let attempt = async {
            let mut connection = AnyConnection::connect_with(&self.options).await?;
            // Older servers lack the setting; their leases last until TCP
            // gives up on a vanished holder instead.
            let _ = sqlx::query(AssertSqlSafe(format!(
                "SET idle_session_timeout = {SILENT_HOLDER_MS}"
            )))
            .execute(&mut connection)
            .await;
            let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(key)
                .fetch_one(&mut connection)
                .await?;
            if taken {
                Ok(Some(HeldLease {
                    connection: Some(connection),
                }))
            } else {
                let _ = connection.close().await;
                Ok(None)
            }
        };
        tokio::time::timeout(LEASE_TIMEOUT, attempt)
            .await
            .map_err(|_| no_answer())?
            .map_err(|err: sqlx::Error| StoreError::from(err))
    }
}

impl std::fmt::Debug for HeldLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeldLease")
            .field("on_postgres", &self.connection.is_some())
            .finish()
    }
}

impl HeldLease {
    /// Checks the lease is still held: its connection still answers (within
    /// a second). An error means it may have been lost; drop it.
    pub async fn check(&mut self) -> Result<(), StoreError> {
        let Some(connection) = self.connection.as_mut() else {
            return Ok(());
        };
        tokio::time::timeout(LEASE_TIMEOUT, connection.ping())
            .await
            .map_err(|_| no_answer())?
            .map_err(StoreError::from)
    }

    /// Gives the lease up at once (closing its connection).
    pub async fn release(self) {
        if let Some(connection) = self.connection {
            let _ = connection.close().await;
        }
    }
}

fn no_answer() -> StoreError {
    StoreError::Unavailable(format!(
        "the database did not answer within {} s",
        LEASE_TIMEOUT.as_secs()
    ))
}
