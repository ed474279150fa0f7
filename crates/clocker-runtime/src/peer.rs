//! The address of the client at the other end of a request's connection,
//! for limits kept per client (login throttling, quotas).
//!
//! Every port served by this runtime records it in each request's
//! extensions; [`PeerAddr::of_request`] reads it back in a gRPC method and
//! [`PeerAddr::of_extensions`] in an HTTP handler.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::serve::{IncomingStream, Listener};

/// The remote address of the connection a request came on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// A listener whose connections' requests carry [`PeerAddr`] (as
/// `ConnectInfo<PeerAddr>`), whatever listener it wraps.
#[derive(Debug)]
pub(crate) struct Peered<L>(pub(crate) L);

impl<L: Listener<Addr = SocketAddr>> Listener for Peered<L> {
    type Io = L::Io;
    type Addr = SocketAddr;

    fn accept(&mut self) -> impl Future<Output = (Self::Io, Self::Addr)> + Send {
        self.0.accept()
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl<L> axum::extract::connect_info::Connected<IncomingStream<'_, Peered<L>>> for PeerAddr
where
    L: Listener<Addr = SocketAddr>,
{
    fn connect_info(stream: IncomingStream<'_, Peered<L>>) -> Self {
        Self(*stream.remote_addr())
    }
}

impl PeerAddr {
    /// The peer of an HTTP request, from its extensions.
    pub fn of_extensions(extensions: &axum::http::Extensions) -> Option<SocketAddr> {
        extensions
            .get::<ConnectInfo<PeerAddr>>()
            .map(|ConnectInfo(PeerAddr(addr))| *addr)
    }

    /// The peer of a gRPC request (served here, or by tonic's own server).
    pub fn of_request<T>(request: &tonic::Request<T>) -> Option<SocketAddr> {
        request
            .extensions()
            .get::<ConnectInfo<PeerAddr>>()
            .map(|ConnectInfo(PeerAddr(addr))| *addr)
            .or_else(|| request.remote_addr())
    }
}
