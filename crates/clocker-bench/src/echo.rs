//! A raw TCP loopback echo: what one request/reply over loopback costs with
//! no protocol at all. The server runs in its own single-threaded tokio
//! process (`clocker-bench echo-server`), like the services.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Instant;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::stats::Samples;

/// Bytes each way: the order of a GetCurrentTime call over HTTP/2
/// (HEADERS + DATA, then HEADERS + DATA + trailers).
pub const MESSAGE_BYTES: usize = 128;

/// `clocker-bench echo-server`: echoes `MESSAGE_BYTES` messages until killed.
pub fn serve() -> anyhow::Result<()> {
    let runtime = crate::current_thread()?;
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "echo listening on {}", listener.local_addr()?)?;
        out.flush()?;
        drop(out);
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::spawn(async move {
                if let Err(err) = echo(stream).await {
                    eprintln!("echo: {err}");
                }
            });
        }
    })
}

async fn echo(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buffer = [0u8; MESSAGE_BYTES];
    loop {
        match stream.read_exact(&mut buffer).await {
            Ok(_) => stream.write_all(&buffer).await?,
            Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(err) => return Err(err),
        }
    }
}

/// `warmup` unmeasured round trips, then `calls` measured ones, one at a time.
pub async fn round_trips(addr: SocketAddr, warmup: usize, calls: usize) -> anyhow::Result<Samples> {
    let mut stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("cannot connect to the echo server at {addr}"))?;
    stream.set_nodelay(true)?;
    let request = [0x5au8; MESSAGE_BYTES];
    let mut reply = [0u8; MESSAGE_BYTES];
    let mut samples = Samples::with_capacity(calls);
    for n in 0..warmup + calls {
        let start = Instant::now();
        stream.write_all(&request).await?;
        stream.read_exact(&mut reply).await?;
        if n >= warmup {
            samples.record(start.elapsed());
        }
    }
    Ok(samples)
}
