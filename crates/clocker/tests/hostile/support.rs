//! A `clocker serve` process under attack: how to start one, reach it as an
//! attacker (from 127.0.0.2) and check that it is still the same, healthy,
//! bounded process.

#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

/// How long any single wait in these tests may take before it fails.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// The address attackers connect from: another host, as far as the service can tell.
pub const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// One `clocker serve NAME` process, killed when dropped.
pub struct Served {
    pub name: String,
    pub child: Child,
    /// What its `NAME listening on ADDR` line says.
    pub addr: SocketAddr,
    pub log: PathBuf,
    /// What it printed after its listening line.
    stdout: std::sync::mpsc::Receiver<String>,
    _dir: tempfile::TempDir,
}

impl Served {
    /// Starts `clocker serve NAME --addr 127.0.0.1:0 ARGS…` with `env` set,
    /// and waits for its listening line.
    pub fn start(name: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_at(name, "127.0.0.1:0", args, env)
    }

    /// [`Served::start`] listening on `listen` (`0.0.0.0:0`: every
    /// interface, as in a container).
    pub fn start_at(name: &str, listen: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let log = dir.path().join(format!("{name}.log"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_clocker"));
        command
            .args(["serve", name, "--addr", listen])
            .args(args)
            .current_dir(dir.path())
            .env("CLOCKER_RUNTIME_DIR", dir.path())
            .env("NO_COLOR", "1");
        for (key, value) in env {
            command.env(key, value);
        }
        let (child, addr, stdout) = spawn_serving_with_output(name, &mut command, &log);
        Self {
            name: name.to_owned(),
            child,
            addr: addr
                .parse()
                .expect("the listening line names a socket address"),
            log,
            stdout,
            _dir: dir,
        }
    }

    /// The endpoint of its `NAME also listening on PROTOCOL ENDPOINT` line
    /// (timers' `zeromq tcp://127.0.0.1:PORT`).
    pub fn also_listening(&self, protocol: &str) -> String {
        let prefix = format!("{} also listening on {protocol} ", self.name);
        loop {
            match self.stdout.recv_timeout(PATIENCE) {
                Ok(line) => {
                    if let Some(endpoint) = line.strip_prefix(&prefix) {
                        return endpoint.to_owned();
                    }
                }
                Err(err) => panic!("{}: no {prefix:?} line ({err})", self.name),
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails unless the process is still running (not crashed, not restarted).
    pub fn assert_alive(&mut self) {
        if let Some(status) = self.child.try_wait().expect("waitpid") {
            panic!(
                "{} exited ({status}); log:\n{}",
                self.name,
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
    }

    /// Resident memory now, in KiB (from /proc).
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.pid())
    }

    /// Open file descriptors now.
    pub fn open_files(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|dir| dir.count())
            .unwrap_or(0)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A TCP connection to `addr` from [`ATTACKER`].
pub async fn attacker_connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(ATTACKER, 0))?;
    socket.connect(addr).await
}

/// Polls `check` until it returns `Some`, failing after [`PATIENCE`] with `what`.
pub async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "not within {PATIENCE:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[path = "../common/serving.rs"]
mod serving;
use serving::spawn_serving_with_output;
