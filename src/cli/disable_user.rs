//! `authctl disable-user`: the service refuses disabled users on their next request.

use crate::db::Access;
use crate::exit;
use crate::users;

use super::{Context, WriteArgs};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
All the named users are disabled in one transaction, or none is (an unknown name: exit 3).
A user already disabled is left as is (exit 0).

Examples:
  authctl disable-user alice
  authctl disable-user alice bob carol --format json")]
pub struct Args {
    /// The users to disable
    #[arg(required = true, value_name = "USERNAME")]
    pub usernames: Vec<String>,

    #[command(flatten)]
    pub write: WriteArgs,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let mut store = ctx.open(Access::ReadWrite)?;
    let outcomes = users::set_disabled(&mut *store, &args.usernames, true, args.write.dry_run)?;
    let report = args.write.report("is already disabled");
    for outcome in &outcomes {
        report.emit(ctx.out, outcome, None)?;
    }
    if outcomes.iter().any(|c| c.action.changed()) && !args.write.dry_run {
        let checks = store.shape().status_check;
        ctx.out.note(format!(
            "tokens already issued are refused at once by a service that {checks}; a service that does not accepts them until they expire",
        ));
    }
    Ok(exit::SUCCESS)
}
