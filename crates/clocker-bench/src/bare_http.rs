//! A bare hyper HTTP/1.1 handler (`clocker-bench bare-http`): `GET
//! /random/number` answered with a JSON of the gateway's shape, with none of
//! the gateway's work (no router, gate, timeouts, metrics, no gRPC call
//! behind it). P5 drives it with the same wrk load as the gateway, to tell
//! what serving a REST request costs by itself from what the gateway adds.
//! It runs in its own single-threaded tokio process, like one shard.

use std::convert::Infallible;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Serves until killed; prints `bare-http listening on ADDR` first.
pub fn serve() -> anyhow::Result<()> {
    crate::current_thread()?.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "bare-http listening on {}", listener.local_addr()?)?;
        out.flush()?;
        drop(out);
        loop {
            let (tcp, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(err) => {
                    eprintln!("bare-http: accept failed: {err}");
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            tokio::spawn(async move {
                let connection = http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service_fn(answer))
                    .await;
                drop(connection);
            });
        }
    })
}

async fn answer(request: Request<Incoming>) -> Result<Response<String>, Infallible> {
    let response = if request.method() == Method::GET && request.uri().path() == "/random/number" {
        let number = 1 + next_random() % 100;
        Response::builder()
            .header(CONTENT_TYPE, "application/json")
            .body(format!(r#"{{"number":{number},"min":1,"max":100}}"#))
    } else {
        Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(String::new())
    };
    Ok(response.expect("a response of literal parts"))
}

/// A cheap uniform-enough number (xorshift64*): the handler must cost
/// next to nothing.
fn next_random() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);
    let mut x = STATE.load(Ordering::Relaxed);
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    STATE.store(x, Ordering::Relaxed);
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}
