//! `authctl set-password`: a new password for an existing user.

use crate::db::Access;
use crate::exit;
use crate::users::{self, PasswordOptions};

use super::secrets::NewPasswordArgs;
use super::{Context, WriteArgs};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Tokens issued before the change stay valid until they expire: the service checks only the
token's signature, expiry and user. Disable the user to lock them out at once.

Examples:
  authctl set-password alice
  printf '%s\\n' \"$PASSWORD\" | authctl set-password alice --password-stdin --if-changed
  authctl set-password ci-bot --random-password > ci-bot.password")]
pub struct Args {
    /// The user whose password changes
    pub username: String,

    /// Write nothing (exit 0, "unchanged") when the password already verifies
    #[arg(long = "if-changed", conflicts_with = "random_password")]
    pub if_changed: bool,

    #[command(flatten)]
    pub password: NewPasswordArgs,

    #[command(flatten)]
    pub write: WriteArgs,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let options = PasswordOptions {
        if_changed: args.if_changed,
        hashing: args.password.hashing(),
        policy: args.password.policy.policy(),
        dry_run: args.write.dry_run,
    };
    let mut store = ctx.open(Access::ReadWrite)?;
    let mut passwords = args.password.source(ctx.out);
    let outcome = users::set_password(&mut *store, &args.username, options, &mut passwords)?;
    args.write.report("already has this password").emit(
        ctx.out,
        &outcome,
        passwords.generated.as_ref().map(|p| p.as_str()),
    )?;
    Ok(exit::SUCCESS)
}
