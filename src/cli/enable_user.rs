//! `authctl enable-user`: the inverse of `disable-user`.

use crate::db::Access;
use crate::exit;
use crate::users;

use super::{Context, WriteArgs};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
All the named users are enabled in one transaction, or none is (an unknown name: exit 3).
A user already active is left as is (exit 0).

Examples:
  authctl enable-user alice
  authctl enable-user alice bob --dry-run")]
pub struct Args {
    /// The users to enable
    #[arg(required = true, value_name = "USERNAME")]
    pub usernames: Vec<String>,

    #[command(flatten)]
    pub write: WriteArgs,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let mut store = ctx.open(Access::ReadWrite)?;
    let report = args.write.report("is already active");
    for outcome in users::set_disabled(&mut *store, &args.usernames, false, args.write.dry_run)? {
        report.emit(ctx.out, &outcome, None)?;
    }
    Ok(exit::SUCCESS)
}
