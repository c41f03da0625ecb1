//! `authctl show-user`: every non-secret field of one user, and what the stored hash is.

use serde::Serialize;

use crate::db::Access;
use crate::error::Error;
use crate::exit;
use crate::password::{self, HashInfo};

use super::Context;
use super::output::{self, Format, UserRecord};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Shows the hash's algorithm and parameters, never the hash itself, and whether a service using
pwdlib's verify_and_update would rehash it at the next login. hash_profile is \"service\" (the
service's own parameters), \"test\" (--hash-profile test: fixtures only) or \"other\".

Examples:
  authctl show-user alice
  authctl show-user alice --format json | jq .hash")]
pub struct Args {
    /// The user to show
    pub username: String,

    /// Output format
    #[arg(long = "format", value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Serialize)]
struct HashRecord {
    algorithm: String,
    /// argon2: `version`, `m`, `t`, `p`, `salt_len`, `tag_len`; bcrypt: `prefix`, `cost`.
    #[serde(flatten)]
    params: serde_json::Value,
    hash_profile: &'static str,
    needs_rehash: bool,
}

#[derive(Serialize)]
struct ShowRecord<'a> {
    #[serde(flatten)]
    user: UserRecord<'a>,
    /// Null when the stored hash cannot be used; `hash_problem` then says why.
    hash: Option<HashRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash_problem: Option<String>,
}

fn hash_record(info: &HashInfo) -> HashRecord {
    let (algorithm, params) = match info {
        HashInfo::Argon2 {
            variant,
            version,
            params,
            salt_len,
            tag_len,
        } => (
            variant.clone(),
            serde_json::json!({"version": version, "m": params.m_cost, "t": params.t_cost,
                "p": params.p_cost, "salt_len": salt_len, "tag_len": tag_len}),
        ),
        HashInfo::Bcrypt { prefix, cost } => (
            "bcrypt".to_owned(),
            serde_json::json!({"prefix": prefix, "cost": cost}),
        ),
    };
    HashRecord {
        algorithm,
        params,
        hash_profile: info.profile().name(),
        needs_rehash: !info.is_current(),
    }
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let mut store = ctx.open(Access::ReadOnly)?;
    let stored = store
        .find_user(&args.username)?
        .ok_or_else(|| Error::UserNotFound(args.username.clone()))?;
    let inspected = password::inspect(&stored.hashed_password);
    let record = ShowRecord {
        user: UserRecord::from(&stored.user),
        hash: inspected.as_ref().ok().map(hash_record),
        hash_problem: inspected
            .as_ref()
            .err()
            .map(|bad| format!("the stored hash {}", bad.0)),
    };
    let mut stdout = ctx.out.stdout();
    match args.format {
        Format::Json => output::write_json(&mut stdout, &record)?,
        Format::Text => {
            let user = &stored.user;
            let hash = match &inspected {
                Ok(info) => {
                    let rehash = if info.is_current() {
                        "current; no rehash".to_owned()
                    } else {
                        "a service using verify_and_update rehashes it at the next login".to_owned()
                    };
                    format!(
                        "{info}\nhash profile: {}\nrehash:       {rehash}",
                        info.profile().name()
                    )
                }
                Err(bad) => format!("unusable: the stored hash {}", bad.0),
            };
            let text = format!(
                "id:           {}\nusername:     {}\nemail:        {}\nfull name:    {}\nstatus:       {}\nhash:         {hash}",
                user.id,
                user.username,
                user.email.as_deref().unwrap_or("-"),
                user.full_name.as_deref().unwrap_or("-"),
                if user.disabled { "disabled" } else { "active" },
            );
            output::write_line(&mut stdout, text)?;
        }
    }
    if let Some(value) = &stored.user.irregular_disabled {
        ctx.out.warn(format!(
            "disabled is stored as {value}; `authctl enable-user` or `disable-user` stores it as 0 or 1"
        ));
    }
    Ok(exit::SUCCESS)
}
