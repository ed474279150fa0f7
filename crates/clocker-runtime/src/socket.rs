//! Sockets: binding a service's port (or taking the one handed over to it),
//! admitting what it accepts through a [`Gate`], and the options every
//! accepted socket gets (TCP_NODELAY, keepalive, the unsent-bytes limit).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

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
    TcpListener::bind(addr).await.map_err(|source| {
        if source.kind() == io::ErrorKind::AddrInUse {
            LaunchError::PortInUse { service, addr }
        } else {
            LaunchError::Bind {
                service,
                addr,
                source,
            }
        }
    })
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

/// `listener`, admitting every socket it accepts through a [`Gate`] of
/// `settings`' caps and giving it [`configure_accepted`], and the address
/// it is bound to.
pub(crate) fn gated(
    service: &'static str,
    listener: TcpListener,
    settings: &RuntimeConfig,
) -> Result<(GatedListener, SocketAddr), LaunchError> {
    let addr = local_addr(service, &listener)?;
    let gate = Gate::new(service, &settings.connections);
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
    if let Err(err) = socket2::SockRef::from(tcp).set_tcp_keepalive(&keepalive) {
        tracing::warn!(%err, "cannot set TCP keepalive");
    }
    if let Some(bytes) = settings.unsent_limit_bytes {
        limit_unsent(tcp, bytes);
    }
}

/// Sets `TCP_NOTSENT_LOWAT` where the platform has it (Linux, Android).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn limit_unsent(tcp: &tokio::net::TcpStream, bytes: u32) {
    if let Err(err) = socket2::SockRef::from(tcp).set_tcp_notsent_lowat(bytes) {
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
    async fn port_zero_binds_a_free_port() {
        let listener = bind("hours", "127.0.0.1:0".parse().expect("literal"))
            .await
            .expect("bind");
        assert_ne!(listener.local_addr().expect("addr").port(), 0);
    }
}
