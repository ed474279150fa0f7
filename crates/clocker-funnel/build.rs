//! Rebuilds the funnel when the web UI in `web/dist` is built or rebuilt, so
//! the binary embeds the UI it was built next to (see `src/web.rs`).

fn main() {
    // Cargo rescans a watched directory for changes, but reruns this script
    // on every build while the path is missing; an empty `web/dist` (Vite
    // empties it anyway) keeps builds without the UI incremental.
    let dist = std::path::Path::new("../../web/dist");
    if !dist.exists() {
        let _ = std::fs::create_dir_all(dist);
    }
    println!("cargo:rerun-if-changed=../../web/dist");
}
