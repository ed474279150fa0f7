//! The request-head parser: decides from a connection's first bytes whether
//! it is a `GET /stream` (and then with which resume id and origin) or
//! anything else, the router's.

use std::io;

use bytes::BytesMut;
use clocker_fanout::sse::resume_after;
use tokio::io::{AsyncRead, AsyncReadExt};

use super::ROUTE;

/// How a request for it starts; anything else goes to the router as soon as
/// it differs.
const REQUEST_START: &[u8] = b"GET /stream";
/// A request head longer than this goes to the router (hyper's bounds are
/// wider).
const MAX_HEAD: usize = 8 * 1024;
/// Headers parsed; a request with more goes to the router.
const MAX_HEADERS: usize = 32;

/// What a connection's request head asks for.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Head {
    /// Not yet known: read more.
    Partial,
    /// `GET /stream`: resume after this id, answer this origin.
    Stream {
        last_event_id: Option<u64>,
        origin: Option<String>,
    },
    /// Anything else: the router's.
    Other,
}

/// Reads into `read` until the head says whether it is `GET /stream`.
pub(super) async fn read_head(
    io: &mut (impl AsyncRead + Unpin),
    read: &mut BytesMut,
) -> io::Result<Head> {
    loop {
        if io.read_buf(read).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        match parse_head(read) {
            Head::Partial => {}
            decided => return Ok(decided),
        }
    }
}

/// Decides from the bytes read so far.
pub(super) fn parse_head(read: &[u8]) -> Head {
    let known = read.len().min(REQUEST_START.len());
    if read[..known] != REQUEST_START[..known] {
        return Head::Other;
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(read) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) if read.len() < MAX_HEAD => return Head::Partial,
        // Too long, too many headers or malformed: the router says so.
        Ok(httparse::Status::Partial) | Err(_) => return Head::Other,
    }
    let target = request.path.unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if request.method != Some("GET") || path != ROUTE {
        return Head::Other;
    }
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
    };
    let query_id = form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "last_event_id")
        .map(|(_, value)| value);
    Head::Stream {
        last_event_id: resume_after(header("last-event-id"), query_id.as_deref()),
        origin: header("origin").map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;

    use tokio::io::AsyncWriteExt;

    use super::*;

    #[test]
    fn a_get_of_the_stream_is_answered_here_with_its_resume_id_and_origin() {
        let head = b"GET /stream?last_event_id=7 HTTP/1.1\r\nHost: x\r\nOrigin: http://a:1\r\n\r\n";
        assert_eq!(
            parse_head(head),
            Head::Stream {
                last_event_id: Some(7),
                origin: Some("http://a:1".to_owned())
            }
        );
        let header_wins = b"GET /stream?last_event_id=7 HTTP/1.1\r\nlast-event-id: 9\r\n\r\n";
        assert!(matches!(
            parse_head(header_wins),
            Head::Stream {
                last_event_id: Some(9),
                ..
            }
        ));
    }

    #[test]
    fn other_requests_go_to_the_router_as_soon_as_they_differ() {
        for head in [
            &b"GET /stream/time?tz=UTC HTTP/1.1\r\n\r\n"[..],
            b"GET /streams HTTP/1.1\r\n\r\n",
            b"GET /health HTTP/1.1\r\n\r\n",
            b"POST /stream HTTP/1.1\r\n\r\n",
            b"OPTIONS /stream HTTP/1.1\r\n\r\n",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            b"GET /h",
            b"\x16\x03\x01",
        ] {
            assert_eq!(parse_head(head), Head::Other, "{head:?}");
        }
    }

    #[test]
    fn a_head_still_arriving_is_waited_for_up_to_a_bound() {
        assert_eq!(parse_head(b"GET /str"), Head::Partial);
        assert_eq!(
            parse_head(b"GET /stream HTTP/1.1\r\nHost: x\r\n"),
            Head::Partial
        );
        let mut endless = b"GET /stream HTTP/1.1\r\n".to_vec();
        while endless.len() < MAX_HEAD {
            endless.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaa\r\n");
        }
        assert_eq!(parse_head(&endless), Head::Other);
    }

    #[tokio::test]
    async fn a_head_read_in_pieces_is_decided_once_it_can_be() {
        let (mut client, mut server) = tokio::io::duplex(1024);
        let mut read = BytesMut::new();
        let decided = {
            let mut head = pin!(read_head(&mut server, &mut read));
            client.write_all(b"GET /str").await.expect("writes");
            // The first piece is read, and is not enough to decide.
            tokio::select! {
                biased;
                decided = &mut head => panic!("decided on a partial head: {decided:?}"),
                () = std::future::ready(()) => {}
            }
            client
                .write_all(b"eam?last_event_id=4 HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .expect("writes");
            head.await.expect("a head")
        };
        assert_eq!(
            decided,
            Head::Stream {
                last_event_id: Some(4),
                origin: None
            }
        );
        assert!(read.starts_with(b"GET /stream?last_event_id=4 HTTP/1.1\r\n"));
    }

    #[tokio::test]
    async fn a_connection_closed_before_its_head_is_not_routed() {
        let (client, mut server) = tokio::io::duplex(1024);
        drop(client);
        let mut read = BytesMut::new();
        assert!(read_head(&mut server, &mut read).await.is_err());
    }
}
