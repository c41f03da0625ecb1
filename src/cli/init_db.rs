//! `authctl init-db`: the only command that may create a database file.

use serde::Serialize;

use crate::db::{Access, InitReport, Location};
use crate::exit;
use crate::shape::{Migrations, Shape};

use super::Context;
use super::format::{Format, FormatArgs};
use super::output;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Creates the file (mode 0600) and the users table with the columns and unique indexes of the
service's SQLAlchemy model, so the service's create_all adopts it as is. On a table the service
already made, changes nothing and says it is compatible. Safe to run again.

Where the application's Alembic migrations make the table (a database with an alembic_version
table, and always the full-stack template's), creates nothing and says to run `alembic upgrade
head`: a table made outside the migrations stops them. The table they make is administered as is.

Examples:
  authctl init-db
  authctl --database-url sqlite:///./sql_app.db init-db --dry-run
  authctl --db fixture.db init-db --table-shape fastapi-template --no-migrations")]
pub struct Args {
    /// Say what would be created, but create and change nothing
    #[arg(long = "dry-run")]
    pub dry_run: bool,

    /// Create the table even where the application's migrations would make it: for a
    /// database that never runs them (a test fixture)
    #[arg(long = "no-migrations")]
    pub no_migrations: bool,

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
    /// The table's shape: tutorial, fastapi-template, fastapi-users.
    table_shape: &'static str,
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
    let report = store.init(if args.no_migrations {
        Migrations::Ignored
    } else {
        Migrations::Respected
    })?;
    let shape = store.shape();
    let described = describe(&report, &location, shape, args.dry_run);
    match args.output.format {
        Format::Json => output::write_json(
            &mut ctx.out.stdout(),
            &InitRecord {
                action: described.action,
                changed: described.action == "created",
                database: location.to_string(),
                table: described.table,
                table_shape: shape.name.as_str(),
                missing_unique_indexes: described.missing,
                dry_run: args.dry_run,
            },
        )?,
        Format::Text => ctx.out.status(described.text),
    }
    for column in described.missing {
        ctx.out.warn(format!(
            "the {} has no unique index on {column}; the service's model declares one, so duplicates are possible",
            shape.title()
        ));
    }
    if !args.dry_run {
        ctx.warn_if_others_can_read(&location);
    }
    Ok(exit::SUCCESS)
}

/// What `init-db` says of its report, in words and in the JSON fields.
struct Described<'a> {
    action: &'static str,
    table: &'static str,
    missing: &'a [String],
    text: String,
}

fn describe<'a>(
    report: &'a InitReport,
    location: &Location,
    shape: &Shape,
    dry_run: bool,
) -> Described<'a> {
    let (table, named) = (shape.title(), shape.named());
    match report {
        InitReport::Created { database_created } => {
            let verb = if dry_run { "would create" } else { "created" };
            let text = if *database_created {
                format!("{verb} database {location} with table {named}")
            } else {
                format!("{verb} table {named} in database {location}")
            };
            Described {
                action: "created",
                table: "created",
                missing: &[],
                text,
            }
        }
        InitReport::AlreadyInitialised => Described {
            action: "unchanged",
            // The other shapes' tables are the applications' own, whoever created them.
            table: if shape.is_tutorial() {
                "authctl"
            } else {
                "service"
            },
            missing: &[],
            text: format!("database {location} already has the {table}; nothing changed"),
        },
        InitReport::Compatible {
            missing_unique_indexes,
        } => Described {
            action: "unchanged",
            table: "service",
            missing: missing_unique_indexes,
            text: if shape.is_tutorial() {
                format!(
                    "database {location} has a users table the service made; it is compatible and was left unchanged"
                )
            } else {
                format!(
                    "database {location} has the {table}; it lacks unique indexes and was left unchanged"
                )
            },
        },
    }
}
