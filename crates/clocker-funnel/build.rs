//! Rebuilds the funnel when the web UI in `web/dist` is built or rebuilt, so
//! the binary embeds the UI it was built next to (see `src/web.rs`), and
//! gzips each of its text files once, here, so the funnel serves
//! precompressed bytes and never compresses on its thread.
//!
//! Writes `$OUT_DIR/gzipped.rs`: `GZIPPED`, the path of each compressed
//! file (as `web/dist` names it) with its gzip bytes, sorted by path.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Smaller files gain too little from compression to pay for it.
const MIN_GZIP_BYTES: u64 = 1024;

/// Extensions of the text files worth compressing (what Vite writes, and
/// the text types `web.rs` serves as such).
const TEXT: &[&str] = &[
    "html",
    "htm",
    "css",
    "js",
    "mjs",
    "json",
    "map",
    "svg",
    "txt",
    "xml",
    "webmanifest",
];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    // Cargo rescans a watched directory for changes, but reruns this script
    // on every build while the path is missing; an empty `web/dist` (Vite
    // empties it anyway) keeps builds without the UI incremental.
    let dist = manifest.join("../../web/dist");
    if !dist.exists() {
        let _ = std::fs::create_dir_all(&dist);
    }
    println!("cargo:rerun-if-changed=../../web/dist");

    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    files.sort();
    let gz_dir = out.join("gzip");
    let _ = std::fs::remove_dir_all(&gz_dir);
    let mut table = String::from(
        "/// Each compressible file of `web/dist` and its gzip bytes, sorted by path.\n\
         static GZIPPED: &[(&str, &[u8])] = &[\n",
    );
    for (name, path) in files {
        let Some(gz) = gzip_if_worth_it(&path) else {
            continue;
        };
        let target = gz_dir.join(format!("{name}.gz"));
        std::fs::create_dir_all(target.parent().expect("a file has a parent"))
            .expect("cannot create a directory in OUT_DIR");
        std::fs::write(&target, gz).expect("cannot write a gzipped file to OUT_DIR");
        writeln!(
            table,
            "    ({name:?}, include_bytes!({:?})),",
            target.display()
        )
        .expect("writing to a String cannot fail");
    }
    table.push_str("];\n");
    std::fs::write(out.join("gzipped.rs"), table).expect("cannot write gzipped.rs to OUT_DIR");
}

/// Every file under `dir`, with its path relative to `root` ('/'-separated).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(relative) = path.strip_prefix(root) {
            let name: Vec<_> = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            files.push((name.join("/"), path));
        }
    }
}

/// The gzip (best compression) of a text file of at least
/// [`MIN_GZIP_BYTES`], when it is smaller than the file.
fn gzip_if_worth_it(path: &Path) -> Option<Vec<u8>> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    if !TEXT.contains(&extension.as_str()) {
        return None;
    }
    let data = std::fs::read(path).expect("cannot read a file of web/dist");
    if (data.len() as u64) < MIN_GZIP_BYTES {
        return None;
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(&data)
        .expect("writing to a Vec cannot fail");
    let gz = encoder.finish().expect("writing to a Vec cannot fail");
    (gz.len() < data.len()).then_some(gz)
}
