//! Findings 1 and 2 of issue 14, against `clocker serve timers`' ZeroMQ door:
//! a frame header declaring 2^40 bytes, a 200 MB frame, 3 million empty
//! "more" frames, garbage instead of a greeting, a silent connection, too many
//! connections from one address, and a client that never reads its replies.
//!
//! Each attack comes from 127.0.0.2 as raw ZMTP; meanwhile a real `zeromq`
//! REQ socket from 127.0.0.1 must still get its reply within
//! [`REPLY_BUDGET`], the process must be the same one, and its resident memory
//! may grow by at most [`RSS_GROWTH_KIB`].

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{Instant, timeout};
use zeromq::{ReqSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

use crate::support::{ATTACKER, PATIENCE, Served, attacker_connect, eventually};

/// How long a normal client's connect, request and reply may take (a debug
/// build on a busy machine; before the fix one got nothing within 3 s).
const REPLY_BUDGET: Duration = Duration::from_secs(2);
/// How much the service's resident memory may grow under each attack (before
/// the fix: an abort, +200 MB, +106 MB, +117 MB).
const RSS_GROWTH_KIB: u64 = 32 * 1024;

/// A ZMTP 3.0 greeting (NULL mechanism), as the zeromq crate sends it.
fn greeting() -> Vec<u8> {
    let mut greeting = vec![0u8; 64];
    greeting[0] = 0xff;
    greeting[9] = 0x7f;
    greeting[10] = 3;
    greeting[12..16].copy_from_slice(b"NULL");
    greeting
}

/// READY with Socket-Type `REQ`.
const REQ_READY: &[u8] = b"\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x03REQ";

/// The timer service on free ports with `env` (settings given as environment
/// variables), and its ZeroMQ endpoint. The normal client sets a timer per
/// check, so its address's quota of anonymous timers is lifted: these attacks
/// are on the transport, not the quota (hostile/timers.rs has that).
fn start(env: &[(&str, &str)]) -> (Served, String) {
    let args = [
        "--zmq-addr",
        "tcp://127.0.0.1:0",
        "--data-dir",
        "data",
        "--timer-quota-anonymous",
        "1000000",
    ];
    let served = Served::start("timers", &args, env);
    let endpoint = served.also_listening("zeromq");
    (served, endpoint)
}

fn socket_addr(endpoint: &str) -> SocketAddr {
    endpoint
        .strip_prefix("tcp://")
        .and_then(|addr| addr.parse().ok())
        .expect("tcp://host:port")
}

/// An attacker's connection that completed the handshake as a REQ socket.
async fn handshaken(endpoint: &str) -> TcpStream {
    let mut stream = attacker_connect(socket_addr(endpoint))
        .await
        .expect("connects");
    let mut hello = greeting();
    hello.extend_from_slice(REQ_READY);
    stream.write_all(&hello).await.expect("greets");
    let mut theirs = [0u8; 64 + 2];
    timeout(PATIENCE, stream.read_exact(&mut theirs))
        .await
        .expect("a greeting in time")
        .expect("a greeting");
    assert_eq!((theirs[0], theirs[9], theirs[64]), (0xff, 0x7f, 0x04));
    let mut ready = vec![0u8; usize::from(theirs[65])];
    timeout(PATIENCE, stream.read_exact(&mut ready))
        .await
        .expect("READY in time")
        .expect("READY");
    assert!(ready.ends_with(b"ROUTER"), "{ready:?}");
    stream
}

/// What the service sent before it closed the connection (reading at most
/// 1 MiB); fails unless it closed within [`PATIENCE`].
async fn until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut chunk = [0u8; 8192];
    let deadline = Instant::now() + PATIENCE;
    loop {
        let read = tokio::time::timeout_at(deadline, stream.read(&mut chunk))
            .await
            .expect("the service closes the connection");
        match read {
            Ok(0) | Err(_) => return seen,
            Ok(n) if seen.len() < 1 << 20 => seen.extend_from_slice(&chunk[..n]),
            Ok(_) => {}
        }
    }
}

/// A real REQ client from 127.0.0.1 sets a timer within [`REPLY_BUDGET`].
async fn assert_served(endpoint: &str) {
    let started = Instant::now();
    let reply = timeout(REPLY_BUDGET, async {
        let mut socket = ReqSocket::new();
        socket.connect(endpoint).await.expect("connects");
        let frames: Vec<bytes::Bytes> = vec!["0".into(), "1".into(), "30".into()];
        let request = ZmqMessage::try_from(frames).expect("frames");
        socket.send(request).await.expect("sent");
        socket.recv().await.expect("a reply")
    })
    .await
    .unwrap_or_else(|_| panic!("no reply within {REPLY_BUDGET:?}"));
    let body = reply.get(0).expect("a frame");
    assert!(
        body.starts_with(br#"{"ok":true"#) || body.windows(9).any(|w| w == br#""ok":true"#),
        "{}",
        String::from_utf8_lossy(body)
    );
    assert!(started.elapsed() <= REPLY_BUDGET);
}

/// The same process, its memory within bounds, and still serving.
async fn assert_unharmed(served: &mut Served, rss_before: u64, endpoint: &str) {
    served.assert_alive();
    let rss = served.rss_kib();
    eprintln!("timers RSS {rss_before} KiB -> {rss} KiB under attack");
    assert!(
        rss <= rss_before + RSS_GROWTH_KIB,
        "RSS grew from {rss_before} KiB to {rss} KiB"
    );
    assert_served(endpoint).await;
}

async fn logged(served: &Served, what: &str) {
    eventually(&format!("the log says {what:?}"), async || {
        served.log_text().contains(what).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_frame_header_declaring_2_to_the_40_bytes_is_refused_before_any_buffering() {
    let (mut served, endpoint) = start(&[]);
    let rss_before = served.rss_kib();
    // The seen attack was repeated: each time the service aborted.
    for _ in 0..3 {
        let mut stream = handshaken(&endpoint).await;
        let mut attack = vec![0x01, 0x00, 0x02];
        attack.extend_from_slice(&(1u64 << 40).to_be_bytes());
        stream.write_all(&attack).await.expect("sent");
        let refusal = String::from_utf8_lossy(&until_closed(&mut stream).await).into_owned();
        assert!(
            refusal.contains(r#""ok":false"#) && refusal.contains("over the limit"),
            "{refusal:?}"
        );
    }
    logged(&served, "ZeroMQ peer dropped").await;
    assert_unharmed(&mut served, rss_before, &endpoint).await;
}

#[tokio::test]
async fn a_200_mb_frame_is_refused_at_its_header() {
    let (mut served, endpoint) = start(&[]);
    let rss_before = served.rss_kib();
    let mut stream = handshaken(&endpoint).await;
    let mut header = vec![0x01, 0x00, 0x02];
    header.extend_from_slice(&(200u64 << 20).to_be_bytes());
    stream.write_all(&header).await.expect("sent");
    let chunk = vec![b'x'; 1 << 20];
    let mut sent = 0usize;
    let deadline = Instant::now() + PATIENCE;
    while sent < 200 << 20 {
        match tokio::time::timeout_at(deadline, stream.write_all(&chunk)).await {
            Ok(Ok(())) => sent += chunk.len(),
            Ok(Err(_)) => break,
            Err(_) => panic!("the service neither read nor closed within {PATIENCE:?}"),
        }
    }
    // Closed long before: what got in fit in socket buffers.
    assert!(sent < 64 << 20, "{sent} bytes went in");
    logged(&served, "over the limit").await;
    assert_unharmed(&mut served, rss_before, &endpoint).await;
}

#[tokio::test]
async fn three_million_empty_more_frames_are_refused_at_the_first_over_the_frame_limit() {
    let (mut served, endpoint) = start(&[]);
    let rss_before = served.rss_kib();
    let mut stream = handshaken(&endpoint).await;
    let frames = [0x01u8, 0x00].repeat(3_000_000);
    // The socket may take it all into buffers, or be closed part way.
    let _ = timeout(PATIENCE, stream.write_all(&frames)).await;
    let refusal = String::from_utf8_lossy(&until_closed(&mut stream).await).into_owned();
    assert!(
        refusal.is_empty() || refusal.contains("more than 32 frames"),
        "{refusal:?}"
    );
    logged(&served, "a message of more than 32 frames").await;
    assert_unharmed(&mut served, rss_before, &endpoint).await;
}

#[tokio::test]
async fn garbage_instead_of_a_greeting_and_silence_are_dropped() {
    let (mut served, endpoint) = start(&[("CLOCKER_ZMQ_HANDSHAKE_TIMEOUT", "1s")]);
    let rss_before = served.rss_kib();
    let mut garbage = attacker_connect(socket_addr(&endpoint))
        .await
        .expect("connects");
    garbage
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("sent");
    let seen = until_closed(&mut garbage).await;
    assert!(seen.len() <= 64, "only our greeting: {seen:?}");
    logged(&served, "not a ZMTP peer").await;

    let mut silent = attacker_connect(socket_addr(&endpoint))
        .await
        .expect("connects");
    let started = Instant::now();
    until_closed(&mut silent).await;
    assert!(started.elapsed() >= Duration::from_millis(900));
    logged(&served, "no handshake within").await;
    assert_unharmed(&mut served, rss_before, &endpoint).await;
}

#[tokio::test]
async fn connections_over_the_per_address_cap_are_refused_with_an_error() {
    let (mut served, endpoint) = start(&[("CLOCKER_ZMQ_MAX_CONNECTIONS_PER_ADDRESS", "8")]);
    let rss_before = served.rss_kib();
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(handshaken(&endpoint).await);
    }
    let mut refused = attacker_connect(socket_addr(&endpoint))
        .await
        .expect("the kernel accepts");
    let seen = until_closed(&mut refused).await;
    assert!(
        seen.windows(20).any(|w| w == b"too many connections"),
        "an ERROR command: {seen:?}"
    );
    logged(&served, "refusing connections").await;
    // Another address is not refused.
    assert_unharmed(&mut served, rss_before, &endpoint).await;
    drop(held);
}

#[tokio::test]
async fn a_client_that_never_reads_is_dropped_and_delays_no_one() {
    let (mut served, endpoint) = start(&[("CLOCKER_ZMQ_WRITE_TIMEOUT", "1s")]);
    let rss_before = served.rss_kib();

    // A small receive buffer, never read: the replies back up at once.
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(ATTACKER, 0))
        .expect("binds 127.0.0.2");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let mut stream = socket
        .connect(socket_addr(&endpoint))
        .await
        .expect("connects");
    // 3 million requests (15 MB, more than socket buffers hold), each to be
    // answered with a ~200-byte error; no reply is ever read.
    let mut requests = greeting();
    requests.extend_from_slice(REQ_READY);
    for _ in 0..3_000_000 {
        requests.extend_from_slice(&[0x01, 0x00, 0x00, 0x01, b'{']);
    }
    let attack = tokio::spawn(async move { timeout(PATIENCE, stream.write_all(&requests)).await });

    // Served all along: while the attacker's replies back up, and after it
    // is dropped (at least 3 s in all; before the fix replies stopped).
    let started = Instant::now();
    loop {
        assert_served(&endpoint).await;
        if started.elapsed() >= Duration::from_secs(3) && served.log_text().contains("not reading")
        {
            break;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "the attacker was not dropped within {PATIENCE:?}"
        );
    }
    let written = attack.await.expect("the attacker's task");
    assert!(
        matches!(written, Ok(Err(_))),
        "the attacker's connection is closed by the service: {written:?}"
    );
    assert_unharmed(&mut served, rss_before, &endpoint).await;
}
