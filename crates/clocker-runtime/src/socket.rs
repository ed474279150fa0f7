//! Sockets: binding a service's port (or taking the one handed over to it),
//! admitting what it accepts through a [`Gate`], and the options every
//! accepted socket gets (TCP_NODELAY, keepalive, the unsent-bytes limit).
//!
//! A port is bound for one process alone, then opened to that process's
//! shards ([`listen_shareable`], `SO_REUSEPORT`; see [`crate::shards`]).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use socket2::{Domain, Protocol, SockRef, Socket, Type};
use tokio::net::TcpListener;

use crate::config::RuntimeConfig;
use crate::gate::Gate;
use crate::launch::LaunchError;
use crate::serving::GatedListener;

/// Binds `addr` for `service` (port 0 picks a free port), or takes the
/// listener handed over for it ([`crate::inherited`]; `addr` is then unused).
pub async fn bind(service: &'static str, addr: SocketAddr) -> Result<TcpListener, LaunchError> {
    let bind_error = |source| LaunchError::Bind {
        service,
        addr,
        source,
    };
    match crate::inherited::take_service_listener(service) {
        Ok(Some(inherited)) => return TcpListener::from_std(inherited).map_err(bind_error),
        Ok(None) => {}
        Err(err) => return Err(bind_error(io::Error::other(err))),
    }
    let listener = listen_shareable(addr).map_err(|source| {
        if source.kind() == io::ErrorKind::AddrInUse {
            LaunchError::PortInUse { service, addr }
        } else {
            LaunchError::Bind {
                service,
                addr,
                source,
            }
        }
    })?;
    TcpListener::from_std(listener).map_err(bind_error)
}

/// How many connections wait, per listening socket, while nobody accepts
/// them (the kernel caps it at `net.core.somaxconn`); tokio's own default.
pub const BACKLOG: i32 = 1024;

/// Binds `addr` (port 0 picks one) for this process alone, then lets more
/// sockets of this process join it with `SO_REUSEPORT` (its shards, see
/// [`crate::shards::shard_listeners`]): non-blocking, close-on-exec, with
/// address reuse (a restart does not wait out TIME_WAIT) and a backlog of
/// [`BACKLOG`].
///
/// `SO_REUSEPORT` is set after the bind, not before: a port that anything
/// else holds (another Clocker process too, whose socket is shareable) is
/// `AddrInUse`, as without sharing, instead of being silently split between
/// two processes. Only a socket that asks for `SO_REUSEPORT` before its own
/// bind, of the same user, can join.
pub fn listen_shareable(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.set_reuse_port(true)?;
    socket.listen(BACKLOG)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// Binds one more socket on `like`'s address with `SO_REUSEPORT`: the
/// kernel then spreads new connections over it and the others (its
/// `SO_REUSEPORT` group: same address, same user). Same options as
/// [`listen_shareable`], and `like`'s IPv6-only setting (the group's
/// sockets must agree on it).
pub(crate) fn listen_beside(like: &std::net::TcpListener) -> io::Result<std::net::TcpListener> {
    let addr = like.local_addr()?;
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        socket.set_only_v6(SockRef::from(like).only_v6()?)?;
    }
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// The address `listener` is bound to, or a launch error naming `service`.
pub fn local_addr(
    service: &'static str,
    listener: &TcpListener,
) -> Result<SocketAddr, LaunchError> {
    listener
        .local_addr()
        .map_err(LaunchError::setup(service, "cannot read the bound address"))
}

/// `listener`, admitting every socket it accepts through `gate` (its
/// port's: one for all of the port's shards) and giving it
/// [`configure_accepted`], and the address it is bound to.
pub(crate) fn gated(
    service: &'static str,
    listener: TcpListener,
    gate: Gate,
    settings: &RuntimeConfig,
) -> Result<(GatedListener, SocketAddr), LaunchError> {
    let addr = local_addr(service, &listener)?;
    Ok((GatedListener::new(listener, gate, settings.clone()), addr))
}

/// What every accepted socket gets: TCP_NODELAY, TCP keepalive (a peer
/// that vanished is noticed), and the unsent-bytes limit when `settings`
/// sets one.
pub fn configure_accepted(tcp: &tokio::net::TcpStream, settings: &RuntimeConfig) {
    if let Err(err) = tcp.set_nodelay(true) {
        tracing::warn!(%err, "cannot set TCP_NODELAY");
    }
    let idle = settings.connections.tcp_keepalive;
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(idle)
        .with_interval((idle / 3).max(Duration::from_secs(1)))
        .with_retries(3);
    if let Err(err) = SockRef::from(tcp).set_tcp_keepalive(&keepalive) {
        tracing::warn!(%err, "cannot set TCP keepalive");
    }
    if let Some(bytes) = settings.unsent_limit_bytes {
        limit_unsent(tcp, bytes);
    }
}

/// Sets `TCP_NOTSENT_LOWAT` where the platform has it (Linux, Android).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn limit_unsent(tcp: &tokio::net::TcpStream, bytes: u32) {
    if let Err(err) = SockRef::from(tcp).set_tcp_notsent_lowat(bytes) {
        tracing::warn!(%err, bytes, "cannot set TCP_NOTSENT_LOWAT");
    }
}

/// Elsewhere the kernel's own buffering stands.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn limit_unsent(_tcp: &tokio::net::TcpStream, _bytes: u32) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_taken_port_is_a_one_line_error_naming_port_and_service() {
        let taken = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = taken.local_addr().expect("addr");
        let err = bind("hours", addr).await.expect_err("port is taken");
        assert!(matches!(err, LaunchError::PortInUse { .. }));
        let message = err.to_string();
        assert!(message.starts_with("hours: port 127.0.0.1:"), "{message}");
        assert!(message.contains(&addr.port().to_string()), "{message}");
        assert!(!message.contains('\n'));
    }

    #[tokio::test]
    async fn a_bound_port_takes_this_process_shards_but_refuses_a_second_service() {
        let bound = bind("hours", "127.0.0.1:0".parse().expect("literal"))
            .await
            .expect("bind");
        let addr = bound.local_addr().expect("addr");
        // Another `clocker serve` on the same port: refused, not sharing it.
        let err = bind("hours", addr).await.expect_err("port is taken");
        assert!(matches!(err, LaunchError::PortInUse { .. }), "{err}");
        // A shard of this process joins it (SO_REUSEPORT).
        let std = bound.into_std().expect("std");
        let shard = listen_beside(&std).expect("a shard's socket on the same port");
        assert_eq!(shard.local_addr().expect("addr"), addr);
    }

    #[tokio::test]
    async fn port_zero_binds_a_free_port() {
        let listener = bind("hours", "127.0.0.1:0".parse().expect("literal"))
            .await
            .expect("bind");
        assert_ne!(listener.local_addr().expect("addr").port(), 0);
    }
}
