//! A shard's subscribers, and the writer that delivers to them.
//!
//! Every subscribed connection (a WebSocket or an SSE response) follows one
//! [`Channel`]. When channels publish, the shard's writer wakes once and
//! walks its subscribers, writing each the messages it has not had — the
//! very bytes the channel encoded once — straight to its socket with a
//! non-blocking write. No task wakes per subscriber, nothing is copied or
//! serialized per subscriber.
//!
//! A socket that cannot take a whole message keeps the rest (`unsent`, a
//! slice of the shared bytes) and is retried at the next wake, then catches
//! up from the channel's log (clock frames: the newest only). A socket that
//! has made no progress for the write timeout is dropped.
//!
//! What clients send (a WebSocket's zone changes, clock-sync pings, pings
//! and close; an SSE client's end) is read by the same task: each
//! subscriber's socket is registered with a waker of its own, a few bytes
//! that put the subscriber on the shard's list of readable ones when its
//! client sends something. No subscriber has a task, or a buffer, of its
//! own: a parked one is its socket and its state.

use std::io;
use std::net::Shutdown;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use clocker_runtime::Permit;
use slab::Slab;
use tokio::net::TcpStream;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::channel::{Channel, Message};
use crate::websocket::{self, FrameReader, Incoming, Opcode, Violation, close_code};

/// What a shard's subscribers speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// WebSocket: clients send messages, which the [`Handler`] answers.
    WebSocket,
    /// Server-Sent Events: clients only listen; what they send is ignored.
    Sse,
}

/// What a service does with its WebSocket clients' text messages.
pub trait Handler: Send + Sync + 'static {
    /// What the service keeps per connection (the funnel: its ping budget).
    type State: Send + 'static;

    /// Handles one text message, read at `arrived`.
    fn on_text(&self, state: &mut Self::State, text: &str, arrived: Instant) -> Reaction;
}

/// A service whose clients send nothing it answers (SSE).
#[derive(Debug, Default)]
pub struct Listening;

impl Handler for Listening {
    type State = ();

    fn on_text(&self, (): &mut (), _: &str, _: Instant) -> Reaction {
        Reaction::default()
    }
}

/// What to do about a client's message.
#[derive(Debug, Default)]
pub struct Reaction {
    /// A text message to send back (encoded for the wire by the shard).
    pub reply: Option<String>,
    /// A channel to follow from now on instead of the current one.
    pub follow: Option<Arc<Channel>>,
}

/// How a shard treats its subscribers.
#[derive(Debug, Clone)]
pub struct ShardConfig {
    pub wire: Wire,
    /// A write that makes no progress for this long drops the subscriber.
    pub write_timeout: Duration,
    /// How often every subscriber is sent [`ShardConfig::keepalive`]
    /// (a WebSocket ping, an SSE comment).
    pub keepalive_every: Duration,
    pub keepalive: Bytes,
    /// A WebSocket not heard from (not even a pong) for this long is closed.
    pub silence_limit: Option<Duration>,
    /// Sent to every subscriber when the service shuts down (a WebSocket
    /// close frame); none for SSE, whose stream just ends.
    pub goodbye: Option<Bytes>,
    /// The largest message a client may send.
    pub max_message: usize,
}

/// Counts shared by every shard of a service.
#[derive(Debug)]
pub struct Counters {
    clients: AtomicUsize,
    delivered: AtomicU64,
    /// The gauge the client count is published as.
    gauge: &'static str,
}

impl Counters {
    pub fn new(gauge: &'static str) -> Arc<Self> {
        Arc::new(Self {
            clients: AtomicUsize::new(0),
            delivered: AtomicU64::new(0),
            gauge,
        })
    }

    /// Subscribers connected now, on every shard.
    pub fn clients(&self) -> usize {
        self.clients.load(Ordering::Relaxed)
    }

    /// Messages written whole to subscribers since start.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// Counts one more client until the guard is dropped.
    pub fn count_client(self: &Arc<Self>) -> CountedClient {
        let now = self.clients.fetch_add(1, Ordering::Relaxed) + 1;
        metrics::gauge!(self.gauge).set(now as f64);
        CountedClient(self.clone())
    }

    /// Counts messages written whole.
    pub fn add_delivered(&self, messages: u64) {
        self.delivered.fetch_add(messages, Ordering::Relaxed);
    }
}

/// One client counted in its [`Counters`] for as long as it lives.
#[derive(Debug)]
pub struct CountedClient(Arc<Counters>);

impl Drop for CountedClient {
    fn drop(&mut self) {
        let now = self.0.clients.fetch_sub(1, Ordering::Relaxed) - 1;
        metrics::gauge!(self.0.gauge).set(now as f64);
    }
}

/// The most replies that may wait behind a message the socket has not
/// taken; a client that keeps asking while not reading is dropped.
const MAX_QUEUED: usize = 16;

/// How much one read takes from a socket.
const READ_CHUNK: usize = 4 * 1024;

/// How many reads one readable subscriber gets before the others' turn.
const READS_PER_TURN: usize = 8;

/// One subscribed connection.
struct Subscriber<S> {
    tcp: TcpStream,
    /// Its place in the shard's slab.
    key: usize,
    /// What its socket wakes when the client sends something.
    waker: Waker,
    state: Mutex<SubscriberState<S>>,
    _permit: Permit,
    _counted: CountedClient,
}

/// The subscribers whose clients sent something, as their wakers report
/// them, and the shard task to wake.
struct Readable<S> {
    subscribers: Mutex<Vec<Weak<Subscriber<S>>>>,
    notify: Notify,
}

/// A subscriber's waker: puts it on its shard's [`Readable`] list.
struct ReadWaker<S> {
    subscriber: Weak<Subscriber<S>>,
    readable: Arc<Readable<S>>,
}

impl<S: Send + 'static> Wake for ReadWaker<S> {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        lock(&self.readable.subscribers).push(self.subscriber.clone());
        self.readable.notify.notify_one();
    }
}

struct SubscriberState<S> {
    /// The channel followed; `None` until a valid one (a WebSocket that
    /// asked for an unknown zone).
    channel: Option<Arc<Channel>>,
    /// The id of the newest message begun on this socket.
    last_id: u64,
    /// The rest of a message the socket took only part of.
    unsent: Bytes,
    /// Replies waiting behind `unsent` (rare, and few: no memory until
    /// then, at most [`MAX_QUEUED`]).
    queued: Vec<Bytes>,
    /// Since when writes have made no progress.
    blocked_since: Option<Instant>,
    last_heard: Instant,
    /// A WebSocket frame (or message) still arriving; none while idle.
    frames: Option<Box<FrameReader>>,
    service: S,
}

/// How a write went.
enum Flushed {
    /// Everything waiting was written.
    All,
    /// The socket's buffer is full; the rest waits for the next wake.
    Blocked,
}

impl<S> SubscriberState<S> {
    /// Writes `unsent`, then the queued replies, as far as the socket takes.
    /// Only a write that moves bytes tells it is not stuck: with nothing
    /// waiting, when it blocked stays as it was.
    fn flush(&mut self, tcp: &TcpStream, now: Instant) -> io::Result<Flushed> {
        let mut wrote = false;
        loop {
            if self.unsent.is_empty() {
                match (!self.queued.is_empty()).then(|| self.queued.remove(0)) {
                    Some(next) => self.unsent = next,
                    None => {
                        self.queued = Vec::new();
                        if wrote {
                            self.blocked_since = None;
                        }
                        return Ok(Flushed::All);
                    }
                }
            }
            match tcp.try_write(&self.unsent) {
                Ok(written) => {
                    wrote = true;
                    self.unsent.advance(written);
                    if !self.unsent.is_empty() {
                        self.blocked_since = Some(now);
                        return Ok(Flushed::Blocked);
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    self.blocked_since.get_or_insert(now);
                    return Ok(Flushed::Blocked);
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Sends `bytes` after whatever waits, or queues it.
    fn send(&mut self, tcp: &TcpStream, bytes: Bytes, now: Instant) -> io::Result<Flushed> {
        if self.unsent.is_empty() && self.queued.is_empty() {
            self.unsent = bytes;
        } else if self.queued.len() < MAX_QUEUED {
            self.queued.push(bytes);
        } else {
            return Err(io::Error::other("too many replies waiting"));
        }
        self.flush(tcp, now)
    }

    /// Writes the messages of its channel it has not had, newest last,
    /// from `fresh` (the channel's messages after `fresh_after`) when it is
    /// up to date with it, else from the channel's log. Returns how many
    /// were written whole.
    fn catch_up(
        &mut self,
        tcp: &TcpStream,
        fresh: Option<(u64, &[Message])>,
        now: Instant,
        scratch: &mut Vec<Message>,
    ) -> io::Result<u64> {
        if let Flushed::Blocked = self.flush(tcp, now)? {
            return Ok(0);
        }
        let Some(channel) = &self.channel else {
            return Ok(0);
        };
        let messages = match fresh {
            Some((after, messages)) if after == self.last_id => messages,
            _ => {
                scratch.clear();
                channel.after(self.last_id, scratch);
                &scratch[..]
            }
        };
        let mut delivered = 0;
        for message in messages {
            // Written from the shared bytes: a subscriber takes a reference
            // (a refcount other shards' threads also touch) only when its
            // socket does not take the whole message.
            match tcp.try_write(&message.bytes) {
                Ok(written) if written == message.bytes.len() => {
                    self.last_id = message.id;
                    self.blocked_since = None;
                    delivered += 1;
                }
                Ok(written) => {
                    self.last_id = message.id;
                    self.unsent = message.bytes.slice(written..);
                    self.blocked_since = Some(now);
                    break;
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    // Not begun: it (or what replaces it) comes at a later wake.
                    self.blocked_since.get_or_insert(now);
                    break;
                }
                Err(err) => return Err(err),
            }
        }
        Ok(delivered)
    }
}

/// One shard's subscribers and what they need in common.
pub struct Shard<H: Handler> {
    handler: Arc<H>,
    config: ShardConfig,
    readable: Arc<Readable<H::State>>,
    /// Its subscribers now, as `clocker_fanout_subscribers{shard}`.
    gauge: metrics::Gauge,
    subscribers: Mutex<Slab<Arc<Subscriber<H::State>>>>,
    counters: Arc<Counters>,
    read_buffer: Mutex<Box<[u8]>>,
}

impl<H: Handler> std::fmt::Debug for Shard<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shard")
            .field("config", &self.config)
            .field("subscribers", &self.len())
            .finish_non_exhaustive()
    }
}

/// A new subscriber: its connection and what it follows.
pub struct Subscription<S> {
    pub tcp: TcpStream,
    pub permit: Permit,
    /// What it follows (`None`: nothing yet).
    pub channel: Option<Arc<Channel>>,
    /// The id of the last message it has had (0: give it the newest kept).
    pub after: u64,
    /// Sent before anything else (the funnel's error for an unknown zone).
    pub first: Option<Bytes>,
    /// Bytes it sent after its request head.
    pub early: Bytes,
    pub state: S,
}

impl<H: Handler> Shard<H> {
    /// Shard number `index` of a service whose shards share `counters`.
    pub fn new(
        index: usize,
        handler: Arc<H>,
        config: ShardConfig,
        counters: Arc<Counters>,
    ) -> Arc<Self> {
        // The gauge's handle must come from the installed recorder.
        let _ = clocker_runtime::prometheus();
        Arc::new(Self {
            handler,
            config,
            gauge: metrics::gauge!("clocker_fanout_subscribers", "shard" => index.to_string()),
            readable: Arc::new(Readable {
                subscribers: Mutex::new(Vec::new()),
                notify: Notify::new(),
            }),
            subscribers: Mutex::new(Slab::new()),
            counters,
            read_buffer: Mutex::new(vec![0; READ_CHUNK].into_boxed_slice()),
        })
    }

    fn subscribers(&self) -> MutexGuard<'_, Slab<Arc<Subscriber<H::State>>>> {
        self.subscribers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Subscribers on this shard now.
    pub fn len(&self) -> usize {
        self.subscribers().len()
    }

    /// Whether the shard has no subscriber.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds `subscription` to the shard's subscribers: delivers what it has
    /// not had at once, and from then on the shard's task delivers
    /// everything published and reads what its client sends, until the
    /// client goes or is dropped.
    pub fn join(&self, subscription: Subscription<H::State>) {
        let Subscription {
            tcp,
            permit,
            channel,
            after,
            first,
            early,
            state,
        } = subscription;
        let now = Instant::now();
        let mut subscribers = self.subscribers();
        let entry = subscribers.vacant_entry();
        let key = entry.key();
        let subscriber = Arc::new_cyclic(|weak| Subscriber {
            tcp,
            key,
            waker: Waker::from(Arc::new(ReadWaker {
                subscriber: weak.clone(),
                readable: self.readable.clone(),
            })),
            state: Mutex::new(SubscriberState {
                channel,
                last_id: after,
                unsent: first.unwrap_or_default(),
                queued: Vec::new(),
                blocked_since: None,
                last_heard: now,
                frames: None,
                service: state,
            }),
            _permit: permit,
            _counted: self.counters.count_client(),
        });
        entry.insert(subscriber.clone());
        drop(subscribers);
        self.gauge.increment(1.0);
        // What the client sent with its request is handled, then let go
        // of; reading registers the socket's waker.
        let here = (early.is_empty() || self.on_bytes(&subscriber, &early))
            && self.catch_up_now(&subscriber, now)
            && self.read_from(&subscriber);
        if !here {
            self.remove(&mut self.subscribers(), key);
        }
    }

    /// Lets a subscriber go: ends its connection (what was written still
    /// goes) and forgets it.
    fn remove(&self, subscribers: &mut Slab<Arc<Subscriber<H::State>>>, key: usize) {
        if let Some(subscriber) = subscribers.try_remove(key) {
            self.gauge.decrement(1.0);
            end(&subscriber.tcp);
        }
    }

    /// Writes a subscriber what it has not had, now; false when it is gone.
    fn catch_up_now(&self, subscriber: &Subscriber<H::State>, now: Instant) -> bool {
        let mut scratch = Vec::new();
        let mut state = lock(&subscriber.state);
        match state.catch_up(&subscriber.tcp, None, now, &mut scratch) {
            Ok(delivered) => {
                self.counters.add_delivered(delivered);
                true
            }
            Err(_) => false,
        }
    }

    /// Reads what a subscriber's client sent, until its socket has nothing
    /// more (which registers its waker for the next time) or its turn is
    /// over; false when the client is gone or is to go.
    fn read_from(&self, subscriber: &Arc<Subscriber<H::State>>) -> bool {
        let mut context = Context::from_waker(&subscriber.waker);
        for _ in 0..READS_PER_TURN {
            match subscriber.tcp.poll_read_ready(&mut context) {
                Poll::Pending => return true,
                Poll::Ready(Err(_)) => return false,
                Poll::Ready(Ok(())) => {}
            }
            let mut buffer = lock(&self.read_buffer);
            match subscriber.tcp.try_read(&mut buffer) {
                Ok(0) => return false,
                Ok(read) => {
                    if !self.on_bytes(subscriber, &buffer[..read]) {
                        return false;
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => return false,
            }
        }
        // A client with more to say waits for the others' turn.
        subscriber.waker.wake_by_ref();
        true
    }

    /// Reads every subscriber whose waker reported its client.
    fn read_readable(&self) {
        let readable = std::mem::take(&mut *lock(&self.readable.subscribers));
        for subscriber in readable.iter().filter_map(Weak::upgrade) {
            if !self.read_from(&subscriber) {
                self.remove(&mut self.subscribers(), subscriber.key);
            }
        }
    }

    /// Handles bytes a client sent; false when it is to go.
    fn on_bytes(&self, subscriber: &Subscriber<H::State>, bytes: &[u8]) -> bool {
        let arrived = Instant::now();
        let mut state = lock(&subscriber.state);
        state.last_heard = arrived;
        if self.config.wire == Wire::Sse {
            // An SSE client has nothing to say; its end is noticed as EOF.
            return true;
        }
        let mut frames = state
            .frames
            .take()
            .map_or_else(FrameReader::default, |frames| *frames);
        let mut replies: Vec<Bytes> = Vec::new();
        let mut follow = None;
        let mut closing = None;
        let read = frames.read(bytes, self.config.max_message, |incoming| match incoming {
            Incoming::Text(text) => {
                let reaction = self.handler.on_text(&mut state.service, text, arrived);
                if let Some(reply) = reaction.reply {
                    replies.push(websocket::text(&reply));
                }
                if reaction.follow.is_some() {
                    follow = reaction.follow;
                }
                true
            }
            Incoming::Ping(payload) => {
                replies.push(websocket::encode(Opcode::Pong, payload));
                true
            }
            Incoming::Pong => true,
            Incoming::Close(code) => {
                closing = Some(websocket::close(code.unwrap_or(close_code::NORMAL), ""));
                false
            }
        });
        state.frames = (!frames.is_idle()).then(|| Box::new(frames));
        if let Err(Violation { code, reason }) = read {
            closing = Some(websocket::close(code, reason));
        }
        let mut ok = true;
        for reply in replies {
            ok &= state.send(&subscriber.tcp, reply, arrived).is_ok();
        }
        let already = |channel: &Arc<Channel>| {
            state
                .channel
                .as_ref()
                .is_some_and(|current| Arc::ptr_eq(current, channel))
        };
        let follow = follow.filter(|channel| !already(channel));
        let switched = follow.is_some();
        if let Some(channel) = follow {
            state.channel = Some(channel);
            state.last_id = 0;
        }
        if let Some(goodbye) = closing {
            // Best effort: a client that closes or misbehaves gets its
            // close frame if its socket takes it now.
            let _ = state.send(&subscriber.tcp, goodbye, arrived);
            return false;
        }
        drop(state);
        ok && (!switched || self.catch_up_now(subscriber, arrived))
    }

    /// Runs the shard until `shutdown`: delivers at every raise of
    /// `signal`, reads what clients send, keeps idle subscribers alive, and
    /// says goodbye at the end.
    pub async fn run(
        self: Arc<Self>,
        mut signal: watch::Receiver<u64>,
        shutdown: CancellationToken,
    ) {
        let every = self.config.keepalive_every;
        let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                changed = signal.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    self.deliver();
                }
                () = self.readable.notify.notified() => self.read_readable(),
                _ = keepalive.tick() => self.keep_alive(),
            }
        }
        self.say_goodbye();
    }

    /// Delivers what every subscriber has not had; drops the stuck ones.
    pub fn deliver(&self) {
        let started = Instant::now();
        // The channels' new messages, fetched once per channel and last id
        // (all up-to-date subscribers of a channel share one entry).
        let mut fresh: Vec<(Arc<Channel>, u64, Vec<Message>)> = Vec::new();
        let mut scratch = Vec::new();
        let mut delivered = 0;
        let mut gone = Vec::new();
        let mut subscribers = self.subscribers();
        for (key, subscriber) in subscribers.iter() {
            let mut state = lock(&subscriber.state);
            if state
                .blocked_since
                .is_some_and(|since| started.duration_since(since) >= self.config.write_timeout)
            {
                tracing::debug!(
                    write_timeout = ?self.config.write_timeout,
                    "dropping a subscriber that stopped reading"
                );
                gone.push(key);
                continue;
            }
            let Some(channel) = &state.channel else {
                continue;
            };
            let last_id = state.last_id;
            if channel.newest_id() <= last_id && state.unsent.is_empty() && state.queued.is_empty()
            {
                continue;
            }
            let entry = match fresh
                .iter()
                .position(|(c, after, _)| *after == last_id && Arc::ptr_eq(c, channel))
            {
                Some(at) => at,
                None => {
                    let mut messages = Vec::new();
                    channel.after(last_id, &mut messages);
                    fresh.push((channel.clone(), last_id, messages));
                    fresh.len() - 1
                }
            };
            let (_, after, messages) = &fresh[entry];
            match state.catch_up(
                &subscriber.tcp,
                Some((*after, messages)),
                started,
                &mut scratch,
            ) {
                Ok(count) => delivered += count,
                Err(_) => gone.push(key),
            }
        }
        if !gone.is_empty() {
            metrics::counter!("clocker_fanout_dropped_total").increment(gone.len() as u64);
        }
        for key in gone {
            self.remove(&mut subscribers, key);
        }
        drop(subscribers);
        self.counters.add_delivered(delivered);
        metrics::histogram!("clocker_fanout_delivery_seconds")
            .record(started.elapsed().as_secs_f64());
    }

    /// Sends every subscriber the keepalive; closes WebSockets not heard
    /// from for the silence limit.
    fn keep_alive(&self) {
        let now = Instant::now();
        let mut subscribers = self.subscribers();
        let mut gone = Vec::new();
        for (key, subscriber) in subscribers.iter() {
            let mut state = lock(&subscriber.state);
            let silent = self
                .config
                .silence_limit
                .is_some_and(|limit| now.duration_since(state.last_heard) > limit);
            if silent {
                tracing::debug!("closing a WebSocket not heard from");
            }
            if silent
                || state
                    .send(&subscriber.tcp, self.config.keepalive.clone(), now)
                    .is_err()
            {
                gone.push(key);
            }
        }
        for key in gone {
            self.remove(&mut subscribers, key);
        }
    }

    /// Sends every subscriber the goodbye (if its socket takes it now) and
    /// lets it go.
    fn say_goodbye(&self) {
        let now = Instant::now();
        let mut subscribers = self.subscribers();
        for (_, subscriber) in subscribers.iter() {
            if let Some(goodbye) = &self.config.goodbye {
                let _ = lock(&subscriber.state).send(&subscriber.tcp, goodbye.clone(), now);
            }
        }
        let keys: Vec<usize> = subscribers.iter().map(|(key, _)| key).collect();
        for key in keys {
            self.remove(&mut subscribers, key);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Ends a connection both ways: what was written still goes.
fn end(tcp: &TcpStream) {
    let _ = socket2::SockRef::from(tcp).shutdown(Shutdown::Both);
}
