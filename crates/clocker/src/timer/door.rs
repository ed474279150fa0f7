//! The timer service's ZeroMQ door as `clocker timer` talks to it: one REQ
//! socket per request, one JSON object each way.
//!
//! A REQ socket has no connect error (ZeroMQ retries a refused connection
//! until its deadline), so a plain TCP connect first says at once that
//! nothing listens, and the ZeroMQ handshake gets a short deadline of its
//! own (a stopped service whose port `clocker up` still holds accepts but
//! never greets): a fleet that is down is reported within
//! [`Door::connect_timeout`], not after the reply's deadline.

use std::time::Duration;

use anyhow::Context;
use clocker_wire::TimerDuration;
use serde_json::{Value, json};
use tokio::time::timeout;
use zeromq::{Endpoint, ReqSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

use crate::client::{ClientError, Refusal};

/// How long a reply may take once the request went out.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// The request went out but no reply came within [`REPLY_TIMEOUT`].
#[derive(Debug, thiserror::Error)]
#[error(
    "the timer service at {0} took the request but did not reply within {secs} s; is it overloaded? (clocker ps)",
    secs = REPLY_TIMEOUT.as_secs()
)]
struct NoReply(String);

/// Where the timer service is, and who asks.
#[derive(Debug, Clone)]
pub struct Door {
    pub endpoint: String,
    /// A session token (empty: anonymous).
    pub token: String,
    /// How long connecting may take, handshake included.
    pub connect_timeout: Duration,
}

impl Door {
    /// Sets a timer with an idempotency key: when the request went out but
    /// no reply came, it is sent once more with the same key, which cannot
    /// set a second timer.
    pub async fn set(&self, duration: TimerDuration, label: &str) -> anyhow::Result<Value> {
        let body = json!({
            "hours": duration.hours,
            "minutes": duration.minutes,
            "seconds": duration.seconds,
            "label": label,
            "idempotency_key": uuid::Uuid::now_v7().to_string(),
        });
        match self.request(body.clone()).await {
            Err(err) if err.downcast_ref::<NoReply>().is_some() => self.request(body).await,
            answered => answered,
        }
    }

    /// One request (the session token added), one reply; an
    /// `{"ok":false}` reply is a [`ClientError::Refused`].
    pub async fn request(&self, mut body: Value) -> anyhow::Result<Value> {
        if !self.token.is_empty()
            && let Value::Object(map) = &mut body
        {
            map.insert("token".into(), Value::String(self.token.clone()));
        }
        let mut socket = self.connect().await?;
        socket
            .send(ZmqMessage::from(body.to_string()))
            .await
            .map_err(|err| self.unreachable(&err))?;
        let reply = match timeout(REPLY_TIMEOUT, socket.recv()).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(err)) => return Err(self.unreachable(&err).into()),
            Err(_) => return Err(NoReply(self.endpoint.clone()).into()),
        };
        let frame = reply.into_vec().pop().unwrap_or_default();
        let value: Value =
            serde_json::from_slice(&frame).context("the timer service's reply is not JSON")?;
        if value["ok"] != Value::Bool(true) {
            let message = value["error"]
                .as_str()
                .unwrap_or("the timer service refused the request");
            return Err(ClientError::Refused {
                kind: Refusal::Refused,
                message: message.to_owned(),
            }
            .into());
        }
        Ok(value)
    }

    async fn connect(&self) -> anyhow::Result<ReqSocket> {
        let endpoint: Endpoint = self.endpoint.parse().map_err(|_| {
            anyhow::anyhow!(
                "'{}' is not a ZeroMQ endpoint (expected tcp://HOST:PORT in --zmq or CLOCKER_TIMERS_ZMQ)",
                self.endpoint
            )
        })?;
        if let Endpoint::Tcp(host, port) = &endpoint {
            let probe = tokio::net::TcpStream::connect((host.to_string(), *port));
            match timeout(self.connect_timeout, probe).await {
                Ok(Ok(_)) => {}
                Ok(Err(err)) => return Err(self.unreachable(&err).into()),
                Err(_) => return Err(self.unreachable(&"TCP connect timed out").into()),
            }
        }
        let mut socket = ReqSocket::new();
        match timeout(self.connect_timeout, socket.connect(&self.endpoint)).await {
            Ok(Ok(())) => Ok(socket),
            Ok(Err(err)) => Err(self.unreachable(&err).into()),
            Err(_) => Err(self.unreachable(&"no ZeroMQ handshake in time").into()),
        }
    }

    fn unreachable(&self, why: &dyn std::fmt::Display) -> ClientError {
        tracing::debug!(endpoint = %self.endpoint, %why, "the timer service did not answer");
        ClientError::Unreachable {
            service: "timer",
            addr: self.endpoint.clone(),
        }
    }
}
