//! Shutdown drains a service's own tasks, not only its gRPC calls: a ZeroMQ
//! request read before SIGTERM is carried out and answered before the
//! process exits, and a timer watcher that leaves ends its task.

use std::time::Duration;

use clocker_proto::v1::WatchTimersRequest;
use clocker_proto::v1::timers_client::TimersClient;
use clocker_store::{Store, StoreConfig};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::time::{Instant, timeout};
use zeromq::{ReqSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

use crate::support::{PATIENCE, Served, http_get};

/// Polls `check` every 10 ms until it holds; fails after [`PATIENCE`].
async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !check().await {
        assert!(Instant::now() < deadline, "not within {PATIENCE:?}: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `(tx_queue, rx_queue)` of every established IPv4 TCP socket whose local
/// (`local` true) or remote port is `port`, from /proc/net/tcp.
fn queues(port: u16, local: bool) -> Vec<(u64, u64)> {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    let port_of = |address: &str| {
        address
            .rsplit_once(':')
            .and_then(|(_, hex)| u16::from_str_radix(hex, 16).ok())
    };
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (ours, theirs, state, queues) = (fields[1], fields[2], fields[3], fields[4]);
            let matched = port_of(if local { ours } else { theirs }) == Some(port);
            // 01: ESTABLISHED.
            (matched && state == "01").then(|| {
                let (tx, rx) = queues.split_once(':').expect("tx:rx");
                (
                    u64::from_str_radix(tx, 16).expect("hex"),
                    u64::from_str_radix(rx, 16).expect("hex"),
                )
            })
        })
        .collect()
}

#[tokio::test]
async fn a_zeromq_set_read_before_sigterm_is_committed_and_answered_before_exit() {
    let data = tempfile::tempdir().expect("a data directory");
    let data_dir = data.path().to_str().expect("UTF-8");
    let mut timers = Served::start(
        "timers",
        &["--zmq-addr", "tcp://127.0.0.1:0", "--data-dir", data_dir],
        &[("RUST_LOG", "info")],
    );
    let endpoint = timers.also_listening("zeromq");
    let zmq_port: u16 = endpoint
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port");

    // The test holds SQLite's write lock, so the set waits inside its commit.
    let store = Store::connect(&StoreConfig::sqlite_in(data.path()))
        .await
        .expect("the store");
    let mut lock = store.pool().acquire().await.expect("a connection");
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut *lock)
        .await
        .expect("the write lock");

    let mut client = ReqSocket::new();
    client.connect(&endpoint).await.expect("connects");
    let set: Vec<bytes::Bytes> = [&b"0"[..], b"1", b"30"]
        .map(bytes::Bytes::from_static)
        .to_vec();
    client
        .send(ZmqMessage::try_from(set).expect("frames"))
        .await
        .expect("sent");
    // Sent (nothing unacknowledged on our side) and read by the service
    // (nothing waiting in its receive queue): the set is in flight.
    until("the service read the request", async || {
        let sent = queues(zmq_port, false).iter().all(|&(tx, _)| tx == 0);
        let read = queues(zmq_port, true);
        sent && !read.is_empty() && read.iter().all(|&(_, rx)| rx == 0)
    })
    .await;

    kill(Pid::from_raw(timers.pid() as i32), Signal::SIGTERM).expect("SIGTERM");
    until("the service began shutting down", async || {
        timers
            .log_text()
            .contains("SIGTERM received, shutting down")
    })
    .await;
    timers.assert_alive();
    // Only now may the set commit.
    sqlx::raw_sql("COMMIT")
        .execute(&mut *lock)
        .await
        .expect("released");
    drop(lock);

    let reply = timeout(PATIENCE, client.recv())
        .await
        .unwrap_or_else(|_| panic!("no reply before exit; log:\n{}", timers.log_text()))
        .unwrap_or_else(|err| panic!("no reply ({err}); log:\n{}", timers.log_text()));
    let body: serde_json::Value =
        serde_json::from_slice(&reply.into_vec().pop().expect("a frame")).expect("JSON");
    assert_eq!(body["ok"], true, "{body}");
    let id = body["id"].as_str().expect("an id");

    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = timers.child.try_wait().expect("waitpid") {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after the drain");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(status.success(), "{status}; log:\n{}", timers.log_text());
    let stored = store.get_timer(id).await.expect("read");
    assert!(stored.is_some(), "the answered timer {id} is stored");
}

/// The open watches the service counts in its metrics.
async fn watchers(timers: &Served) -> Option<u64> {
    http_get(timers.addr, "/metrics")
        .await
        .lines()
        .find_map(|line| line.strip_prefix("clocker_timers_watchers "))
        .and_then(|value| value.trim().parse().ok())
}

#[tokio::test]
async fn a_timer_watcher_that_leaves_ends_its_task() {
    let data = tempfile::tempdir().expect("a data directory");
    let data_dir = data.path().to_str().expect("UTF-8");
    let timers = Served::start(
        "timers",
        &["--zmq-addr", "tcp://127.0.0.1:0", "--data-dir", data_dir],
        &[],
    );
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", timers.addr))
        .expect("a URL")
        .connect()
        .await
        .expect("connects");
    let mut client = TimersClient::new(channel);
    let mut streams = Vec::new();
    for n in 0..20 {
        let request = WatchTimersRequest {
            ids: vec![format!("00000000-0000-7000-8000-{n:012}")],
            ..Default::default()
        };
        streams.push(
            client
                .watch_timers(request)
                .await
                .expect("watching")
                .into_inner(),
        );
    }
    until("20 watchers counted", async || {
        watchers(&timers).await == Some(20)
    })
    .await;
    // They leave (no event ever came for them).
    drop(streams);
    drop(client);
    until("every watcher's task ended", async || {
        watchers(&timers).await == Some(0)
    })
    .await;
}
