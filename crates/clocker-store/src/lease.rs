//! Leases: one process at a time holds a named lease on the database, for
//! work only one of several replicas may do (the timer service's
//! scheduling).
//!
//! On PostgreSQL a lease is a session-level advisory lock taken on a
//! connection of its own, outside the pool, kept between attempts: it is
//! held for as long as that connection lives, and PostgreSQL releases it the
//! moment the holder's connection ends, whether the holder exited, crashed
//! or was killed, or (its host gone without a word) it has been silent for
//! three seconds. On SQLite (one file, one process) it is always granted.

use std::time::Duration;

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, AssertSqlSafe, Connection};

use crate::{Backend, Store, StoreError};

/// How long connecting for a lease may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long asking for or checking a lease may take before it counts as failed.
const QUERY_TIMEOUT: Duration = Duration::from_secs(1);
/// How often a holder must [`Lease::check`] its lease.
pub const LEASE_CHECK_EVERY: Duration = Duration::from_millis(500);
/// A lease connection that says nothing for this long (its host gone
/// without closing it) has its session ended by PostgreSQL, which frees the
/// lease (`idle_session_timeout`, PostgreSQL 14 and later): six missed
/// checks. Who asks for a lease must ask more often than this too.
const SILENT_SESSION_MS: u64 = 3_000;

/// The lease `key`, taken or not yet: [`Store::lease`].
pub struct Lease {
    key: i64,
    /// `None` on SQLite, where the lease needs no connection.
    postgres: Option<AnyConnectOptions>,
    connection: Option<AnyConnection>,
}

impl Store {
    /// The lease `key`, not taken yet.
    pub fn lease(&self, key: i64) -> Lease {
        Lease {
            key,
            postgres: (self.backend == Backend::Postgres).then(|| self.options.clone()),
            connection: None,
        }
    }
}

impl Lease {
    /// Tries once to take the lease: `true` once this process holds it,
    /// `false` while another does. An error drops the connection (and with
    /// it the lease, if it was held); the next attempt connects afresh.
    pub async fn try_take(&mut self) -> Result<bool, StoreError> {
        let Some(options) = &self.postgres else {
            return Ok(true);
        };
        if self.connection.is_none() {
            let mut connection =
                tokio::time::timeout(CONNECT_TIMEOUT, AnyConnection::connect_with(options))
                    .await
                    .map_err(|_| no_answer(CONNECT_TIMEOUT))??;
            // Older servers lack the setting; there a vanished holder keeps
            // the lease until TCP gives up on it.
            let _ = sqlx::query(AssertSqlSafe(format!(
                "SET idle_session_timeout = {SILENT_SESSION_MS}"
            )))
            .execute(&mut connection)
            .await;
            self.connection = Some(connection);
        }
        let connection = self.connection.as_mut().expect("connected above");
        // Taking a lock this session already holds would stack it: the
        // holder checks, and never asks again.
        let asked = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(self.key)
            .fetch_one(connection);
        match tokio::time::timeout(QUERY_TIMEOUT, asked).await {
            Ok(Ok(taken)) => Ok(taken),
            Ok(Err(err)) => {
                self.connection = None;
                Err(err.into())
            }
            Err(_) => {
                self.connection = None;
                Err(no_answer(QUERY_TIMEOUT))
            }
        }
    }

    /// Checks a held lease is still held: its connection still answers
    /// (within a second). An error means it may be lost: the connection is
    /// dropped, so it is lost for sure.
    pub async fn check(&mut self) -> Result<(), StoreError> {
        if self.postgres.is_none() {
            return Ok(());
        }
        let Some(connection) = self.connection.as_mut() else {
            return Err(StoreError::Unavailable("the lease is not held".into()));
        };
        let answered = match tokio::time::timeout(QUERY_TIMEOUT, connection.ping()).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(err)) => err.into(),
            Err(_) => no_answer(QUERY_TIMEOUT),
        };
        self.connection = None;
        Err(answered)
    }

    /// Gives the lease up at once (closing its connection).
    pub async fn release(&mut self) {
        if let Some(connection) = self.connection.take() {
            let _ = connection.close().await;
        }
    }
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the connect options: they hold the password.
        f.debug_struct("Lease")
            .field("key", &self.key)
            .field("on_postgres", &self.postgres.is_some())
            .field("connected", &self.connection.is_some())
            .finish()
    }
}

fn no_answer(after: Duration) -> StoreError {
    StoreError::Unavailable(format!(
        "the database did not answer within {} s",
        after.as_secs()
    ))
}
