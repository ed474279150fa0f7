//! Who is at the other end of a request: the peer's address, or — when the
//! peer is a trusted proxy such as the REST gateway — the client address the
//! proxy forwards in `x-forwarded-for` metadata. Per-address limits (login
//! throttling, anonymous timer quotas) key on this, so it must not be
//! spoofable: the header counts only from a configured proxy.
//!
//! Every port served by this runtime records the peer in each request's
//! extensions; [`PeerAddr::of_request`] reads it back in a gRPC method and
//! [`PeerAddr::of_extensions`] in an HTTP handler.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use tonic::metadata::MetadataMap;

/// The metadata (HTTP header) a proxy puts the client's address in.
pub const FORWARDED_FOR: &str = "x-forwarded-for";

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

/// Puts the peer of the HTTP request whose `extensions` are given into
/// `request`'s `x-forwarded-for`, replacing what the client sent (a proxy
/// at the edge, such as the REST gateway, names the client it saw).
pub fn forward_peer<T>(request: &mut tonic::Request<T>, extensions: &axum::http::Extensions) {
    let metadata = request.metadata_mut();
    metadata.remove(FORWARDED_FOR);
    if let Some(ConnectInfo(PeerAddr(peer))) = extensions.get::<ConnectInfo<PeerAddr>>()
        && let Ok(value) = peer.ip().to_canonical().to_string().parse()
    {
        metadata.insert(FORWARDED_FOR, value);
    }
}

/// The client's address: the last hop of `x-forwarded-for` when `peer` is
/// one of `trusted_proxies` (what that proxy saw), else `peer` itself.
pub fn client_ip(
    peer: Option<IpAddr>,
    metadata: &MetadataMap,
    trusted_proxies: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer.map(|peer| peer.to_canonical());
    let Some(proxy) = peer.filter(|peer| trusted_proxies.iter().any(|p| p.to_canonical() == *peer))
    else {
        return peer;
    };
    metadata
        .get(FORWARDED_FOR)
        .and_then(|value| value.to_str().ok())
        .and_then(|list| list.rsplit(',').next())
        .and_then(|last| last.trim().parse::<IpAddr>().ok())
        .map(|client| client.to_canonical())
        .or(Some(proxy))
}

/// The network a client is counted by in per-address limits: an IPv4
/// address (also when mapped into IPv6) as it is, an IPv6 address by its
/// /64 (one host usually holds a whole /64, so counting its addresses one by
/// one would count nothing).
pub fn client_network(addr: IpAddr) -> IpAddr {
    match addr.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_counted_by_ipv4_address_or_ipv6_64() {
        let network = |addr: &str| client_network(addr.parse().expect("an address"));
        assert_eq!(network("10.0.0.1").to_string(), "10.0.0.1");
        assert_eq!(network("::ffff:10.0.0.1").to_string(), "10.0.0.1");
        assert_eq!(
            network("2001:db8:1:2:aaaa::1").to_string(),
            "2001:db8:1:2::"
        );
        assert_eq!(
            network("2001:db8:1:2:aaaa::1"),
            network("2001:db8:1:2:bbbb::9")
        );
        assert_ne!(network("2001:db8:1:2::1"), network("2001:db8:1:3::1"));
    }

    fn forwarded(value: &str) -> MetadataMap {
        let mut metadata = MetadataMap::new();
        metadata.insert(FORWARDED_FOR, value.parse().expect("ascii"));
        metadata
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn the_forwarded_address_counts_only_from_a_trusted_proxy() {
        let trusted = [ip("127.0.0.1")];
        let header = forwarded("10.9.9.9, 203.0.113.7");
        assert_eq!(
            client_ip(Some(ip("127.0.0.1")), &header, &trusted),
            Some(ip("203.0.113.7")),
            "the proxy's own hop, not what the client wrote before it"
        );
        assert_eq!(
            client_ip(Some(ip("127.0.0.2")), &header, &trusted),
            Some(ip("127.0.0.2")),
            "anyone else's header is ignored"
        );
        assert_eq!(
            client_ip(Some(ip("::ffff:127.0.0.1")), &forwarded("::1"), &trusted),
            Some(ip("::1"))
        );
    }

    #[test]
    fn a_trusted_proxy_without_a_usable_header_is_the_client() {
        let trusted = [ip("127.0.0.1")];
        for metadata in [MetadataMap::new(), forwarded("garbage")] {
            assert_eq!(
                client_ip(Some(ip("127.0.0.1")), &metadata, &trusted),
                Some(ip("127.0.0.1"))
            );
        }
        assert_eq!(client_ip(None, &forwarded("1.2.3.4"), &trusted), None);
    }

    #[test]
    fn a_proxy_forwards_the_peer_it_saw_never_what_the_client_wrote() {
        let mut extensions = axum::http::Extensions::new();
        extensions.insert(ConnectInfo(PeerAddr(
            "127.0.0.2:4000".parse().expect("addr"),
        )));
        let mut request = tonic::Request::new(());
        request
            .metadata_mut()
            .insert(FORWARDED_FOR, "10.0.0.1".parse().expect("ascii"));
        forward_peer(&mut request, &extensions);
        assert_eq!(
            request
                .metadata()
                .get_all(FORWARDED_FOR)
                .iter()
                .collect::<Vec<_>>(),
            ["127.0.0.2"]
        );
        // Without a known peer, nothing is forwarded (not the client's claim).
        forward_peer(&mut request, &axum::http::Extensions::new());
        assert!(request.metadata().get(FORWARDED_FOR).is_none());
    }
}
