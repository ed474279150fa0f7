//! The address of the client at the other end of a request's connection,
//! for limits kept per client (login throttling, quotas).
//!
//! Every port served by this runtime records it in each request's
//! extensions; [`PeerAddr::of_request`] reads it back in a gRPC method and
//! [`PeerAddr::of_extensions`] in an HTTP handler.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;

/// The remote address of the connection a request came on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

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
