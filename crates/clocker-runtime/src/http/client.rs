//! The one HTTP/1 client of the fleet's own plumbing (health probes, the
//! supervisor's status and metrics scrapes): one `GET` on a fresh
//! connection, bounded everywhere — one deadline over the connect and the
//! whole exchange, and a cap on the answer's size checked before it is
//! buffered. Every error names the address it was asking.
//!
//! It sends HTTP/1.0, so the server closes the connection after its answer
//! and never chunks it: the answer ends at its `content-length`, or else
//! where the server closes.

use std::borrow::Cow;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use http::uri::PathAndQuery;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How far one `GET` may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// From the connect to the last byte of the answer.
    pub deadline: Duration,
    /// The most bytes of answer, head and body, taken in.
    pub max_answer_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(5),
            max_answer_bytes: 64 * 1024,
        }
    }
}

/// What the server answered, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as text (anything not UTF-8 replaced).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

/// Why a `GET` got no answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{addr}: {path:?} is not a request path")]
    InvalidPath { addr: SocketAddr, path: String },
    #[error("{addr}: the token is not a header value")]
    InvalidToken { addr: SocketAddr },
    #[error("cannot connect to {addr}")]
    Connect {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("the exchange with {addr} broke off")]
    Exchange {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("{addr} sent no whole answer within {} ms", deadline.as_millis())]
    Deadline {
        addr: SocketAddr,
        deadline: Duration,
    },
    #[error("{addr} answered more than {limit} bytes")]
    TooLarge { addr: SocketAddr, limit: usize },
    #[error("{addr} answered something that is not HTTP")]
    NotHttp {
        addr: SocketAddr,
        #[source]
        source: httparse::Error,
    },
    #[error("{addr} answered something that is not HTTP: {reason}")]
    BadAnswer {
        addr: SocketAddr,
        reason: &'static str,
    },
    #[error("{addr} answered {status}")]
    Status {
        addr: SocketAddr,
        status: StatusCode,
    },
    #[error("{addr} answered JSON of another shape")]
    BadJson {
        addr: SocketAddr,
        #[source]
        source: serde_json::Error,
    },
}

impl ClientError {
    /// Whether the server sent something back (an answer too large or not
    /// HTTP), as opposed to nothing at all: it is alive, if not well.
    pub fn answered(&self) -> bool {
        matches!(
            self,
            ClientError::TooLarge { .. }
                | ClientError::NotHttp { .. }
                | ClientError::BadAnswer { .. }
                | ClientError::Status { .. }
                | ClientError::BadJson { .. }
        )
    }
}

/// `GET path` from the server at `addr` with `headers` (a `Host` header is
/// `addr` unless `headers` gives one), on a connection of its own, within
/// `limits`.
pub async fn get(
    addr: SocketAddr,
    path: &str,
    headers: &HeaderMap,
    limits: Limits,
) -> Result<Answer, ClientError> {
    let path = PathAndQuery::try_from(path).map_err(|_| ClientError::InvalidPath {
        addr,
        path: path.to_owned(),
    })?;
    let request = request_head(addr, &path, headers);
    match tokio::time::timeout(limits.deadline, exchange(addr, &request, limits)).await {
        Ok(answer) => answer,
        Err(_elapsed) => Err(ClientError::Deadline {
            addr,
            deadline: limits.deadline,
        }),
    }
}

/// `GET path` of a JSON document from `addr`, with `bearer` as the
/// `Authorization: Bearer` token when given: the document when the server
/// answers 200 with JSON of `T`'s shape, within `limits`.
pub async fn get_json<T: serde::de::DeserializeOwned>(
    addr: SocketAddr,
    path: &str,
    bearer: Option<&str>,
    limits: Limits,
) -> Result<T, ClientError> {
    let mut headers = HeaderMap::new();
    if let Some(token) = bearer {
        let value = HeaderValue::try_from(format!("Bearer {token}"))
            .map_err(|_| ClientError::InvalidToken { addr })?;
        headers.insert(header::AUTHORIZATION, value);
    }
    let answer = get(addr, path, &headers, limits).await?;
    if answer.status != StatusCode::OK {
        return Err(ClientError::Status {
            addr,
            status: answer.status,
        });
    }
    serde_json::from_slice(&answer.body).map_err(|source| ClientError::BadJson { addr, source })
}

fn request_head(addr: SocketAddr, path: &PathAndQuery, headers: &HeaderMap) -> Vec<u8> {
    let mut head = format!("GET {path} HTTP/1.0\r\n").into_bytes();
    if !headers.contains_key(header::HOST) {
        head.extend_from_slice(format!("host: {addr}\r\n").as_bytes());
    }
    for (name, value) in headers {
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head
}

async fn exchange(addr: SocketAddr, request: &[u8], limits: Limits) -> Result<Answer, ClientError> {
    let mut tcp = TcpStream::connect(addr)
        .await
        .map_err(|source| ClientError::Connect { addr, source })?;
    let broke_off = |source| ClientError::Exchange { addr, source };
    if let Err(err) = tcp.set_nodelay(true) {
        tracing::debug!(%err, "cannot set TCP_NODELAY");
    }
    tcp.write_all(request).await.map_err(broke_off)?;

    let limit = limits.max_answer_bytes;
    let too_large = ClientError::TooLarge { addr, limit };
    let mut received = Vec::new();
    let mut chunk = [0_u8; 8 * 1024];
    // Where the answer ends, once its head says so.
    let mut end: Option<usize> = None;
    loop {
        if let Some(end) = end
            && received.len() >= end
        {
            received.truncate(end);
            break;
        }
        let read = tcp.read(&mut chunk).await.map_err(broke_off)?;
        if read == 0 {
            break;
        }
        if received.len() + read > limit {
            return Err(too_large);
        }
        received.extend_from_slice(&chunk[..read]);
        if end.is_none()
            && let Some(head) = parse_head(addr, &received)?
            && let Some(length) = head.content_length
        {
            let whole = head.len.saturating_add(length);
            if whole > limit {
                return Err(too_large);
            }
            end = Some(whole);
        }
    }
    let head = parse_head(addr, &received)?.ok_or(ClientError::BadAnswer {
        addr,
        reason: "the connection closed before the whole head came",
    })?;
    if end.is_some_and(|end| received.len() < end) {
        return Err(ClientError::BadAnswer {
            addr,
            reason: "the connection closed before the whole body came",
        });
    }
    let body = received.split_off(head.len);
    Ok(Answer {
        status: head.status,
        headers: head.headers,
        body,
    })
}

/// An answer's head: its status, headers and length.
struct Head {
    status: StatusCode,
    headers: HeaderMap,
    content_length: Option<usize>,
    len: usize,
}

/// The head at the start of `received`, `None` while it is not whole.
fn parse_head(addr: SocketAddr, received: &[u8]) -> Result<Option<Head>, ClientError> {
    let bad = |reason| ClientError::BadAnswer { addr, reason };
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut slots);
    let len = match response.parse(received) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(source) => return Err(ClientError::NotHttp { addr, source }),
    };
    let status = response
        .code
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| bad("no valid status code"))?;
    let mut headers = HeaderMap::with_capacity(response.headers.len());
    for parsed in response.headers.iter() {
        let name = HeaderName::from_bytes(parsed.name.as_bytes())
            .map_err(|_| bad("an invalid header name"))?;
        let value =
            HeaderValue::from_bytes(parsed.value).map_err(|_| bad("an invalid header value"))?;
        headers.append(name, value);
    }
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return Err(bad("a transfer-encoding in answer to HTTP/1.0"));
    }
    let content_length = match headers.get(header::CONTENT_LENGTH) {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|value| value.trim().parse::<usize>().ok())
                .ok_or_else(|| bad("an invalid content-length"))?,
        ),
        None => None,
    };
    Ok(Some(Head {
        status,
        headers,
        content_length,
        len,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CancellationToken, ConnectionLimits, serve_http};
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get as route_get;
    use tokio::net::TcpListener;

    /// A server on port 0 with `/ok`, `/missing` (404), `/huge` (1 MiB),
    /// `/streamed` (1 MiB without a length) and `/echo-authorization`.
    async fn server() -> (SocketAddr, CancellationToken) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = Router::new()
            .route("/ok", route_get(|| async { "fine" }))
            .route(
                "/missing",
                route_get(|| async { (StatusCode::NOT_FOUND, "no such thing") }),
            )
            .route("/huge", route_get(|| async { vec![b'x'; 1024 * 1024] }))
            .route(
                "/streamed",
                route_get(|| async {
                    let chunks = (0..16).map(|_| Ok::<_, io::Error>(vec![b'x'; 64 * 1024]));
                    Body::from_stream(futures_util::stream::iter(chunks))
                }),
            )
            .route(
                "/rows",
                route_get(|headers: HeaderMap| async move {
                    match headers.get(header::AUTHORIZATION) {
                        Some(value) if value == "Bearer s3cret" => {
                            (StatusCode::OK, r#"[{"name":"hours"}]"#)
                        }
                        _ => (StatusCode::UNAUTHORIZED, "who are you?"),
                    }
                }),
            )
            .route(
                "/echo-authorization",
                route_get(|headers: HeaderMap| async move {
                    headers
                        .get(header::AUTHORIZATION)
                        .map(|value| value.as_bytes().to_vec())
                        .unwrap_or_default()
                }),
            );
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            serve_http("test", listener, router, &ConnectionLimits::default(), stop).await
        });
        (addr, shutdown)
    }

    fn limits(max_answer_bytes: usize) -> Limits {
        Limits {
            deadline: Duration::from_secs(5),
            max_answer_bytes,
        }
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Row {
        name: String,
    }

    #[tokio::test]
    async fn json_comes_with_its_token_and_a_refusal_or_another_shape_is_an_error() {
        let (addr, _shutdown) = server().await;
        let rows: Vec<Row> = get_json(addr, "/rows", Some("s3cret"), limits(4096))
            .await
            .expect("answers");
        assert_eq!(
            rows,
            [Row {
                name: "hours".into()
            }]
        );
        let refused = get_json::<Vec<Row>>(addr, "/rows", Some("wrong"), limits(4096))
            .await
            .expect_err("401");
        assert!(
            matches!(refused, ClientError::Status { status, .. } if status == StatusCode::UNAUTHORIZED),
            "{refused}"
        );
        let shape = get_json::<Vec<Row>>(addr, "/ok", None, limits(4096))
            .await
            .expect_err("not JSON");
        assert!(matches!(shape, ClientError::BadJson { .. }), "{shape}");
        assert!(shape.answered());
    }

    #[tokio::test]
    async fn a_200_answer_comes_whole_with_its_headers() {
        let (addr, _shutdown) = server().await;
        let answer = get(addr, "/ok", &HeaderMap::new(), limits(4096))
            .await
            .expect("answers");
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.text(), "fine");
        assert!(answer.headers.contains_key(header::CONTENT_TYPE));
    }

    #[tokio::test]
    async fn a_non_200_status_is_an_answer_not_an_error() {
        let (addr, _shutdown) = server().await;
        let answer = get(addr, "/missing", &HeaderMap::new(), limits(4096))
            .await
            .expect("answers");
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(answer.text(), "no such thing");
    }

    #[tokio::test]
    async fn the_given_headers_are_sent() {
        let (addr, _shutdown) = server().await;
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            "Bearer s3cret".parse().expect("ascii"),
        );
        headers.insert(header::HOST, "supervisor".parse().expect("ascii"));
        let answer = get(addr, "/echo-authorization", &headers, limits(4096))
            .await
            .expect("answers");
        assert_eq!(answer.text(), "Bearer s3cret");
    }

    #[tokio::test]
    async fn an_oversized_answer_is_refused_whether_or_not_it_says_its_length() {
        let (addr, _shutdown) = server().await;
        for path in ["/huge", "/streamed"] {
            let err = get(addr, path, &HeaderMap::new(), limits(64 * 1024))
                .await
                .expect_err("over the cap");
            assert!(
                matches!(err, ClientError::TooLarge { limit: 65536, .. }),
                "{path}: {err}"
            );
            assert!(err.answered());
            assert!(err.to_string().contains(&addr.to_string()), "{err}");
        }
        let whole = get(
            addr,
            "/streamed",
            &HeaderMap::new(),
            limits(2 * 1024 * 1024),
        )
        .await
        .expect("within the cap");
        assert_eq!(whole.body.len(), 1024 * 1024);
    }

    #[tokio::test]
    async fn a_server_that_never_answers_hits_the_deadline() {
        // Connections wait in the listener's backlog, never accepted.
        let silent = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = silent.local_addr().expect("addr");
        let deadline = Duration::from_millis(200);
        let started = std::time::Instant::now();
        let err = get(
            addr,
            "/ok",
            &HeaderMap::new(),
            Limits {
                deadline,
                max_answer_bytes: 4096,
            },
        )
        .await
        .expect_err("no answer");
        assert!(matches!(err, ClientError::Deadline { .. }), "{err}");
        assert!(!err.answered());
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(
            err.to_string(),
            format!("{addr} sent no whole answer within 200 ms")
        );
    }

    #[tokio::test]
    async fn a_refused_connect_names_the_address() {
        let addr = {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            listener.local_addr().expect("addr")
        };
        let err = get(addr, "/ok", &HeaderMap::new(), limits(4096))
            .await
            .expect_err("nothing listens");
        assert!(matches!(err, ClientError::Connect { .. }), "{err}");
        assert_eq!(err.to_string(), format!("cannot connect to {addr}"));
    }

    #[tokio::test]
    async fn a_path_that_would_split_the_request_is_refused_before_connecting() {
        let addr: SocketAddr = "127.0.0.1:1".parse().expect("literal");
        let err = get(
            addr,
            "/ok HTTP/1.0\r\nx: y",
            &HeaderMap::new(),
            limits(4096),
        )
        .await
        .expect_err("invalid path");
        assert!(matches!(err, ClientError::InvalidPath { .. }), "{err}");
    }
}
