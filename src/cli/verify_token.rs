//! `authctl verify-token`: the service's judgement of a token, without the service, and why.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::db::Access;
use crate::exit;
use crate::token::{self, Refusal};
use crate::users::{self, Judgement};

use super::format::{Format, FormatArgs};
use super::output;
use super::secrets::{self, KeyArgs, KeyUse};
use super::{Context, PurposeArg};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Exit 0 when the table's service would accept the token for the purpose, 1 when it would refuse
it, with the reason: malformed, algorithm (not HS256), signature (another key), expired,
not_yet_valid (nbf or iat ahead of the clock), audience, claims (one missing or of the wrong
type), unknown_user, inactive, already_verified, password_changed, missing_scope. Checked as
PyJWT checks (leeway 0, no exp required) and then as the service's endpoint does.

The token is read from standard input or --token-file (never an argument: a token is a
credential); `Bearer ` in front is dropped. The key comes as issue-token's does.

Examples:
  printf '%s' \"$TOKEN\" | authctl verify-token
  authctl verify-token --token-file token.txt --require-scope items --format json
  authctl verify-token --purpose reset --secret-key-env RESET_PASSWORD_SECRET < token.txt")]
pub struct Args {
    /// What the token is to be used for: access (a request's bearer token), reset, verify
    #[arg(long = "purpose", value_enum, default_value_t = PurposeArg::Access)]
    pub purpose: PurposeArg,

    /// Read the token from this file (`-`: standard input) [default: standard input]
    #[arg(long = "token-file", value_name = "PATH")]
    pub token_file: Option<PathBuf>,

    /// A scope the route requires, as a route of the FastAPI "OAuth2 scopes" chapter does
    /// (repeatable; tutorial tables)
    #[arg(long = "require-scope", value_name = "NAME")]
    pub require_scopes: Vec<String>,

    #[command(flatten)]
    pub key: KeyArgs,

    #[command(flatten)]
    pub output: FormatArgs,
}

/// `--format json`: the verdict, the user it names and the claims; never the signature.
#[derive(Serialize)]
struct JudgementRecord<'a> {
    accepted: bool,
    /// null when accepted; else the refusal's stable name.
    reason: Option<&'static str>,
    /// The refusal in words.
    detail: Option<String>,
    purpose: &'static str,
    /// The login of the user the token names, when one exists.
    user: Option<&'a str>,
    /// null until the signature verified; `password_fgpt` masked.
    claims: Option<&'a Map<String, Value>>,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let scopes = super::scopes(&args.require_scopes)?;
    let key = args.key.key(ctx.settings, ctx.out, KeyUse::Judge)?;
    let token = secrets::token(args.token_file.as_deref())?;
    let mut store = ctx.open(Access::ReadOnly)?;
    let purpose = args.purpose.purpose();
    let judgement = users::judge_token(
        &mut *store,
        &token,
        &key,
        purpose,
        &scopes,
        SystemTime::now(),
    )?;
    let Judgement {
        claims,
        login,
        refusal,
    } = &judgement;
    match args.output.format {
        Format::Json => output::write_json(
            &mut ctx.out.stdout(),
            &JudgementRecord {
                accepted: refusal.is_none(),
                reason: refusal.as_ref().map(Refusal::code),
                detail: refusal.as_ref().map(ToString::to_string),
                purpose: purpose.name(),
                user: login.as_deref(),
                claims: claims.as_ref().map(shown).as_ref(),
            },
        )?,
        Format::Text => match refusal {
            Some(refusal) => ctx.out.status(format!("token refused: {refusal}")),
            None => ctx.out.status(format!(
                "token accepted: {} token for '{}', {}",
                purpose.name(),
                login.as_deref().unwrap_or_default(),
                expiry(claims.as_ref())
            )),
        },
    }
    if refusal.is_none() && claims.as_ref().is_some_and(|c| token::expiry(c).is_none()) {
        ctx.out
            .warn("the token has no exp: the service accepts it until its key changes");
    }
    Ok(if refusal.is_none() {
        exit::SUCCESS
    } else {
        exit::REJECTED
    })
}

/// The claims as printed: fastapi-users' `password_fgpt` is a hash of the stored hash, and
/// hashes are never printed.
fn shown(claims: &Map<String, Value>) -> Map<String, Value> {
    let mut shown = claims.clone();
    if let Some(fingerprint) = shown.get_mut("password_fgpt") {
        *fingerprint = Value::String("(a hash, not shown)".to_owned());
    }
    shown
}

/// "expires at … (in …)" from an accepted token's `exp`, read as PyJWT reads it.
fn expiry(claims: Option<&Map<String, Value>>) -> String {
    let Some(exp) = claims.and_then(token::expiry) else {
        return "no expiry".to_owned();
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i128::from(d.as_secs()));
    // Accepted: exp is after now.
    let left = u64::try_from(exp.saturating_sub(now)).unwrap_or(u64::MAX);
    let left = crate::duration::human(Duration::from_secs(left));
    format!("expires at {} (in {left})", token::time(exp))
}
