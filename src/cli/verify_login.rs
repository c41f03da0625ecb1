//! `authctl verify-login`: the service's login check, without the service.

use crate::db::Access;
use crate::exit;
use crate::password::{self, HashInfo};
use crate::users::{self, Login};

use super::Context;
use super::password_source::{PasswordArgs, Prompt};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Exit 0 when the service would accept the login, 1 when it would refuse it: a wrong password and
an unknown user get the same answer and take the same time. Verifies argon2id/i/d hashes of any
sane parameters and passlib-era bcrypt hashes.

Examples:
  authctl verify-login alice
  printf '%s\\n' \"$PASSWORD\" | authctl verify-login alice --password-stdin && echo ok")]
pub struct Args {
    /// The login name, matched exactly
    pub username: String,

    #[command(flatten)]
    pub password: PasswordArgs,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let mut store = ctx.open(Access::ReadOnly)?;
    let password = args.password.read(
        &args.username,
        Prompt::Existing,
        "--password-stdin or --password-file PATH",
    )?;
    match users::verify_login(&mut *store, &args.username, &password)? {
        Login::Accepted { hash } => {
            ctx.out
                .status(format!("login accepted for '{}'", args.username));
            note_rehash(ctx, &hash);
            Ok(exit::SUCCESS)
        }
        Login::IncorrectCredentials => {
            ctx.out.status("incorrect username or password");
            Ok(exit::REJECTED)
        }
        Login::Inactive { hash } => {
            ctx.out.status("inactive user");
            note_rehash(ctx, &hash);
            Ok(exit::REJECTED)
        }
    }
}

fn note_rehash(ctx: &Context, hash: &HashInfo) {
    if !hash.is_current() {
        ctx.out.note(format!(
            "the stored hash is {hash}, not the service's current {}; a service using pwdlib's verify_and_update rehashes it at the next login",
            password::current_description()
        ));
    }
}
