//! Starting `clocker serve` as a process of its own, shared by the test
//! binaries (`#[path]`-included).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

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
#[allow(dead_code)] // only some test binaries read the later lines
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
