//! The house by role: every workspace crate has one role, and a crate depends
//! only on the roles its own role allows (docs/ARCHITECTURE.md's "Crates and their roles"
//! section draws the same map).
//!
//! The test reads `cargo metadata` and fails naming every forbidden arrow,
//! every crate without a role and every entry of the tables below that no
//! longer matches the workspace, so the picture cannot drift from the code.
//!
//! Layout of this file:
//! - [`ROLES`]: which crate plays which role (a new crate is placed here).
//! - [`why_forbidden`]: the rules between roles.
//! - [`SERVICE_TEST_DEPENDENCIES`]: the few service tests that start another
//!   service, each with its reason.
//! - [`violations`]: the checker, then reading `cargo metadata`.
//! - [`table_differences`]: the architecture table (docs/ARCHITECTURE.md) shows every
//!   crate in the role it has here.
//! - Tests of the checkers themselves, so the real tests cannot pass
//!   vacuously.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a crate is for; the rules in [`why_forbidden`] are written between roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The proto files, the code generated from them and the descriptor set.
    Contracts,
    /// Wire types several doors share (timer JSON, supervisor rows, frame JSON).
    Wire,
    /// The service runtime: launch, deadlines, health, shutdown; knows no service by name.
    Runtime,
    /// The fan-out engine the funnel and the stream share: hub, frames, encoders.
    Fanout,
    /// One service; `Stateful` ones keep their state in the store.
    Service(State),
    /// Storage on SQLite or PostgreSQL.
    Store,
    /// Which services exist, their ports and requirements, serve dispatch.
    Fleet,
    /// `clocker up`'s supervisor.
    Supervisor,
    /// The `clocker` binary: the command line over everything else.
    Binary,
    /// Benchmarks, examples and test helpers; `ForTests` ones any crate's tests may use.
    Tool(ToolUse),
}

/// Whether a service keeps state in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Stateless,
    Stateful,
}

/// Whether every crate's tests may use a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ToolUse {
    Standalone,
    ForTests,
}

use Role::*;

impl Role {
    /// The role as the architecture table (docs/ARCHITECTURE.md) names it.
    fn shown(self) -> &'static str {
        match self {
            Contracts => "contracts",
            Wire => "wire",
            Runtime => "runtime",
            Fanout => "fan-out",
            Service(State::Stateless) => "service",
            Service(State::Stateful) => "service, keeps state",
            Store => "store",
            Fleet => "fleet",
            Supervisor => "supervisor",
            Binary => "binary",
            Tool(_) => "tool",
        }
    }
}

/// Every workspace crate and its role.
const ROLES: &[(&str, Role)] = &[
    ("clocker-proto", Contracts),
    ("clocker-wire", Wire),
    ("clocker-runtime", Runtime),
    ("clocker-fanout", Fanout),
    ("clocker-time", Service(State::Stateless)),
    ("clocker-funnel", Service(State::Stateless)),
    ("clocker-accounts", Service(State::Stateful)),
    ("clocker-timers", Service(State::Stateful)),
    ("clocker-random", Service(State::Stateless)),
    ("clocker-gateway", Service(State::Stateless)),
    ("clocker-stream", Service(State::Stateless)),
    ("clocker-store", Store),
    ("clocker-fleet", Fleet),
    ("clocker-supervisor", Supervisor),
    ("clocker", Binary),
    ("clocker-bench", Tool(ToolUse::Standalone)),
    ("clocker-example-greeting", Tool(ToolUse::Standalone)),
    ("clocker-testdb", Tool(ToolUse::ForTests)),
];

/// Service tests that start another service (a dev-dependency between two
/// services), each with the reason. Nothing else lets one service's crate
/// name another's.
const SERVICE_TEST_DEPENDENCIES: &[(&str, &str, &str)] = &[
    (
        "clocker-gateway",
        "clocker-random",
        "the gateway's tests serve seed 004's /random routes against a real random service",
    ),
    (
        "clocker-gateway",
        "clocker-time",
        "the gateway's tests answer /api/time from a real current-time service on a set clock",
    ),
    (
        "clocker-stream",
        "clocker-random",
        "the stream's tests feed /stream from a real random service",
    ),
    (
        "clocker-timers",
        "clocker-accounts",
        "the timer service's tests resolve session tokens through a real accounts service",
    ),
];

/// How a crate depends on another, as `cargo metadata` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Normal,
    Build,
    Dev,
}

impl Kind {
    fn shown(self) -> &'static str {
        match self {
            Kind::Normal => "",
            Kind::Build => " (build)",
            Kind::Dev => " (dev)",
        }
    }
}

/// Why `from` may not depend on `to` (normal and build dependencies), or
/// `None` when it may.
fn why_forbidden(from: Role, to: Role) -> Option<&'static str> {
    let why = match (from, to) {
        (Binary | Tool(ToolUse::Standalone), _) => return None,
        (_, Tool(_)) => {
            "only the binary and other tools depend on a tool (tests may use clocker-testdb)"
        }
        (Contracts, _) => "the contracts depend on nothing of ours",
        (Store, _) => "the store depends on nothing of ours",
        (Tool(ToolUse::ForTests), _) => "a test helper depends on nothing of ours",
        (Wire, Contracts) => return None,
        (Wire, _) => "wire types depend on the contracts only",
        (Runtime, Contracts) => return None,
        (Runtime, _) => "the runtime knows no service by name; it depends on the contracts only",
        (Fanout, Contracts | Wire | Runtime) => return None,
        (Fanout, _) => {
            "the fan-out engine depends on the contracts, wire types and the runtime only"
        }
        (Service(_), Service(_)) => {
            "a service depends on another service; share types through clocker-wire"
        }
        (Service(_), Contracts | Wire | Runtime | Fanout) => return None,
        (Service(State::Stateful), Store) => return None,
        (Service(State::Stateless), Store) => {
            "only the services that keep state (accounts, timers) use the store"
        }
        (Service(_), Fleet | Supervisor | Binary) => {
            "a service never knows the fleet; only the fleet, the supervisor and the binary know every service"
        }
        (Fleet, Service(_) | Runtime | Contracts) => return None,
        (Fleet, _) => "the fleet depends on the services, the runtime and the contracts only",
        (Supervisor, Fleet | Runtime | Wire) => return None,
        (Supervisor, _) => "the supervisor depends on the fleet, the runtime and wire types only",
    };
    Some(why)
}

/// A dependency between two workspace crates.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Arrow {
    from: String,
    to: String,
    kind: Kind,
}

/// Every workspace crate's name and its dependencies on workspace crates.
type Workspace = BTreeMap<String, BTreeSet<Arrow>>;

fn role_of(name: &str) -> Option<Role> {
    ROLES
        .iter()
        .find(|(crate_name, _)| *crate_name == name)
        .map(|&(_, role)| role)
}

fn is_allowed_service_test(arrow: &Arrow) -> bool {
    arrow.kind == Kind::Dev
        && SERVICE_TEST_DEPENDENCIES
            .iter()
            .any(|&(from, to, _)| from == arrow.from && to == arrow.to)
}

/// One line per broken rule, sorted: forbidden arrows, crates without a
/// role, and table entries that name what no longer exists.
fn violations(workspace: &Workspace) -> Vec<String> {
    let mut found = Vec::new();
    for name in workspace.keys() {
        if role_of(name).is_none() {
            found.push(format!(
                "{name} has no role: place it in ROLES (crates/clocker/tests/architecture.rs) \
                 and in the architecture table in docs/ARCHITECTURE.md"
            ));
        }
    }
    for (name, _) in ROLES {
        if !workspace.contains_key(*name) {
            found.push(format!(
                "{name} has a role but is not in the workspace: create it, or remove it from ROLES"
            ));
        }
    }
    for arrow in workspace.values().flatten() {
        let (Some(from), Some(to)) = (role_of(&arrow.from), role_of(&arrow.to)) else {
            continue; // reported above
        };
        let allowed_for_tests = arrow.kind == Kind::Dev
            && (to == Tool(ToolUse::ForTests) || is_allowed_service_test(arrow));
        if allowed_for_tests {
            continue;
        }
        if let Some(why) = why_forbidden(from, to) {
            found.push(format!(
                "{} -> {}{}: {why}",
                arrow.from,
                arrow.to,
                arrow.kind.shown()
            ));
        }
    }
    for &(from, to, _) in SERVICE_TEST_DEPENDENCIES {
        let used = workspace.get(from).is_some_and(|arrows| {
            arrows
                .iter()
                .any(|arrow| arrow.to == to && arrow.kind == Kind::Dev)
        });
        if !used {
            found.push(format!(
                "{from} -> {to} (dev) is in SERVICE_TEST_DEPENDENCIES but no test needs it: remove it"
            ));
        }
    }
    found.sort();
    found
}

/// How long `cargo metadata` may take (it reads manifests only: `--no-deps`).
const METADATA_TIMEOUT: Duration = Duration::from_secs(120);

/// The workspace as `cargo metadata` describes it.
fn read_workspace() -> Workspace {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut child = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cargo metadata starts");
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    // Read both pipes while waiting, so a large output never blocks cargo.
    let stdout_reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).map(|_| text)
    });
    let deadline = Instant::now() + METADATA_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("cargo metadata can be waited for") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cargo metadata took more than {METADATA_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = stdout_reader
        .join()
        .expect("stdout reader")
        .expect("cargo metadata's output is read");
    let stderr = stderr_reader
        .join()
        .expect("stderr reader")
        .unwrap_or_default();
    assert!(
        status.success(),
        "cargo metadata failed ({status}): {stderr}"
    );
    parse_metadata(&stdout)
}

/// The workspace crates and their arrows, from `cargo metadata`'s JSON.
fn parse_metadata(json: &str) -> Workspace {
    let metadata: serde_json::Value = serde_json::from_str(json).expect("cargo metadata's JSON");
    let members: BTreeSet<&str> = metadata["workspace_members"]
        .as_array()
        .expect("workspace_members")
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    let packages: Vec<&serde_json::Value> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|package| {
            package["id"]
                .as_str()
                .is_some_and(|id| members.contains(id))
        })
        .collect();
    let names: BTreeSet<&str> = packages
        .iter()
        .filter_map(|package| package["name"].as_str())
        .collect();
    let mut workspace = Workspace::new();
    for package in packages {
        let from = package["name"].as_str().expect("a package name");
        let arrows = workspace.entry(from.to_owned()).or_default();
        for dependency in package["dependencies"].as_array().expect("dependencies") {
            let to = dependency["name"].as_str().expect("a dependency name");
            let ours = dependency["path"].is_string() && names.contains(to);
            if !ours {
                continue;
            }
            let kind = match dependency["kind"].as_str() {
                None => Kind::Normal,
                Some("build") => Kind::Build,
                Some("dev") => Kind::Dev,
                Some(other) => panic!("unknown dependency kind {other:?} in {from}"),
            };
            arrows.insert(Arrow {
                from: from.to_owned(),
                to: to.to_owned(),
                kind,
            });
        }
    }
    workspace
}

/// docs/ARCHITECTURE.md, whose table must show every crate in its role.
const ARCHITECTURE: &str = include_str!("../../../docs/ARCHITECTURE.md");

/// `(role, crate)` of each row of the table in docs/ARCHITECTURE.md's "Crates and their roles"
/// section: the first cell, and the first name in backticks of the second.
fn architecture_rows(text: &str) -> Vec<(String, String)> {
    text.lines()
        .skip_while(|line| *line != "## Crates and their roles")
        .skip(1)
        .take_while(|line| !line.starts_with("## "))
        .filter_map(|line| {
            let mut cells = line.strip_prefix('|')?.split('|').map(str::trim);
            let role = cells.next()?;
            let name = cells.next()?.split('`').nth(1)?;
            Some((role.to_owned(), name.to_owned()))
        })
        .collect()
}

/// One line per crate the architecture table (docs/ARCHITECTURE.md) leaves out, shows in
/// another role, or shows without a role here.
fn table_differences(rows: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for &(name, role) in ROLES {
        match rows.iter().find(|(_, shown)| shown == name) {
            None => found.push(format!(
                "{name} is missing from the architecture table (docs/ARCHITECTURE.md) (role: {})",
                role.shown()
            )),
            Some((shown_role, _)) if shown_role != role.shown() => found.push(format!(
                "{name} is a {shown_role} in the architecture table (docs/ARCHITECTURE.md) but a {} in ROLES",
                role.shown()
            )),
            Some(_) => {}
        }
    }
    for (_, name) in rows {
        if role_of(name).is_none() {
            found.push(format!(
                "{name} is in the architecture table (docs/ARCHITECTURE.md) but has no role in ROLES"
            ));
        }
    }
    found.sort();
    found
}

#[test]
fn the_architecture_table_shows_every_crate_in_its_role() {
    let found = table_differences(&architecture_rows(ARCHITECTURE));
    assert!(
        found.is_empty(),
        "the architecture table (docs/ARCHITECTURE.md) and ROLES disagree:\n  {}\n",
        found.join("\n  ")
    );
}

#[test]
fn every_crate_has_a_role_and_depends_only_on_what_its_role_allows() {
    let workspace = read_workspace();
    assert!(
        workspace.contains_key("clocker") && workspace.len() > 5,
        "cargo metadata listed too few crates: {:?}",
        workspace.keys()
    );
    let found = violations(&workspace);
    assert!(
        found.is_empty(),
        "the crate graph breaks the house rules (docs/ARCHITECTURE.md):\n  {}\n",
        found.join("\n  ")
    );
}

/// A workspace holding every crate of [`ROLES`], with the given arrows.
fn workspace_with(arrows: &[(&str, &str, Kind)]) -> Workspace {
    let mut workspace: Workspace = ROLES
        .iter()
        .map(|(name, _)| ((*name).to_owned(), BTreeSet::new()))
        .collect();
    for &(from, to, kind) in arrows {
        workspace.entry(from.to_owned()).or_default().insert(Arrow {
            from: from.to_owned(),
            to: to.to_owned(),
            kind,
        });
    }
    workspace
}

/// The arrows of the target map, the allowed service tests included.
fn the_target_map() -> Vec<(&'static str, &'static str, Kind)> {
    let mut arrows = vec![
        ("clocker-wire", "clocker-proto", Kind::Normal),
        ("clocker-runtime", "clocker-proto", Kind::Normal),
        ("clocker-fanout", "clocker-wire", Kind::Normal),
        ("clocker-fanout", "clocker-runtime", Kind::Normal),
        ("clocker-funnel", "clocker-fanout", Kind::Normal),
        ("clocker-stream", "clocker-fanout", Kind::Normal),
        ("clocker-stream", "clocker-wire", Kind::Normal),
        ("clocker-gateway", "clocker-wire", Kind::Normal),
        ("clocker-timers", "clocker-store", Kind::Normal),
        ("clocker-accounts", "clocker-store", Kind::Normal),
        ("clocker-timers", "clocker-testdb", Kind::Dev),
        ("clocker-store", "clocker-testdb", Kind::Dev),
        ("clocker-fleet", "clocker-timers", Kind::Normal),
        ("clocker-fleet", "clocker-runtime", Kind::Normal),
        ("clocker-supervisor", "clocker-fleet", Kind::Normal),
        ("clocker-supervisor", "clocker-wire", Kind::Normal),
        ("clocker", "clocker-supervisor", Kind::Normal),
        ("clocker", "clocker-store", Kind::Normal),
        ("clocker-bench", "clocker-testdb", Kind::Normal),
        ("clocker-bench", "clocker-timers", Kind::Normal),
    ];
    arrows.extend(
        SERVICE_TEST_DEPENDENCIES
            .iter()
            .map(|&(from, to, _)| (from, to, Kind::Dev)),
    );
    arrows
}

#[test]
fn the_target_map_breaks_no_rule() {
    assert_eq!(
        violations(&workspace_with(&the_target_map())),
        Vec::<String>::new()
    );
}

#[test]
fn a_service_depending_on_another_service_is_reported() {
    let mut arrows = the_target_map();
    arrows.push(("clocker-gateway", "clocker-timers", Kind::Normal));
    assert_eq!(
        violations(&workspace_with(&arrows)),
        [
            "clocker-gateway -> clocker-timers: a service depends on another service; \
          share types through clocker-wire"
        ]
    );
}

#[test]
fn contracts_depending_on_the_runtime_are_reported() {
    let mut arrows = the_target_map();
    arrows.push(("clocker-proto", "clocker-runtime", Kind::Normal));
    assert_eq!(
        violations(&workspace_with(&arrows)),
        ["clocker-proto -> clocker-runtime: the contracts depend on nothing of ours"]
    );
}

#[test]
fn a_build_dependency_follows_the_same_rules() {
    let mut arrows = the_target_map();
    arrows.push(("clocker-runtime", "clocker-wire", Kind::Build));
    assert_eq!(
        violations(&workspace_with(&arrows)),
        [
            "clocker-runtime -> clocker-wire (build): the runtime knows no service by name; \
          it depends on the contracts only"
        ]
    );
}

#[test]
fn a_service_never_depends_on_the_fleet_or_the_supervisor() {
    let mut arrows = the_target_map();
    arrows.push(("clocker-funnel", "clocker-supervisor", Kind::Normal));
    arrows.push(("clocker-random", "clocker-fleet", Kind::Dev));
    let found = violations(&workspace_with(&arrows));
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("clocker-funnel -> clocker-supervisor: a service never knows"));
    assert!(found[1].starts_with("clocker-random -> clocker-fleet (dev): a service never knows"));
}

#[test]
fn only_services_that_keep_state_use_the_store() {
    let mut arrows = the_target_map();
    arrows.push(("clocker-gateway", "clocker-store", Kind::Normal));
    assert_eq!(
        violations(&workspace_with(&arrows)),
        [
            "clocker-gateway -> clocker-store: only the services that keep state \
          (accounts, timers) use the store"
        ]
    );
}

#[test]
fn a_service_test_may_start_another_service_only_when_listed() {
    let mut arrows = the_target_map();
    arrows.push(("clocker-gateway", "clocker-accounts", Kind::Dev));
    assert_eq!(
        violations(&workspace_with(&arrows)),
        [
            "clocker-gateway -> clocker-accounts (dev): a service depends on another service; \
          share types through clocker-wire"
        ]
    );
    // Listed for its tests, the same pair is still forbidden as a normal dependency.
    let mut arrows = the_target_map();
    arrows.push(("clocker-gateway", "clocker-random", Kind::Normal));
    assert_eq!(violations(&workspace_with(&arrows)).len(), 1);
}

#[test]
fn the_test_database_helper_is_for_tests_only() {
    let mut arrows = the_target_map();
    arrows.push(("clocker-gateway", "clocker-testdb", Kind::Dev));
    assert_eq!(violations(&workspace_with(&arrows)), Vec::<String>::new());
    arrows.push(("clocker-accounts", "clocker-testdb", Kind::Normal));
    assert_eq!(
        violations(&workspace_with(&arrows)),
        [
            "clocker-accounts -> clocker-testdb: only the binary and other tools depend on a tool \
          (tests may use clocker-testdb)"
        ]
    );
}

#[test]
fn a_crate_without_a_role_is_reported() {
    let mut workspace = workspace_with(&the_target_map());
    workspace.insert("clocker-misc".to_owned(), BTreeSet::new());
    let found = violations(&workspace);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("clocker-misc has no role"),
        "{found:?}"
    );
}

#[test]
fn a_role_or_an_allowance_naming_what_is_gone_is_reported() {
    let mut workspace = workspace_with(&the_target_map());
    workspace.remove("clocker-wire");
    workspace
        .get_mut("clocker-stream")
        .expect("the stream")
        .retain(|arrow| arrow.to != "clocker-random");
    assert_eq!(
        violations(&workspace),
        [
            "clocker-stream -> clocker-random (dev) is in SERVICE_TEST_DEPENDENCIES \
             but no test needs it: remove it",
            "clocker-wire has a role but is not in the workspace: create it, or remove it from ROLES",
        ]
    );
}

#[test]
fn cargo_metadata_is_read_as_arrows_between_workspace_crates() {
    let json = r#"{
        "workspace_members": ["path+file:///w/a#clocker-a@0.1.0", "path+file:///w/b#clocker-b@0.1.0"],
        "packages": [
            {"id": "path+file:///w/a#clocker-a@0.1.0", "name": "clocker-a", "dependencies": [
                {"name": "clocker-b", "kind": null, "path": "/w/b"},
                {"name": "clocker-b", "kind": "dev", "path": "/w/b"},
                {"name": "serde", "kind": null, "source": "registry+https://github.com/rust-lang/crates.io-index"}
            ]},
            {"id": "path+file:///w/b#clocker-b@0.1.0", "name": "clocker-b", "dependencies": [
                {"name": "clocker-a", "kind": "build", "path": "/w/a"}
            ]}
        ]
    }"#;
    let workspace = parse_metadata(json);
    let arrows: Vec<(&str, &str, Kind)> = workspace
        .values()
        .flatten()
        .map(|arrow| (arrow.from.as_str(), arrow.to.as_str(), arrow.kind))
        .collect();
    assert_eq!(
        arrows,
        [
            ("clocker-a", "clocker-b", Kind::Normal),
            ("clocker-a", "clocker-b", Kind::Dev),
            ("clocker-b", "clocker-a", Kind::Build),
        ]
    );
}

#[test]
fn the_architecture_table_is_read_as_roles_and_crates() {
    let text = "## Using it\n\n| role | crate | its one purpose |\n\n## Crates and their roles\n\n\
                  | role | crate | its one purpose |\n|---|---|---|\n\
                  | contracts | `clocker-proto` | the contracts |\n\
                  | tool | `clocker-example-greeting` (`examples/greeting`) | hello |\n\n\
                  ## Layout\n\n| tool | `clocker-other` | after the section |\n";
    assert_eq!(
        architecture_rows(text),
        [
            ("contracts".to_owned(), "clocker-proto".to_owned()),
            ("tool".to_owned(), "clocker-example-greeting".to_owned()),
        ]
    );
}

#[test]
fn a_crate_missing_from_the_table_or_shown_in_another_role_is_reported() {
    let mut rows: Vec<(String, String)> = ROLES
        .iter()
        .map(|&(name, role)| (role.shown().to_owned(), name.to_owned()))
        .collect();
    assert_eq!(table_differences(&rows), Vec::<String>::new());
    rows.retain(|(_, name)| name != "clocker-wire");
    rows.iter_mut()
        .filter(|(_, name)| name == "clocker-gateway")
        .for_each(|(role, _)| *role = "store".to_owned());
    rows.push(("tool".to_owned(), "clocker-misc".to_owned()));
    assert_eq!(
        table_differences(&rows),
        [
            "clocker-gateway is a store in the architecture table (docs/ARCHITECTURE.md) but a service in ROLES",
            "clocker-misc is in the architecture table (docs/ARCHITECTURE.md) but has no role in ROLES",
            "clocker-wire is missing from the architecture table (docs/ARCHITECTURE.md) (role: wire)",
        ]
    );
}
