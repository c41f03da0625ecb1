//! The `authctl` binary: parse, run, turn the result into an exit status.

use std::panic;
use std::process::ExitCode;

use authctl::cli::{self, Cli, Output};
use authctl::exit;
use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    // clap prints its own usage errors and exits 2, and prints --help/--version and exits 0.
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let out = Output::new(cli.quiet(), cli::format::asks_for_json(&matches));
    // A panic is a bug: exit 70 as the table says, not Rust's 101.
    let code = match panic::catch_unwind(panic::AssertUnwindSafe(|| cli::run(cli, &out))) {
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
