//! Rebuilds the funnel when the web UI in `web/dist` is built or rebuilt, so
//! the binary embeds the UI it was built next to (see `src/web.rs`).

fn main() {
    // Cargo scans a directory for changes; a missing one reruns every build
    // until it exists, which is how a first `make web` gets noticed.
    println!("cargo:rerun-if-changed=../../web/dist");
}
