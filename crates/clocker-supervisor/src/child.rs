//! One incarnation of a service: `clocker serve NAME --addr ADDR` as a
//! child process, given its listeners ([`crate::handover`]), its `NAME listening on …` line as the ready signal, its
//! output forwarded line by line with its name in front (through
//! [`crate::output`], which never blocks), and a stop that is
//! SIGTERM first, SIGKILL after a grace period.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use clocker_fleet::ServiceName;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::oneshot;

use crate::SUPERVISOR_PID_VAR;
use crate::handover::{self, Listener};
use crate::output::{MAX_LINE_BYTES, Output, Stream};

/// How children's output is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// `name | line`, the name coloured when stdout is a terminal.
    Plain,
    /// One JSON object per line: `{"service":…,"stream":…,"line":…}`.
    Json,
}

/// How a child ended.
#[derive(Debug)]
pub enum Exit {
    Code(i32),
    Signal(String),
    Unknown(String),
}

impl From<std::io::Result<ExitStatus>> for Exit {
    fn from(status: std::io::Result<ExitStatus>) -> Self {
        use std::os::unix::process::ExitStatusExt;
        match status {
            Ok(status) => match (status.code(), status.signal()) {
                (Some(code), _) => Exit::Code(code),
                (None, Some(signal)) => Exit::Signal(
                    Signal::try_from(signal).map_or_else(|_| signal.to_string(), |s| s.to_string()),
                ),
                (None, None) => Exit::Unknown("no status".into()),
            },
            Err(err) => Exit::Unknown(err.to_string()),
        }
    }
}

/// A running child.
#[derive(Debug)]
pub struct Child {
    service: ServiceName,
    process: tokio::process::Child,
    pid: u32,
    ready: Option<oneshot::Receiver<()>>,
    exit: Option<Exit>,
}

impl Child {
    pub fn spawn(
        program: &Path,
        service: ServiceName,
        addr: SocketAddr,
        extra_args: &[String],
        env: &[(String, String)],
        listeners: &[Listener],
        output: &Output,
    ) -> std::io::Result<Child> {
        let mut command = Command::new(program);
        handover::pass_listeners(command.as_std_mut(), listeners)?;
        let mut process = command
            .arg("serve")
            .arg(service.as_str())
            .arg("--addr")
            .arg(addr.to_string())
            .args(extra_args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env(SUPERVISOR_PID_VAR, std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            // Its own process group: a Ctrl-C in the terminal reaches the
            // supervisor alone, which stops the services in order.
            .process_group(0)
            .spawn()?;
        let pid = process.id().unwrap_or(0);
        let (ready_tx, ready) = oneshot::channel();
        let listening = format!("{service} listening on ");
        if let Some(stdout) = process.stdout.take() {
            tokio::spawn(forward(
                service,
                Stream::Stdout,
                stdout,
                output.clone(),
                Some((listening, ready_tx)),
            ));
        }
        if let Some(stderr) = process.stderr.take() {
            tokio::spawn(forward(
                service,
                Stream::Stderr,
                stderr,
                output.clone(),
                None,
            ));
        }
        Ok(Child {
            service,
            process,
            pid,
            ready: Some(ready),
            exit: None,
        })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Resolves once the child said it listens; an error when it exits or
    /// stays silent for `timeout`.
    pub async fn ready(&mut self, timeout: Duration) -> Result<(), String> {
        let Some(ready) = self.ready.take() else {
            return Ok(());
        };
        tokio::select! {
            said = ready => said.map_err(|_| "its output ended before it said it listens".to_owned()),
            exit = self.exited() => Err(format!("it ended before it was ready ({exit:?})")),
            () = tokio::time::sleep(timeout) => Err(format!("it did not say it listens within {timeout:?}")),
        }
    }

    /// Resolves when the child has exited (at once if it already has).
    pub async fn exited(&mut self) -> Exit {
        if let Some(exit) = self.exit.take() {
            return exit;
        }
        Exit::from(self.process.wait().await)
    }

    /// SIGKILL, then reaps it.
    pub async fn kill(&mut self) {
        if let Err(err) = self.process.start_kill() {
            tracing::debug!(service = %self.service, %err, "kill");
        }
        self.exit = Some(Exit::from(self.process.wait().await));
    }

    /// SIGTERM, then SIGKILL after `grace`; true when it exited with 0.
    pub async fn stop(mut self, grace: Duration) -> bool {
        if let Ok(pid) = i32::try_from(self.pid) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
        match tokio::time::timeout(grace, self.process.wait()).await {
            Ok(Ok(status)) => {
                if !status.success() {
                    tracing::warn!(service = %self.service, %status, "stopped uncleanly");
                }
                status.success()
            }
            Ok(Err(_)) => false,
            Err(_) => {
                tracing::warn!(service = %self.service, ?grace, "did not stop in time; killed");
                self.kill().await;
                false
            }
        }
    }
}

/// Copies a child's stdout or stderr to ours through `output`, a line at a
/// time, named; the first stdout line that starts with `listening` fires
/// `ready`. The pipe is always read, whether or not our own stream keeps
/// up, so the child never blocks on it.
async fn forward(
    service: ServiceName,
    stream: Stream,
    output_of_child: impl AsyncRead + Unpin,
    output: Output,
    mut ready: Option<(String, oneshot::Sender<()>)>,
) {
    let colour = stream.is_terminal();
    let mut reader = BufReader::new(output_of_child);
    let mut bytes = Vec::new();
    while let Ok(true) = read_line_bounded(&mut reader, &mut bytes, MAX_LINE_BYTES).await {
        let line = String::from_utf8_lossy(&bytes);
        let line = line.trim_end_matches(['\n', '\r']);
        if let Some((listening, _)) = &ready
            && line.starts_with(listening.as_str())
            && let Some((_, tx)) = ready.take()
        {
            let _ = tx.send(());
        }
        let text = match output.format() {
            LogFormat::Json => serde_json::json!({
                "service": service.as_str(),
                "stream": stream.as_str(),
                "line": line,
            })
            .to_string(),
            LogFormat::Plain if colour => {
                format!(
                    "\x1b[{}m{:>12}\x1b[0m | {line}",
                    colour_of(service),
                    service.as_str()
                )
            }
            LogFormat::Plain => format!("{:>12} | {line}", service.as_str()),
        };
        // Each stream goes where the child sent it.
        output.line(stream, service.as_str(), text);
    }
}

/// Reads one line into `line` (cleared first), keeping at most `max` bytes
/// of it and skipping the rest; false at the end of the input.
async fn read_line_bounded(
    reader: &mut (impl AsyncBufRead + Unpin),
    line: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<bool> {
    line.clear();
    let mut read_any = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(read_any);
        }
        read_any = true;
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(end) => (&available[..=end], true),
            None => (available, false),
        };
        let used = chunk.len();
        let room = max.saturating_sub(line.len());
        line.extend_from_slice(&chunk[..used.min(room)]);
        reader.consume(used);
        if done {
            return Ok(true);
        }
    }
}

/// A stable ANSI colour per service.
fn colour_of(service: ServiceName) -> u8 {
    const COLOURS: [u8; 6] = [36, 32, 33, 35, 34, 31];
    let index = ServiceName::ALL
        .iter()
        .position(|s| *s == service)
        .unwrap_or(0);
    COLOURS[index % COLOURS.len()]
}
