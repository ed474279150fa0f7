//! Whether every shard of a service still runs: each shard's runtime beats
//! every [`BEAT_EVERY`]; liveness (`/livez`), answered by whichever shard a
//! probe lands on, fails while any shard has been silent for more than
//! [`SILENT_LIMIT`]. A shard whose thread is stuck (a blocking call, a loop
//! that never yields) stops beating, so the supervisor, which kills a
//! service whose liveness keeps failing, sees it whichever shard it asks.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

/// How often a shard beats.
const BEAT_EVERY: Duration = Duration::from_millis(100);

/// How long a shard may be silent before liveness fails: far beyond any
/// budget a method has (50 ms by default), so only a stuck thread reaches it.
pub const SILENT_LIMIT: Duration = Duration::from_secs(1);

/// When each shard of a service last beat, in milliseconds since `epoch`.
#[derive(Debug)]
pub(crate) struct Heartbeats {
    epoch: Instant,
    beats: Vec<AtomicU64>,
}

thread_local! {
    /// The heartbeats of the sharded service whose shard this thread runs.
    static SHARDS: RefCell<Option<Arc<Heartbeats>>> = const { RefCell::new(None) };
}

impl Heartbeats {
    pub(crate) fn new(count: usize) -> Arc<Self> {
        Arc::new(Self {
            epoch: Instant::now(),
            beats: (0..count).map(|_| AtomicU64::new(0)).collect(),
        })
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The first shard silent for longer than [`SILENT_LIMIT`], and for how
    /// long.
    fn silent(&self) -> Option<(usize, Duration)> {
        let now = self.now();
        self.beats.iter().enumerate().find_map(|(index, beat)| {
            let silent = Duration::from_millis(now.saturating_sub(beat.load(Ordering::Relaxed)));
            (silent > SILENT_LIMIT).then_some((index, silent))
        })
    }

    /// Makes the calling thread shard `index`: liveness answered here asks
    /// every shard, and this thread's runtime beats until `shutdown`.
    pub(crate) fn start(self: &Arc<Self>, index: usize, shutdown: CancellationToken) {
        SHARDS.with(|shards| *shards.borrow_mut() = Some(self.clone()));
        let heartbeats = self.clone();
        heartbeats.beats[index].store(heartbeats.now(), Ordering::Relaxed);
        tokio::spawn(async move {
            let mut beat = tokio::time::interval(BEAT_EVERY);
            beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    _ = beat.tick() => {
                        heartbeats.beats[index].store(heartbeats.now(), Ordering::Relaxed);
                    }
                }
            }
        });
    }
}

/// The shard of this thread's service that is stuck, if any, and how long
/// it has been silent (`None` on a thread that runs no shard).
pub fn stuck_shard() -> Option<(usize, Duration)> {
    SHARDS.with(|shards| {
        shards
            .borrow()
            .as_ref()
            .and_then(|heartbeats| heartbeats.silent())
    })
}
