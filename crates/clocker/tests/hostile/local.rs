//! Finding 11 of issue 14: attacks from another user of the same machine.
//! A runtime directory made by someone else was used as is,
//! `supervisor.json` was written through a symlink (overwriting its
//! target), and a `.env` in any parent directory redirected every command —
//! `clocker account login` and its password included.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::PATIENCE;

/// `clocker up --ephemeral --only current-time` (one small service) with
/// its runtime and data directories under `dir`, stdout piped.
fn up(dir: &Path, runtime_dir: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_clocker"))
        .args(["up", "--ephemeral", "--only", "current-time"])
        .current_dir(dir)
        .env("CLOCKER_RUNTIME_DIR", runtime_dir)
        .env("CLOCKER_DATA_DIR", dir.join("data"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

/// Waits up to `patience` for `child` to exit; kills it when it does not.
fn exited_within(child: &mut Child, patience: Duration) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + patience;
    loop {
        if let Some(status) = child.try_wait().expect("waitpid") {
            return Some(status);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_runtime_directory_open_to_others_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime_dir = dir.path().join("run");
    std::fs::create_dir(&runtime_dir).expect("mkdir");
    std::fs::set_permissions(&runtime_dir, std::fs::Permissions::from_mode(0o777))
        .expect("chmod 777");

    let mut child = up(dir.path(), &runtime_dir);
    let status = exited_within(&mut child, PATIENCE)
        .expect("clocker up refuses the directory instead of starting");
    assert!(!status.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("piped"), &mut stderr)
        .expect("stderr");
    assert!(
        stderr.contains(&runtime_dir.display().to_string()) && stderr.contains("chmod 700"),
        "a clear refusal: {stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(!runtime_dir.join("supervisor.json").exists());
}

#[test]
fn a_symlinked_supervisor_file_is_replaced_not_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").expect("victim written");
    let runtime_dir = dir.path().join("run");
    std::fs::create_dir(&runtime_dir).expect("mkdir");
    std::fs::set_permissions(&runtime_dir, std::fs::Permissions::from_mode(0o700))
        .expect("chmod 700");
    let control_file = runtime_dir.join("supervisor.json");
    std::os::unix::fs::symlink(&victim, &control_file).expect("symlink");

    let mut child = up(dir.path(), &runtime_dir);
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let ready = loop {
        match rx.recv_timeout(PATIENCE * 3) {
            Ok(line) if line.starts_with("ready") => break true,
            Ok(_) => continue,
            Err(_) => break false,
        }
    };
    let control_meta = std::fs::symlink_metadata(&control_file);
    let victim_text = std::fs::read_to_string(&victim).expect("victim readable");
    let _ = child.kill();
    let _ = child.wait();

    assert!(ready, "clocker up did not get ready");
    assert_eq!(victim_text, "precious", "the link's target was written");
    let control_meta = control_meta.expect("supervisor.json exists");
    assert!(
        control_meta.is_file(),
        "supervisor.json is a file of its own"
    );
    assert_eq!(control_meta.mode() & 0o777, 0o600);
}

#[test]
fn a_dotenv_in_a_parent_directory_is_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Where the attacker's .env sends the login: it must hear nothing.
    let trap = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    trap.set_nonblocking(true).expect("nonblocking");
    let trap_addr = trap.local_addr().expect("addr");
    std::fs::write(
        dir.path().join(".env"),
        format!("CLOCKER_ACCOUNTS_ADDR={trap_addr}\n"),
    )
    .expect(".env written");
    let cwd = dir.path().join("a/b");
    std::fs::create_dir_all(&cwd).expect("mkdir");

    let mut child = Command::new(env!("CARGO_BIN_EXE_clocker"))
        .args(["account", "login", "alice", "--password-stdin"])
        .current_dir(&cwd)
        .env_remove("CLOCKER_ACCOUNTS_ADDR")
        .env("CLOCKER_CONFIG_DIR", dir.path().join("config"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(b"correct horse battery\n")
        .expect("password sent");
    // Done when it gives up, or when the trap is called (the defect).
    let deadline = std::time::Instant::now() + PATIENCE;
    let mut called = false;
    while std::time::Instant::now() < deadline {
        if trap.accept().is_ok() {
            called = true;
            break;
        }
        if child.try_wait().expect("waitpid").is_some() {
            called = trap.accept().is_ok();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        !called,
        "a parent directory's .env sent the login to {trap_addr}"
    );
}
