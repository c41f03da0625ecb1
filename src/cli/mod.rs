//! The command line: global options, one module per subcommand, and the dispatch.

mod add_user;
mod check;
mod completions;
mod delete_user;
mod disable_user;
mod enable_user;
mod export;
pub mod format;
mod grant;
mod hash_scheme;
mod import;
mod init_db;
mod issue_token;
mod list_users;
mod man;
pub mod output;
mod secrets;
mod set_password;
pub mod settings;
mod show_user;
mod table;
mod verify_login;
mod verify_token;

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand};

use crate::db::{self, Access, Location, OpenOptions, Store};
use crate::error::Error;
use crate::shape::{Purpose, ShapeName};
use crate::token::Scope;
pub use output::Output;
use settings::Settings;

const ABOUT: &str = "Administer the users table of a FastAPI OAuth2 login service";

const AFTER_HELP: &str = "\
The database is --db PATH, else --database-url URL, else the DATABASE_URL environment variable
(the service's own SQLAlchemy URL, e.g. sqlite:///./sql_app.db), else ./users.db.

Exit status: 0 done, 1 rejected, 2 usage, 3 no such user, 4 conflict, 5 invalid input,
6 database busy, 7 database unusable, 8 missing secret or input, 9 a stored hash the service
cannot verify, 70 internal error.

Examples:
  authctl init-db
  authctl add-user alice --email alice@example.com
  authctl list-users --format json
  authctl import users.csv --on-conflict update";

#[derive(Debug, Parser)]
#[command(
    name = "authctl",
    version,
    about = ABOUT,
    after_help = AFTER_HELP,
    help_expected = true,
    arg_required_else_help = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand accepts, before or after its name.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Path of the SQLite database file [default: ./users.db]
    #[arg(long = "db", value_name = "PATH", global = true)]
    pub db: Option<PathBuf>,

    /// The service's SQLAlchemy database URL (sqlite:///./sql_app.db, postgresql://user@host/db) or a path [env: DATABASE_URL]
    #[arg(
        long = "database-url",
        value_name = "URL",
        global = true,
        conflicts_with = "db"
    )]
    pub database_url: Option<String>,

    /// How long to wait for a lock held by the running service (500ms, 5s, 1m)
    #[arg(
        long = "busy-timeout",
        value_name = "DURATION",
        default_value = "5s",
        value_parser = parse_duration,
        global = true
    )]
    pub busy_timeout: Duration,

    /// The user table to administer: tutorial (`users`), fastapi-template or fastapi-users
    /// (`user`) [default: detected from the schema; tutorial for a new database]
    #[arg(
        long = "table-shape",
        value_name = "NAME",
        env = "AUTHCTL_TABLE_SHAPE",
        value_parser = PossibleValuesParser::new(ShapeName::ALL.map(ShapeName::as_str))
            .try_map(|name| parse_shape(&name)),
        global = true
    )]
    pub table_shape: Option<ShapeName>,

    /// Print only data and errors: no status lines, no notes
    #[arg(short = 'q', long = "quiet", global = true)]
    pub quiet: bool,

    /// The service's settings file (DATABASE_URL, SECRET_KEY, POSTGRES_*,
    /// ACCESS_TOKEN_EXPIRE_MINUTES) [default: ./.env when there is one]
    #[arg(
        long = "env-file",
        value_name = "PATH",
        env = "AUTHCTL_ENV_FILE",
        global = true
    )]
    pub env_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the users table (and the database file) if missing; idempotent
    InitDb(init_db::Args),
    /// Add a user, with a password from a prompt, stdin, a file, or generated
    AddUser(add_user::Args),
    /// Disable users: the service refuses them from then on; idempotent
    DisableUser(disable_user::Args),
    /// Enable disabled users again; idempotent
    EnableUser(enable_user::Args),
    /// List users as a table, JSON, JSON lines or CSV (never their hashes)
    ListUsers(list_users::Args),
    /// Check a username and password exactly as the service's login does
    VerifyLogin(verify_login::Args),
    /// Print a token the service accepts for a user: access, password reset, email verification
    IssueToken(issue_token::Args),
    /// Judge a token (from stdin or a file) as the service would: accepted, or why not
    VerifyToken(verify_token::Args),
    /// Set a user's password (prompt, stdin, file, or generated)
    SetPassword(set_password::Args),
    /// Delete users (asks first on a terminal; --yes in scripts)
    DeleteUser(delete_user::Args),
    /// Show one user: every non-secret field and what its stored hash is
    ShowUser(show_user::Args),
    /// Import users from CSV, JSON or JSON lines: checked first, then all or nothing
    Import(import::Args),
    /// Export users as CSV, JSON or JSON lines (hashes only with --include-hashes)
    Export(export::Args),
    /// Report what would go wrong for the service: damaged data, unverifiable hashes, look-alikes
    Check(check::Args),
    /// Give users a right: superuser (is_superuser) or verified (is_verified)
    Grant(grant::Args),
    /// Take a right away from users: superuser or verified
    Revoke(grant::Args),
    /// Print shell completions (bash, zsh, fish, …)
    Completions(completions::Args),
    /// Print the manual page (roff)
    Man(man::Args),
}

impl Cli {
    pub fn quiet(&self) -> bool {
        self.global.quiet
    }
}

/// `--dry-run` and `--format`, shared by every command that writes.
#[derive(Debug, Clone, clap::Args)]
pub struct WriteArgs {
    /// Run every check and print what would change, but commit nothing
    #[arg(long = "dry-run")]
    pub dry_run: bool,

    #[command(flatten)]
    pub output: format::FormatArgs,
}

impl WriteArgs {
    pub fn report<'a>(&self, unchanged: &'a str) -> output::Report<'a> {
        output::Report {
            format: self.output.format,
            dry_run: self.dry_run,
            unchanged,
        }
    }
}

/// What every command needs besides its own arguments.
pub struct Context<'a> {
    pub global: GlobalArgs,
    /// The environment and the service's `.env`.
    pub settings: &'a Settings,
    pub out: &'a Output,
}

impl Context<'_> {
    /// The database the options name; resolved only by commands that use one.
    pub fn location(&self) -> Result<Location, Error> {
        location(&self.global, self.settings)
    }

    pub fn open(&self, access: Access) -> Result<Box<dyn Store>, Error> {
        self.open_at(&self.location()?, access)
    }

    /// Opens an already resolved location (for commands that also name it in messages).
    pub fn open_at(&self, location: &Location, access: Access) -> Result<Box<dyn Store>, Error> {
        let store = db::open(
            location,
            access,
            OpenOptions {
                lock_timeout: self.global.busy_timeout,
                shape: self.global.table_shape,
            },
        )?;
        if access == Access::ReadWrite {
            self.warn_if_others_can_read(location);
        }
        Ok(store)
    }

    /// Password hashes are secrets too: a write to a file that others can read is warned about.
    pub fn warn_if_others_can_read(&self, location: &Location) {
        if let Some(exposed) = readable_by_others(location) {
            self.out.warn(exposed);
        }
    }
}

/// Says so when the database file is readable by its group or others.
fn readable_by_others(location: &Location) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(location.file_path()?)
        .ok()?
        .permissions()
        .mode()
        & 0o777;
    let who = match (mode & 0o040 != 0, mode & 0o004 != 0) {
        (true, true) => "its group and others",
        (true, false) => "its group",
        (false, true) => "others",
        (false, false) => return None,
    };
    Some(format!(
        "database {location} is readable by {who} (mode {mode:04o}) and holds password hashes; \
         restrict it with `chmod 600 {location}`"
    ))
}

/// Which database the options name: `--db`, then `--database-url`, then `DATABASE_URL`, then
/// the full-stack template's `POSTGRES_SERVER` and its fellows (the environment's, then the
/// `.env`'s, each), then `./users.db`.
///
/// NOTE: DATABASE_URL is read here rather than by clap's `env`, because clap counts an
/// environment value as given, and `--db` would then conflict with the service's own variable.
fn location(global: &GlobalArgs, settings: &Settings) -> Result<Location, Error> {
    if let Some(path) = &global.db {
        return Ok(Location::file(path.clone()));
    }
    if let Some(url) = &global.database_url {
        return Location::parse(url);
    }
    if let Some(url) = settings.var("DATABASE_URL") {
        return Location::parse(&url);
    }
    match settings.template_url()? {
        Some(url) => Location::parse(&url),
        None => Ok(Location::default_path()),
    }
}

/// A table shape by its `--table-shape` name.
fn parse_shape(name: &str) -> Result<ShapeName, String> {
    ShapeName::ALL
        .into_iter()
        .find(|shape| shape.as_str() == name)
        .ok_or_else(|| format!("unknown table shape '{name}'"))
}

/// A duration as the options take it (`500ms`, `5s`, `30days`): also what `--expires-in` reads.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{e} (examples: 500ms, 5s, 30m, 2h)"))
}

/// `--purpose` of the token commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PurposeArg {
    /// The bearer token of the service's login
    Access,
    /// The token of a password-reset link
    Reset,
    /// The token of an email-verification link
    Verify,
}

impl PurposeArg {
    pub fn purpose(self) -> Purpose {
        match self {
            PurposeArg::Access => Purpose::Access,
            PurposeArg::Reset => Purpose::Reset,
            PurposeArg::Verify => Purpose::Verify,
        }
    }
}

/// `--scope`/`--require-scope` values, each one OAuth2 scope (else invalid input, exit 5).
pub fn scopes(names: &[String]) -> Result<Vec<Scope>, Error> {
    names.iter().map(|name| Scope::parse(name)).collect()
}

/// Runs the parsed command line; returns the exit code.
pub fn run(cli: Cli, settings: &Settings, out: &Output) -> anyhow::Result<u8> {
    let ctx = Context {
        global: cli.global,
        settings,
        out,
    };
    match cli.command {
        Command::InitDb(args) => init_db::run(args, &ctx),
        Command::AddUser(args) => add_user::run(args, &ctx),
        Command::DisableUser(args) => disable_user::run(args, &ctx),
        Command::EnableUser(args) => enable_user::run(args, &ctx),
        Command::ListUsers(args) => list_users::run(args, &ctx),
        Command::VerifyLogin(args) => verify_login::run(args, &ctx),
        Command::IssueToken(args) => issue_token::run(args, &ctx),
        Command::VerifyToken(args) => verify_token::run(args, &ctx),
        Command::SetPassword(args) => set_password::run(args, &ctx),
        Command::DeleteUser(args) => delete_user::run(args, &ctx),
        Command::ShowUser(args) => show_user::run(args, &ctx),
        Command::Import(args) => import::run(args, &ctx),
        Command::Export(args) => export::run(args, &ctx),
        Command::Check(args) => check::run(args, &ctx),
        Command::Grant(args) => grant::run(args, &ctx, true),
        Command::Revoke(args) => grant::run(args, &ctx, false),
        Command::Completions(args) => completions::run(args, &ctx),
        Command::Man(args) => man::run(args, &ctx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
