//! The saved session of `clocker account login`: `session.json` in the
//! config directory, readable by the user alone (mode 0600), written
//! whole or not at all.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// The file the session is kept in, in the config directory.
pub const SESSION_FILE: &str = "session.json";

/// A session as saved by `login`.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedSession {
    pub username: String,
    pub token: String,
    pub expires_at: String,
    pub server: String,
}

/// Where `clocker account` keeps the session: `$CLOCKER_CONFIG_DIR`, else
/// `$XDG_CONFIG_HOME/clocker`, else `~/.config/clocker`.
pub fn config_dir() -> PathBuf {
    let from_env = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(dir) = from_env("CLOCKER_CONFIG_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(config_home) = from_env("XDG_CONFIG_HOME") {
        return PathBuf::from(config_home).join("clocker");
    }
    match from_env("HOME") {
        Some(home) => PathBuf::from(home).join(".config/clocker"),
        None => PathBuf::from(".clocker"),
    }
}

/// Writes `session` to `config_dir` (created 0700 when missing) as a
/// file of mode 0600, replacing any earlier one whole.
pub fn save_session(config_dir: &Path, session: &SavedSession) -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(config_dir)
        .with_context(|| format!("cannot create {}", config_dir.display()))?;
    let path = config_dir.join(SESSION_FILE);
    let partial = config_dir.join(format!("{SESSION_FILE}.partial"));
    let _ = std::fs::remove_file(&partial);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    serde_json::to_writer_pretty(&mut file, session)?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    std::fs::rename(&partial, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// The token of the saved session, if there is one (for other commands
/// that act as the logged-in user, such as `clocker timer`).
pub fn saved_token(config_dir: &Path) -> Option<String> {
    load_session(config_dir).ok().map(|session| session.token)
}

/// The session saved in `config_dir`, or why there is none.
pub fn load_session(config_dir: &Path) -> anyhow::Result<SavedSession> {
    let path = config_dir.join(SESSION_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            bail!(
                "not logged in (no {}); log in with: clocker account login NAME",
                path.display()
            )
        }
        Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
    };
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a saved session; log in again to replace it",
            path.display()
        )
    })
}
