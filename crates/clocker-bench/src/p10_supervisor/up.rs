//! Driving one `clocker up --ephemeral` as a user would: start it, read
//! where each service listens from its output, ask `clocker ps --json`,
//! and tell which of its processes still run.

use super::*;

/// A running `clocker up --ephemeral`.
pub(super) struct Up {
    pub(super) process: tokio::process::Child,
    pub(super) pid: u32,
    /// Spawn to the `ready` line.
    pub(super) startup: Duration,
    /// What it printed before `ready`: where each service listens.
    pub(super) addrs: BTreeMap<ServiceName, SocketAddr>,
    /// Its last output lines (both streams), for error messages.
    pub(super) tail: Arc<Mutex<VecDeque<String>>>,
}

impl Up {
    pub(super) async fn start(
        clocker: &Path,
        runtime_dir: &Path,
        data_dir: &Path,
    ) -> anyhow::Result<Self> {
        let started = Instant::now();
        let mut process = Command::new(clocker)
            .args(["up", "--ephemeral"])
            .env("CLOCKER_RUNTIME_DIR", runtime_dir)
            .env("CLOCKER_DATA_DIR", data_dir)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start clocker up")?;
        let pid = process.id().context("clocker up exited at once")?;
        let tail = Arc::new(Mutex::new(VecDeque::with_capacity(TAIL_LINES)));
        let (ready_tx, ready_rx) = oneshot::channel();
        let stdout = process.stdout.take().context("no stdout")?;
        let stderr = process.stderr.take().context("no stderr")?;
        tokio::spawn(read_lines(stdout, tail.clone(), Some(ready_tx)));
        tokio::spawn(read_lines(stderr, tail.clone(), None));
        let mut up = Self {
            process,
            pid,
            startup: Duration::ZERO,
            addrs: BTreeMap::new(),
            tail,
        };
        let ready = tokio::time::timeout(PATIENCE, ready_rx).await;
        up.startup = started.elapsed();
        match ready {
            Ok(Ok(addrs)) => up.addrs = addrs,
            Ok(Err(_)) => bail!(
                "clocker up ended its output before `ready`; it said:\n{}",
                up.tail()
            ),
            Err(_) => bail!(
                "clocker up did not say `ready` within {PATIENCE:?}; it said:\n{}",
                up.tail()
            ),
        }
        if up.addrs.len() != ServiceName::ALL.len() {
            bail!(
                "clocker up listed {} services, not {}:\n{}",
                up.addrs.len(),
                ServiceName::ALL.len(),
                up.tail()
            );
        }
        Ok(up)
    }

    /// SIGTERM, then waits for it to exit: how long that took, and whether
    /// it exited with status 0.
    pub(super) async fn stop(mut self) -> anyhow::Result<(Duration, bool)> {
        let started = Instant::now();
        kill(nix_pid(self.pid)?, Signal::SIGTERM).context("cannot signal clocker up")?;
        let status = tokio::time::timeout(PATIENCE, self.process.wait())
            .await
            .with_context(|| {
                format!(
                    "clocker up did not exit within {PATIENCE:?} of SIGTERM:\n{}",
                    self.tail()
                )
            })??;
        let took = started.elapsed();
        if !status.success() {
            eprintln!(
                "p10: clocker up exited with {status} after SIGTERM; it said:\n{}",
                self.tail()
            );
        }
        Ok((took, status.success()))
    }

    pub(super) fn tail(&self) -> String {
        let tail = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        tail.iter().cloned().collect::<Vec<_>>().join("\n")
    }
}

/// Reads `output` to its end, keeping its last lines in `tail`; with
/// `ready`, collects the `NAME  grpc|http  HOST:PORT` lines and sends them
/// at the `ready` line.
pub(super) async fn read_lines(
    output: impl AsyncRead + Unpin,
    tail: Arc<Mutex<VecDeque<String>>>,
    mut ready: Option<oneshot::Sender<BTreeMap<ServiceName, SocketAddr>>>,
) {
    let mut addrs = BTreeMap::new();
    let mut lines = BufReader::new(output).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if ready.is_some() {
            if line.starts_with("ready") {
                if let Some(ready) = ready.take() {
                    let _ = ready.send(std::mem::take(&mut addrs));
                }
            } else if let Some((name, addr)) = service_line(&line) {
                addrs.insert(name, addr);
            }
        }
        let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line);
    }
}

/// `hours         grpc  127.0.0.1:40001` → (hours, 127.0.0.1:40001).
pub(super) fn service_line(line: &str) -> Option<(ServiceName, SocketAddr)> {
    let mut words = line.split_whitespace();
    let name = words.next()?.parse().ok()?;
    let kind = words.next()?;
    if kind != "grpc" && kind != "http" {
        return None;
    }
    let addr = words.next()?.parse().ok()?;
    words.next().is_none().then_some((name, addr))
}

/// `clocker ps --json` against the supervisor of `runtime_dir`.
pub(super) async fn ps(clocker: &Path, runtime_dir: &Path) -> anyhow::Result<Vec<Row>> {
    let output = Command::new(clocker)
        .args(["ps", "--json"])
        .env("CLOCKER_RUNTIME_DIR", runtime_dir)
        .stdin(Stdio::null())
        .output()
        .await
        .context("cannot run clocker ps")?;
    if !output.status.success() {
        bail!(
            "clocker ps --json failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    serde_json::from_slice(&output.stdout).context("clocker ps --json printed no rows")
}

pub(super) fn row_of(rows: &[Row], service: ServiceName) -> anyhow::Result<Row> {
    rows.iter()
        .find(|row| row.name == service.as_str())
        .cloned()
        .with_context(|| format!("clocker ps does not list {service}"))
}

pub(super) fn nix_pid(pid: u32) -> anyhow::Result<NixPid> {
    Ok(NixPid::from_raw(i32::try_from(pid)?))
}

/// How many processes other than `fleet` run `binary`.
pub(super) fn running(binary: &Path, fleet: &[u32]) -> usize {
    let Ok(binary) = binary.canonicalize() else {
        return 0;
    };
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| !fleet.contains(pid))
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == binary))
        .count()
}

/// Whether `pid` runs (a zombie, dead but not yet reaped, does not).
pub(super) fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_address_lines_of_clocker_up() {
        assert_eq!(
            service_line("hours         grpc  127.0.0.1:40001"),
            Some((ServiceName::Hours, "127.0.0.1:40001".parse().expect("addr")))
        );
        assert_eq!(
            service_line("funnel        http  127.0.0.1:8080"),
            Some((ServiceName::Funnel, "127.0.0.1:8080".parse().expect("addr")))
        );
        assert_eq!(service_line("timers        zeromq tcp://127.0.0.1:1"), None);
        assert_eq!(
            service_line("       hours | listening on 127.0.0.1:1"),
            None
        );
        assert_eq!(
            service_line("supervisor on 127.0.0.1:1: clocker ps shows the services"),
            None
        );
    }

    #[test]
    fn this_process_is_alive() {
        assert!(alive(std::process::id()));
        assert!(!alive(u32::MAX));
    }
}
