//! `authctl set-password`: a new password for an existing user.

use crate::db::Access;
use crate::exit;
use crate::users::{self, PasswordChange};

use super::password_source::NewPasswordArgs;
use super::{Context, WriteArgs};
use super::{hash_scheme, output};

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
    let mut store = ctx.open(Access::ReadWrite)?;
    // Unknown users are refused before anyone types a password.
    let plan = users::plan_password(&mut *store, &args.username)?;
    let scheme = args.password.scheme.resolve(&mut *store)?;
    let (password, generated) = args.password.read(&args.username)?;
    let hasher = args.password.hasher(ctx.out, scheme.scheme);
    hash_scheme::note_detection(ctx.out, &scheme);
    let change = if args.if_changed {
        users::password_change(&plan, &password, &hasher)?
    } else {
        PasswordChange::Set(hasher.hash(&password)?)
    };
    let outcome = users::set_password(&mut *store, &plan, &change, args.write.dry_run)?;
    let report = output::Report {
        hash_scheme: Some(scheme.scheme.name()),
        ..args.write.report("already has this password")
    };
    report.emit(ctx.out, &outcome, generated.as_deref())?;
    Ok(exit::SUCCESS)
}
