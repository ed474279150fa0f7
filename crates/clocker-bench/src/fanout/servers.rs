//! The servers a fan-out benchmark measures: ours (`clocker serve funnel`,
//! `clocker serve stream`) and the peers a user would pick instead
//! (`bench/peers/`: Node.js `ws`, a Node.js `node:http` SSE broadcaster,
//! Python `websockets`), and the floor under them all (`clocker-bench
//! bare-ws`), each a child process on a free port of 127.0.0.1.

use std::time::Duration;

use anyhow::{Context, bail};
use clocker_fleet::ServiceName;
use tokio::process::Command;

use super::client::{Protocol, Target};
use crate::children::{self, Child, Programs};

/// How long a peer may take to print where it listens (Python imports
/// `websockets` first).
const PEER_DEADLINE: Duration = Duration::from_secs(20);

/// A server under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The funnel's WebSocket `/ws` (ours).
    Funnel,
    /// The stream's SSE `/stream` (ours).
    Stream,
    /// `bench/peers/ws-broadcast.mjs`: npm `ws`, its README's broadcast loop.
    NodeWs,
    /// `bench/peers/sse-broadcast.mjs`: `node:http`, one string per event
    /// written to every response.
    NodeSse,
    /// `bench/peers/websockets_broadcast.py`: `websockets.broadcast`.
    PythonWebsockets,
    /// `clocker-bench bare-ws`: the floor, one `write(2)` per delivery and
    /// nothing else.
    BareWs,
}

impl Kind {
    /// How the tables name it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Funnel => "funnel `/ws` (ours)",
            Kind::Stream => "stream `/stream` (ours)",
            Kind::NodeWs => "Node.js ws",
            Kind::NodeSse => "Node.js http SSE",
            Kind::PythonWebsockets => "Python websockets",
            Kind::BareWs => "bare writer (floor)",
        }
    }

    /// How the series name it.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Funnel => "funnel",
            Kind::Stream => "stream",
            Kind::NodeWs => "node-ws",
            Kind::NodeSse => "node-sse",
            Kind::PythonWebsockets => "python-websockets",
            Kind::BareWs => "bare-ws",
        }
    }

    /// Whether it is Clocker's own.
    pub fn ours(self) -> bool {
        matches!(self, Kind::Funnel | Kind::Stream)
    }

    pub fn protocol(self) -> Protocol {
        match self {
            Kind::Funnel | Kind::NodeWs | Kind::PythonWebsockets | Kind::BareWs => {
                Protocol::WebSocket
            }
            Kind::Stream | Kind::NodeSse => Protocol::Sse,
        }
    }

    fn path(self) -> &'static str {
        match self.protocol() {
            Protocol::WebSocket => "/ws?tz=UTC",
            Protocol::Sse => "/stream",
        }
    }
}

/// How the servers of one benchmark run.
#[derive(Debug, Clone)]
pub struct Setup {
    /// How often a server sends (the funnel's `--tick`, the peers'
    /// `--tick-ms`; the stream sends as its upstream brings points).
    pub tick: Duration,
    /// `CLOCKER_*_ADDR` of the services ours read from.
    pub env: Vec<(String, String)>,
    /// The funnel's `--budget`.
    pub funnel_budget: Duration,
    /// `--shards` for the funnel and the stream; none given: their default.
    pub shards: Option<usize>,
}

impl Setup {
    /// The threads a server sends with, as the bottleneck note counts them:
    /// ours, its shards (one when not given: today's funnel and stream);
    /// a peer, its one event loop.
    pub fn threads(&self, kind: Kind) -> usize {
        if kind.ours() {
            self.shards.unwrap_or(1)
        } else {
            1
        }
    }
}

/// A running server and where its clients connect.
#[derive(Debug)]
pub struct Server {
    pub kind: Kind,
    pub child: Child,
}

impl Server {
    /// Starts `kind` as `setup` says.
    pub async fn start(programs: &Programs, kind: Kind, setup: &Setup) -> anyhow::Result<Self> {
        let shards = setup.shards.map(|shards| shards.to_string());
        let mut ours_extra: Vec<&str> = Vec::new();
        let child = match kind {
            Kind::Funnel | Kind::Stream => {
                let (tick, budget) = (ms(setup.tick), ms(setup.funnel_budget));
                let name = if kind == Kind::Funnel {
                    ours_extra.extend(["--tick", &tick, "--budget", &budget]);
                    ServiceName::Funnel
                } else {
                    ServiceName::Stream
                };
                if let Some(shards) = &shards {
                    ours_extra.extend(["--shards", shards]);
                }
                children::serve(programs, name, &setup.env, &ours_extra).await?
            }
            Kind::BareWs => {
                let tick = setup.tick.as_millis().to_string();
                children::own_server("bare-ws", &["--tick-ms", &tick], kind.label()).await?
            }
            Kind::NodeWs | Kind::NodeSse | Kind::PythonWebsockets => {
                let (program, script) = match kind {
                    Kind::NodeWs => (&programs.node, "ws-broadcast.mjs"),
                    Kind::NodeSse => (&programs.node, "sse-broadcast.mjs"),
                    _ => (&programs.python, "websockets_broadcast.py"),
                };
                let script = programs.peers_dir.join(script);
                if !script.is_file() {
                    bail!("no peer at {}", script.display());
                }
                if script.extension().is_some_and(|ext| ext == "mjs")
                    && !programs.peers_dir.join("node_modules").is_dir()
                {
                    bail!(
                        "{}/node_modules is missing (run: bash scripts/npm-env.sh bench/peers, or make bench-env)",
                        programs.peers_dir.display()
                    );
                }
                let mut command = Command::new(program);
                command.arg(&script).args([
                    "--port",
                    "0",
                    "--tick-ms",
                    &setup.tick.as_millis().to_string(),
                ]);
                Child::spawn(kind.label(), command, PEER_DEADLINE)
                    .await
                    .with_context(|| format!("starting {} ({})", kind.label(), script.display()))?
            }
        };
        Ok(Self { kind, child })
    }

    /// Where its clients connect.
    pub fn target(&self) -> Target {
        Target {
            protocol: self.kind.protocol(),
            addr: self.child.addr(),
            path: self.kind.path(),
        }
    }

    pub async fn stop(self) {
        self.child.stop().await;
    }
}

/// `50ms`: a duration as `clocker serve` reads it.
fn ms(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}
