//! The client commands as a newcomer meets them, run as the real binary: a
//! refusal reads as the service's words and silence as "did not answer"
//! (at once, for the timer service too), bad arguments are refused before
//! any call, no log line shows without -v, `--json` prints JSON, and
//! `timer list` is a table with a header.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use clocker_fleet::ServiceName;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::support::{PATIENCE, TestFleet, run_with_stdin};

const PASSWORD: &str = "correct-horse-battery";

/// `clocker ARGS` with `env` (and no RUST_LOG of the test's), `stdin` as
/// its input.
fn clocker(args: &[&str], env: &[(String, String)], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clocker"));
    command
        .args(args)
        .envs(env.iter().cloned())
        .env_remove("RUST_LOG");
    run_with_stdin(&mut command, stdin)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// What `output` printed, once it succeeded.
fn stdout(args: &[&str], output: &Output) -> String {
    assert!(output.status.success(), "{args:?}: {}", stderr(output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A port of 127.0.0.1 where nothing listens.
fn dead_addr() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").to_string()
}

/// The environment of a user of `fleet` logged in as alice, their session
/// kept in `config`.
fn logged_in(fleet: &TestFleet, config: &Path) -> Vec<(String, String)> {
    let mut env = fleet.address_env().to_vec();
    env.push((
        "CLOCKER_TIMERS_ZMQ".into(),
        fleet.zeromq_endpoint().to_owned(),
    ));
    env.push(("CLOCKER_CONFIG_DIR".into(), config.display().to_string()));
    for step in ["register", "login"] {
        let args = ["account", step, "alice", "--password-stdin"];
        stdout(&args, &clocker(&args, &env, &format!("{PASSWORD}\n")));
    }
    env
}

#[tokio::test]
async fn a_refusal_reads_as_the_services_words_not_as_silence() {
    // Outside the random service's own limits: refused before any call.
    let nowhere = [(ServiceName::Random.addr_env_var(), dead_addr())];
    for (args, limit) in [
        (&["random", "string", "--length", "0"][..], "1..=1000"),
        (&["random", "string", "--length", "1001"][..], "1..=1000"),
        (
            &["random", "stream", "--every", "1ms"][..],
            "outside 10ms to 3600s",
        ),
    ] {
        let output = clocker(args, &nowhere, "");
        assert!(!output.status.success(), "{args:?}");
        let err = stderr(&output);
        assert!(err.contains(limit), "{args:?}: {err}");
        assert!(!err.contains("did not answer"), "{args:?}: {err}");
    }

    // A service's refusal: its message, said to be one.
    let fleet = TestFleet::start_only(&[ServiceName::Accounts], &[]).await;
    let config = tempfile::tempdir().expect("temp dir");
    let mut env = fleet.address_env().to_vec();
    env.push((
        "CLOCKER_CONFIG_DIR".into(),
        config.path().display().to_string(),
    ));
    let args = ["account", "register", "ab", "--password-stdin"];
    let output = clocker(&args, &env, &format!("{PASSWORD}\n"));
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(err.starts_with("clocker: invalid argument: "), "{err}");
    assert!(err.contains("usernames are 3 to 32 characters"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    fleet.stop().await;
}

#[test]
fn a_timer_of_no_time_or_of_negative_time_is_refused_with_a_reason() {
    let endpoint = format!("tcp://{}", dead_addr());
    for (duration, reason) in [
        (["0", "0", "0"], "at least 1 second"),
        (["0", "0", "-5"], "seconds: must not be negative"),
        (["-1", "0", "30"], "hours: must not be negative"),
    ] {
        let args = [
            &["timer"][..],
            &duration[..],
            &["--zmq", endpoint.as_str()][..],
        ]
        .concat();
        let output = clocker(&args, &[], "");
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let err = stderr(&output);
        assert!(
            err.starts_with("clocker: invalid timer: "),
            "{args:?}: {err}"
        );
        assert!(err.contains(reason), "{args:?}: {err}");
    }
}

#[test]
fn every_timer_command_says_when_the_service_did_not_answer() {
    // Nothing listens; or the port is held (as clocker up holds a stopped
    // service's) and accepts, but nothing greets.
    let refused = format!("tcp://{}", dead_addr());
    let held = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let silent = format!("tcp://{}", held.local_addr().expect("bound"));
    for endpoint in [&refused, &silent] {
        for command in [
            &["timer", "list"][..],
            &["timer", "0", "0", "3"],
            &["timer", "cancel", "x"],
        ] {
            let flags = ["--zmq", endpoint.as_str(), "--connect-timeout", "200ms"];
            let args = [command, &flags[..]].concat();
            let output = clocker(&args, &[], "");
            assert_eq!(output.status.code(), Some(1), "{args:?}");
            assert_eq!(
                stderr(&output),
                format!(
                    "clocker: the timer service at {endpoint} did not answer; is it running? (clocker up)\n"
                ),
                "{args:?}"
            );
        }
    }
}

#[tokio::test]
async fn ctrl_c_ends_a_stream_quietly_and_logs_show_only_with_verbose() {
    let fleet = TestFleet::start_only(&[ServiceName::Random], &[]).await;
    let random = fleet.addr(ServiceName::Random).to_string();
    for verbose in [false, true] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_clocker"))
            .args(["random", "stream", "--every", "10ms"])
            .args(verbose.then_some("-v"))
            .env(ServiceName::Random.addr_env_var(), &random)
            // Exported for services, it must not reach a client command.
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let (lines, printed) = std::sync::mpsc::channel();
        let out = child.stdout.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        printed.recv_timeout(PATIENCE).expect("a first point");
        let pid = Pid::from_raw(i32::try_from(child.id()).expect("a pid"));
        kill(pid, Signal::SIGINT).expect("interrupted");
        let output = child.wait_with_output().expect("finished");
        assert_eq!(output.status.code(), Some(130), "verbose: {verbose}");
        let err = stderr(&output);
        if verbose {
            assert!(err.contains("SIGINT received"), "{err}");
        } else {
            assert_eq!(err, "", "nothing on stderr without -v");
        }
    }
    fleet.stop().await;
}

#[tokio::test]
async fn json_output_is_one_json_object_a_line() {
    let services = [
        ServiceName::Timers,
        ServiceName::Random,
        ServiceName::Hours,
        ServiceName::Minutes,
        ServiceName::Seconds,
        ServiceName::Milliseconds,
    ];
    let fleet = TestFleet::start_only(&services, &[]).await;
    let config = tempfile::tempdir().expect("temp dir");
    let env = logged_in(&fleet, config.path());
    let random = fleet.addr(ServiceName::Random).to_string();
    for args in [
        &["time", "--json"][..],
        &["random", "number", "--json"],
        &["random", "string", "--json"],
        &[
            "random", "stream", "--every", "10ms", "--count", "2", "--json",
        ],
        &[
            "timer",
            "0",
            "5",
            "0",
            "--label",
            "tea",
            "--no-wait",
            "--json",
        ],
        &["timer", "list", "--json"],
        &["account", "whoami", "--json"],
        &["health", "random", "--addr", &random, "--json"],
    ] {
        let printed = stdout(args, &clocker(args, &env, ""));
        assert!(!printed.trim().is_empty(), "{args:?} printed nothing");
        for line in printed.lines() {
            let value: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|err| panic!("{args:?}: {line:?} is not JSON: {err}"));
            assert!(value.is_object(), "{args:?}: {line}");
        }
    }

    // Zones by the names the page uses: UTC, not Etc/UTC.
    let args = ["time", "--tz", "Etc/UTC", "--json"];
    let frame: serde_json::Value =
        serde_json::from_str(stdout(&args, &clocker(&args, &env, "")).trim()).expect("JSON");
    assert_eq!(frame["tz"], "UTC");
    fleet.stop().await;
}

#[tokio::test]
async fn timer_list_is_a_table_with_a_header_in_local_time() {
    let fleet = TestFleet::start_only(&[ServiceName::Timers], &[]).await;
    let config = tempfile::tempdir().expect("temp dir");
    let env = logged_in(&fleet, config.path());

    let args = ["timer", "0", "5", "0", "--label", "tea", "--no-wait"];
    let set = stdout(&args, &clocker(&args, &env, ""));
    assert!(set.starts_with("Timer "), "{set}");
    assert!(set.contains(" (tea) set: fires at "), "{set}");
    assert!(!set.contains('{'), "no raw JSON: {set}");
    // Waits until it fired.
    let args = ["timer", "0", "0", "1", "--label", "egg"];
    let fired = stdout(&args, &clocker(&args, &env, ""));
    assert!(fired.contains("(egg) fired at "), "{fired}");

    let list = stdout(&["list"], &clocker(&["timer", "list"], &env, ""));
    let lines: Vec<&str> = list.lines().collect();
    let header: Vec<&str> = lines[0]
        .split("  ")
        .map(str::trim)
        .filter(|cell| !cell.is_empty())
        .collect();
    assert_eq!(
        header,
        ["ID", "LABEL", "STATE", "FIRES/FIRED AT", "REMAINING"],
        "{list}"
    );
    let row = |label: &str| {
        *lines
            .iter()
            .find(|line| line.contains(label))
            .unwrap_or_else(|| panic!("no {label} in {list}"))
    };
    assert!(row("tea").contains("pending"), "{list}");
    assert!(
        row("egg").contains("fired") && !row("egg").contains("fires"),
        "{list}"
    );

    // ISO instants only in JSON.
    let json = stdout(&["list"], &clocker(&["timer", "list", "--json"], &env, ""));
    for line in json.lines() {
        let timer: serde_json::Value = serde_json::from_str(line).expect("JSON");
        let fires_at = timer["fires_at"].as_str().expect("an instant");
        assert!(!list.contains(fires_at), "{fires_at} in {list}");
    }
    fleet.stop().await;
}
