//! `authctl verify-login`: the service's login check, without the service.

use crate::db::Access;
use crate::exit;
use crate::password::{self, HashInfo, Scheme};
use crate::users::{self, Login};

use serde::Serialize;

use super::Context;
use super::format::{Format, FormatArgs};
use super::hash_scheme::{self, SchemeArgs};
use super::output;
use super::secrets::{PasswordArgs, Prompt};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Exit 0 when the service would accept the login, 1 when it would refuse it: a wrong password and
an unknown user get the same answer and take the same time. Answers as the service's hash scheme
would (--hash-scheme; detected from the stored hashes): a stored hash its library cannot identify
(bcrypt on an Argon2-only service, Argon2 on a passlib-era one) makes the service's login fail
with a server error, and exits 9.

Examples:
  authctl verify-login alice
  printf '%s\\n' \"$PASSWORD\" | authctl verify-login alice --password-stdin && echo ok")]
pub struct Args {
    /// The login, matched as the service matches it: a username exactly, an email exactly on
    /// the full-stack template's table and case-insensitively on fastapi-users'
    pub username: String,

    /// Refuse a user whose is_verified is false, as a fastapi-users application built with
    /// requires_verification=True does (LOGIN_USER_NOT_VERIFIED)
    #[arg(long = "require-verified")]
    pub require_verified: bool,

    #[command(flatten)]
    pub password: PasswordArgs,

    #[command(flatten)]
    pub scheme: SchemeArgs,

    #[command(flatten)]
    pub output: FormatArgs,
}

/// `--format json`: `{"username", "accepted", "reason", "needs_rehash", "hash_scheme"}`.
#[derive(Serialize)]
struct VerifyRecord<'a> {
    username: &'a str,
    accepted: bool,
    /// null when accepted; else the service's words.
    reason: Option<&'static str>,
    /// Whether the service would rehash the stored hash at this login (null: unknown user).
    needs_rehash: Option<bool>,
    /// The service's hash scheme the answer is for.
    hash_scheme: &'static str,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let mut store = ctx.open(Access::ReadOnly)?;
    let mut password = |resolved: &_| {
        hash_scheme::note_detection(ctx.out, resolved);
        args.password.read(
            &args.username,
            Prompt::Existing,
            "--password-stdin or --password-file PATH",
            &|_| Ok(()),
        )
    };
    let (login, resolved) = users::verify_login(
        &mut *store,
        args.scheme.choice(),
        args.require_verified,
        &args.username,
        &mut password,
    )?;
    let scheme = resolved.scheme;
    let refusals = store.shape().refusals;
    let (reason, hash) = match login {
        Login::Fails(problem) => return Err(problem.into_error(&args.username).into()),
        Login::Accepted { ref hash } => (None, Some(hash)),
        Login::IncorrectCredentials => (Some(refusals.bad_credentials), None),
        Login::Inactive { ref hash } => (Some(refusals.inactive), Some(hash)),
        Login::Unverified { ref hash } => (Some(refusals.unverified), Some(hash)),
    };
    match args.output.format {
        Format::Json => output::write_json(
            &mut ctx.out.stdout(),
            &VerifyRecord {
                username: &args.username,
                accepted: reason.is_none(),
                reason,
                needs_rehash: hash.map(|h| scheme.needs_rehash(h)),
                hash_scheme: scheme.name(),
            },
        )?,
        Format::Text => {
            ctx.out.status(reason.map_or_else(
                || format!("login accepted for '{}'", args.username),
                str::to_owned,
            ));
            if let Some(hash) = hash {
                note_rehash(ctx, scheme, hash);
            }
        }
    }
    Ok(if reason.is_none() {
        exit::SUCCESS
    } else {
        exit::REJECTED
    })
}

fn note_rehash(ctx: &Context, scheme: Scheme, hash: &HashInfo) {
    if scheme.needs_rehash(hash) {
        ctx.out.note(format!(
            "the stored hash is {hash}, not the service's current {}; a service using pwdlib's verify_and_update rehashes it at the next login",
            password::current_description()
        ));
    }
}
