//! A `clocker serve` process under attack: how to start one, reach it as an
//! attacker (from 127.0.0.2) and check that it is still the same, healthy,
//! bounded process.

#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

/// How long any single wait in these tests may take before it fails.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// The address attackers connect from: another host, as far as the service can tell.
pub const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// A TCP connection to `addr` from [`ATTACKER`].
pub async fn attacker_connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(ATTACKER, 0))?;
    socket.connect(addr).await
}

/// Polls `check` until it returns `Some`, failing after [`PATIENCE`] with `what`.
pub async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "not within {PATIENCE:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[path = "../common/fleet.rs"]
mod fleet;
#[path = "../common/serving.rs"]
mod serving;
pub use fleet::TestFleet;
pub use serving::Served;
