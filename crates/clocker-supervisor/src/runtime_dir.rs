//! The runtime directory, where `supervisor.json` (the control address and
//! its token) is kept: private to its user, and refused when it is not.
//!
//! It is `$CLOCKER_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/clocker`, else
//! `/tmp/clocker-<uid>` — a name anyone on the machine can take first. So
//! it is created 0700, and used only when it is a real directory (not a
//! link) owned by this user with no access for others. Files in it are
//! written to a fresh temporary file (`O_CREAT|O_EXCL|O_NOFOLLOW`, 0600),
//! synced, then renamed over the old one: a link planted under the final
//! name is replaced, never followed.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Why the runtime directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeDirError {
    #[error("cannot create the runtime directory {}", path.display())]
    Create {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot inspect the runtime directory {}", path.display())]
    Inspect {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "the runtime directory {} is a symbolic link or not a directory; remove it, or set \
         CLOCKER_RUNTIME_DIR to a directory of your own",
        path.display()
    )]
    NotADirectory { path: PathBuf },
    #[error(
        "the runtime directory {} belongs to uid {owner}, not to you (uid {uid}); remove it, or \
         set CLOCKER_RUNTIME_DIR to a directory of your own",
        path.display()
    )]
    WrongOwner { path: PathBuf, owner: u32, uid: u32 },
    #[error(
        "the runtime directory {} has mode {mode:03o}, open to other users; chmod 700 it, or set \
         CLOCKER_RUNTIME_DIR to a directory of your own",
        path.display()
    )]
    WrongMode { path: PathBuf, mode: u32 },
}

/// Where the runtime directory is (see the module's documentation).
pub fn runtime_dir_path() -> PathBuf {
    if let Some(dir) = std::env::var_os("CLOCKER_RUNTIME_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR") {
        return PathBuf::from(dir).join("clocker");
    }
    PathBuf::from(format!("/tmp/clocker-{}", nix::unistd::getuid()))
}

/// The runtime directory, created 0700 when missing and checked to be
/// this user's alone.
pub fn runtime_dir() -> Result<PathBuf, RuntimeDirError> {
    let path = runtime_dir_path();
    ensure_private_dir(&path)?;
    Ok(path)
}

/// Creates `path` 0700 (and its missing parents) unless it exists, then
/// checks it is a directory, not a link, owned by this user, closed to
/// others.
pub fn ensure_private_dir(path: &Path) -> Result<(), RuntimeDirError> {
    let mut builder = DirBuilder::new();
    builder.recursive(true).mode(0o700);
    builder
        .create(path)
        .map_err(|source| RuntimeDirError::Create {
            path: path.to_owned(),
            source,
        })?;
    let meta = std::fs::symlink_metadata(path).map_err(|source| RuntimeDirError::Inspect {
        path: path.to_owned(),
        source,
    })?;
    if !meta.file_type().is_dir() {
        return Err(RuntimeDirError::NotADirectory {
            path: path.to_owned(),
        });
    }
    let uid = nix::unistd::geteuid().as_raw();
    if meta.uid() != uid {
        return Err(RuntimeDirError::WrongOwner {
            path: path.to_owned(),
            owner: meta.uid(),
            uid,
        });
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(RuntimeDirError::WrongMode {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

/// Writes `contents` to `dir/name`, mode 0600, atomically and without
/// following any link: a new temporary file (`O_EXCL|O_NOFOLLOW`), synced,
/// renamed over `name` (which replaces a link there instead of writing
/// through it).
pub fn write_private(dir: &Path, name: &str, contents: &[u8]) -> io::Result<()> {
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    // A leftover of a process that died with this pid; the directory is ours.
    match std::fs::remove_file(&temporary) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
        _ => {}
    }
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
            .open(&temporary)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&temporary, dir.join(name))?;
        File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// The most a file of the runtime directory may hold.
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// Reads a file [`write_private`] wrote: refused when it is a link, not
/// this user's, or open to others.
pub fn read_private(path: &Path) -> io::Result<String> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || meta.uid() != nix::unistd::geteuid().as_raw() || meta.mode() & 0o077 != 0
    {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is not a file of yours closed to other users (mode 0600)",
                path.display()
            ),
        ));
    }
    let mut text = String::new();
    file.take(MAX_FILE_BYTES).read_to_string(&mut text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode_of(path: &Path) -> u32 {
        std::fs::symlink_metadata(path).expect("stat").mode() & 0o777
    }

    #[test]
    fn a_missing_directory_is_created_private() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("a/run");
        ensure_private_dir(&dir).expect("created");
        assert_eq!(mode_of(&dir), 0o700);
        ensure_private_dir(&dir).expect("already there and private");
    }

    #[test]
    fn a_directory_open_to_others_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("run");
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let err = ensure_private_dir(&dir).expect_err("mode 777");
        assert!(
            matches!(err, RuntimeDirError::WrongMode { mode: 0o777, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 700"), "{err}");
    }

    #[test]
    fn a_link_in_place_of_the_directory_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).expect("mkdir");
        let link = tmp.path().join("run");
        std::os::unix::fs::symlink(&elsewhere, &link).expect("symlink");
        let err = ensure_private_dir(&link).expect_err("a link");
        assert!(
            matches!(err, RuntimeDirError::NotADirectory { .. }),
            "{err}"
        );
    }

    #[test]
    fn writing_replaces_a_planted_link_instead_of_following_it() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let victim = tmp.path().join("victim");
        std::fs::write(&victim, "precious").expect("write");
        let dir = tmp.path().join("run");
        ensure_private_dir(&dir).expect("created");
        std::os::unix::fs::symlink(&victim, dir.join("supervisor.json")).expect("symlink");

        write_private(&dir, "supervisor.json", b"{}").expect("written");

        assert_eq!(std::fs::read_to_string(&victim).expect("read"), "precious");
        let written = dir.join("supervisor.json");
        assert!(std::fs::symlink_metadata(&written).expect("stat").is_file());
        assert_eq!(mode_of(&written), 0o600);
        assert_eq!(read_private(&written).expect("read back"), "{}");
    }

    #[test]
    fn reading_refuses_links_and_files_open_to_others() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let open = tmp.path().join("open");
        std::fs::write(&open, "x").expect("write");
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(read_private(&open).is_err());
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&open, &link).expect("symlink");
        assert!(read_private(&link).is_err());
    }
}
