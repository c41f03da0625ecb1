//! `authctl disable-user`: the service refuses disabled users on their next request.

use crate::db::Access;
use crate::exit;
use crate::users;

use super::Context;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
All the named users are disabled in one transaction, or none is (an unknown name: exit 3).
A user already disabled is left as is (exit 0).

Examples:
  authctl disable-user alice
  authctl disable-user alice bob carol")]
pub struct Args {
    /// The users to disable
    #[arg(required = true, value_name = "USERNAME")]
    pub usernames: Vec<String>,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let mut store = ctx.open(Access::ReadWrite)?;
    let changes = users::set_disabled(&mut *store, &args.usernames, true)?;
    for change in &changes {
        let name = &change.user.username;
        if change.changed {
            ctx.out.status(format!("disabled user '{name}'"));
        } else {
            ctx.out.status(format!(
                "user '{name}' is already disabled; nothing changed"
            ));
        }
    }
    if changes.iter().any(|c| c.changed) {
        ctx.out.note(
            "tokens already issued are refused at once by a service that checks `disabled` on each request \
             (the tutorial's /users/me does); a service that does not accepts them until they expire",
        );
    }
    Ok(exit::SUCCESS)
}
