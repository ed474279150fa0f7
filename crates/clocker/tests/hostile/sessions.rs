//! Finding 9: sessions outlived logout on open streams, and tokens travelled
//! in URLs. The stream and what it requires as real processes: a browser-like
//! client trades its bearer token for the stream's cookie, watches its timer
//! events, logs out, and the stream ends.

use clocker_proto::v1::accounts_client::AccountsClient;
use clocker_proto::v1::{LoginRequest, LogoutRequest, RegisterRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use clocker_fleet::ServiceName;

use crate::support::{PATIENCE, TestFleet};

/// One request on a fresh connection; the response head and the stream.
async fn request(stream: std::net::SocketAddr, head: &str) -> (String, TcpStream) {
    let mut socket = TcpStream::connect(stream).await.expect("connects");
    socket.write_all(head.as_bytes()).await.expect("writes");
    let mut read = Vec::new();
    let mut buf = [0u8; 4096];
    while !read.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = timeout(PATIENCE, socket.read(&mut buf))
            .await
            .expect("a response head in time")
            .expect("reads");
        assert!(
            n > 0,
            "closed before a head: {}",
            String::from_utf8_lossy(&read)
        );
        read.extend_from_slice(&buf[..n]);
    }
    (String::from_utf8_lossy(&read).into_owned(), socket)
}

#[tokio::test]
async fn a_stream_ends_at_logout_and_tokens_stay_out_of_urls() {
    // The stream with what it requires, timers checking sessions every 100 ms.
    let fleet =
        TestFleet::start_only(&[ServiceName::Stream], &["--session-recheck", "100ms"]).await;
    let accounts = fleet.addr(ServiceName::Accounts);
    let stream = fleet.addr(ServiceName::Stream);
    let mut client = AccountsClient::connect(format!("http://{accounts}"))
        .await
        .expect("connects");
    let password = "a password long enough".to_owned();
    client
        .register(RegisterRequest {
            username: "victim".into(),
            password: password.clone(),
            ..Default::default()
        })
        .await
        .expect("registers");
    let token = client
        .login(LoginRequest {
            username: "victim".into(),
            password,
        })
        .await
        .expect("logs in")
        .into_inner()
        .token;

    let (refused, _) = request(
        stream,
        &format!(
            "GET /stream/timers?token={token} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(refused.starts_with("HTTP/1.1 400"), "{refused}");

    let (opened, _) = request(
        stream,
        &format!(
            "POST /stream/session HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(opened.starts_with("HTTP/1.1 204"), "{opened}");
    let cookie = opened
        .lines()
        .find_map(|line| line.strip_prefix("set-cookie: "))
        .and_then(|value| value.split(';').next())
        .unwrap_or_else(|| panic!("a session cookie in {opened}"))
        .to_owned();

    let (head, mut events) = request(
        stream,
        &format!("GET /stream/timers HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");

    client
        .logout(LogoutRequest { token })
        .await
        .expect("logs out");
    // The stream ends: the connection reaches its end (or is reset) in time.
    let mut buf = [0u8; 4096];
    let ended = timeout(PATIENCE, async {
        loop {
            match events.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the timer stream stayed open {PATIENCE:?} after logout"
    );
}
