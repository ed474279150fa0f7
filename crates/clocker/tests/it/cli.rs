//! The real binary: its errors, its help, and `clocker time`.

use std::process::{Command, Output};

use clocker_fleet::ServiceName;
use clocker_time::Clock;

use crate::support::TestFleet;

fn clocker(args: &[&str], envs: &[(String, String)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clocker"))
        .args(args)
        .envs(envs.iter().cloned())
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_taken_port_is_a_one_line_error_naming_the_port_and_the_service() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let output = clocker(&["serve", "current-time", "--addr", &addr], &[]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("current-time"), "{stderr}");
    assert!(
        stderr.contains(&format!("port {addr} is already in use")),
        "{stderr}"
    );
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["up", "--help"],
        &["serve", "--help"],
        &["time", "--help"],
        &["random", "--help"],
        &["random", "stream", "--help"],
    ] {
        let output = clocker(args, &[]);
        assert!(output.status.success(), "{args:?}");
        assert!(text(&output.stdout).contains("Usage: clocker"), "{args:?}");
    }
    let serve = text(&clocker(&["serve", "--help"], &[]).stdout);
    for flag in [
        "--addr",
        "--budget",
        "--clock",
        "--tick",
        "CLOCKER_CURRENT_TIME_ADDR",
    ] {
        assert!(serve.contains(flag), "serve --help mentions {flag}");
    }
}

/// Every command's `--help`, in a cleared environment (no `[env: …=value]`,
/// clap's default width), as recorded in `tests/it/help.txt`: flags, their
/// environment variables, defaults and help text change only on purpose.
/// After such a change, record them again with
/// `CLOCKER_RECORD_HELP=1 cargo nextest run -p clocker --test it help_is_as_recorded`.
#[test]
fn every_commands_help_is_as_recorded() {
    fn command_lines(command: &clap::Command, line: &[String], into: &mut Vec<Vec<String>>) {
        into.push(line.to_vec());
        for sub in command
            .get_subcommands()
            .filter(|sub| sub.get_name() != "help")
        {
            let mut line = line.to_vec();
            line.push(sub.get_name().to_owned());
            command_lines(sub, &line, into);
        }
    }
    let mut lines = Vec::new();
    command_lines(&clocker::cli::command(), &[], &mut lines);
    let mut helps = String::new();
    for line in lines {
        let output = Command::new(env!("CARGO_BIN_EXE_clocker"))
            .args(&line)
            .arg("--help")
            .env_clear()
            .output()
            .expect("the binary runs");
        assert!(output.status.success(), "{line:?} --help");
        let typed: Vec<&str> = std::iter::once("clocker")
            .chain(line.iter().map(String::as_str))
            .chain(["--help"])
            .collect();
        helps.push_str(&format!("==== {}\n", typed.join(" ")));
        helps.push_str(&text(&output.stdout));
    }
    let recorded = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/help.txt");
    if std::env::var_os("CLOCKER_RECORD_HELP").is_some() {
        std::fs::write(&recorded, &helps).expect("help.txt written");
    }
    let expected = std::fs::read_to_string(&recorded).expect("tests/it/help.txt is readable");
    for (at, (got, want)) in helps.lines().zip(expected.lines()).enumerate() {
        assert_eq!(got, want, "help.txt line {}", at + 1);
    }
    assert_eq!(helps, expected, "the helps differ in length from help.txt");
}

#[test]
fn bad_flags_are_clear_errors() {
    let output = clocker(&["serve", "clock"], &[]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("unknown service 'clock'"));

    let output = clocker(&["serve", "current-time", "--clock", "yesterday"], &[]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("frozen:"));

    // The timers' clock runs: never frozen or stepping (current-time's kinds).
    for clock in [
        "frozen:2020-01-01T00:00:00Z",
        "stepping:2020-01-01T00:00:00Z/1ms",
    ] {
        let output = clocker(&["serve", "timers", "--timers-clock", clock], &[]);
        assert!(!output.status.success(), "{clock}");
        assert!(
            text(&output.stderr).contains("current-time's (--clock)"),
            "{clock}"
        );
    }

    let output = clocker(&["time", "--tz", "Mars/Olympus_Mons"], &[]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("unknown time zone 'Mars/Olympus_Mons'"));
}

#[tokio::test]
async fn clocker_time_prints_a_frame_assembled_through_the_services() {
    let clock = Clock::Frozen("2026-12-31T15:00:00.042Z".parse().expect("literal")).to_string();
    let components = [
        ServiceName::Hours,
        ServiceName::Minutes,
        ServiceName::Seconds,
        ServiceName::Milliseconds,
    ];
    let fleet = TestFleet::start_only(&components, &["--clock", &clock]).await;
    let envs = fleet.address_env().to_vec();
    let output = clocker(&["time", "--tz", "Asia/Tokyo", "--json"], &envs);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let frame: serde_json::Value = serde_json::from_str(text(&output.stdout).trim()).expect("JSON");
    assert_eq!(frame["time"], "00:00:00.042");
    assert_eq!(frame["tz"], "Asia/Tokyo");
    assert_eq!(frame["unix_ms"], 1_798_729_200_042_i64);

    let plain = text(&clocker(&["time", "--tz", "UTC"], &envs).stdout);
    assert_eq!(plain.trim(), "15:00:00.042  UTC");

    // With the clock services gone, `clocker time` says what is missing.
    let addr = fleet.addr(ServiceName::CurrentTime).to_string();
    fleet.stop().await;
    let output = clocker(
        &["time"],
        &[(ServiceName::CurrentTime.addr_env_var(), addr.clone())],
    );
    assert!(!output.status.success());
    assert_eq!(
        text(&output.stderr),
        format!(
            "clocker: the current-time service at {addr} did not answer; is it running? (clocker up)\n"
        )
    );
}

#[test]
fn zero_durations_are_refused() {
    for args in [
        &["time", "--every", "0s"][..],
        &["serve", "funnel", "--tick", "0ms"],
        &["serve", "hours", "--budget", "0s"],
    ] {
        let output = clocker(args, &[]);
        assert!(!output.status.success(), "{args:?}");
        assert!(
            text(&output.stderr).contains("must be longer than 0"),
            "{args:?}"
        );
    }
}

#[test]
fn settings_are_read_from_a_dotenv_file_in_the_working_directory() {
    let dir = std::env::temp_dir().join(format!("clocker-dotenv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join(".env"), "CLOCKER_TZ=Mars/Olympus_Mons\n").expect(".env written");
    let output = Command::new(env!("CARGO_BIN_EXE_clocker"))
        .args(["serve", "funnel", "--addr", "127.0.0.1:0"])
        .current_dir(&dir)
        .env_remove("CLOCKER_TZ")
        .output()
        .expect("the binary runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("--tz: unknown time zone 'Mars/Olympus_Mons'"),
        "{}",
        text(&output.stderr)
    );
}
