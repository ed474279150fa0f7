//! Databases for tests, the real thing: an SQLite file in a temporary
//! directory, or a PostgreSQL database on a throwaway cluster made with the
//! installed `initdb` and `pg_ctl` on a free port, torn down on drop.
//!
//! Starting a cluster takes a second or two, so a test run may share one:
//! `clocker-testdb -- CMD` (this crate's binary) starts a cluster, runs `CMD`
//! with [`SHARED_URL_VAR`] set to it, and stops it afterwards; every
//! [`TestDatabase::postgres`] then creates a database of its own in it.
//! `DATABASE_URL`, when it names a PostgreSQL server, is used the same way.
//!
//! PostgreSQL refuses to run as root; as root the cluster is run as the
//! `postgres` user (Debian's packages create it) through `runuser`.

use std::fs;
use std::io::{self, Read};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// An admin URL (`postgres://user:password@host:port/postgres`) of a
/// server whose user may create databases; set by `clocker-testdb -- CMD`.
pub const SHARED_URL_VAR: &str = "CLOCKER_TEST_DATABASE_URL";

/// The superuser of throwaway clusters.
pub const CLUSTER_USER: &str = "clocker";

/// The kinds of database a test can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database a test owns: an SQLite file or a PostgreSQL database; gone
/// when dropped.
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    backend: Backend,
    owner: Owner,
}

#[derive(Debug)]
enum Owner {
    Dir(TempDir),
    /// A database created for this test in a cluster started for it (held
    /// so that dropping the database stops the cluster).
    Cluster(#[allow(dead_code)] PgCluster),
    /// A database created for this test on a shared server.
    Shared {
        admin_url: String,
        name: String,
    },
}

impl TestDatabase {
    /// A fresh database of `backend`.
    pub fn new(backend: Backend) -> io::Result<Self> {
        match backend {
            Backend::Sqlite => Self::sqlite(),
            Backend::Postgres => Self::postgres(),
        }
    }

    /// An SQLite file in a new temporary directory (created on first use).
    pub fn sqlite() -> io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("clocker-sqlite-")
            .tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("clocker.db").display());
        Ok(Self {
            url,
            backend: Backend::Sqlite,
            owner: Owner::Dir(dir),
        })
    }

    /// A new, empty PostgreSQL database: on the shared server when one is
    /// given ([`SHARED_URL_VAR`] or a `postgres://` `DATABASE_URL`), else on
    /// a cluster started for this database alone.
    pub fn postgres() -> io::Result<Self> {
        let name = format!("clocker_test_{}", random_hex(8)?);
        if let Some(admin_url) = shared_server() {
            psql(&admin_url, None, &format!("CREATE DATABASE {name}"))?;
            let url = with_database(&admin_url, &name);
            return Ok(Self {
                url,
                backend: Backend::Postgres,
                owner: Owner::Shared { admin_url, name },
            });
        }
        let cluster = PgCluster::start()?;
        cluster.create_database(&name)?;
        Ok(Self {
            url: cluster.url(&name),
            backend: Backend::Postgres,
            owner: Owner::Cluster(cluster),
        })
    }

    /// The URL to connect to (with the password, for PostgreSQL).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The temporary directory an SQLite database lives in.
    pub fn dir(&self) -> Option<&Path> {
        match &self.owner {
            Owner::Dir(dir) => Some(dir.path()),
            _ => None,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Owner::Shared { admin_url, name } = &self.owner {
            // Best effort: a leftover database in a throwaway cluster is harmless.
            let _ = psql(
                admin_url,
                None,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

fn shared_server() -> Option<String> {
    std::env::var(SHARED_URL_VAR)
        .ok()
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .filter(|url| url.starts_with("postgres://") || url.starts_with("postgresql://"))
}

/// `url` with its path (the database) replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (without_query, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_end = without_query
        .find("://")
        .map(|scheme| scheme + 3)
        .and_then(|start| without_query[start..].find('/').map(|slash| start + slash))
        .unwrap_or(without_query.len());
    let mut out = format!("{}/{database}", &without_query[..authority_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// A PostgreSQL cluster in a temporary directory, listening on 127.0.0.1 on
/// a free port; stopped and removed when dropped.
#[derive(Debug)]
pub struct PgCluster {
    dir: TempDir,
    port: u16,
    password: String,
    run_as: Option<String>,
    running: bool,
}

/// How many ports to try when another process takes the free port first.
const PORT_ATTEMPTS: usize = 5;

impl PgCluster {
    /// `initdb` (password authentication, no fsync) and `pg_ctl start`,
    /// waiting until the server accepts connections.
    pub fn start() -> io::Result<Self> {
        let dir = tempfile::Builder::new().prefix("clocker-pg-").tempdir()?;
        let run_as = running_as_root()?.then(|| "postgres".to_owned());
        if let Some(user) = &run_as {
            let (uid, gid) = user_ids(user)?;
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))?;
        }
        let password = random_hex(16)?;
        let pwfile = dir.path().join("pwfile");
        fs::write(&pwfile, &password)?;
        if let Some(user) = &run_as {
            let (uid, gid) = user_ids(user)?;
            std::os::unix::fs::chown(&pwfile, Some(uid), Some(gid))?;
        }
        let mut cluster = Self {
            dir,
            port: 0,
            password,
            run_as,
            running: false,
        };
        let data = cluster.data_dir();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-U",
                CLUSTER_USER,
                "--auth=scram-sha-256",
                &format!("--pwfile={}", pwfile.display()),
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
                "--no-instructions",
            ],
        )?;
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            cluster.port = free_port()?;
            match cluster.pg_ctl_start() {
                Ok(()) => {
                    cluster.running = true;
                    return Ok(cluster);
                }
                Err(err) => last_error = Some(err),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("PostgreSQL did not start")))
    }

    /// The admin URL (the `postgres` database).
    pub fn admin_url(&self) -> String {
        self.url("postgres")
    }

    /// A URL for `database` on this cluster.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{CLUSTER_USER}:{}@127.0.0.1:{}/{database}",
            self.password, self.port
        )
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn user(&self) -> &str {
        CLUSTER_USER
    }

    pub fn password(&self) -> &str {
        &self.password
    }

    /// Creates an empty database.
    pub fn create_database(&self, name: &str) -> io::Result<()> {
        psql(
            &self.admin_url(),
            Some(&self.password),
            &format!("CREATE DATABASE {name}"),
        )
    }

    /// Stops the server (fast shutdown: sessions are ended). Idempotent.
    pub fn stop(&mut self) -> io::Result<()> {
        if !self.running {
            return Ok(());
        }
        self.running = false;
        let data = self.data_dir().display().to_string();
        self.run("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"])
    }

    /// Starts the server again after [`PgCluster::stop`], on the same port
    /// (a database that comes back). Idempotent.
    pub fn start_again(&mut self) -> io::Result<()> {
        if self.running {
            return Ok(());
        }
        self.pg_ctl_start()?;
        self.running = true;
        Ok(())
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pg_ctl_start(&self) -> io::Result<()> {
        let data = self.data_dir().display().to_string();
        let log = self.dir.path().join("postgres.log").display().to_string();
        // A test that ends while one of its connections is half-way through
        // logging in leaves a backend waiting for the rest, which DROP
        // DATABASE (run from the test's own, now blocked, thread) waits
        // for: authentication_timeout bounds that wait (60 s by default).
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
             -c authentication_timeout=3s",
            self.port,
            self.dir.path().display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D", &data, "-l", &log, "-o", &options, "-w", "-t", "30", "start",
            ],
        )
        .map_err(|err| {
            let tail = fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(5).collect();
            io::Error::other(format!(
                "{err}; the server log ends: {}",
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            ))
        })
    }

    /// Runs a PostgreSQL program (as the `postgres` user when we are root).
    fn run(&self, program: &str, args: &[&str]) -> io::Result<()> {
        let mut command = match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--", program]);
                command
            }
            None => Command::new(program),
        };
        command.args(args).current_dir(self.dir.path());
        check(program, command.output())
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.running {
            self.running = false;
            let data = self.data_dir().display().to_string();
            let _ = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
        }
    }
}

/// Runs one statement with `psql` against `url`.
fn psql(url: &str, password: Option<&str>, statement: &str) -> io::Result<()> {
    let mut command = Command::new("psql");
    command.args([
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-d",
        url,
        "-c",
        statement,
    ]);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    check("psql", command.output())
}

fn check(program: &str, output: io::Result<Output>) -> io::Result<()> {
    let output = output.map_err(|err| {
        io::Error::new(
            err.kind(),
            format!("cannot run {program}: {err} (is PostgreSQL installed and on PATH?)"),
        )
    })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(io::Error::other(format!(
        "{program} failed ({}): {}",
        output.status,
        stderr.trim()
    )))
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

fn random_hex(bytes: usize) -> io::Result<String> {
    let mut buffer = vec![0u8; bytes];
    fs::File::open("/dev/urandom")?.read_exact(&mut buffer)?;
    Ok(buffer.iter().map(|b| format!("{b:02x}")).collect())
}

fn running_as_root() -> io::Result<bool> {
    let status = fs::read_to_string("/proc/self/status")?;
    Ok(status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .is_some_and(|effective| effective == "0"))
}

/// The uid and gid of `user`, from /etc/passwd.
fn user_ids(user: &str) -> io::Result<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd")?;
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&user))
        .and_then(|fields| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))
        .ok_or_else(|| {
            io::Error::other(format!(
                "running as root, PostgreSQL needs a user to run as, and there is no '{user}' user \
                 (install Debian's postgresql package, or run the tests as another user)"
            ))
        })
}

/// Declares tests that run once on each backend: for every
/// `async fn NAME(db: TestDatabase) { … }` it makes a module `NAME` with the
/// tests `sqlite` and `postgres` (so `NAME::postgres` names one run). The
/// crate using it needs `tokio` with its `macros` and `rt` features.
#[macro_export]
macro_rules! test_both_backends {
    ($($(#[$attr:meta])* async fn $name:ident($db:ident: TestDatabase) $body:block)*) => {$(
        $(#[$attr])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($db: $crate::TestDatabase) $body

            #[tokio::test]
            async fn sqlite() {
                run($crate::TestDatabase::sqlite().expect("an SQLite test database")).await;
            }

            #[tokio::test]
            async fn postgres() {
                run($crate::TestDatabase::postgres().expect("a PostgreSQL test database")).await;
            }
        }
    )*};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_in_a_url_is_replaced() {
        assert_eq!(
            with_database("postgres://u:p@h:1/postgres", "t"),
            "postgres://u:p@h:1/t"
        );
        assert_eq!(with_database("postgres://u@h", "t"), "postgres://u@h/t");
        assert_eq!(
            with_database("postgres://h/x?sslmode=disable", "t"),
            "postgres://h/t?sslmode=disable"
        );
    }
}
