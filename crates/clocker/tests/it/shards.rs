//! The funnel and the stream on every core: with `--shards 2` the kernel
//! spreads their subscribers over two shards (each its own thread and
//! `SO_REUSEPORT` listener), and each shard writes every tick's frame to
//! its own subscribers.

use std::net::SocketAddr;

use clocker_fleet::ServiceName;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::support::{PATIENCE, TestFleet, connect, http_get, next_frame};

/// Subscribers per shard, from the service's `clocker_fanout_subscribers`.
async fn subscribers_per_shard(addr: SocketAddr, metrics_path: &str) -> Vec<(String, f64)> {
    http_get(addr, metrics_path)
        .await
        .lines()
        .filter_map(|line| line.strip_prefix("clocker_fanout_subscribers{"))
        .filter_map(|labels| {
            let shard = labels
                .split("shard=\"")
                .nth(1)?
                .split('"')
                .next()?
                .to_owned();
            let value = labels.rsplit(' ').next()?.parse().ok()?;
            Some((shard, value))
        })
        .collect()
}

/// 32 connections land on both shards (the kernel hashes each to one
/// listener: all on one would be a 1 in 2^31 chance).
fn spread_over_both(shards: &[(String, f64)]) -> bool {
    shards.len() == 2 && shards.iter().all(|(_, subscribers)| *subscribers > 0.0)
}

#[tokio::test]
async fn a_funnel_on_two_shards_sends_every_subscriber_its_frames_from_both() {
    let fleet = TestFleet::start_only(&[ServiceName::Funnel], &["--shards", "2"]).await;
    let funnel = fleet.addr(ServiceName::Funnel);
    let mut clients = Vec::new();
    for _ in 0..32 {
        clients.push(connect(funnel, "?tz=UTC").await);
    }
    for client in &mut clients {
        let first = next_frame(client).await;
        let next = next_frame(client).await;
        assert!(next.seq > first.seq, "{} after {}", next.seq, first.seq);
    }
    let shards = subscribers_per_shard(funnel, "/metrics").await;
    assert!(spread_over_both(&shards), "{shards:?}");
    fleet.stop().await;
}

/// The ids of the next `count` events of an SSE response on `tcp`.
async fn event_ids(lines: &mut BufReader<TcpStream>, count: usize) -> Vec<u64> {
    let mut ids = Vec::new();
    let mut line = String::new();
    while ids.len() < count {
        line.clear();
        let read = timeout(PATIENCE, lines.read_line(&mut line))
            .await
            .expect("an event in time")
            .expect("reads");
        assert_ne!(read, 0, "the stream ended");
        if let Some(id) = line.strip_prefix("id: ") {
            ids.push(id.trim().parse().expect("a numeric id"));
        }
    }
    ids
}

#[tokio::test]
async fn a_stream_on_two_shards_sends_every_listener_its_clock_events_from_both() {
    let fleet = TestFleet::start_only(&[ServiceName::Stream], &["--shards", "2"]).await;
    let stream = fleet.addr(ServiceName::Stream);
    let mut listeners = Vec::new();
    for _ in 0..32 {
        let mut tcp = TcpStream::connect(stream).await.expect("connects");
        tcp.write_all(b"GET /stream/time?tz=UTC HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("asks");
        listeners.push(BufReader::new(tcp));
    }
    for listener in &mut listeners {
        let ids = event_ids(listener, 2).await;
        assert!(ids[1] > ids[0], "{ids:?}");
    }
    let shards = subscribers_per_shard(stream, "/metrics/prometheus").await;
    assert!(spread_over_both(&shards), "{shards:?}");
    fleet.stop().await;
}
