//! Starting `clocker serve` as a process of its own, shared by the test
//! binaries (`#[path]`-included): [`Served`] is one such process, with
//! what it printed and its memory, started on a port of its own or on
//! sockets handed to it as `clocker up` hands them (what `fleet.rs` does).

#![allow(dead_code)] // each test binary uses some of it

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use clocker_supervisor::handover::{Listener, pass_listeners};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// How long a `clocker serve` process may take to say it listens.
const SERVE_STARTUP: Duration = Duration::from_secs(30);

/// Spawns `command` (a `clocker serve NAME …`), its stderr into `log`, and
/// waits for its first line, `NAME listening on ADDR`: the child and ADDR.
pub fn spawn_serving(name: &str, command: &mut Command, log: &Path) -> (Child, String) {
    let (child, addr, _later_lines) = spawn_serving_with_output(name, command, log);
    (child, addr)
}

/// [`spawn_serving`], also handing over the lines it prints afterwards (such
/// as `timers also listening on zeromq tcp://…`).
pub fn spawn_serving_with_output(
    name: &str,
    command: &mut Command,
    log: &Path,
) -> (Child, String, mpsc::Receiver<String>) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("the binary runs");
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let read_log = || std::fs::read_to_string(log).unwrap_or_default();
    let Ok(line) = rx.recv_timeout(SERVE_STARTUP) else {
        let _ = child.kill();
        panic!("{name}: no 'listening' line; log: {}", read_log());
    };
    let Some(addr) = line.strip_prefix(&format!("{name} listening on ")) else {
        let _ = child.kill();
        panic!(
            "{name}: unexpected first line {line:?}; log: {}",
            read_log()
        );
    };
    let addr = addr.to_owned();
    (child, addr, rx)
}

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
        Self::spawn(name, |command| {
            command
                .args(["--addr", listen])
                .args(args)
                .envs(env.iter().copied());
        })
    }

    /// Starts `clocker serve NAME ARGS…` with `env` set, handing it
    /// `sockets` as `clocker up` does (its own port, and timers' ZeroMQ
    /// port named `zeromq`): it serves those, whatever else it is told.
    pub fn start_given(
        name: &str,
        sockets: &[Listener],
        args: &[String],
        env: &[(String, String)],
    ) -> Self {
        Self::spawn(name, |command| {
            pass_listeners(command, sockets).expect("the sockets can be handed over");
            command
                .args(args)
                .envs(env.iter().map(|(key, value)| (key, value)));
        })
    }

    /// Spawns `clocker serve NAME`, with what `configure` adds, in a
    /// temporary directory of its own, and waits for its listening line.
    fn spawn(name: &str, configure: impl FnOnce(&mut Command)) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let log = dir.path().join(format!("{name}.log"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_clocker"));
        command
            .args(["serve", name])
            .current_dir(dir.path())
            .env("CLOCKER_RUNTIME_DIR", dir.path())
            .env("NO_COLOR", "1");
        configure(&mut command);
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

    /// Asks it to stop as `clocker up` does (SIGTERM: it drains and says
    /// goodbye to its clients), and waits until it has exited; after
    /// `grace` it is killed. Whether it exited by itself, within `grace`.
    pub async fn stop_within(&mut self, grace: Duration) -> bool {
        let pid = Pid::from_raw(i32::try_from(self.pid()).expect("pids fit an i32"));
        // It may have exited already: then there is nothing to signal.
        let _ = kill(pid, Signal::SIGTERM);
        let deadline = tokio::time::Instant::now() + grace;
        while self.child.try_wait().expect("waitpid").is_none() {
            if tokio::time::Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }

    /// The endpoint of its `NAME also listening on PROTOCOL ENDPOINT` line
    /// (timers' `zeromq tcp://127.0.0.1:PORT`).
    pub fn also_listening(&self, protocol: &str) -> String {
        let prefix = format!("{} also listening on {protocol} ", self.name);
        loop {
            match self.stdout.recv_timeout(SERVE_STARTUP) {
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
