//! Socket hand-over: the supervisor binds every port of the fleet once and
//! hands each service its own listeners, as systemd's socket activation
//! does (`LISTEN_FDS`, `LISTEN_FDNAMES`, `LISTEN_PID`, fds from 3 on; read
//! by [`clocker_runtime::inherited`]).
//!
//! A restarted service inherits the same sockets, so connections made while
//! it is down wait in the backlog instead of being refused, and a port the
//! fleet picked (`--ephemeral`) stays the fleet's for its whole life.
//!
//! The supervisor's own copies are close-on-exec: each child gets exactly
//! its own listeners, duplicated onto fds 3, 4, … after fork, and nothing
//! else. `LISTEN_PID` must be the child's pid, which the supervisor cannot
//! know before the child exists (setting it between fork and exec takes
//! unsafe code, which this workspace forbids): it sets [`HANDOVER_VAR`]
//! instead, and `clocker` then execs itself once with `LISTEN_PID` set to
//! its own pid (see [`exec_with_listen_pid`]) before anything else runs.

use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::sync::Arc;

use command_fds::{CommandFdExt, FdMapping};

/// Tells a child to set `LISTEN_PID` to its own pid (see the module doc).
pub const HANDOVER_VAR: &str = "CLOCKER_LISTEN_PID_SELF";

/// The first fd a handed-over socket gets in the child.
const FIRST_FD: i32 = 3;

/// A listener the supervisor holds for a service, and its name there
/// (the service's own name, or `zeromq`).
#[derive(Debug, Clone)]
pub struct Listener {
    pub name: String,
    socket: Arc<std::net::TcpListener>,
}

impl Listener {
    pub fn new(name: impl Into<String>, socket: std::net::TcpListener) -> Self {
        Self {
            name: name.into(),
            socket: Arc::new(socket),
        }
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.socket.local_addr()
    }
}

/// Binds `addr` (port 0 picks one) to hand over, as a service binds its own
/// port ([`clocker_runtime::listen_shareable`]): for the fleet alone (a port
/// anything else holds is `AddrInUse`), open to the service's shards
/// (`SO_REUSEPORT`), address reuse on, a backlog of
/// [`clocker_runtime::BACKLOG`], close-on-exec.
pub fn bind_listener(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    clocker_runtime::listen_shareable(addr)
}

/// Gives `command` `listeners` on fds 3, 4, … and the variables that name
/// them; without listeners, clears the variables (the supervisor may itself
/// have been started with some). Public for the integration tests' fleet,
/// which starts each service the way the supervisor does; a tokio command
/// passes its `as_std_mut()`.
pub fn pass_listeners(
    command: &mut std::process::Command,
    listeners: &[Listener],
) -> std::io::Result<()> {
    command
        .env_remove("LISTEN_PID")
        .env_remove("LISTEN_FDS")
        .env_remove("LISTEN_FDNAMES")
        .env_remove(HANDOVER_VAR);
    if listeners.is_empty() {
        return Ok(());
    }
    let mut mappings = Vec::with_capacity(listeners.len());
    for (child_fd, listener) in (FIRST_FD..).zip(listeners) {
        mappings.push(FdMapping {
            parent_fd: listener.socket.as_fd().try_clone_to_owned()?,
            child_fd,
        });
    }
    command
        .fd_mappings(mappings)
        .map_err(std::io::Error::other)?;
    let names: Vec<&str> = listeners.iter().map(|l| l.name.as_str()).collect();
    command
        .env("LISTEN_FDS", listeners.len().to_string())
        .env("LISTEN_FDNAMES", names.join(":"))
        .env(HANDOVER_VAR, "1");
    Ok(())
}

/// In a child started with [`HANDOVER_VAR`]: runs this same program again,
/// in this same process, with `LISTEN_PID` set to its pid and the rest of
/// the environment, arguments and fds as they are. Returns only on failure;
/// `None` when there is nothing to do. Call it first thing in `main`.
pub fn exec_with_listen_pid(args: &[std::ffi::OsString]) -> Option<std::io::Error> {
    use std::os::unix::process::CommandExt;
    std::env::var_os(HANDOVER_VAR)?;
    let mut again = std::process::Command::new("/proc/self/exe");
    if let Some(arg0) = args.first() {
        again.arg0(arg0);
    }
    Some(
        again
            .args(args.iter().skip(1))
            .env_remove(HANDOVER_VAR)
            .env("LISTEN_PID", std::process::id().to_string())
            .exec(),
    )
}
