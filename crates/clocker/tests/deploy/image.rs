//! `deploy/Dockerfile` and the root `.dockerignore`: the image builds what the
//! workspace needs and runs `clocker`.

use clocker::cli::Command;
use clocker_fleet::ServiceName;

use crate::files::{parse_clocker, read, strings};

const FILE: &str = "deploy/Dockerfile";

/// The instructions, continuation lines joined, comments dropped:
/// `(INSTRUCTION, rest of the line)`.
fn instructions() -> Vec<(String, String)> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in read(FILE).lines() {
        let line = line.trim();
        if current.is_empty() && (line.starts_with('#') || line.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                joined.push(std::mem::take(&mut current));
            }
        }
    }
    joined
        .into_iter()
        .map(|line| match line.split_once(char::is_whitespace) {
            Some((instruction, rest)) => (instruction.to_ascii_uppercase(), rest.trim().to_owned()),
            None => (line.to_ascii_uppercase(), String::new()),
        })
        .collect()
}

/// The instructions of the last stage (the image that runs).
fn final_stage() -> Vec<(String, String)> {
    let all = instructions();
    let start = all
        .iter()
        .rposition(|(instruction, _)| instruction == "FROM")
        .unwrap_or_else(|| panic!("{FILE}: no FROM"));
    all[start..].to_vec()
}

/// A JSON-array instruction (`["clocker"]`) as its strings.
fn exec_form(rest: &str, instruction: &str) -> Vec<String> {
    let value: serde_json::Value = serde_json::from_str(rest).unwrap_or_else(|err| {
        panic!("{FILE}: {instruction} should be in exec form [\"…\"]: {err}")
    });
    strings(&value, &format!("{FILE}, {instruction}"))
}

/// Every source path of every COPY (not those copied from another stage).
fn copied_from_context() -> Vec<String> {
    instructions()
        .into_iter()
        .filter(|(instruction, rest)| instruction == "COPY" && !rest.contains("--from="))
        .flat_map(|(_, rest)| {
            let mut paths: Vec<String> = rest
                .split_whitespace()
                .filter(|token| !token.starts_with("--"))
                .map(|token| token.trim_end_matches('/').to_owned())
                .collect();
            paths.pop(); // the destination
            paths
        })
        .collect()
}

#[test]
fn the_image_runs_clocker_and_serves_the_funnel_by_default() {
    let stage = final_stage();
    let last = |name: &str| {
        stage
            .iter()
            .rev()
            .find(|(instruction, _)| instruction == name)
            .map(|(_, rest)| rest.clone())
            .unwrap_or_else(|| panic!("{FILE}: the final stage has no {name}"))
    };
    assert_eq!(
        exec_form(&last("ENTRYPOINT"), "ENTRYPOINT"),
        ["clocker"],
        "{FILE}: ENTRYPOINT"
    );
    let cmd = exec_form(&last("CMD"), "CMD");
    match parse_clocker(&cmd) {
        Ok(Command::Serve { name, .. }) => assert_eq!(name, ServiceName::Funnel, "{FILE}: CMD"),
        other => panic!("{FILE}: CMD {cmd:?} should be `serve funnel`: {other:?}"),
    }
    let user = last("USER");
    let uid = user.split(':').next().unwrap_or_default();
    assert!(
        uid.parse::<u32>().is_ok_and(|uid| uid != 0),
        "{FILE}: USER {user} should be a numeric non-root user (Kubernetes' runAsNonRoot checks numbers)"
    );
    let env: Vec<&String> = stage
        .iter()
        .filter(|(i, _)| i == "ENV")
        .map(|(_, rest)| rest)
        .collect();
    assert!(
        env.iter().any(|rest| rest
            .split_whitespace()
            .any(|pair| pair == "CLOCKER_HOST=0.0.0.0")),
        "{FILE}: the final stage should set CLOCKER_HOST=0.0.0.0, so a service without --addr is reachable from other containers"
    );
    let exposed: Vec<u16> = stage
        .iter()
        .filter(|(instruction, _)| instruction == "EXPOSE")
        .flat_map(|(_, rest)| {
            rest.split_whitespace()
                .filter_map(|port| port.split('/').next()?.parse().ok())
        })
        .collect();
    for port in ServiceName::ALL
        .map(ServiceName::default_port)
        .into_iter()
        .chain([8888])
    {
        assert!(
            exposed.contains(&port),
            "{FILE}: EXPOSE does not list {port}"
        );
    }
}

/// The directories holding the workspace's members (`members = ["crates/*", …]`
/// of the root Cargo.toml: `crates`, …).
fn member_directories() -> Vec<String> {
    let manifest = read("Cargo.toml");
    let members = manifest
        .lines()
        .find_map(|line| line.trim().strip_prefix("members = "))
        .unwrap_or_else(|| panic!("Cargo.toml: no `members = [...]` line"));
    members
        .trim_matches(['[', ']'])
        .split(',')
        .map(|member| member.trim().trim_matches('"'))
        .filter(|member| !member.is_empty())
        .map(|member| member.trim_end_matches("/*").to_owned())
        .collect()
}

#[test]
fn the_build_copies_everything_the_workspace_needs() {
    let copied = copied_from_context();
    let mut needed: Vec<String> = ["Cargo.toml", "Cargo.lock", "rust-toolchain.toml", "proto"]
        .map(String::from)
        .into();
    needed.extend(member_directories());
    for path in needed {
        assert!(
            copied.contains(&path),
            "{FILE}: the build stage does not COPY {path} (copied: {copied:?})"
        );
    }
    let all = instructions();
    assert!(
        all.iter().any(|(instruction, rest)| instruction == "COPY"
            && rest.contains("--from=")
            && rest.trim_end_matches('/').ends_with("web/dist")),
        "{FILE}: web/dist (built by the node stage) must be copied into the build: the binary embeds it"
    );
    for step in [
        "npm ci",
        "npm run build",
        "cargo build --release -p clocker --locked",
    ] {
        assert!(
            all.iter()
                .any(|(instruction, rest)| instruction == "RUN" && rest.contains(step)),
            "{FILE}: no RUN {step}"
        );
    }
}

#[test]
fn the_build_context_leaves_out_what_the_host_built() {
    let ignore = read(".dockerignore");
    let patterns: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    for (path, why) in [
        ("target", "the host's build (gigabytes)"),
        ("node_modules", "the host's npm packages"),
        ("web/dist", "the host's UI build: the image builds its own"),
        (".git", "history"),
    ] {
        assert!(
            patterns
                .iter()
                .any(|pattern| pattern.trim_start_matches("**/").trim_matches('/') == path),
            ".dockerignore: should leave out {path} ({why}); patterns: {patterns:?}"
        );
    }
}
