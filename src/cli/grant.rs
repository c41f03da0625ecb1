//! `authctl grant` and `authctl revoke`: the rights the full-stack template's and fastapi-users'
//! tables keep beside the status (`is_superuser`, `is_verified`).

use crate::db::Access;
use crate::exit;
use crate::shape::Flag;
use crate::users;

use super::{Context, WriteArgs};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
All the named users get (or lose) the right in one transaction, or none does (an unknown user:
exit 3). A user who already has it as asked is left as is (exit 0). The tutorial's table has no
rights (exit 5); fastapi-template has superuser, fastapi-users superuser and verified.

Examples:
  authctl grant superuser admin@example.com
  authctl revoke superuser old-admin@example.com --format json
  authctl grant verified ann@example.com bob@example.com")]
pub struct Args {
    /// The right: superuser (is_superuser) or verified (is_verified)
    #[arg(value_parser = ["superuser", "verified"])]
    pub right: String,

    /// The users (their logins)
    #[arg(required = true, value_name = "LOGIN")]
    pub usernames: Vec<String>,

    #[command(flatten)]
    pub write: WriteArgs,
}

pub fn run(args: Args, ctx: &Context, value: bool) -> anyhow::Result<u8> {
    let flag = if args.right == "verified" {
        Flag::Verified
    } else {
        Flag::Superuser
    };
    let mut store = ctx.open(Access::ReadWrite)?;
    let outcomes = users::set_flag(
        &mut *store,
        &args.usernames,
        flag,
        value,
        args.write.dry_run,
    )?;
    let unchanged = match (flag, value) {
        (Flag::Verified, true) => "is already verified",
        (Flag::Verified, false) => "is already not verified",
        (_, true) => "is already a superuser",
        (_, false) => "is already not a superuser",
    };
    let report = args.write.report(unchanged);
    for outcome in &outcomes {
        report.emit(ctx.out, outcome, None)?;
    }
    Ok(exit::SUCCESS)
}
