//! How the command line meets the environment: the `.env` file `serve` and
//! `up` read, and the settings `up` hands to the services it starts as the
//! environment variables `clocker serve` reads.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::Args;
use clap::parser::ValueSource;

use super::ServiceArgs;

/// The `.env` file the command line `args` reads: only `serve` and `up`
/// read one, and only from the working directory `cwd`, never from a parent
/// (whose `.env` could send another command — and a password — elsewhere).
pub fn dotenv_file(args: &[OsString], cwd: &Path) -> Option<PathBuf> {
    let command = args.get(1)?.to_str()?;
    matches!(command, "serve" | "up").then(|| cwd.join(".env"))
}

/// The service settings given on `up`'s command line (its [`ServiceArgs`]),
/// as the environment variables `clocker serve` reads them from, so that
/// every service `up` starts has them. Not `--zmq-addr`: `up` gives timers
/// its ZeroMQ address itself.
pub fn forwarded_settings(up: &clap::ArgMatches) -> Vec<(String, String)> {
    ServiceArgs::augment_args(clap::Command::new("serve"))
        .get_arguments()
        .filter(|arg| arg.get_id().as_str() != ZMQ_ADDR_ID)
        .filter(|arg| up.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine))
        .filter_map(|arg| {
            let var = arg.get_env()?.to_str()?.to_owned();
            let values: Vec<String> = up
                .get_raw(arg.get_id().as_str())?
                .map(|value| value.to_string_lossy().into_owned())
                .collect();
            Some((var, values.join(",")))
        })
        .collect()
}

/// clap's id of [`ServiceArgs::zmq_addr`].
const ZMQ_ADDR_ID: &str = "zmq_addr";

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &[&str]) -> Vec<OsString> {
        line.iter().map(OsString::from).collect()
    }

    #[test]
    fn only_serve_and_up_read_the_working_directorys_env_file() {
        let cwd = Path::new("/work/here");
        for line in [&["clocker", "serve", "hours"][..], &["clocker", "up"]] {
            assert_eq!(
                dotenv_file(&args(line), cwd),
                Some(PathBuf::from("/work/here/.env")),
                "{line:?}"
            );
        }
        for line in [
            &["clocker", "account", "login", "alice"][..],
            &["clocker", "ps"],
            &["clocker", "time"],
            &["clocker"],
        ] {
            assert_eq!(dotenv_file(&args(line), cwd), None, "{line:?}");
        }
    }

    #[test]
    fn up_forwards_the_service_settings_given_on_its_command_line() {
        let matches = super::super::command()
            .try_get_matches_from([
                "clocker",
                "up",
                "--host",
                "0.0.0.0",
                "--kill-after",
                "2s",
                "--zmq-addr",
                "tcp://127.0.0.1:9999",
                "--tick",
                "100ms",
                "--cors-origin",
                "https://a.example,https://b.example",
                "--max-connections",
                "5",
                "--login-max-delay",
                "1m",
                "--postgres-host",
                "db",
            ])
            .expect("a valid command line");
        let up = matches.subcommand_matches("up").expect("up");
        let mut forwarded = forwarded_settings(up);
        forwarded.sort();
        let expected = [
            (
                "CLOCKER_CORS_ORIGINS",
                "https://a.example,https://b.example",
            ),
            ("CLOCKER_LOGIN_MAX_DELAY", "1m"),
            ("CLOCKER_MAX_CONNECTIONS", "5"),
            ("CLOCKER_TICK", "100ms"),
            ("POSTGRES_HOST", "db"),
        ]
        .map(|(var, value)| (var.to_owned(), value.to_owned()));
        assert_eq!(forwarded, expected);
    }
}
