//! Password hashing with argon2id (OWASP's first choice: 19 MiB, 2 passes,
//! 1 lane), stored as PHC strings that carry their own salt and parameters.
//!
//! Hashing is slow on purpose, so it never runs on the service's event loop,
//! nor on tokio's blocking pool (up to 512 threads): it runs on a pool of its
//! own, `concurrency` threads (one per core by default), fed by a queue of at
//! most [`QUEUED_PER_THREAD`] jobs per thread. A full queue refuses a call at
//! once ([`AccountsError::Busy`]) instead of queueing it past its deadline.
//!
//! The cap holds whatever callers do: a hash keeps its thread until it ends,
//! whether or not its caller still waits (a client deadline, a reset stream),
//! so at most `concurrency` hashes run and at most `concurrency` × 19 MiB is
//! in use. Each thread allocates its 19 MiB once, when it starts, and every
//! hash it computes reuses them ([`WORKING_MEMORY`]): allocated and freed per
//! hash, glibc kept the freed blocks (its mmap threshold rises past 19 MiB
//! after the first free), and the service's memory grew to ~250 MiB after a
//! few hundred logins and stayed there. A caller that goes while its job is
//! still queued takes the job out (a drop guard, see `job_queue`), so a
//! cancelled call never keeps a place in the queue.
//!
//! Verifying for an unknown user checks the password against a dummy hash
//! with the same parameters, so "no such user" costs what "wrong password"
//! costs and the answer time does not tell them apart. The dummy is hashed
//! on the pool too (its first job), never on the thread that builds the
//! hasher: that is the service's thread, which a hash would stall.

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::oneshot;

use crate::AccountsError;
use crate::credentials::Password;
use crate::job_queue::{Job, Queue, UnqueueOnDrop};

/// How many hashes may wait per hashing thread before new ones are refused.
const QUEUED_PER_THREAD: usize = 16;

/// The algorithm and version of every hash this module makes.
const ALGORITHM: Algorithm = Algorithm::Argon2id;
const VERSION: Version = Version::V0x13;

thread_local! {
    /// A hashing thread's argon2 working memory, allocated (and written, so
    /// it is resident from the start) when the thread starts, reused by
    /// every hash it computes.
    static WORKING_MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// `argon2`'s hash of `password` with `salt` into `out`, in this thread's
/// working memory; a stored hash with more memory than the pool's gets a
/// buffer of its own for this hash only.
fn hash_into(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let needed = argon2.params().block_count();
    WORKING_MEMORY.with_borrow_mut(|memory| match memory.get_mut(..needed) {
        Some(blocks) => argon2.hash_password_into_with_memory(password, salt, out, blocks),
        None => argon2.hash_password_into(password, salt, out),
    })
}

/// A PHC string for `password` with a fresh random salt.
fn hash_phc(argon2: &Argon2<'_>, password: &[u8]) -> Result<String, AccountsError> {
    let internal = |err: &dyn std::fmt::Display| AccountsError::Internal(format!("argon2: {err}"));
    let salt = argon2::password_hash::try_generate_salt().map_err(|err| internal(&err))?;
    let params = argon2.params();
    let mut out = vec![0_u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    hash_into(argon2, password, &salt, &mut out).map_err(|err| internal(&err))?;
    let hash = PasswordHash {
        algorithm: ALGORITHM.ident(),
        version: Some(VERSION.into()),
        params: ParamsString::try_from(params).map_err(|err| internal(&err))?,
        salt: Some(Salt::new(&salt).map_err(|err| internal(&err))?),
        hash: Some(Output::new(&out).map_err(|err| internal(&err))?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches `hash` (with the algorithm, version and
/// parameters it names), compared in constant time.
fn verify_phc(password: &[u8], hash: &PasswordHash) -> bool {
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_str()) else {
        return false;
    };
    let Ok(version) = hash.version.map(Version::try_from).transpose() else {
        return false;
    };
    let Ok(params) = Params::try_from(hash) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version.unwrap_or_default(), params);
    let mut out = vec![0_u8; expected.len()];
    if hash_into(&argon2, password, salt, &mut out).is_err() {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|computed| computed == *expected)
}

/// Hashes and verifies passwords on a bounded pool of threads of its own.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    argon2: Argon2<'static>,
    queue: Arc<Queue>,
    dummy_hash: Arc<DummyHash>,
}

/// What an unknown user's password is checked against: a hash with the
/// hasher's parameters, computed once, on a hashing thread.
#[derive(Debug, Default)]
struct DummyHash(OnceLock<Result<String, String>>);

impl DummyHash {
    /// The dummy PHC string, hashing it first if no thread has yet (so
    /// call this on a hashing thread only).
    fn get_or_hash(&self, argon2: &Argon2<'static>) -> Result<&str, AccountsError> {
        self.0
            .get_or_init(|| {
                hash_phc(argon2, b"no account has this password").map_err(|err| err.to_string())
            })
            .as_deref()
            .map_err(|err| AccountsError::Internal(err.clone()))
    }
}

impl Drop for Inner {
    /// The last handle is gone: the threads end once their jobs are done.
    fn drop(&mut self) {
        self.queue.close();
    }
}

impl PasswordHasher {
    /// A hasher with argon2id's default (OWASP) parameters, running at most
    /// `concurrency` hashes at once. Returns at once: the dummy hash is the
    /// pool's first job.
    pub fn new(concurrency: usize) -> Result<Self, AccountsError> {
        Self::with_params(Params::default(), concurrency)
    }

    /// A hasher with explicit argon2 parameters.
    pub fn with_params(params: Params, concurrency: usize) -> Result<Self, AccountsError> {
        let block_count = params.block_count();
        let argon2 = Argon2::new(ALGORITHM, VERSION, params);
        let threads = concurrency.max(1);
        let queue = Arc::new(Queue::new(threads * QUEUED_PER_THREAD));
        for n in 0..threads {
            let jobs = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    WORKING_MEMORY.with_borrow_mut(|memory| {
                        memory.resize(block_count, Block::new());
                    });
                    jobs.work_through();
                });
            if let Err(err) = spawned {
                queue.close();
                return Err(AccountsError::HashingThread(err));
            }
        }
        let dummy_hash = Arc::new(DummyHash::default());
        // Hashed ahead of the first unknown user, who would otherwise wait
        // two hashes' time (and so tell that the name is unknown).
        let ahead = (dummy_hash.clone(), argon2.clone());
        let _ = queue.push(Box::new(move || {
            let (dummy_hash, argon2) = ahead;
            if let Err(err) = dummy_hash.get_or_hash(&argon2) {
                tracing::error!(%err, "cannot compute the dummy password hash");
            }
        }));
        Ok(Self {
            inner: Arc::new(Inner {
                argon2,
                queue,
                dummy_hash,
            }),
        })
    }

    /// A PHC string for `password`, with a fresh random salt.
    pub async fn hash(&self, password: Password) -> Result<String, AccountsError> {
        self.run("hash", move |argon2| hash_phc(argon2, password.as_bytes()))
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
        let dummy_hash = self.inner.dummy_hash.clone();
        let matches = self
            .run("verify", move |argon2| -> Result<bool, AccountsError> {
                let phc = match &stored {
                    Some(phc) => phc.as_str(),
                    None => dummy_hash.get_or_hash(argon2)?,
                };
                let Ok(hash) = PasswordHash::new(phc) else {
                    tracing::error!("a stored password hash is not a valid PHC string");
                    return Ok(false);
                };
                Ok(verify_phc(password.as_bytes(), &hash))
            })
            .await??;
        Ok(known && matches)
    }

    /// Queues `work` for a hashing thread and waits for its answer. The job
    /// owns everything it needs, so dropping this future (a cancelled call)
    /// leaves a running hash to finish on its thread, and takes a queued one
    /// out of the queue.
    async fn run<T: Send + 'static>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&Argon2<'static>) -> T + Send + 'static,
    ) -> Result<T, AccountsError> {
        let (answer, answered) = oneshot::channel();
        let argon2 = self.inner.argon2.clone();
        let job: Job = Box::new(move || {
            let started = Instant::now();
            let result = work(&argon2);
            metrics::histogram!("clocker_accounts_password_hash_seconds", "operation" => operation)
                .record(started.elapsed().as_secs_f64());
            let _ = answer.send(result);
        });
        let Some(ticket) = self.inner.queue.push(job) else {
            metrics::counter!("clocker_accounts_hash_refused_total").increment(1);
            return Err(AccountsError::Busy);
        };
        let _unqueue_if_cancelled = UnqueueOnDrop {
            queue: &self.inner.queue,
            ticket,
        };
        answered.await.map_err(|_| AccountsError::HashingStopped)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn password(text: &str) -> Password {
        Password::parse(text.into()).expect("valid")
    }

    /// Cheap argon2 parameters: these tests are about the queue, not the hash.
    fn quick(concurrency: usize) -> PasswordHasher {
        let params = Params::new(64, 1, 1, None).expect("valid parameters");
        PasswordHasher::with_params(params, concurrency).expect("hasher")
    }

    /// Starts a job on `hasher` that holds its thread until `release` is
    /// sent to; resolves once it runs.
    async fn occupy(
        hasher: &PasswordHasher,
    ) -> (
        tokio::task::JoinHandle<Result<(), AccountsError>>,
        std::sync::mpsc::Sender<()>,
    ) {
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel();
        let job = hasher.clone();
        let task = tokio::spawn(async move {
            job.run("test", move |_| {
                let _ = started.send(());
                let _ = released.recv();
            })
            .await
        });
        running.await.expect("the job started");
        (task, release)
    }

    #[tokio::test]
    async fn cancelled_waiters_give_their_places_back() {
        let hasher = quick(1);
        let (busy, release) = occupy(&hasher).await;
        // Many more callers than the queue holds, each polled once and
        // then dropped (a client deadline while waiting for the thread).
        for _ in 0..100 {
            let _ = tokio::time::timeout(Duration::ZERO, hasher.run("test", |_| ())).await;
        }
        assert_eq!(hasher.inner.queue.len(), 0, "places kept");
        release.send(()).expect("the job waits");
        busy.await.expect("task").expect("ran");
        let answer = tokio::time::timeout(Duration::from_secs(5), hasher.run("test", |_| 7))
            .await
            .expect("answered in time");
        assert_eq!(answer.expect("not refused"), 7);
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let hasher = quick(1);
        let (busy, release) = occupy(&hasher).await;
        let mut queued = Vec::new();
        let refused = loop {
            let job = hasher.clone();
            let mut call = Box::pin(async move { job.run("test", |_| ()).await });
            match tokio::time::timeout(Duration::ZERO, &mut call).await {
                Ok(answer) => break answer,
                Err(_) => queued.push(call),
            }
            assert!(queued.len() <= QUEUED_PER_THREAD, "the queue is unbounded");
        };
        assert!(matches!(refused, Err(AccountsError::Busy)), "{refused:?}");
        assert_eq!(queued.len(), QUEUED_PER_THREAD);
        release.send(()).expect("the job waits");
        busy.await.expect("task").expect("ran");
        for call in queued {
            call.await.expect("the queued ones run");
        }
    }

    #[tokio::test]
    async fn a_cancelled_callers_hash_still_holds_its_thread() {
        let hasher = quick(1);
        let (busy, release) = occupy(&hasher).await;
        busy.abort();
        let _ = busy.await;
        let (ran_tx, mut ran) = tokio::sync::oneshot::channel();
        let next = hasher.clone();
        let waiting = tokio::spawn(async move {
            next.run("test", move |_| {
                let _ = ran_tx.send(());
            })
            .await
        });
        // While the first hash runs (its caller gone), the second must wait.
        let early = tokio::time::timeout(Duration::from_millis(200), &mut ran).await;
        assert!(early.is_err(), "a second hash ran beside the first");
        release.send(()).expect("the first hash still runs");
        tokio::time::timeout(Duration::from_secs(5), ran)
            .await
            .expect("ran once the thread was free")
            .expect("ran");
        waiting.await.expect("task").expect("answered");
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

    #[tokio::test]
    async fn hashes_agree_with_the_argon2_crates_own_both_ways() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let hasher = PasswordHasher::new(1).expect("hasher");
        let reference = Argon2::new(ALGORITHM, VERSION, Params::default());
        // A hash stored before this module hashed in its own memory.
        let stored = reference
            .hash_password(b"a stored password")
            .expect("hash")
            .to_string();
        let verify =
            |text: &str, stored: &str| hasher.verify(password(text), Some(stored.to_owned()));
        assert!(verify("a stored password", &stored).await.expect("verify"));
        assert!(!verify("another password", &stored).await.expect("verify"));
        // And one made here verifies with the crate's own verifier.
        let made = hasher.hash(password("made here")).await.expect("hash");
        let parsed = PasswordHash::new(&made).expect("a PHC string");
        assert!(reference.verify_password(b"made here", &parsed).is_ok());
        assert!(
            reference
                .verify_password(b"not made here", &parsed)
                .is_err()
        );
    }

    #[tokio::test]
    async fn a_stored_hash_with_more_memory_than_the_pool_still_verifies() {
        use argon2::password_hash::PasswordHasher as _;
        let hasher = quick(1);
        let bigger = Argon2::new(
            ALGORITHM,
            VERSION,
            Params::new(1024, 1, 1, None).expect("valid parameters"),
        );
        let stored = bigger
            .hash_password(b"a big hash")
            .expect("hash")
            .to_string();
        assert!(
            hasher
                .verify(password("a big hash"), Some(stored))
                .await
                .expect("verify")
        );
    }
}
