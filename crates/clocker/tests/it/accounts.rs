//! `clocker serve accounts` and `clocker account …` as users run them: real
//! processes, a real database (SQLite and PostgreSQL), secrets kept out of
//! every log line and output.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};

use clocker_fleet::ServiceName;
use clocker_testdb::{Backend, TestDatabase, test_both_backends};

use crate::support::{TestFleet, run_with_stdin, spawn_serving};

const PASSWORD: &str = "tr0ub4dor&3-horse";

/// `clocker serve accounts` on a free port with debug logging captured.
struct AccountsProcess {
    child: Child,
    addr: String,
    log: PathBuf,
}

impl AccountsProcess {
    fn start(db: &TestDatabase, scratch: &Path) -> Self {
        let log = scratch.join("accounts.log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_clocker"));
        command
            .args(["serve", "accounts", "--addr", "127.0.0.1:0"])
            .env("RUST_LOG", "debug");
        match db.backend() {
            Backend::Sqlite => {
                let dir = db.dir().expect("an SQLite database has a directory");
                command.args(["--data-dir", &dir.display().to_string()]);
            }
            Backend::Postgres => {
                command.env("DATABASE_URL", db.url());
            }
        }
        let (child, addr) = spawn_serving("accounts", &mut command, &log);
        Self { child, addr, log }
    }

    /// SIGTERM, then the exit status and everything it logged.
    fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().expect("waited");
        assert!(status.success(), "accounts exited with {status}");
        std::fs::read_to_string(&self.log).expect("log read")
    }
}

impl Drop for AccountsProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `clocker account ARGS` with `stdin` as its input.
fn account(addr: &str, config_dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clocker"));
    command
        .arg("account")
        .args(args)
        .env(ServiceName::Accounts.addr_env_var(), addr)
        .env("CLOCKER_CONFIG_DIR", config_dir)
        .env("RUST_LOG", "debug");
    run_with_stdin(&mut command, stdin)
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

test_both_backends! {
    async fn the_account_commands_work_and_keep_secrets_out_of_every_log(db: TestDatabase) {
        let scratch = tempfile::tempdir().expect("temp dir");
        let config = scratch.path().join("config");
        let service = AccountsProcess::start(&db, scratch.path());
        let mut outputs = String::new();

        let register = account(&service.addr, &config, &["register", "Mallory"], &format!("{PASSWORD}\n"));
        assert!(register.status.success(), "{}", text(&register));
        assert!(text(&register).contains("registered mallory"), "{}", text(&register));
        outputs += &text(&register);

        let wrong = account(&service.addr, &config, &["login", "mallory", "--password-stdin"], "not-the-password\n");
        assert!(!wrong.status.success());
        assert!(text(&wrong).contains("wrong username or password"), "{}", text(&wrong));
        outputs += &text(&wrong);

        let login = account(&service.addr, &config, &["login", "mallory", "--password-stdin"], &format!("{PASSWORD}\n"));
        assert!(login.status.success(), "{}", text(&login));
        outputs += &text(&login);
        let session = config.join("session.json");
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&session).expect("session saved").permissions(),
        );
        assert_eq!(mode & 0o777, 0o600, "the session file is private");
        let saved: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&session).expect("readable")).expect("JSON");
        let token = saved["token"].as_str().expect("a token").to_owned();
        assert_eq!(token.len(), 43);

        let whoami = account(&service.addr, &config, &["whoami"], "");
        assert!(whoami.status.success(), "{}", text(&whoami));
        assert!(text(&whoami).starts_with("mallory"), "{}", text(&whoami));
        outputs += &text(&whoami);

        let logout = account(&service.addr, &config, &["logout"], "");
        assert!(logout.status.success(), "{}", text(&logout));
        assert!(!session.exists(), "logout forgets the token");
        let after = account(&service.addr, &config, &["whoami"], "");
        assert!(!after.status.success());
        assert!(text(&after).contains("not logged in"), "{}", text(&after));
        outputs += &text(&logout);

        let log = service.stop();
        assert!(log.contains("logged in"), "the log covers the login: {log}");
        for secret in [PASSWORD, "not-the-password", token.as_str()] {
            assert!(!log.contains(secret), "the service log shows a secret: {log}");
            assert!(!outputs.contains(secret), "the CLI shows a secret: {outputs}");
        }
    }
}

#[test]
fn an_unreachable_database_is_one_line_naming_it_without_the_password() {
    // The seed's variables, from a .env file in the working directory.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join(".env"),
        format!(
            "POSTGRES_HOST=127.0.0.1\nPOSTGRES_PORT={port}\nPOSTGRES_USER=clock\n\
             POSTGRES_PASSWORD=hunter2-secret\nPOSTGRES_DATABASE=accounts\n"
        ),
    )
    .expect(".env written");
    let output = Command::new(env!("CARGO_BIN_EXE_clocker"))
        .args(["serve", "accounts", "--addr", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env("RUST_LOG", "off")
        .env_remove("DATABASE_URL")
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(stderr.contains("accounts"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[tokio::test]
async fn the_fleet_includes_the_accounts_service() {
    let fleet = TestFleet::start(&[]).await;
    let names: Vec<ServiceName> = fleet.addrs().into_iter().map(|(name, _)| name).collect();
    assert!(names.contains(&ServiceName::Accounts), "{names:?}");
    let addr = fleet.addr(ServiceName::Accounts);
    let scratch = tempfile::tempdir().expect("temp dir");
    let register = account(
        &addr.to_string(),
        scratch.path(),
        &["register", "fleet-user"],
        &format!("{PASSWORD}\n"),
    );
    assert!(register.status.success(), "{}", text(&register));
    fleet.stop().await;
}
