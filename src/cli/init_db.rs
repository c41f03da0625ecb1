//! `authctl init-db`: the only command that may create a database file.

use crate::db::{Access, InitReport};
use crate::exit;

use super::Context;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Creates the file (mode 0600) and the users table with the columns and unique indexes of the
service's SQLAlchemy model, so the service's create_all adopts it as is. On a table the service
already made, changes nothing and says it is compatible. Safe to run again.

Examples:
  authctl init-db
  authctl --database-url sqlite:///./sql_app.db init-db")]
pub struct Args {}

pub fn run(_args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let mut store = ctx.open(Access::Create)?;
    let location = &ctx.location;
    match store.init()? {
        InitReport::Created { file_created: true } => {
            ctx.out
                .status(format!("created database {location} with table users"));
        }
        InitReport::Created {
            file_created: false,
        } => {
            ctx.out
                .status(format!("created table users in database {location}"));
        }
        InitReport::AlreadyInitialised => {
            ctx.out.status(format!(
                "database {location} already has the users table; nothing changed"
            ));
        }
        InitReport::Compatible {
            missing_unique_indexes,
        } => {
            ctx.out.status(format!(
                "database {location} has a users table the service made; it is compatible and was left unchanged"
            ));
            for column in missing_unique_indexes {
                ctx.out.warn(format!(
                    "the users table has no unique index on {column}; the service's model declares one, so duplicates are possible"
                ));
            }
        }
    }
    Ok(exit::SUCCESS)
}
