//! A bare tonic CurrentTime server (`clocker-bench bare-server`): the same
//! RPC with none of Clocker's layers (no budget, metrics, health, reflection,
//! axum router, time zones). P1 measures it to tell what tonic and HTTP/2
//! cost by themselves from what the Clocker service adds. It runs in its own
//! single-threaded tokio process, like the service.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use clocker_proto::v1::current_time_server::{CurrentTime, CurrentTimeServer};
use clocker_proto::v1::{CurrentTimeReply, CurrentTimeRequest};
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

struct Bare;

#[tonic::async_trait]
impl CurrentTime for Bare {
    async fn get_current_time(
        &self,
        _request: Request<CurrentTimeRequest>,
    ) -> Result<Response<CurrentTimeReply>, Status> {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| Status::internal("clock before 1970"))?;
        let (secs, millis) = (since.as_secs(), since.subsec_millis());
        let time = format!(
            "{:02}:{:02}:{:02}.{millis:03}",
            secs / 3600 % 24,
            secs / 60 % 60,
            secs % 60
        );
        Ok(Response::new(CurrentTimeReply {
            time,
            unix_nanos: i64::try_from(since.as_nanos()).unwrap_or(i64::MAX),
            tz: "UTC".into(),
        }))
    }
}

/// Serves until killed; prints `bare listening on ADDR` first.
pub fn serve() -> anyhow::Result<()> {
    crate::current_thread()?.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "bare listening on {}", listener.local_addr()?)?;
        out.flush()?;
        drop(out);
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        tonic::transport::Server::builder()
            .add_service(CurrentTimeServer::new(Bare))
            .serve_with_incoming(incoming)
            .await?;
        Ok(())
    })
}
