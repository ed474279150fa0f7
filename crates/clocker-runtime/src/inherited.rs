//! Listeners handed over by whoever started this process — systemd's socket
//! activation, or `clocker up` — instead of bound by the service itself.
//!
//! The convention is systemd's: `LISTEN_PID` is this process's pid,
//! `LISTEN_FDS` how many sockets it got, from fd 3 on, and `LISTEN_FDNAMES`
//! their names, colon-separated (`FileDescriptorName=` in a `.socket`
//! unit). A service's own port is the socket named after it (`hours`), or
//! the only one passed when none was named; the timer service's ZeroMQ port
//! is [`ZEROMQ`]. When the variables are absent or name another pid, the
//! service binds its ports itself.
//!
//! [`adopt_listeners`] takes them once, first thing in `main`; [`crate::bind`]
//! and the ZeroMQ door then take theirs by name.

use std::net::TcpListener;
use std::sync::Mutex;

/// The name of the timer service's ZeroMQ listener.
pub const ZEROMQ: &str = "zeromq";

/// The most sockets a service takes over (it listens on two at most).
pub const MAX_LISTEN_FDS: usize = 16;

/// The name systemd gives a socket that its unit did not name.
const UNNAMED: &str = "unknown";

/// Why the sockets passed to this process cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ListenFdsError {
    #[error("LISTEN_FDS={0:?} is not a number of sockets")]
    NotANumber(String),
    #[error("LISTEN_FDS={0} is more than the {MAX_LISTEN_FDS} sockets a service takes")]
    TooMany(usize),
    #[error("LISTEN_FDNAMES names {names} sockets but LISTEN_FDS passes {fds}")]
    NamesMismatch { names: usize, fds: usize },
    #[error("the inherited socket {name:?} is not a TCP listener")]
    NotTcp {
        name: String,
        #[source]
        source: std::io::Error,
    },
}

/// The name of each socket passed, from fd 3 on, as the variables say; none
/// when they are absent or `LISTEN_PID` is not `pid` (they were meant for
/// another process, such as our parent).
pub fn parse_listen_env(
    pid: u32,
    listen_pid: Option<&str>,
    listen_fds: Option<&str>,
    fd_names: Option<&str>,
) -> Result<Vec<String>, ListenFdsError> {
    let (Some(listen_pid), Some(listen_fds)) = (listen_pid, listen_fds) else {
        return Ok(Vec::new());
    };
    if listen_pid.trim().parse::<u32>().ok() != Some(pid) {
        return Ok(Vec::new());
    }
    let count: usize = listen_fds
        .trim()
        .parse()
        .map_err(|_| ListenFdsError::NotANumber(listen_fds.to_owned()))?;
    if count > MAX_LISTEN_FDS {
        return Err(ListenFdsError::TooMany(count));
    }
    match fd_names {
        None => Ok(vec![UNNAMED.to_owned(); count]),
        Some(names) => {
            let names: Vec<String> = if count == 0 && names.is_empty() {
                Vec::new()
            } else {
                names.split(':').map(str::to_owned).collect()
            };
            if names.len() == count {
                Ok(names)
            } else {
                Err(ListenFdsError::NamesMismatch {
                    names: names.len(),
                    fds: count,
                })
            }
        }
    }
}

/// The sockets this process was given, not yet taken.
struct Inherited {
    names: Vec<String>,
    fds: listenfd::ListenFd,
}

static INHERITED: Mutex<Option<Inherited>> = Mutex::new(None);

/// Takes over the sockets passed to this process, if any are meant for it:
/// call it once, first thing in `main`, before any thread is started (it
/// unsets `LISTEN_PID` and `LISTEN_FDS`, so that a process we start does not
/// take them for its own). Returns their names.
pub fn adopt_listeners() -> Result<Vec<String>, ListenFdsError> {
    let var = |name| std::env::var(name).ok();
    let names = parse_listen_env(
        std::process::id(),
        var("LISTEN_PID").as_deref(),
        var("LISTEN_FDS").as_deref(),
        var("LISTEN_FDNAMES").as_deref(),
    )?;
    if names.is_empty() {
        return Ok(names);
    }
    let fds = listenfd::ListenFd::from_env();
    *INHERITED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Inherited {
        names: names.clone(),
        fds,
    });
    Ok(names)
}

/// The inherited listener named `name` (taken: a second call gets none),
/// non-blocking and closed on exec.
pub fn take_listener(name: &str) -> Result<Option<TcpListener>, ListenFdsError> {
    take(|names| names.iter().position(|n| n == name))
}

/// The inherited listener of `service`'s own port: the one named after it,
/// or the only one passed when it has no name.
pub fn take_service_listener(service: &'static str) -> Result<Option<TcpListener>, ListenFdsError> {
    take(|names| match names {
        [only] if only == UNNAMED => Some(0),
        names => names.iter().position(|n| n == service),
    })
}

fn take(
    find: impl FnOnce(&[String]) -> Option<usize>,
) -> Result<Option<TcpListener>, ListenFdsError> {
    let mut inherited = INHERITED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(inherited) = inherited.as_mut() else {
        return Ok(None);
    };
    let Some(index) = find(&inherited.names) else {
        return Ok(None);
    };
    let not_tcp = |source| ListenFdsError::NotTcp {
        name: inherited.names[index].clone(),
        source,
    };
    let Some(listener) = inherited.fds.take_tcp_listener(index).map_err(not_tcp)? else {
        return Ok(None);
    };
    listener.set_nonblocking(true).map_err(not_tcp)?;
    Ok(Some(listener))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_meant_for_another_pid_are_ignored() {
        let names = parse_listen_env(42, Some("41"), Some("2"), Some("hours:zeromq"));
        assert!(names.expect("no error").is_empty());
        let names = parse_listen_env(42, Some("not a pid"), Some("1"), None);
        assert!(names.expect("no error").is_empty());
    }

    #[test]
    fn without_the_variables_nothing_is_inherited() {
        assert!(
            parse_listen_env(42, None, None, None)
                .expect("ok")
                .is_empty()
        );
        // systemd always sets both; LISTEN_FDS alone may be our parent's.
        assert!(
            parse_listen_env(42, None, Some("1"), None)
                .expect("ok")
                .is_empty()
        );
    }

    #[test]
    fn names_are_matched_in_fd_order() {
        let names = parse_listen_env(42, Some("42"), Some("2"), Some("timers:zeromq"));
        assert_eq!(names.expect("ok"), ["timers", "zeromq"]);
    }

    #[test]
    fn unnamed_sockets_are_unknown_as_systemd_says() {
        let names = parse_listen_env(42, Some("42"), Some("1"), None);
        assert_eq!(names.expect("ok"), [UNNAMED]);
    }

    #[test]
    fn wrong_counts_are_refused_with_the_reason() {
        let err = parse_listen_env(42, Some("42"), Some("2"), Some("timers"))
            .expect_err("one name for two sockets");
        assert!(matches!(
            err,
            ListenFdsError::NamesMismatch { names: 1, fds: 2 }
        ));
        let err = parse_listen_env(42, Some("42"), Some("two"), None).expect_err("a number");
        assert!(err.to_string().contains("LISTEN_FDS=\"two\""), "{err}");
        let err = parse_listen_env(42, Some("42"), Some("100000"), None).expect_err("bounded");
        assert!(matches!(err, ListenFdsError::TooMany(100_000)));
    }

    #[test]
    fn nothing_adopted_means_nothing_to_take() {
        assert!(take_listener(ZEROMQ).expect("no error").is_none());
        assert!(take_service_listener("hours").expect("no error").is_none());
    }
}
