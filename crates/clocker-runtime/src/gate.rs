//! Connection budgets: how many connections a port holds at once, overall
//! and per client address, and the refusal a client over either cap gets.
//!
//! Every accepted socket asks the [`Gate`] for a [`Permit`] before anything
//! is read from it or allocated for it. The permit travels with the
//! connection ([`Admitted`]), into an upgraded WebSocket or a long stream
//! too, and gives its place back when the socket is dropped. A refused
//! client is sent a minimal `503` with `Retry-After` (written without
//! waiting, from the empty send buffer of a new socket) and the socket is
//! closed; refusals are logged at most once a second and counted in
//! `clocker_connections_refused_total`.
//!
//! The per-address counts live in a map that holds only addresses with an
//! open connection, so it never has more entries than the overall cap.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::log_rate_limit::LogRateLimit;

/// What a port lets its clients hold, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections open at once on one port (also bounded by the process's
    /// open-file limit, less a reserve for its own work).
    pub max_connections: usize,
    /// Connections open at once from one client address.
    pub max_per_address: usize,
    /// How long a client may take to send a request head, counted from the
    /// connection's start or, on a kept-alive HTTP/1 connection, from the
    /// end of the previous response.
    pub header_timeout: Duration,
    /// How long a connection may stay open with no request in flight (an
    /// HTTP/2 connection between calls, for one).
    pub idle_timeout: Duration,
    /// How often an HTTP/2 connection is pinged, and how long its answer
    /// may take before the connection is closed.
    pub http2_keepalive: Duration,
    pub http2_keepalive_timeout: Duration,
    /// Idle time before TCP keepalive probes (a vanished peer is noticed
    /// about a minute after).
    pub tcp_keepalive: Duration,
    /// Requests in flight at once on one HTTP/2 connection.
    pub max_streams: u32,
    /// How long a write may make no progress before the connection is
    /// closed (a client that stopped reading).
    pub write_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 10_000,
            max_per_address: 256,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            http2_keepalive: Duration::from_secs(20),
            http2_keepalive_timeout: Duration::from_secs(10),
            tcp_keepalive: Duration::from_secs(30),
            max_streams: 100,
            write_timeout: Duration::from_secs(10),
        }
    }
}

/// Descriptors a service keeps for its own work (upstream channels, the
/// store, logs) when its open-file limit bounds the connection cap.
const RESERVED_FILES: u64 = 256;

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The port holds as many connections as it may.
    Full,
    /// The client's address holds as many connections as it may.
    AddressFull,
}

impl Refused {
    fn as_str(self) -> &'static str {
        match self {
            Refused::Full => "port_full",
            Refused::AddressFull => "address_full",
        }
    }

    /// The whole answer a refused HTTP client gets.
    fn http_response(self) -> Vec<u8> {
        let answer: &[u8] = match self {
            Refused::Full => {
                b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 52\r\n\r\n{\"error\":\"too many connections; retry in a second\"}\n"
            }
            Refused::AddressFull => {
                b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 63\r\n\r\n{\"error\":\"too many connections from your address; close some\"}\n"
            }
        };
        answer.to_vec()
    }
}

/// Counts connections of one port against its caps.
#[derive(Debug, Clone)]
pub struct Gate {
    /// Whose port it is, for logs and metrics.
    service: &'static str,
    max_connections: usize,
    max_per_address: usize,
    counts: Arc<Mutex<Counts>>,
    refusal_log: Arc<LogRateLimit>,
    /// What a refused client is told, in its port's protocol.
    answer: fn(Refused) -> Vec<u8>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    /// Only addresses with at least one open connection.
    per_address: HashMap<IpAddr, usize>,
}

impl Gate {
    /// A gate for one port of `service` (a name for logs and metrics) with
    /// `limits`' caps, the overall one lowered to what the open-file limit
    /// allows.
    pub fn new(service: &'static str, limits: &ConnectionLimits) -> Self {
        let mut max_connections = limits.max_connections.max(1);
        if let Ok((soft, _)) = rlimit::getrlimit(rlimit::Resource::NOFILE) {
            let usable = soft.saturating_sub(RESERVED_FILES).max(soft / 2);
            let usable = usize::try_from(usable).unwrap_or(usize::MAX).max(1);
            if usable < max_connections {
                tracing::info!(
                    service,
                    configured = max_connections,
                    open_file_limit = soft,
                    "connection cap lowered to fit the open-file limit"
                );
                max_connections = usable;
            }
        }
        Self {
            service,
            max_connections,
            max_per_address: limits.max_per_address.max(1),
            counts: Arc::default(),
            refusal_log: Arc::default(),
            answer: Refused::http_response,
        }
    }

    /// The same gate, telling refused clients `answer(why)` instead of an
    /// HTTP `503` (a port that speaks another protocol, such as ZeroMQ).
    pub fn answering(self, answer: fn(Refused) -> Vec<u8>) -> Self {
        Self { answer, ..self }
    }

    /// The overall cap in force.
    pub fn max_connections(&self) -> usize {
        self.max_connections
    }

    /// A place for one more connection from `peer`, or why not.
    pub fn try_admit(&self, peer: IpAddr) -> Result<Permit, Refused> {
        let peer = peer.to_canonical();
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if counts.total >= self.max_connections {
            return Err(Refused::Full);
        }
        let from_peer = counts.per_address.entry(peer).or_insert(0);
        if *from_peer >= self.max_per_address {
            return Err(Refused::AddressFull);
        }
        *from_peer += 1;
        counts.total += 1;
        Ok(Permit {
            counts: self.counts.clone(),
            peer,
        })
    }

    /// Admits the connection `tcp` from `peer`, or refuses it: answers it a
    /// `503` without waiting, logs (at most once a second) and counts the
    /// refusal. The caller drops a refused socket, which closes it.
    pub fn admit(&self, tcp: &TcpStream, peer: SocketAddr) -> Option<Permit> {
        match self.try_admit(peer.ip()) {
            Ok(permit) => Some(permit),
            Err(refused) => {
                self.refuse(tcp, peer, refused);
                None
            }
        }
    }

    fn refuse(&self, tcp: &TcpStream, peer: SocketAddr, refused: Refused) {
        // A new socket's send buffer is empty: this never waits.
        let _ = tcp.try_write(&(self.answer)(refused));
        // Unread bytes would turn the close into a reset that can discard
        // the answer before the client reads it.
        let mut unread = [0_u8; 1024];
        let _ = tcp.try_read(&mut unread);
        metrics::counter!(
            "clocker_connections_refused_total",
            "service" => self.service,
            "reason" => refused.as_str(),
        )
        .increment(1);
        if let Some(refusals) = self.refusal_log.record_event() {
            tracing::warn!(
                service = self.service,
                %peer,
                reason = refused.as_str(),
                refused = refusals,
                max_connections = self.max_connections,
                max_per_address = self.max_per_address,
                "refusing connections (count since the last such line)"
            );
        }
    }

    /// Connections open now, overall and from `peer`.
    pub fn open(&self, peer: IpAddr) -> (usize, usize) {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let from_peer = counts
            .per_address
            .get(&peer.to_canonical())
            .copied()
            .unwrap_or(0);
        (counts.total, from_peer)
    }
}

/// One connection's place in its [`Gate`], given back on drop.
#[derive(Debug)]
pub struct Permit {
    counts: Arc<Mutex<Counts>>,
    peer: IpAddr,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.total = counts.total.saturating_sub(1);
        if let Some(from_peer) = counts.per_address.get_mut(&self.peer) {
            *from_peer = from_peer.saturating_sub(1);
            if *from_peer == 0 {
                counts.per_address.remove(&self.peer);
            }
        }
    }
}

/// A connection with its [`Permit`]: the place is held for as long as the
/// connection lives, wherever it goes (an upgraded WebSocket included).
#[derive(Debug)]
pub struct Admitted<IO> {
    io: IO,
    _permit: Permit,
}

impl<IO> Admitted<IO> {
    pub fn new(io: IO, permit: Permit) -> Self {
        Self {
            io,
            _permit: permit,
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Admitted<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Admitted<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(max_connections: usize, max_per_address: usize) -> Gate {
        Gate::new(
            "gateway",
            &ConnectionLimits {
                max_connections,
                max_per_address,
                ..ConnectionLimits::default()
            },
        )
    }

    const ATTACKER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));
    const CLIENT: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1));

    #[test]
    fn one_address_is_refused_past_its_cap_while_another_is_admitted() {
        let gate = gate(100, 3);
        let held: Vec<Permit> = (0..3)
            .map(|_| gate.try_admit(ATTACKER).expect("within the cap"))
            .collect();
        assert_eq!(gate.try_admit(ATTACKER).err(), Some(Refused::AddressFull));
        let _client = gate.try_admit(CLIENT).expect("another address");
        drop(held);
        assert_eq!(gate.open(ATTACKER), (1, 0), "the map forgets an address");
        gate.try_admit(ATTACKER).expect("places given back");
    }

    #[test]
    fn the_port_is_refused_past_its_overall_cap() {
        let gate = gate(2, 10);
        let _a = gate.try_admit(ATTACKER).expect("first");
        let _b = gate.try_admit(CLIENT).expect("second");
        assert_eq!(gate.try_admit(CLIENT).err(), Some(Refused::Full));
    }

    #[test]
    fn an_ipv4_mapped_address_counts_as_its_ipv4_address() {
        let gate = gate(10, 1);
        let _held = gate.try_admit(ATTACKER).expect("first");
        let mapped = IpAddr::V6(std::net::Ipv4Addr::new(127, 0, 0, 2).to_ipv6_mapped());
        assert_eq!(gate.try_admit(mapped).err(), Some(Refused::AddressFull));
    }

    #[test]
    fn refusals_are_complete_http_answers() {
        for refused in [Refused::Full, Refused::AddressFull] {
            let answer = refused.http_response();
            let text = std::str::from_utf8(&answer).expect("ASCII");
            let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length: "))
                .and_then(|n| n.parse().ok())
                .expect("a content length");
            assert_eq!(body.len(), length, "{text}");
            assert!(head.starts_with("HTTP/1.1 503 "));
            serde_json::from_str::<serde_json::Value>(body).expect("JSON");
        }
    }
}
