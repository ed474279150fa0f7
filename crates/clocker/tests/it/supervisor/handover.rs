//! Socket hand-over under `clocker up` and `clocker serve`: a restart
//! refuses no connection, each child holds its own listeners only, and
//! `clocker serve` takes what a service manager passes it.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::{PATIENCE, Up, alive, answers, pid_of};
use crate::support::spawn_serving;

#[test]
fn a_restart_refuses_no_connection_and_keeps_the_port() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    let up = Up::start(&["--only", "hours"]);
    let addr = up.addr("hours");
    let before = up.row("hours");
    // A client connecting in a tight loop all through the restart.
    let done = Arc::new(AtomicBool::new(false));
    let refused = Arc::new(AtomicU32::new(0));
    let connected = Arc::new(AtomicU32::new(0));
    let looping = {
        let (done, refused, connected) = (done.clone(), refused.clone(), connected.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                match TcpStream::connect_timeout(&addr, PATIENCE) {
                    Ok(_) => connected.fetch_add(1, Ordering::Relaxed),
                    Err(err) if err.kind() == std::io::ErrorKind::ConnectionRefused => {
                        refused.fetch_add(1, Ordering::Relaxed)
                    }
                    Err(err) => panic!("connect: {err}"),
                };
                // Paced, so the backlog holds what waits in it.
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let old = pid_of(&before);
    kill(old, Signal::SIGKILL).expect("killed");
    let deadline = Instant::now() + PATIENCE;
    while alive(old) {
        assert!(Instant::now() < deadline, "{old} survived SIGKILL");
        std::thread::sleep(Duration::from_millis(1));
    }
    // Nothing serves the port now; a client asks all the same.
    let mut waiting =
        TcpStream::connect(addr).expect("a connect during the restart is not refused");
    waiting
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .expect("request sent");
    waiting
        .set_read_timeout(Some(PATIENCE))
        .expect("read timeout");
    let mut head = [0_u8; 9];
    waiting
        .read_exact(&mut head)
        .expect("the successor answers what waited for it");
    assert_eq!(&head, b"HTTP/1.1 ", "{}", String::from_utf8_lossy(&head));
    let after = up.wait_for("hours", "restarted", |row| {
        row.restarts == before.restarts + 1 && row.state == "ready"
    });
    assert_eq!(after.addr, before.addr, "the port stays the fleet's");
    done.store(true, Ordering::Relaxed);
    looping.join().expect("the connecting loop ran");
    assert_eq!(refused.load(Ordering::Relaxed), 0, "connects refused");
    assert!(connected.load(Ordering::Relaxed) > 0);
}

/// The inode of the socket listening on `port` (IPv4), from /proc/net/tcp.
fn listening_inode(port: u16) -> String {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    table
        .lines()
        .skip(1)
        .find_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local_port = fields.get(1)?.rsplit(':').next()?;
            (u16::from_str_radix(local_port, 16).ok()? == port && fields.get(3)? == &"0A")
                .then(|| fields.get(9).map(|inode| (*inode).to_owned()))
                .flatten()
        })
        .unwrap_or_else(|| panic!("nothing listens on port {port}"))
}

/// The inodes of the sockets `pid` holds, by fd.
fn socket_fds(pid: Pid) -> Vec<(i32, String)> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/fd")).expect("its fds");
    dir.filter_map(Result::ok)
        .filter_map(|entry| {
            let fd = entry.file_name().to_str()?.parse().ok()?;
            let target = std::fs::read_link(entry.path()).ok()?;
            let inode = target
                .to_str()?
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .to_owned();
            Some((fd, inode))
        })
        .collect()
}

#[test]
fn each_service_inherits_its_own_listener_and_no_other() {
    let up = Up::start(&["--only", "hours"]);
    let rows = up.ps();
    let inode_of = |name: &str| {
        let row = rows.iter().find(|row| row.name == name).expect(name);
        let addr: std::net::SocketAddr = row.addr.parse().expect("an address");
        listening_inode(addr.port())
    };
    let (hours, current_time) = (inode_of("hours"), inode_of("current-time"));
    let held = socket_fds(pid_of(&up.row("hours")));
    assert!(
        held.contains(&(3, hours.clone())),
        "hours' listener is its fd 3: {held:?}"
    );
    assert!(
        !held.iter().any(|(_, inode)| *inode == current_time),
        "hours holds current-time's listener: {held:?}"
    );
    // The supervisor keeps both, for the next incarnations.
    let kept = socket_fds(up.pid());
    for inode in [&hours, &current_time] {
        assert!(kept.iter().any(|(_, held)| held == inode), "{kept:?}");
    }
}

/// `clocker serve current-time` given `listener` on fd 3 as a service
/// manager would, with `env`: its listening line.
fn serve_given(listener: std::net::TcpListener, env: &[(&str, &str)]) -> (Child, String) {
    use command_fds::{CommandFdExt, FdMapping};
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("current-time.log");
    let mut command = Command::new(env!("CARGO_BIN_EXE_clocker"));
    command
        .args(["serve", "current-time", "--addr", "127.0.0.1:0"])
        .env("CLOCKER_RUNTIME_DIR", dir.path())
        .envs(env.iter().copied())
        .fd_mappings(vec![FdMapping {
            parent_fd: listener.into(),
            child_fd: 3,
        }])
        .expect("fd 3 is free");
    spawn_serving("current-time", &mut command, &log)
}

#[test]
fn serve_takes_the_socket_a_service_manager_passes() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    // One unnamed socket, LISTEN_PID set to the child's own pid (by the
    // child itself: a test cannot set it between fork and exec either).
    let (mut child, listening) = serve_given(
        listener,
        &[("LISTEN_FDS", "1"), ("CLOCKER_LISTEN_PID_SELF", "1")],
    );
    assert_eq!(
        listening,
        addr.to_string(),
        "it serves the socket it was given"
    );
    answers("current-time", addr, Duration::from_secs(2)).expect("it answers there");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn serve_ignores_sockets_meant_for_another_process() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let given = listener.local_addr().expect("addr");
    let (mut child, listening) = serve_given(
        listener,
        &[
            ("LISTEN_FDS", "1"),
            ("LISTEN_PID", "1"),
            ("LISTEN_FDNAMES", "current-time"),
        ],
    );
    assert_ne!(listening, given.to_string(), "it bound --addr itself");
    let _ = child.kill();
    let _ = child.wait();
}
