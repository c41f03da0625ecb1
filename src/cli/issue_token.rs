//! `authctl issue-token`: an access token the service accepts, as its own `/token` makes them.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::db::Access;
use crate::exit;
use crate::token::{self, SigningKey};
use crate::users;

use super::format::{TokenFormat, TokenFormatArgs};
use super::output;
use super::secrets;
use super::{Context, parse_duration};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
The key is the service's SECRET_KEY, from the environment or --secret-key-file: its text as
UTF-8 bytes, never hex-decoded. Keys under 32 bytes and the FastAPI tutorial's published example
key are refused. The token is {\"sub\": USERNAME, \"exp\": now + lifetime}, HS256; on the
full-stack template's and fastapi-users' tables `sub` is the user's id, and fastapi-users' adds
\"aud\": [\"fastapi-users:auth\"].

Examples:
  TOKEN=$(authctl issue-token alice)
  curl -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:8000/users/me
  authctl issue-token alice --expires-in 2h --secret-key-file /etc/app/secret_key --format json")]
pub struct Args {
    /// The user the token is for (must exist and be active)
    pub username: String,

    /// Lifetime of the token (30m, 2h, 7days) [default: the service's: 30m for the tutorial's
    /// ACCESS_TOKEN_EXPIRE_MINUTES, 8days for the full-stack template, 1h for fastapi-users]
    #[arg(long = "expires-in", value_name = "DURATION", value_parser = parse_duration)]
    pub expires_in: Option<Duration>,

    /// Read the signing key from this file instead of SECRET_KEY (one trailing newline removed)
    #[arg(long = "secret-key-file", value_name = "PATH")]
    pub secret_key_file: Option<PathBuf>,

    /// Accept the FastAPI tutorial's published example key (only for throw-away test services)
    #[arg(long = "allow-example-key")]
    pub allow_example_key: bool,

    #[command(flatten)]
    pub output: TokenFormatArgs,
}

#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    token_type: &'static str,
    /// Seconds since the Unix epoch, as in `exp`.
    expires_at: i64,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    // An argument error is reported before the key and the database are looked at. Without
    // --expires-in, the service's ACCESS_TOKEN_EXPIRE_MINUTES, else the shape's default.
    let expires_in = match args.expires_in {
        Some(lifetime) => Some(lifetime),
        None => ctx.settings.token_lifetime()?,
    };
    if let Some(lifetime) = expires_in {
        token::check_lifetime(lifetime)?;
    }
    let key = SigningKey::new(
        secrets::signing_key(args.secret_key_file.as_deref(), ctx.settings)?,
        args.allow_example_key,
    )?;
    if key.is_example_key() {
        ctx.out.warn(
            "signing with the FastAPI tutorial's published example key: anyone can forge tokens for this service",
        );
    }
    let mut store = ctx.open(Access::ReadOnly)?;
    let (issued, lifetime) = users::issue_token(
        &mut *store,
        &args.username,
        &key,
        expires_in,
        SystemTime::now(),
    )?;
    let mut stdout = ctx.out.stdout();
    match args.output.format {
        TokenFormat::Token => output::write_line(&mut stdout, &issued.jwt)?,
        TokenFormat::Json => output::write_json(
            &mut stdout,
            &TokenResponse {
                access_token: &issued.jwt,
                token_type: "bearer",
                expires_at: issued.expires_at,
            },
        )?,
    }
    ctx.out.status(format!(
        "issued a token for '{}', valid for {}",
        args.username,
        crate::duration::human(lifetime)
    ));
    Ok(exit::SUCCESS)
}
