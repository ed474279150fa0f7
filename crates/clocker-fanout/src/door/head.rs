//! Reading a connection's request head, far enough to decide whether the
//! service answers it off the socket or passes it on to the router.

use std::io;

use std::sync::Mutex;

use bytes::{Bytes, BytesMut};
use tokio::net::TcpStream;

/// A request head longer than this goes to the router (hyper's bounds are
/// wider, and it answers them).
pub const MAX_HEAD: usize = 8 * 1024;
/// Headers parsed; a request with more goes to the router.
const MAX_HEADERS: usize = 32;

/// A complete request head.
#[derive(Debug)]
pub struct Head<'a> {
    pub method: &'a str,
    /// The target as sent (path and query).
    pub target: &'a str,
    /// The HTTP/1 minor version (1 for HTTP/1.1).
    pub version: u8,
    /// The target's path (before `?`).
    pub path: &'a str,
    /// The target's query (after `?`; empty when none).
    pub query: &'a str,
    headers: &'a [httparse::Header<'a>],
}

impl Head<'_> {
    /// The first header named `name` (any case), when it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|header| header.name.eq_ignore_ascii_case(name))
            .and_then(|header| std::str::from_utf8(header.value).ok())
    }

    /// Every header, as an `http` header map (for the checks the router's
    /// middleware also runs).
    pub fn header_map(&self) -> axum::http::HeaderMap {
        let mut map = axum::http::HeaderMap::with_capacity(self.headers.len());
        for header in self.headers {
            if let (Ok(name), Ok(value)) = (
                axum::http::HeaderName::from_bytes(header.name.as_bytes()),
                axum::http::HeaderValue::from_bytes(header.value),
            ) {
                map.append(name, value);
            }
        }
        map
    }

    /// The value of query parameter `name`, decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }
}

/// What the bytes read so far decide.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision<R> {
    /// Not yet known: read more.
    Partial,
    /// Answered here, the head being this many bytes.
    Here(R, usize),
    /// The router's.
    Router,
}

/// A shard's buffer for its new connections' first bytes: a head that
/// arrives in one piece (nearly every one) is decided without a buffer of
/// its own, so no connection keeps (or leaves behind, fragmented) a head's
/// worth of memory.
#[derive(Debug)]
pub(super) struct HeadBuffer(Mutex<Box<[u8]>>);

impl Default for HeadBuffer {
    fn default() -> Self {
        Self(Mutex::new(vec![0; MAX_HEAD].into_boxed_slice()))
    }
}

/// What a connection's first bytes decided.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Read<R> {
    /// Answered here; `early` is what followed the head.
    Here { route: R, early: Bytes },
    /// The router's; `prefix` is everything read, to be put back in front.
    Router { prefix: Bytes },
}

/// Reads `tcp` until its head is decided.
pub(super) async fn read<R>(
    tcp: &TcpStream,
    buffer: &HeadBuffer,
    starts: &[&[u8]],
    route: impl Fn(&Head<'_>) -> Option<R>,
) -> io::Result<Read<R>> {
    // Only a head that arrives in pieces gets bytes of its own.
    let mut pending = BytesMut::new();
    loop {
        tcp.readable().await?;
        let mut scratch = buffer.0.lock().unwrap_or_else(|p| p.into_inner());
        let count = match tcp.try_read(&mut scratch) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(count) => count,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => continue,
            Err(err) => return Err(err),
        };
        let in_pieces = !pending.is_empty();
        if in_pieces {
            pending.extend_from_slice(&scratch[..count]);
        }
        let read = if in_pieces {
            &pending[..]
        } else {
            &scratch[..count]
        };
        match decide(read, starts, &route) {
            Decision::Here(route, len) => {
                let early = Bytes::copy_from_slice(&read[len..]);
                return Ok(Read::Here { route, early });
            }
            Decision::Router => {
                let prefix = Bytes::copy_from_slice(read);
                return Ok(Read::Router { prefix });
            }
            Decision::Partial if !in_pieces => pending.extend_from_slice(&scratch[..count]),
            Decision::Partial => {}
        }
    }
}

/// Decides from the bytes read so far.
pub fn decide<R>(
    read: &[u8],
    starts: &[&[u8]],
    route: impl Fn(&Head<'_>) -> Option<R>,
) -> Decision<R> {
    let could_be = starts.iter().any(|start| {
        let known = read.len().min(start.len());
        read[..known] == start[..known]
    });
    if !could_be {
        return Decision::Router;
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let len = match request.parse(read) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if read.len() < MAX_HEAD => return Decision::Partial,
        // Too long, too many headers or malformed: the router says so.
        Ok(httparse::Status::Partial) | Err(_) => return Decision::Router,
    };
    let target = request.path.unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let head = Head {
        method: request.method.unwrap_or_default(),
        target,
        version: request.version.unwrap_or_default(),
        path,
        query,
        headers: request.headers,
    };
    match route(&head) {
        Some(taken) => Decision::Here(taken, len),
        None => Decision::Router,
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::time::Duration;

    use tokio::io::AsyncWriteExt;

    use super::*;

    const STARTS: &[&[u8]] = &[b"GET /stream"];

    /// Takes `GET /stream` with its `last_event_id` query and origin.
    fn route(head: &Head<'_>) -> Option<(Option<String>, Option<String>)> {
        (head.method == "GET" && head.path == "/stream").then(|| {
            (
                head.query_param("last_event_id"),
                head.header("origin").map(str::to_owned),
            )
        })
    }

    #[test]
    fn a_route_taken_here_gets_its_query_and_headers() {
        let head =
            b"GET /stream?last_event_id=7 HTTP/1.1\r\nHost: x\r\nOrigin: http://a:1\r\n\r\nrest";
        assert_eq!(
            decide(head, STARTS, route),
            Decision::Here(
                (Some("7".to_owned()), Some("http://a:1".to_owned())),
                head.len() - 4
            )
        );
    }

    #[test]
    fn other_requests_go_to_the_router_as_soon_as_they_differ() {
        for head in [
            &b"GET /stream/time?tz=UTC HTTP/1.1\r\n\r\n"[..],
            b"GET /streams HTTP/1.1\r\n\r\n",
            b"GET /health HTTP/1.1\r\n\r\n",
            b"POST /stream HTTP/1.1\r\n\r\n",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            b"GET /h",
            b"\x16\x03\x01",
        ] {
            assert_eq!(decide(head, STARTS, route), Decision::Router, "{head:?}");
        }
    }

    #[test]
    fn a_head_still_arriving_is_waited_for_up_to_a_bound() {
        assert_eq!(decide(b"GET /str", STARTS, route), Decision::Partial);
        assert_eq!(
            decide(b"GET /stream HTTP/1.1\r\nHost: x\r\n", STARTS, route),
            Decision::Partial
        );
        let mut endless = b"GET /stream HTTP/1.1\r\n".to_vec();
        while endless.len() < MAX_HEAD {
            endless.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaa\r\n");
        }
        assert_eq!(decide(&endless, STARTS, route), Decision::Router);
    }

    /// A connected pair of sockets: the client's end and the server's.
    async fn connected() -> (TcpStream, TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr"))
            .await
            .expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        (client, server)
    }

    #[tokio::test]
    async fn a_head_read_in_pieces_is_decided_once_it_can_be() {
        let (mut client, server) = connected().await;
        let buffer = HeadBuffer::default();
        let decided = {
            let mut head = pin!(read(&server, &buffer, STARTS, route));
            client.write_all(b"GET /str").await.expect("writes");
            // The first piece is read, and is not enough to decide.
            let undecided = tokio::time::timeout(Duration::from_millis(50), &mut head).await;
            assert!(
                undecided.is_err(),
                "decided on a partial head: {undecided:?}"
            );
            client
                .write_all(b"eam?last_event_id=4 HTTP/1.1\r\nHost: x\r\n\r\nearly")
                .await
                .expect("writes");
            head.await.expect("a head")
        };
        assert_eq!(
            decided,
            Read::Here {
                route: (Some("4".to_owned()), None),
                early: Bytes::from_static(b"early"),
            }
        );
    }

    #[tokio::test]
    async fn what_goes_to_the_router_keeps_every_byte_read() {
        let (mut client, server) = connected().await;
        client
            .write_all(b"GET /health HTTP/1.1\r\n\r\n")
            .await
            .expect("writes");
        let decided = read(&server, &HeadBuffer::default(), STARTS, route).await;
        assert_eq!(
            decided.expect("decided"),
            Read::Router {
                prefix: Bytes::from_static(b"GET /health HTTP/1.1\r\n\r\n")
            }
        );
    }

    #[tokio::test]
    async fn a_connection_closed_before_its_head_is_not_routed() {
        let (client, server) = connected().await;
        drop(client);
        assert!(
            read(&server, &HeadBuffer::default(), STARTS, route)
                .await
                .is_err()
        );
    }
}
