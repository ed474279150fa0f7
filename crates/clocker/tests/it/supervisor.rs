//! `clocker up` as a supervisor, driven as a user would: the real binary on
//! ports it picks, `clocker ps` to look, signals to break things.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clocker_wire::Row;

use crate::support::{connect, frames_until};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

mod handover;

/// How long anything here may take on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(30);

/// A running `clocker up` with its own runtime and data directories.
pub(crate) struct Up {
    child: Child,
    dir: tempfile::TempDir,
    /// What it printed up to `ready`.
    lines: Vec<String>,
    /// Every line it prints after `ready` (stdout, and stderr when piped).
    later: mpsc::Receiver<String>,
    /// Lets the readers of [`Up::start_unread`] go on.
    resume: Vec<mpsc::Sender<()>>,
}

impl Up {
    /// Starts `clocker up --ephemeral` with `args` and waits for `ready`.
    pub(crate) fn start(args: &[&str]) -> Up {
        Self::launch(args, &[("RUST_LOG", "warn")], false)
    }

    /// [`Up::start`] with `env` for the supervisor and its services.
    pub(crate) fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Up {
        Self::launch(args, env, false)
    }

    /// What it printed up to `ready`: the address table.
    pub(crate) fn printed(&self) -> &[String] {
        &self.lines
    }

    /// [`Up::start`] with `env`, its stdout and stderr pipes that nobody
    /// reads after `ready` until [`Up::resume_reading`].
    fn start_unread(args: &[&str], env: &[(&str, &str)]) -> Up {
        Self::launch(args, env, true)
    }

    fn launch(args: &[&str], env: &[(&str, &str)], unread: bool) -> Up {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_clocker"))
            .args(["up", "--ephemeral"])
            .args(args)
            .env("CLOCKER_RUNTIME_DIR", dir.path().join("run"))
            .env("CLOCKER_DATA_DIR", dir.path().join("data"))
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(if unread {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("clocker up starts");
        let stdout = child.stdout.take().expect("piped");
        let (ready_tx, ready_rx) = mpsc::channel();
        let (later_tx, later) = mpsc::channel();
        let mut resume = Vec::new();
        let (resume_stdout, held_stdout) = mpsc::channel::<()>();
        if unread {
            resume.push(resume_stdout);
        }
        let stdout_later = later_tx.clone();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
            let mut table = Vec::new();
            for line in lines.by_ref() {
                if line.starts_with("ready") {
                    let _ = ready_tx.send(std::mem::take(&mut table));
                    break;
                }
                table.push(line);
            }
            if unread {
                let _ = held_stdout.recv();
            }
            for line in lines {
                let _ = stdout_later.send(line);
            }
        });
        if let Some(stderr) = child.stderr.take() {
            let (resume_stderr, held_stderr) = mpsc::channel::<()>();
            resume.push(resume_stderr);
            std::thread::spawn(move || {
                let _ = held_stderr.recv();
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let _ = later_tx.send(line);
                }
            });
        }
        let lines = ready_rx
            .recv_timeout(PATIENCE)
            .expect("clocker up says ready");
        Up {
            child,
            dir,
            lines,
            later,
            resume,
        }
    }

    /// Lets the readers of [`Up::start_unread`] read again.
    fn resume_reading(&mut self) {
        for resume in self.resume.drain(..) {
            let _ = resume.send(());
        }
    }

    /// Waits for a line after `ready` that satisfies `wanted`.
    fn line_later(&self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.later.recv_timeout(left) {
                Ok(line) if wanted(&line) => return line,
                Ok(_) => {}
                Err(err) => panic!("no line {what} ({err})"),
            }
        }
    }

    /// Where `name` listens, from the table `up` printed.
    pub(crate) fn addr(&self, name: &str) -> std::net::SocketAddr {
        self.lines
            .iter()
            .find_map(|line| {
                let words: Vec<&str> = line.split_whitespace().collect();
                match words[..] {
                    [service, "grpc" | "http", addr] if service == name => addr.parse().ok(),
                    _ => None,
                }
            })
            .unwrap_or_else(|| panic!("{name} in {:?}", self.lines))
    }

    pub(crate) fn pid(&self) -> Pid {
        Pid::from_raw(i32::try_from(self.child.id()).expect("a pid"))
    }

    /// `clocker ps --json`.
    pub(crate) fn ps(&self) -> Vec<Row> {
        let output = Command::new(env!("CARGO_BIN_EXE_clocker"))
            .args(["ps", "--json"])
            .env("CLOCKER_RUNTIME_DIR", self.dir.path().join("run"))
            .output()
            .expect("clocker ps runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("JSON rows")
    }

    pub(crate) fn row(&self, name: &str) -> Row {
        self.ps()
            .into_iter()
            .find(|row| row.name == name)
            .unwrap_or_else(|| panic!("{name} is supervised"))
    }

    /// Polls `clocker ps` until `done` holds for `name`'s row.
    pub(crate) fn wait_for(&self, name: &str, what: &str, done: impl Fn(&Row) -> bool) -> Row {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let row = self.row(name);
            if done(&row) {
                return row;
            }
            assert!(
                Instant::now() < deadline,
                "{name}: {what}; last seen {row:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends `signal` to the supervisor and waits for it to exit.
    pub(crate) fn signal_and_wait(&mut self, signal: Signal) -> ExitStatus {
        kill(self.pid(), signal).expect("signal sent");
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("waits") {
                return status;
            }
            assert!(Instant::now() < deadline, "clocker up did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn pid_of(row: &Row) -> Pid {
    Pid::from_raw(i32::try_from(row.pid.expect("a running service has a pid")).expect("a pid"))
}

pub(crate) fn alive(pid: Pid) -> bool {
    // A zombie still answers signal 0; its parent reaps it.
    kill(pid, None).is_ok() && !is_zombie(pid)
}

fn is_zombie(pid: Pid) -> bool {
    std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat"))
        .map(|stat| {
            stat.rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

#[test]
fn up_starts_every_service_and_ps_shows_them_ready() {
    let up = Up::start(&[]);
    let rows = up.ps();
    let names: Vec<&str> = rows.iter().map(|row| row.name.as_str()).collect();
    assert_eq!(names.len(), 11, "{names:?}");
    // `ps` lists them in start order: requirements first.
    let position = |name| names.iter().position(|n| *n == name).expect(name);
    assert_eq!(names[0], "current-time");
    assert!(position("accounts") < position("timers"));
    assert!(position("random") < position("gateway"));
    assert!(position("timers") < position("stream"));
    for row in &rows {
        assert_eq!(row.state, "ready", "{row:?}");
        assert!(row.pid.is_some() && row.uptime_s.is_some(), "{row:?}");
    }
}

#[test]
fn a_killed_service_is_restarted_and_ps_counts_it() {
    let up = Up::start(&["--only", "hours"]);
    let before = up.row("hours");
    kill(pid_of(&before), Signal::SIGKILL).expect("killed");
    let after = up.wait_for("hours", "restarted", |row| {
        row.restarts == 1 && row.state == "ready" && row.pid != before.pid
    });
    assert_eq!(after.last_error.as_deref(), Some("killed by SIGKILL"));
    // What it requires was left alone.
    assert_eq!(up.row("current-time").restarts, 0);
}

#[test]
fn a_service_whose_thread_is_stuck_is_killed_and_restarted() {
    let up = Up::start(&["--only", "minutes", "--kill-after", "500ms"]);
    let before = up.row("minutes");
    // A stopped process answers nothing, as a service whose one thread is stuck.
    kill(pid_of(&before), Signal::SIGSTOP).expect("stopped");
    let after = up.wait_for("minutes", "killed and restarted", |row| {
        row.restarts == 1 && row.state == "ready"
    });
    let reason = after.last_error.unwrap_or_default();
    assert!(reason.contains("no health answer"), "{reason}");
    assert!(!alive(pid_of(&before)), "the stuck process is gone");
    assert_eq!(up.row("current-time").restarts, 0);
}

#[test]
fn sigterm_stops_everything_cleanly_with_exit_0() {
    let mut up = Up::start(&["--only", "gateway"]);
    let pids: Vec<Pid> = up.ps().iter().map(pid_of).collect();
    let status = up.signal_and_wait(Signal::SIGTERM);
    assert!(status.success(), "{status:?}");
    for pid in pids {
        assert!(!alive(pid), "{pid} still runs");
    }
}

#[test]
fn sigkill_of_the_supervisor_leaves_no_service_running() {
    let mut up = Up::start(&["--only", "stream"]);
    let pids: Vec<Pid> = up.ps().iter().map(pid_of).collect();
    assert!(pids.len() >= 3, "{pids:?}");
    up.signal_and_wait(Signal::SIGKILL);
    let deadline = Instant::now() + PATIENCE;
    while pids.iter().any(|pid| alive(*pid)) {
        assert!(Instant::now() < deadline, "orphans left: {pids:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn killing_each_clock_service_heals_and_no_websocket_client_is_dropped() {
    let up = Up::start(&["--only", "funnel"]);
    let funnel = up.addr("funnel");
    let mut sockets = Vec::new();
    for _ in 0..4 {
        sockets.push(connect(funnel, "?tz=UTC").await);
    }
    for name in [
        "current-time",
        "hours",
        "minutes",
        "seconds",
        "milliseconds",
    ] {
        let before = up.row(name);
        kill(pid_of(&before), Signal::SIGKILL).expect("killed");
        up.wait_for(name, "restarted", |row| {
            row.restarts == before.restarts + 1 && row.state == "ready"
        });
        let restarted_at = jiff::Timestamp::now().as_millisecond();
        // Every client, on the socket it always had, gets whole frames again.
        for socket in &mut sockets {
            frames_until(socket, |frame| {
                frame.unix_ms.is_some_and(|ms| ms > restarted_at) && frame.degraded.is_empty()
            })
            .await;
        }
    }
}

#[test]
fn ps_without_a_supervisor_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_clocker"))
        .arg("ps")
        .env("CLOCKER_RUNTIME_DIR", dir.path())
        .output()
        .expect("clocker ps runs");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "clocker: no fleet is running here (start one with `clocker up`)\n"
    );
}

/// Whether `name` at `addr` answers its health probe within `within`.
fn answers(name: &str, addr: std::net::SocketAddr, within: Duration) -> Result<Duration, String> {
    let service: clocker_fleet::ServiceName = name.parse().expect("a service name");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(clocker_supervisor::probe::Prober::new(service, addr).check(within))
}

/// Fails unless every supervised service still runs as `before` (same pid,
/// no restart).
fn assert_untouched(up: &Up, before: &[Row], when: &str) {
    let now = up.ps();
    for (was, is) in before.iter().zip(&now) {
        assert_eq!(
            (was.pid, was.restarts),
            (is.pid, is.restarts),
            "{}: restarted {when}: {is:?}",
            is.name
        );
    }
}

#[test]
fn a_stall_of_the_supervisor_is_not_a_silence_of_its_services() {
    let up = Up::start(&["--only", "hours"]);
    let before = up.ps();
    // Ctrl-Z, then `fg` 2.5 s later: the supervisor sent no probe meanwhile.
    kill(up.pid(), Signal::SIGSTOP).expect("stopped");
    std::thread::sleep(Duration::from_millis(2500));
    kill(up.pid(), Signal::SIGCONT).expect("continued");
    // Watch for ten probe periods after it woke up.
    let watched = Instant::now();
    while watched.elapsed() < Duration::from_secs(1) {
        assert_untouched(&up, &before, "after the supervisor's own stall");
        std::thread::sleep(Duration::from_millis(50));
    }
    for row in &before {
        let addr = row.addr.parse().expect("an address");
        answers(&row.name, addr, Duration::from_secs(1))
            .unwrap_or_else(|why| panic!("{} does not answer: {why}", row.name));
    }
    assert_untouched(&up, &before, "after the supervisor's own stall");
}

#[test]
fn output_nobody_reads_drops_lines_and_kills_nothing() {
    // Every probe makes the services (and the supervisor) log at debug.
    let mut up = Up::start_unread(
        &["--only", "hours"],
        &[
            ("RUST_LOG", "debug"),
            ("NO_COLOR", "1"),
            ("CLOCKER_LOG_QUEUE_LINES", "64"),
        ],
    );
    let before = up.ps();
    // A terminal paused, a log pipe stuck: for 4 s nobody reads.
    let held = Instant::now();
    while held.elapsed() < Duration::from_secs(4) {
        for row in &before {
            let addr = row.addr.parse().expect("an address");
            // Generous for a loaded machine; a blocked service never answers.
            answers(&row.name, addr, Duration::from_secs(1)).unwrap_or_else(|why| {
                panic!("{} does not answer while output is unread: {why}", row.name)
            });
        }
        assert_untouched(&up, &before, "while its output was unread");
        std::thread::sleep(Duration::from_millis(100));
    }
    up.resume_reading();
    let notice = up.line_later("saying how many lines were dropped", |line| {
        line.contains("log lines from") && line.contains("is not keeping up")
    });
    assert!(notice.contains("dropped"), "{notice}");
    assert_untouched(&up, &before, "after its output was read again");
}

#[test]
fn sighup_stops_everything_cleanly_with_exit_0() {
    let mut up = Up::start(&["--only", "hours"]);
    let pids: Vec<Pid> = up.ps().iter().map(pid_of).collect();
    // The terminal `clocker up` runs in was closed.
    let status = up.signal_and_wait(Signal::SIGHUP);
    assert!(status.success(), "{status:?}");
    for pid in pids {
        assert!(!alive(pid), "{pid} still runs");
    }
    up.line_later("saying it stopped", |line| line == "stopped");
}

#[test]
fn each_service_says_once_where_it_listens_and_a_signal_is_logged_once() {
    let mut up = Up::start_unread(
        &["--only", "gateway"],
        &[("RUST_LOG", "info"), ("NO_COLOR", "1")],
    );
    up.resume_reading();
    let rows = up.ps();
    assert!(rows.len() >= 4, "{rows:?}");
    assert!(up.signal_and_wait(Signal::SIGINT).success());
    // Everything it printed: stdout up to `ready`, then stdout and stderr.
    let mut lines = up.printed().to_vec();
    while let Ok(line) = up.later.recv_timeout(PATIENCE) {
        lines.push(line);
    }
    for row in &rows {
        // Its own output (`name | …`, on stdout or in its logs) names its
        // address once; the summary table is the supervisor's.
        let prefix = format!("{} | ", row.name);
        let said: Vec<&String> = lines
            .iter()
            .filter(|line| line.trim_start().starts_with(&prefix) && line.contains(&row.addr))
            .collect();
        assert_eq!(
            said.len(),
            1,
            "{} announced itself {} times: {said:#?}",
            row.name,
            said.len()
        );
    }
    let received = lines
        .iter()
        .filter(|line| line.contains("SIGINT received"))
        .count();
    assert_eq!(
        received, 1,
        "the supervisor's Ctrl-C, logged {received} times: {lines:#?}"
    );
}
