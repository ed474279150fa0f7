//! The funnel's admin listener (`--admin-addr`, off unless given; meant for
//! loopback or a network only operators reach): the full `/status.json`
//! (pids, addresses, error text) and `/metrics`, apart from the public port,
//! whose `/status.json` is then always redacted.
//!
//! It answers the same Host allow-list as the public port, within the same
//! connection budgets, and stops with the funnel (its task is tracked with
//! the funnel's own).

use std::net::SocketAddr;

use axum::Router;
use axum::middleware;
use axum::routing::get;
use clocker_runtime::http::{AllowedHosts, check_host};
use clocker_runtime::{
    CancellationToken, ConnectionLimits, TaskTracker, render_metrics, serve_http,
};
use tokio::net::TcpListener;

use crate::status::{self, StatusSource};

/// Binds the admin listener (the caller runs inside the funnel's runtime).
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    TcpListener::from_std(listener)
}

/// `/status.json` in full, `/metrics` and `/health`.
fn router(status: StatusSource, hosts: AllowedHosts) -> Router {
    Router::new()
        .route("/status.json", get(status::get_status).with_state(status))
        .route("/metrics", get(render_metrics))
        .route("/health", get(|| async { "ok\n" }))
        .layer(middleware::from_fn_with_state(hosts, check_host))
}

/// Serves the admin routes on `listener` within `limits` until `shutdown`,
/// as one of `tasks`.
pub fn spawn(
    listener: TcpListener,
    status: StatusSource,
    hosts: AllowedHosts,
    limits: ConnectionLimits,
    tasks: &TaskTracker,
    shutdown: CancellationToken,
) {
    let app = router(status, hosts);
    tasks.spawn(async move {
        let served = serve_http("funnel-admin", listener, app, &limits, shutdown).await;
        if let Err(err) = served {
            tracing::error!(%err, "the admin listener failed");
        }
    });
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clocker_runtime::{AddressBook, RuntimeConfig};

    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use crate::{FunnelConfig, launch};

    /// A stand-in for the supervisor: one row full of details, to anyone.
    async fn fake_supervisor() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut tcp, _)) = listener.accept().await {
                let mut head = [0u8; 4096];
                let _ = tcp.read(&mut head).await;
                let body = r#"[{"name":"hours","pid":4242,"addr":"10.9.8.7:50001","state":"ready","restarts":0,"uptime_s":1,"last_error":"secret detail","probe_p99_ms":null}]"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = tcp.write_all(answer.as_bytes()).await;
            }
        });
        addr
    }

    async fn get(addr: SocketAddr, path: &str) -> String {
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        tcp.write_all(request.as_bytes()).await.expect("send");
        let mut answer = String::new();
        tokio::time::timeout(Duration::from_secs(5), tcp.read_to_string(&mut answer))
            .await
            .expect("answered in time")
            .expect("read");
        answer
    }

    #[tokio::test]
    async fn an_admin_listener_takes_the_details_off_the_public_port() {
        let config = FunnelConfig {
            supervisor: Some(fake_supervisor().await),
            supervisor_token: Some("token".into()),
            admin_addr: Some("127.0.0.1:0".parse().expect("literal")),
            ..FunnelConfig::default()
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let shutdown = CancellationToken::new();
        // The clock services are nowhere (the discard port): not needed here.
        let mut book = AddressBook::default();
        for &service in crate::REQUIRES {
            book.set_authority(service, "127.0.0.1:9".into());
        }
        let launched = launch(
            listener,
            book,
            &config,
            &RuntimeConfig::default(),
            shutdown.clone(),
        )
        .await
        .expect("launched");
        let admin: SocketAddr = launched
            .other_endpoints
            .iter()
            .find_map(|also| also.strip_prefix("admin http://"))
            .expect("the admin address is announced")
            .parse()
            .expect("an address");

        let public = get(launched.addr, "/status.json").await;
        assert!(public.starts_with("HTTP/1.1 200"), "{public}");
        assert!(
            !public.contains("4242") && !public.contains("secret"),
            "{public}"
        );
        let full = get(admin, "/status.json").await;
        assert!(
            full.contains("4242") && full.contains("secret detail"),
            "{full}"
        );
        let metrics = get(admin, "/metrics").await;
        assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
        let public_metrics = get(launched.addr, "/metrics").await;
        assert!(
            !public_metrics.contains("version=0.0.4"),
            "metrics stay off the public port: {public_metrics}"
        );

        shutdown.cancel();
        launched.stopped().await.expect("stopped cleanly");
    }
}
