//! `greeting-client` run as a user runs it: launch, locate, call, exit code.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_greeting-client"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the client program runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn french_prints_bonjour_and_exits_0() {
    let out = run(&["--tongue", "french"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Bonjour, le monde !\n");
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn english_is_the_default() {
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Hello, world!\n");
}

#[test]
fn an_unknown_tongue_exits_1_with_one_line_on_stderr() {
    let out = run(&["--tongue-number", "9"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("unknown tongue 9"), "{stderr}");
}
