//! The fuzz targets' committed corpus (`fuzz/corpus/<target>/`), replayed on
//! stable: every file is fed to its target's entry point, the very function
//! `cargo +nightly fuzz run <target>` (`make fuzz`) drives, so the seeds and
//! every input that once found a bug keep being checked by `make test`.
//!
//! To add a target: its `fuzz/fuzz_targets/<target>.rs` and `[[bin]]` in
//! `fuzz/Cargo.toml`, a seed corpus in `fuzz/corpus/<target>/`, and a row in
//! [`TARGETS`]; the tests below fail until all three agree.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A fuzz target's entry point.
type Entry = fn(&[u8]);

/// Every fuzz target and its entry point.
const TARGETS: &[(&str, Entry)] = &[
    ("clock", clocker_time::fuzz_clock),
    ("gateway_json", clocker_gateway::fuzz_gateway_json),
    ("gateway_query", clocker_gateway::fuzz_gateway_query),
    ("stream_head", clocker_stream::fuzz_stream_head),
    ("timer_duration", clocker_wire::fuzz_timer_duration),
    ("ws_message", clocker_funnel::fuzz_ws_message),
    ("zone", clocker_time::fuzz_zone),
    ("zmq_request", clocker_timers::zmq::fuzz_request),
];

/// A replay is a few hundred small inputs: well under a second each target.
const REPLAY_BUDGET: Duration = Duration::from_secs(10);

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn names_in(dir: &Path, suffix: &str) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", dir.display()))
        .map(|entry| entry.expect("a directory entry").file_name())
        .filter_map(|name| name.to_str()?.strip_suffix(suffix).map(str::to_owned))
        .collect()
}

#[test]
fn every_committed_fuzz_input_is_handled_without_a_panic() {
    for (target, entry) in TARGETS {
        let dir = fuzz_dir().join("corpus").join(target);
        let files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|err| {
                panic!(
                    "no corpus for fuzz target {target} at {}: {err}",
                    dir.display()
                )
            })
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|path| path.is_file())
            .collect();
        assert!(
            !files.is_empty(),
            "the corpus of fuzz target {target} is empty: {}",
            dir.display()
        );
        let started = Instant::now();
        for file in &files {
            let input = std::fs::read(file).expect("a readable corpus file");
            if catch_unwind(AssertUnwindSafe(|| entry(&input))).is_err() {
                panic!(
                    "fuzz target {target} panics on {} (run: cargo +nightly fuzz run {target} {})",
                    file.display(),
                    file.display()
                );
            }
        }
        assert!(
            started.elapsed() < REPLAY_BUDGET,
            "replaying {} inputs of {target} took {:?}",
            files.len(),
            started.elapsed()
        );
    }
}

#[test]
fn every_fuzz_target_has_a_corpus_and_a_replay() {
    let replayed: BTreeSet<String> = TARGETS.iter().map(|(name, _)| (*name).to_owned()).collect();
    let fuzz = fuzz_dir();
    assert_eq!(
        names_in(&fuzz.join("fuzz_targets"), ".rs"),
        replayed,
        "fuzz/fuzz_targets vs TARGETS"
    );
    assert_eq!(
        names_in(&fuzz.join("corpus"), ""),
        replayed,
        "fuzz/corpus vs TARGETS"
    );
}
