//! The bare WebSocket writer (`clocker-bench bare-ws --tick-ms N`): the
//! floor P4 measures every broadcaster against. It answers the upgrade,
//! then every tick builds one frame of the funnel's shape, encodes it once
//! and hands it to every socket with one non-blocking `write(2)`, and does
//! nothing else: no reads after the handshake, no pings, no per-client
//! state beyond the socket, no queue for a socket that is full (its frame is
//! skipped). What it costs per delivery is what the kernel charges for one
//! write to a loopback TCP socket, the receiving side's protocol work
//! included (loopback runs it in the sender's context), plus a loop.
//! It runs on one current-thread runtime, as Node.js's one event loop does.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::MissedTickBehavior;

/// The most a handshake may take before its connection is dropped.
const HANDSHAKE_LIMIT: usize = 4096;

/// Options of `clocker-bench bare-ws`.
#[derive(Debug, Clone, clap::Args)]
pub struct BareWsArgs {
    /// How often a frame goes to every client, in ms.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
    pub tick_ms: u64,
}

type Clients = Arc<Mutex<Vec<TcpStream>>>;

/// Serves until killed; prints `bare-ws listening on ADDR` first.
pub fn serve(args: &BareWsArgs) -> anyhow::Result<()> {
    crate::current_thread()?.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut out = io::stdout().lock();
        writeln!(out, "bare-ws listening on {}", listener.local_addr()?)?;
        out.flush()?;
        drop(out);
        let clients = Clients::default();
        tokio::spawn(broadcast(
            clients.clone(),
            Duration::from_millis(args.tick_ms),
        ));
        loop {
            let (tcp, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(err) => {
                    eprintln!("bare-ws: accept failed: {err}");
                    continue;
                }
            };
            let clients = clients.clone();
            tokio::spawn(async move {
                match upgrade(tcp).await {
                    Ok(tcp) => clients
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(tcp),
                    Err(err) => eprintln!("bare-ws: handshake failed: {err:#}"),
                }
            });
        }
    })
}

/// Reads the upgrade request and answers it.
async fn upgrade(mut tcp: TcpStream) -> anyhow::Result<TcpStream> {
    tcp.set_nodelay(true)?;
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !head.ends_with(b"\r\n\r\n") {
        let read = tcp.read(&mut chunk).await?;
        anyhow::ensure!(read > 0, "closed during the handshake");
        head.extend_from_slice(&chunk[..read]);
        anyhow::ensure!(
            head.len() <= HANDSHAKE_LIMIT,
            "a head over {HANDSHAKE_LIMIT} bytes"
        );
    }
    let key = client_key(&head).context("no Sec-WebSocket-Key")?;
    let answer = clocker_fanout::websocket::handshake_response(key);
    tcp.write_all(&answer).await?;
    Ok(tcp)
}

/// The `Sec-WebSocket-Key` header's value in a request head.
fn client_key(head: &[u8]) -> Option<&[u8]> {
    head.split(|&byte| byte == b'\n').find_map(|line| {
        let colon = line.iter().position(|&byte| byte == b':')?;
        let (name, value) = line.split_at(colon);
        name.eq_ignore_ascii_case(b"sec-websocket-key")
            .then(|| value[1..].trim_ascii())
    })
}

/// Every tick: one frame, one write per client; a client whose socket
/// takes only part of it, or fails, is closed.
async fn broadcast(clients: Clients, tick: Duration) {
    let mut ticks = tokio::time::interval(tick);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    for seq in 0u64.. {
        ticks.tick().await;
        let frame = clocker_fanout::websocket::text(&clock_json(seq));
        clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|tcp| match tcp.try_write(&frame) {
                Ok(written) => written == frame.len(),
                Err(err) => err.kind() == io::ErrorKind::WouldBlock,
            });
    }
}

/// A frame of the funnel's shape (and the Node.js peer's): the UTC time now.
fn clock_json(seq: u64) -> String {
    let unix_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64);
    let of_day = unix_ms % 86_400_000;
    let (hours, minutes) = (of_day / 3_600_000, of_day / 60_000 % 60);
    let (seconds, milliseconds) = (of_day / 1000 % 60, of_day % 1000);
    format!(
        r#"{{"time":"{hours:02}:{minutes:02}:{seconds:02}.{milliseconds:03}","hours":{hours},"minutes":{minutes},"seconds":{seconds},"milliseconds":{milliseconds},"unix_ms":{unix_ms},"tz":"UTC","seq":{seq}}}"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_found_whatever_the_header_case() {
        let head = b"GET /ws HTTP/1.1\r\nHost: x\r\nsec-WebSocket-KEY:  dGhlIHNhbXBsZQ== \r\n\r\n";
        assert_eq!(client_key(head), Some(&b"dGhlIHNhbXBsZQ=="[..]));
        assert_eq!(client_key(b"GET / HTTP/1.1\r\n\r\n"), None);
    }

    #[test]
    fn a_frame_has_the_funnel_shape() {
        let json: serde_json::Value = serde_json::from_str(&clock_json(7)).expect("JSON");
        assert_eq!(json["seq"], 7);
        assert_eq!(json["tz"], "UTC");
        assert!(json["unix_ms"].as_u64().is_some_and(|ms| ms > 0));
        assert_eq!(json["time"].as_str().map(str::len), Some(12));
    }
}
