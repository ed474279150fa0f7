//! The programs under test, run as child processes: each listens on port 0
//! of 127.0.0.1 and is found by the `… listening on HOST:PORT` line it
//! prints; each is killed when its handle is dropped (also on errors).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use clocker_fleet::ServiceName;
use clocker_runtime::AddressBook;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

use crate::procfs::Pid;

/// How long a Rust service may take to print its listening line.
const SERVICE_DEADLINE: Duration = Duration::from_secs(10);

/// Where the programs under test are.
#[derive(Debug, Clone, clap::Args)]
pub struct Programs {
    /// The `clocker` binary [default: `clocker` next to this binary].
    #[arg(long, env = "CLOCKER_BIN", global = true)]
    pub clocker_bin: Option<PathBuf>,
    /// The Python interpreter with grpcio and grpcio-tools (`make python-env`).
    #[arg(
        long,
        env = "CLOCKER_BENCH_PYTHON",
        default_value = ".venv/bin/python",
        global = true
    )]
    pub python: PathBuf,
    /// The Python CurrentTime server of P2.
    #[arg(
        long,
        default_value = "bench/python_current_time_server.py",
        global = true
    )]
    pub python_server: PathBuf,
    /// Node.js, which runs the peers of P4 and P6 (`bench/peers/*.mjs`).
    #[arg(
        long,
        env = "CLOCKER_BENCH_NODE",
        default_value = "node",
        global = true
    )]
    pub node: PathBuf,
    /// The peers P4 and P6 measure ours against, with their npm packages
    /// installed (`bash scripts/npm-env.sh bench/peers`; `make bench-env`).
    #[arg(long, default_value = "bench/peers", global = true)]
    pub peers_dir: PathBuf,
}

impl Programs {
    /// The `clocker` binary, checked to exist.
    pub fn clocker(&self) -> anyhow::Result<PathBuf> {
        let path = match &self.clocker_bin {
            Some(path) => path.clone(),
            None => std::env::current_exe()
                .context("cannot find this binary's path")?
                .with_file_name("clocker"),
        };
        if !path.is_file() {
            bail!(
                "no clocker binary at {} (build it: cargo build --release -p clocker, or set CLOCKER_BIN)",
                path.display()
            );
        }
        Ok(path)
    }
}

/// A running child process that listens on a loopback port.
#[derive(Debug)]
pub struct Child {
    label: String,
    addr: SocketAddr,
    pid: u32,
    process: tokio::process::Child,
}

impl Child {
    /// Spawns `command` and waits up to `deadline` for its listening line.
    pub async fn spawn(
        label: &str,
        mut command: Command,
        deadline: Duration,
    ) -> anyhow::Result<Self> {
        // Its stdin is a pipe this handle holds: a child that reads it (the
        // peers of P4 and P6) sees it close when the benchmark ends, however
        // it ends.
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut process = command
            .spawn()
            .with_context(|| format!("cannot start {label}"))?;
        let pid = process
            .id()
            .with_context(|| format!("{label} exited at once"))?;
        let stdout = process
            .stdout
            .take()
            .with_context(|| format!("{label} has no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(deadline, listening_addr(&mut lines))
            .await
            .with_context(|| format!("{label} printed no 'listening on' line within {deadline:?}"))?
            .with_context(|| format!("{label} did not start"))?;
        // Keep reading so that the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            label: label.to_owned(),
            addr,
            pid,
            process,
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its process, for `/proc`.
    pub fn pid(&self) -> Pid {
        Pid::Of(self.pid)
    }

    /// Kills it and waits until it is gone.
    pub async fn stop(mut self) {
        if let Err(err) = self.process.kill().await {
            eprintln!("bench: could not kill {}: {err}", self.label);
        }
    }
}

async fn listening_addr(lines: &mut Lines<BufReader<ChildStdout>>) -> anyhow::Result<SocketAddr> {
    while let Some(line) = lines.next_line().await? {
        if let Some((_, addr)) = line.split_once("listening on ") {
            return addr
                .trim()
                .parse()
                .with_context(|| format!("bad address in '{line}'"));
        }
    }
    bail!("it exited before saying where it listens (see its errors above)")
}

/// Runs `clocker serve NAME` on a free port, with `env` and `extra` arguments.
pub async fn serve(
    programs: &Programs,
    name: ServiceName,
    env: &[(String, String)],
    extra: &[&str],
) -> anyhow::Result<Child> {
    let mut command = Command::new(programs.clocker()?);
    command
        .args(["serve", name.as_str(), "--addr", "127.0.0.1:0"])
        .args(extra)
        .env("RUST_LOG", "warn")
        // Every benchmark client connects from 127.0.0.1: the per-address
        // cap (256) would refuse the ten thousand clients of P4 and P6. The
        // overall cap still follows the open-file limit.
        .env("CLOCKER_MAX_CONNECTIONS", "1000000")
        .env("CLOCKER_MAX_CONNECTIONS_PER_ADDRESS", "1000000")
        .envs(env.iter().map(|(k, v)| (k, v)));
    Child::spawn(name.as_str(), command, SERVICE_DEADLINE).await
}

/// Runs `clocker-bench SUBCOMMAND ARGS` (a baseline server of this binary,
/// such as `bare-server`) as a child labelled `label`.
pub async fn own_server(subcommand: &str, args: &[&str], label: &str) -> anyhow::Result<Child> {
    let exe = std::env::current_exe().context("cannot find this binary's path")?;
    let mut command = Command::new(exe);
    command.arg(subcommand).args(args);
    Child::spawn(label, command, SERVICE_DEADLINE).await
}

/// The five clock services, each in its own process.
#[derive(Debug)]
pub struct ClockServices {
    services: Vec<(ServiceName, Child)>,
}

/// The four component services.
const COMPONENTS: [ServiceName; 4] = [
    ServiceName::Hours,
    ServiceName::Minutes,
    ServiceName::Seconds,
    ServiceName::Milliseconds,
];

impl ClockServices {
    /// Starts current-time, then the four components pointed at it.
    pub async fn start(programs: &Programs) -> anyhow::Result<Self> {
        let current_time = serve(programs, ServiceName::CurrentTime, &[], &[]).await?;
        let mut clock = Self {
            services: vec![(ServiceName::CurrentTime, current_time)],
        };
        for name in COMPONENTS {
            let child = serve(programs, name, &clock.env(), &[]).await?;
            clock.services.push((name, child));
        }
        Ok(clock)
    }

    /// Where each service listens.
    pub fn book(&self) -> AddressBook {
        let mut book = AddressBook::default();
        for (name, child) in &self.services {
            book.set(name.contract(), child.addr());
        }
        book
    }

    /// `CLOCKER_<SERVICE>_ADDR` for every running service.
    pub fn env(&self) -> Vec<(String, String)> {
        self.services
            .iter()
            .map(|(name, child)| (name.addr_env_var(), child.addr().to_string()))
            .collect()
    }

    /// Kills every service.
    pub async fn stop(self) {
        for (_, child) in self.services {
            child.stop().await;
        }
    }
}

/// A gRPC channel to `addr` (TCP_NODELAY, connected now).
pub async fn channel(addr: SocketAddr) -> anyhow::Result<tonic::transport::Channel> {
    tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
        .tcp_nodelay(true)
        .connect()
        .await
        .with_context(|| format!("cannot connect to {addr}"))
}
