//! `authctl set-password`: a new password for an existing user.

use crate::db::Access;
use crate::exit;
use crate::password;
use crate::users::{self, Action};

use super::password_source::{HashArgs, NewPasswordArgs};
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
    pub hash: HashArgs,

    #[command(flatten)]
    pub write: WriteArgs,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let mut store = ctx.open(Access::ReadWrite)?;
    // Unknown users are refused before anyone types a password.
    if store.find_user(&args.username)?.is_none() {
        return Err(crate::error::Error::UserNotFound(args.username).into());
    }
    let (password, generated) = args.password.read(&args.username)?;
    let profile = args.hash.profile(ctx.out);
    let outcome = users::set_password(
        &mut *store,
        &args.username,
        &password,
        args.if_changed,
        |p| password::hash_with(p, profile.params()),
        args.write.dry_run,
    )?;
    let shown =
        generated.filter(|_| outcome.action == Action::PasswordChanged && !args.write.dry_run);
    args.write
        .report("already has this password")
        .emit(ctx.out, &outcome, shown.as_deref())?;
    Ok(exit::SUCCESS)
}
