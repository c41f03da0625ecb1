//! `authctl init-db`: the only command that may create a database file.

use serde::Serialize;

use crate::db::{Access, InitReport};
use crate::exit;

use super::Context;
use super::format::{Format, FormatArgs};
use super::output;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Creates the file (mode 0600) and the users table with the columns and unique indexes of the
service's SQLAlchemy model, so the service's create_all adopts it as is. On a table the service
already made, changes nothing and says it is compatible. Safe to run again.

Examples:
  authctl init-db
  authctl --database-url sqlite:///./sql_app.db init-db --dry-run")]
pub struct Args {
    /// Say what would be created, but create and change nothing
    #[arg(long = "dry-run")]
    pub dry_run: bool,

    #[command(flatten)]
    pub output: FormatArgs,
}

/// `--format json`: `{"action", "changed", "database", "table", "missing_unique_indexes", "dry_run"}`.
#[derive(Serialize)]
struct InitRecord<'a> {
    action: &'static str,
    changed: bool,
    database: String,
    /// "created", "authctl" (already initialised) or "service" (made by create_all).
    table: &'static str,
    missing_unique_indexes: &'a [String],
    dry_run: bool,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let location = ctx.location()?;
    let access = if args.dry_run {
        Access::InitDryRun
    } else {
        Access::Init
    };
    let mut store = ctx.open_at(&location, access)?;
    let report = store.init()?;
    let none = Vec::new();
    let (action, table, missing, text) = match &report {
        InitReport::Created { database_created } => {
            let verb = if args.dry_run {
                "would create"
            } else {
                "created"
            };
            let text = if *database_created {
                format!("{verb} database {location} with table users")
            } else {
                format!("{verb} table users in database {location}")
            };
            ("created", "created", &none, text)
        }
        InitReport::AlreadyInitialised => (
            "unchanged",
            "authctl",
            &none,
            format!("database {location} already has the users table; nothing changed"),
        ),
        InitReport::Compatible {
            missing_unique_indexes,
        } => (
            "unchanged",
            "service",
            missing_unique_indexes,
            format!(
                "database {location} has a users table the service made; it is compatible and was left unchanged"
            ),
        ),
    };
    match args.output.format {
        Format::Json => output::write_json(
            &mut ctx.out.stdout(),
            &InitRecord {
                action,
                changed: action == "created",
                database: location.to_string(),
                table,
                missing_unique_indexes: missing,
                dry_run: args.dry_run,
            },
        )?,
        Format::Text => ctx.out.status(text),
    }
    for column in missing {
        ctx.out.warn(format!(
            "the users table has no unique index on {column}; the service's model declares one, so duplicates are possible"
        ));
    }
    Ok(exit::SUCCESS)
}
