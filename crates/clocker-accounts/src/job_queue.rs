//! The queue that feeds the password hashing threads: at most `cap` jobs
//! wait, a job that would go past that is refused at once (never queued
//! past its caller's deadline), and a caller that goes while its job still
//! waits takes it out ([`UnqueueOnDrop`]).

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Work for a hashing thread.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// The jobs waiting for a hashing thread, at most `cap` of them.
#[derive(Debug)]
pub(crate) struct Queue {
    state: Mutex<QueueState>,
    /// Signalled when a job is queued or the queue closes.
    changed: Condvar,
    cap: usize,
}

struct QueueState {
    jobs: VecDeque<(u64, Job)>,
    next_ticket: u64,
    closed: bool,
}

impl std::fmt::Debug for QueueState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueState")
            .field("queued", &self.jobs.len())
            .field("closed", &self.closed)
            .finish()
    }
}

impl Queue {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            state: Mutex::new(QueueState {
                jobs: VecDeque::with_capacity(cap),
                next_ticket: 0,
                closed: false,
            }),
            changed: Condvar::new(),
            cap,
        }
    }

    fn state(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many jobs wait.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.state().jobs.len()
    }

    /// Queues `job`; its ticket, or `None` when the queue is full (or closed).
    pub(crate) fn push(&self, job: Job) -> Option<u64> {
        let mut state = self.state();
        if state.closed || state.jobs.len() >= self.cap {
            return None;
        }
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.jobs.push_back((ticket, job));
        drop(state);
        self.changed.notify_one();
        Some(ticket)
    }

    /// Takes the job with `ticket` out, if no thread has taken it yet.
    fn remove(&self, ticket: u64) {
        let mut state = self.state();
        if let Some(at) = state.jobs.iter().position(|(t, _)| *t == ticket) {
            state.jobs.remove(at);
            metrics::counter!("clocker_accounts_hash_abandoned_total").increment(1);
        }
    }

    pub(crate) fn close(&self) {
        self.state().closed = true;
        self.changed.notify_all();
    }

    /// A hashing thread: runs jobs until the queue closes.
    pub(crate) fn work_through(&self) {
        loop {
            let job = {
                let mut state = self.state();
                loop {
                    if let Some((_, job)) = state.jobs.pop_front() {
                        break job;
                    }
                    if state.closed {
                        return;
                    }
                    state = self
                        .changed
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            };
            // A job that panics loses its answer (its caller sees
            // HashingStopped), not the thread.
            if std::panic::catch_unwind(AssertUnwindSafe(job)).is_err() {
                tracing::error!("a password hashing job panicked");
            }
        }
    }
}

/// Takes a caller's job out of the queue when the caller goes first.
pub(crate) struct UnqueueOnDrop<'a> {
    pub(crate) queue: &'a Queue,
    pub(crate) ticket: u64,
}

impl Drop for UnqueueOnDrop<'_> {
    fn drop(&mut self) {
        self.queue.remove(self.ticket);
    }
}
