//! `authctl show-user`: every non-secret field of one user, and what the stored hash is.

use serde::Serialize;

use crate::db::{Access, User};
use crate::exit;
use crate::password::{HashInfo, Scheme, StoredHashProblem};
use crate::users;

use super::Context;
use super::format::{Format, FormatArgs};
use super::hash_scheme::{self, SchemeArgs};
use super::output;
use crate::records::UserRecord;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Shows the hash's algorithm and parameters, never the hash itself; whether the service's hash
scheme (--hash-scheme; detected from the stored hashes) can verify it, and whether the service
would rehash it at the next login (pwdlib's verify_and_update; passlib-era services never do).
hash_profile is \"service\" (what the service's scheme writes), \"test\" (--hash-profile test:
fixtures only) or \"other\".

Examples:
  authctl show-user alice
  authctl show-user alice --format json | jq .hash")]
pub struct Args {
    /// The user to show
    pub username: String,

    #[command(flatten)]
    pub output: FormatArgs,

    #[command(flatten)]
    pub scheme: SchemeArgs,
}

#[derive(Serialize)]
struct HashRecord {
    algorithm: String,
    /// argon2: `version`, `m`, `t`, `p`, `salt_len`, `tag_len`; bcrypt: `prefix`, `cost`.
    #[serde(flatten)]
    params: serde_json::Value,
    hash_profile: &'static str,
    /// Whether the service's hash scheme can verify it (if not, its login answers 500).
    service_can_verify: bool,
    /// Null when the service cannot verify the hash at all.
    needs_rehash: Option<bool>,
}

#[derive(Serialize)]
struct ShowRecord<'a> {
    #[serde(flatten)]
    user: UserRecord<'a>,
    hash_scheme: &'static str,
    /// Null when the stored value is no hash authctl can read; `hash_problem` then says why.
    hash: Option<HashRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash_problem: Option<String>,
}

fn hash_record(scheme: Scheme, info: &HashInfo) -> HashRecord {
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
    let service_can_verify = scheme.identifies(info);
    HashRecord {
        algorithm,
        params,
        hash_profile: scheme.profile_of(info).name(),
        service_can_verify,
        needs_rehash: service_can_verify.then(|| scheme.needs_rehash(info)),
    }
}

/// The text lines about the hash, after `hash:`.
fn hash_text(scheme: Scheme, judged: &Result<HashInfo, StoredHashProblem>) -> String {
    let info = match judged {
        Ok(info) => info,
        Err(problem) => match problem.info() {
            Some(info) => info,
            None => return format!("unusable: the stored hash {}", problem.reason()),
        },
    };
    let verifies = if judged.is_ok() {
        "yes".to_owned()
    } else {
        format!("no: the service's {scheme} cannot identify it; its login answers 500")
    };
    let rehash = match judged {
        Ok(info) if scheme.needs_rehash(info) => {
            "a service using verify_and_update rehashes it at the next login"
        }
        Ok(_) if matches!(scheme, Scheme::Bcrypt { .. }) => {
            "never: passlib-era services do not rehash"
        }
        Ok(_) => "current; no rehash",
        Err(_) => "-",
    };
    format!(
        "{info}\nscheme:       {}\nverifies:     {verifies}\nhash profile: {}\nrehash:       {rehash}",
        scheme.name(),
        scheme.profile_of(info).name()
    )
}

/// The text form: one `field: value` line per field the shape has.
fn text(user: &User, hash: String) -> String {
    let shape = user.shape;
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_owned();
    let mut lines = vec![
        ("id", user.id.to_string()),
        (shape.login, user.username.clone()),
    ];
    if shape.email {
        lines.push(("email", user.email.clone().unwrap_or_else(|| "-".into())));
    }
    if shape.full_name {
        lines.push((
            "full name",
            user.full_name.clone().unwrap_or_else(|| "-".into()),
        ));
    }
    let status = if user.disabled { "disabled" } else { "active" };
    lines.push(("status", status.to_owned()));
    lines.extend(user.superuser.map(|s| ("superuser", yes_no(s))));
    lines.extend(user.verified.map(|v| ("verified", yes_no(v))));
    lines.push(("hash", hash));
    let lines: Vec<String> = lines
        .into_iter()
        .map(|(name, value)| format!("{:<14}{value}", format!("{name}:")))
        .collect();
    lines.join("\n")
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let mut store = ctx.open(Access::ReadOnly)?;
    let shown = users::show(&mut *store, &args.username, args.scheme.choice())?;
    hash_scheme::note_detection(ctx.out, &shown.scheme);
    let (user, scheme) = (&shown.user, shown.scheme.scheme);
    let info = shown
        .hash
        .as_ref()
        .map_or_else(StoredHashProblem::info, Some);
    let record = ShowRecord {
        user: UserRecord::from(user),
        hash_scheme: scheme.name(),
        hash: info.map(|info| hash_record(scheme, info)),
        hash_problem: shown
            .hash
            .as_ref()
            .err()
            .map(|problem| format!("the stored hash {}", problem.reason())),
    };
    let mut stdout = ctx.out.stdout();
    match args.output.format {
        Format::Json => output::write_json(&mut stdout, &record)?,
        Format::Text => {
            output::write_line(&mut stdout, text(user, hash_text(scheme, &shown.hash)))?;
        }
    }
    if let Some(value) = &user.odd_disabled {
        ctx.out.warn(format!(
            "{} is stored as {value}; `authctl enable-user` or `disable-user` stores it as 0 or 1",
            user.shape.status_column()
        ));
    }
    Ok(exit::SUCCESS)
}
