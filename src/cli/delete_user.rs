//! `authctl delete-user`: removes users; asks first on a terminal.

use std::io::{self, BufRead, IsTerminal, Write};

use crate::db::Access;
use crate::error::Error;
use crate::exit;
use crate::users;

use super::{Context, WriteArgs};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Deleting cannot be undone; disable-user keeps the row. All the named users are deleted in one
transaction, or none is (an unknown name: exit 3, unless --if-exists). On a terminal it asks
first; without a terminal it refuses (exit 2) unless --yes is given.

Examples:
  authctl delete-user mallory
  authctl delete-user ci-bot-1 ci-bot-2 --yes --if-exists")]
pub struct Args {
    /// The users to delete
    #[arg(required = true, value_name = "USERNAME")]
    pub usernames: Vec<String>,

    /// Do not ask for confirmation
    #[arg(short = 'y', long = "yes")]
    pub yes: bool,

    /// An unknown user is not an error (exit 0, "absent")
    #[arg(long = "if-exists")]
    pub if_exists: bool,

    #[command(flatten)]
    pub write: WriteArgs,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let mut store = ctx.open(Access::ReadWrite)?;
    if !args.yes && !args.write.dry_run {
        confirm(&args.usernames)?;
    }
    let report = args.write.report("");
    for outcome in users::delete(
        &mut *store,
        &args.usernames,
        args.if_exists,
        args.write.dry_run,
    )? {
        report.emit(ctx.out, &outcome, None)?;
    }
    Ok(exit::SUCCESS)
}

/// Asks on the terminal; refuses outright when there is none to ask on.
fn confirm(usernames: &[String]) -> Result<(), Error> {
    let stdin = io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::Usage(
            "refusing to delete users without confirmation: no terminal to ask on; pass --yes"
                .to_owned(),
        ));
    }
    let names = usernames
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut stderr = io::stderr().lock();
    write!(stderr, "Delete user {names}? This cannot be undone. [y/N] ")
        .and_then(|()| stderr.flush())
        .map_err(|e| Error::Environment(format!("cannot ask for confirmation: {e}")))?;
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::Environment(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        Ok(())
    } else {
        Err(Error::Declined(
            "not confirmed; nothing was deleted".to_owned(),
        ))
    }
}
