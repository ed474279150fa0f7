//! The fan-out engine over real sockets: shards on threads of their own,
//! each writing the channels' pre-encoded frames straight to its
//! subscribers, as the funnel and the stream run it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clocker_fanout::subscribers::{
    Counters, Handler, Reaction, Shard, ShardConfig, Subscription, Wire,
};
use clocker_fanout::websocket::{self, Opcode, close_code};
use clocker_fanout::{Channel, Message, Signal};
use clocker_runtime::{CancellationToken, ConnectionLimits, Gate, RuntimeConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const PATIENCE: Duration = Duration::from_secs(10);

/// Test clients say `follow:NAME` to switch channel and `echo:TEXT` to be
/// answered `TEXT`.
struct Commands {
    channels: HashMap<String, Arc<Channel>>,
}

impl Handler for Commands {
    type State = ();

    fn on_text(&self, (): &mut (), text: &str, _: Instant) -> Reaction {
        if let Some(name) = text.strip_prefix("follow:") {
            return Reaction {
                follow: self.channels.get(name).cloned(),
                reply: None,
            };
        }
        Reaction {
            reply: text.strip_prefix("echo:").map(str::to_owned),
            follow: None,
        }
    }
}

fn config(write_timeout: Duration) -> ShardConfig {
    ShardConfig {
        wire: Wire::WebSocket,
        write_timeout,
        keepalive_every: Duration::from_secs(3600),
        keepalive: websocket::encode(Opcode::Ping, b""),
        silence_limit: None,
        goodbye: Some(websocket::close(close_code::AWAY, "bye")),
        max_message: 4096,
    }
}

/// A shard on a thread of its own, serving every connection to `addr` as a
/// subscriber of `channels[first]`.
struct ServedShard {
    shard: Arc<Shard<Commands>>,
    addr: SocketAddr,
}

fn start_shard(
    channels: &HashMap<String, Arc<Channel>>,
    first: &str,
    signal: &Signal,
    write_timeout: Duration,
    shutdown: &CancellationToken,
) -> ServedShard {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    let handler = Arc::new(Commands {
        channels: channels.clone(),
    });
    let shard = Shard::new(
        0,
        handler,
        config(write_timeout),
        Counters::new("test_clients"),
    );
    let (serving, first, raised, stop) = (
        shard.clone(),
        channels[first].clone(),
        signal.watch(),
        shutdown.clone(),
    );
    clocker_runtime::spawn_single_threaded("test-shard", move || async move {
        let listener = TcpListener::from_std(listener).expect("listener");
        let gate = Gate::new("test", &ConnectionLimits::default());
        let settings = RuntimeConfig {
            unsent_limit_bytes: Some(4 * 1024),
            ..RuntimeConfig::default()
        };
        let running = tokio::spawn(serving.clone().run(raised, stop.clone()));
        loop {
            let (tcp, peer) = tokio::select! {
                () = stop.cancelled() => break,
                accepted = listener.accept() => accepted.expect("accept"),
            };
            let permit = gate.admit(&tcp, peer).expect("admitted");
            clocker_runtime::configure_accepted(&tcp, &settings);
            serving.join(Subscription {
                tcp,
                permit,
                channel: Some(first.clone()),
                after: 0,
                first: None,
                early: Bytes::new(),
                state: (),
            });
        }
        let _ = running.await;
    })
    .expect("a shard thread");
    ServedShard { shard, addr }
}

/// Polls `condition` until it holds, or fails after [`PATIENCE`].
async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn publish(channel: &Channel, id: u64, payload: &str) {
    channel.publish_and_raise(Message {
        id,
        bytes: websocket::text(payload),
    });
}

/// A WebSocket client reading server frames off a raw socket.
struct Client {
    tcp: TcpStream,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Self {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        Self { tcp }
    }

    /// A client whose socket holds little (16 KiB) before the server's
    /// writes block: a slow reader on a real network.
    async fn connect_small(addr: SocketAddr) -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(16 * 1024).expect("SO_RCVBUF");
        let tcp = socket.connect(addr).await.expect("connect");
        Self { tcp }
    }

    /// The next frame, or `None` at the end of the connection.
    async fn frame(&mut self) -> Option<(u8, Vec<u8>)> {
        tokio::time::timeout(PATIENCE, async {
            let mut head = [0u8; 2];
            self.tcp.read_exact(&mut head).await.ok()?;
            assert_eq!(head[1] & 0x80, 0, "server frames are not masked");
            let len = match head[1] & 0x7F {
                126 => usize::from(self.tcp.read_u16().await.ok()?),
                127 => usize::try_from(self.tcp.read_u64().await.ok()?).ok()?,
                len => usize::from(len),
            };
            let mut payload = vec![0; len];
            self.tcp.read_exact(&mut payload).await.ok()?;
            Some((head[0], payload))
        })
        .await
        .expect("a frame or the end in time")
    }

    /// The next text frame's payload, skipping pings.
    async fn text(&mut self) -> String {
        loop {
            let (first, payload) = self.frame().await.expect("a frame");
            if first == 0x81 {
                return String::from_utf8(payload).expect("UTF-8");
            }
        }
    }

    async fn send(&mut self, first: u8, payload: &[u8]) {
        let mask = [1, 2, 3, 4];
        let mut frame = vec![first, 0x80 | u8::try_from(payload.len()).expect("short")];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.tcp.write_all(&frame).await.expect("send");
    }
}

fn channels(names: &[&str], capacity: usize, signal: &Signal) -> HashMap<String, Arc<Channel>> {
    names
        .iter()
        .map(|name| ((*name).to_owned(), Channel::new(capacity, signal.clone())))
        .collect()
}

#[tokio::test]
async fn every_subscriber_of_every_shard_gets_every_frame_in_order() {
    let signal = Signal::default();
    let channels = channels(&["a"], 64, &signal);
    let shutdown = CancellationToken::new();
    let shards: Vec<ServedShard> = (0..2)
        .map(|_| start_shard(&channels, "a", &signal, PATIENCE, &shutdown))
        .collect();
    let mut clients = Vec::new();
    for shard in &shards {
        for _ in 0..20 {
            clients.push(Client::connect(shard.addr).await);
        }
    }
    for shard in &shards {
        eventually("every client subscribed", || shard.shard.len() == 20).await;
    }
    for id in 1..=30 {
        publish(&channels["a"], id, &format!("frame {id}"));
    }
    for client in &mut clients {
        for id in 1..=30 {
            assert_eq!(client.text().await, format!("frame {id}"));
        }
    }
    shutdown.cancel();
}

#[tokio::test]
async fn a_client_that_never_reads_is_dropped_while_another_keeps_its_frames() {
    // Frames that fill its socket part-way, and frames its full socket
    // refuses whole (a write that moves nothing must not reset the clock).
    for size in [32 * 1024, 100] {
        a_stuck_client_is_dropped(size).await;
    }
}

async fn a_stuck_client_is_dropped(size: usize) {
    let signal = Signal::default();
    let channels = channels(&["a"], 1, &signal);
    let shutdown = CancellationToken::new();
    let write_timeout = Duration::from_millis(300);
    let served = start_shard(&channels, "a", &signal, write_timeout, &shutdown);
    let _stuck = Client::connect_small(served.addr).await;
    let mut reading = Client::connect(served.addr).await;
    eventually("both subscribed", || served.shard.len() == 2).await;
    let big = "x".repeat(size);
    let started = Instant::now();
    let mut id = 0;
    while served.shard.len() == 2 {
        assert!(
            started.elapsed() < PATIENCE,
            "the stuck client is still served"
        );
        id += 1;
        publish(&channels["a"], id, &format!("{id} {big}"));
        let text = reading.text().await;
        assert!(text.ends_with(&big), "a whole frame");
    }
    assert!(started.elapsed() >= write_timeout);
    // The reader still gets what comes next.
    publish(&channels["a"], id + 1, "after");
    assert_eq!(reading.text().await, "after");
    shutdown.cancel();
}

#[tokio::test]
async fn a_slow_client_skips_to_the_newest_frame_and_frames_stay_whole() {
    let signal = Signal::default();
    let channels = channels(&["a"], 1, &signal);
    let shutdown = CancellationToken::new();
    let served = start_shard(&channels, "a", &signal, PATIENCE, &shutdown);
    let mut slow = Client::connect_small(served.addr).await;
    eventually("subscribed", || served.shard.len() == 1).await;
    let body = "y".repeat(4 * 1024);
    // The client does not read while 300 frames of 4 KiB are published:
    // far more than its socket holds.
    for id in 1..=300 {
        publish(&channels["a"], id, &format!("{id:05} {body}"));
        tokio::task::yield_now().await;
    }
    let (mut seen, mut last) = (0, 0);
    while last < 300 {
        let text = slow.text().await;
        assert!(text.ends_with(&body), "frames stay whole: {}", &text[..8]);
        let id: u64 = text[..5].parse().expect("an id");
        assert!(id > last, "{id} after {last}");
        (seen, last) = (seen + 1, id);
        if last < 300 {
            // Frames that were waiting are read; the newest follows at the next publication.
            publish(&channels["a"], 300, &format!("{:05} {body}", 300));
        }
    }
    assert!(seen < 300, "a slow client skips frames: it read {seen}");
    shutdown.cancel();
}

#[tokio::test]
async fn pings_are_answered_messages_handled_and_a_close_echoed_then_the_connection_ends() {
    let signal = Signal::default();
    let channels = channels(&["a"], 1, &signal);
    let shutdown = CancellationToken::new();
    let served = start_shard(&channels, "a", &signal, PATIENCE, &shutdown);
    let mut client = Client::connect(served.addr).await;
    eventually("subscribed", || served.shard.len() == 1).await;

    client.send(0x89, b"hi").await;
    assert_eq!(client.frame().await, Some((0x8A, b"hi".to_vec())));
    client.send(0x81, b"echo:x").await;
    assert_eq!(client.text().await, "x");
    client.send(0x88, &close_code::NORMAL.to_be_bytes()).await;
    let (first, payload) = client.frame().await.expect("the close echoed");
    assert_eq!(first, 0x88);
    assert_eq!(payload, close_code::NORMAL.to_be_bytes());
    assert_eq!(client.frame().await, None, "then the end");
    eventually("the subscriber gone", || served.shard.is_empty()).await;

    // Binary is refused with its close code.
    let mut binary = Client::connect(served.addr).await;
    eventually("subscribed", || served.shard.len() == 1).await;
    binary.send(0x82, b"\x00").await;
    let (first, payload) = binary.frame().await.expect("a close");
    assert_eq!(first, 0x88);
    assert_eq!(payload[..2], close_code::UNSUPPORTED.to_be_bytes());
    eventually("the subscriber gone", || served.shard.is_empty()).await;
    shutdown.cancel();
}

#[tokio::test]
async fn a_client_switching_channel_mid_stream_gets_only_the_new_channels_frames() {
    let signal = Signal::default();
    let channels = channels(&["a", "b"], 1, &signal);
    let shutdown = CancellationToken::new();
    let served = start_shard(&channels, "a", &signal, PATIENCE, &shutdown);
    let mut client = Client::connect(served.addr).await;
    eventually("subscribed", || served.shard.len() == 1).await;
    publish(&channels["a"], 1, "a 1");
    publish(&channels["b"], 1, "b 1");
    assert_eq!(client.text().await, "a 1");
    client.send(0x81, b"follow:b").await;
    // The switch brings b's newest at once, and only b's from then on.
    assert_eq!(client.text().await, "b 1");
    for id in 2..=10 {
        publish(&channels["a"], id, &format!("a {id}"));
        publish(&channels["b"], id, &format!("b {id}"));
        assert_eq!(client.text().await, format!("b {id}"));
    }
    shutdown.cancel();
}

#[tokio::test]
async fn shutdown_says_goodbye_to_every_subscriber_and_ends_its_connection() {
    let signal = Signal::default();
    let channels = channels(&["a"], 1, &signal);
    let shutdown = CancellationToken::new();
    let served = start_shard(&channels, "a", &signal, PATIENCE, &shutdown);
    let mut clients = Vec::new();
    for _ in 0..5 {
        clients.push(Client::connect(served.addr).await);
    }
    eventually("subscribed", || served.shard.len() == 5).await;
    shutdown.cancel();
    for client in &mut clients {
        let (first, payload) = client.frame().await.expect("a goodbye");
        assert_eq!(first, 0x88);
        assert_eq!(payload[..2], close_code::AWAY.to_be_bytes());
        assert_eq!(client.frame().await, None);
    }
}
