//! `authctl issue-token`: a token the service accepts, as its own endpoints make them: the access
//! token of its login, or the password-reset and email-verification tokens of its emails.

use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::db::Access;
use crate::error::Error;
use crate::exit;
use crate::shape::{Link, Purpose};
use crate::token;
use crate::users::{self, Issued, TokenRequest};

use super::format::{TokenFormat, TokenFormatArgs};
use super::output;
use super::secrets::{KeyArgs, KeyUse};
use super::{Context, PurposeArg, parse_duration};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
The key is the service's SECRET_KEY, from the environment, the service's .env or
--secret-key-file: its text as UTF-8 bytes, never hex-decoded (--secret-key-env NAME reads another
variable, as fastapi-users' reset and verification secrets may be). Keys under 32 bytes and the
FastAPI tutorial's published example key are refused.

Each table's service, each purpose (docs/tokens.md has the claims):
  tutorial          access {\"sub\": USERNAME, \"exp\"} (30m; ACCESS_TOKEN_EXPIRE_MINUTES), --scope
  fastapi-template  access {\"sub\": ID, \"exp\"} (8days); reset {\"exp\", \"nbf\", \"sub\": EMAIL}
                    (48h; EMAIL_RESET_TOKEN_EXPIRE_HOURS), --format link for FRONTEND_HOST's link
  fastapi-users     access {\"sub\": ID, \"aud\": [\"fastapi-users:auth\"], \"exp\"} (1h); reset
                    with password_fgpt (1h; dies when the password changes); verify with email (1h)

Examples:
  TOKEN=$(authctl issue-token alice)
  curl -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:8000/users/me
  authctl issue-token alice --scope me --scope items
  authctl issue-token ann@example.com --purpose reset --format link
  authctl issue-token ann@example.com --purpose verify --secret-key-env VERIFICATION_SECRET")]
pub struct Args {
    /// The user the token is for (must exist and be active)
    pub username: String,

    /// What the token is for: access (the login's bearer token), reset (a password-reset link),
    /// verify (an email-verification link)
    #[arg(long = "purpose", value_enum, default_value_t = PurposeArg::Access)]
    pub purpose: PurposeArg,

    /// Lifetime of the token (30m, 2h, 7days) [default: the service's for the purpose; for
    /// access tokens ACCESS_TOKEN_EXPIRE_MINUTES when set]
    #[arg(long = "expires-in", value_name = "DURATION", value_parser = parse_duration)]
    pub expires_in: Option<Duration>,

    /// A scope to grant, as the FastAPI "OAuth2 scopes" chapter's /token does (repeatable;
    /// written space-separated in the `scope` claim); access tokens on the tutorial's table
    #[arg(long = "scope", value_name = "NAME")]
    pub scopes: Vec<String>,

    #[command(flatten)]
    pub key: KeyArgs,

    #[command(flatten)]
    pub output: TokenFormatArgs,
}

/// `--format json` of an access token: the service's `/token` answer plus the expiry.
#[derive(Serialize)]
struct AccessResponse<'a> {
    access_token: &'a str,
    token_type: &'static str,
    /// Seconds since the Unix epoch, as in `exp`.
    expires_at: i64,
}

/// `--format json` of a reset or verify token.
#[derive(Serialize)]
struct LinkTokenRecord<'a> {
    token: &'a str,
    purpose: &'static str,
    expires_at: i64,
    /// The front-end link the service's email carries, where it has one form.
    link: Option<String>,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    // An argument error is reported before the key and the database are looked at.
    if let Some(lifetime) = args.expires_in {
        token::check_lifetime(lifetime)?;
    }
    let scopes = super::scopes(&args.scopes)?;
    let key = args.key.key(ctx.settings, ctx.out, KeyUse::Sign)?;
    let mut store = ctx.open(Access::ReadOnly)?;
    let purpose = args.purpose.purpose();
    let kind = store.shape().token_kind(purpose)?;
    let print = match args.output.format {
        TokenFormat::Token => Print::Token,
        TokenFormat::Json => Print::Json(kind.link),
        TokenFormat::Link => Print::Link(kind.link.ok_or_else(|| {
            Error::invalid(format!(
                "--format link: the {} service's {} tokens have no link form of their own (its email hook makes the link)",
                store.shape().name,
                purpose.name()
            ))
        })?),
    };
    // Without --expires-in, the service's setting for this purpose, else its default.
    let lifetime = match args.expires_in {
        Some(lifetime) => Some(lifetime),
        None => ctx.settings.token_lifetime(kind.lifetime_setting)?,
    };
    let request = TokenRequest {
        purpose,
        lifetime,
        scopes: &scopes,
        now: SystemTime::now(),
    };
    let issued = users::issue_token(&mut *store, &args.username, &key, request)?;
    report(&args, ctx, &issued, print)?;
    Ok(exit::SUCCESS)
}

/// What goes to stdout, decided before the token is made.
enum Print {
    Token,
    /// The JSON record, with the shape's link where it has one.
    Json(Option<Link>),
    Link(Link),
}

fn report(args: &Args, ctx: &Context, issued: &Issued, print: Print) -> anyhow::Result<()> {
    let mut stdout = ctx.out.stdout();
    let jwt = &issued.token.jwt;
    let link = |link: Link| link.url(ctx.settings.var(link.base_setting).as_deref(), jwt);
    match print {
        Print::Token => output::write_line(&mut stdout, jwt)?,
        Print::Link(form) => output::write_line(&mut stdout, link(form))?,
        Print::Json(_) if args.purpose == PurposeArg::Access => output::write_json(
            &mut stdout,
            &AccessResponse {
                access_token: jwt,
                token_type: "bearer",
                expires_at: issued.token.expires_at,
            },
        )?,
        Print::Json(form) => output::write_json(
            &mut stdout,
            &LinkTokenRecord {
                token: jwt,
                purpose: issued.kind.purpose.name(),
                expires_at: issued.token.expires_at,
                link: form.map(link),
            },
        )?,
    }
    let what = match issued.kind.purpose {
        Purpose::Access => String::new(),
        purpose => format!("{} ", purpose.name()),
    };
    ctx.out.status(format!(
        "issued a {what}token for '{}', valid for {}",
        args.username,
        crate::duration::human(issued.lifetime)
    ));
    Ok(())
}
