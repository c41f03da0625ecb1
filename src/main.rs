//! The `authctl` binary: parse, run, turn the result into an exit status.

use std::panic;
use std::process::ExitCode;

use authctl::cli::settings::{self, Settings};
use authctl::cli::{self, Cli, Output};
use authctl::exit;
use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    // The service's .env first: its values are the options' defaults.
    let args: Vec<_> = std::env::args_os().collect();
    let settings = Settings::load(settings::named_file(&args));
    let command = match &settings {
        Ok(settings) => settings::with_file_defaults(Cli::command(), settings),
        Err(_) => Cli::command(),
    };
    // clap prints its own usage errors and exits 2, and prints --help/--version and exits 0.
    let matches = command.get_matches_from(&args);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let out = Output::new(cli.quiet(), cli::format::asks_for_json(&matches));
    let settings = match settings {
        Ok(settings) => settings,
        Err(err) => {
            let err = anyhow::Error::from(err);
            out.error(&err);
            return ExitCode::from(exit::for_error(&err));
        }
    };
    if let Some(note) = settings.note() {
        out.note(note);
    }
    // A panic is a bug: exit 70 as the table says, not Rust's 101.
    let run = || cli::run(cli, &settings, &out);
    let code = match panic::catch_unwind(panic::AssertUnwindSafe(run)) {
        Ok(Ok(code)) => code,
        Ok(Err(err)) => {
            let code = exit::for_error(&err);
            if !exit::is_broken_pipe(&err) {
                out.error(&err);
            }
            code
        }
        Err(_) => {
            out.error(&anyhow::anyhow!(
                "authctl stopped on an internal error; this is a bug, please report it"
            ));
            exit::INTERNAL
        }
    };
    ExitCode::from(code)
}
