//! `authctl list-users`: every user, never a hash.

use std::io::BufWriter;

use crate::db::{Access, StatusFilter};
use crate::error::Error;
use crate::exit;
use crate::password::ProfileMatch;
use crate::users::{self, ListFilter};

use super::Context;
use super::format::{ListFormat, ListFormatArgs};
use super::hash_scheme::{self, SchemeArgs};
use super::output::UserWriter;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Fields of --format json, jsonl and csv (stable): id, username, email, full_name, disabled.
email and full_name may be null (empty in CSV); disabled is true or false, as the service reads
it (NULL in the table is false). JSON lines and CSV are streamed.

Examples:
  authctl list-users
  authctl list-users --disabled --format csv > disabled.csv
  authctl list-users --format jsonl | jq -r .username
  authctl list-users --hash-profile test")]
pub struct Args {
    #[command(flatten)]
    pub output: ListFormatArgs,

    /// Only users the service lets in
    #[arg(long = "active", conflicts_with = "disabled")]
    pub active: bool,

    /// Only disabled users
    #[arg(long = "disabled")]
    pub disabled: bool,

    /// Only users whose stored hash has this profile: service (what the service's scheme
    /// writes), test (--hash-profile test fixtures) or other (other parameters, unusable)
    #[arg(long = "hash-profile", value_name = "PROFILE", value_parser = ["service", "test", "other"])]
    pub hash_profile: Option<String>,

    #[command(flatten)]
    pub scheme: SchemeArgs,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let status = if args.active {
        StatusFilter::Active
    } else if args.disabled {
        StatusFilter::Disabled
    } else {
        StatusFilter::All
    };
    let filter = ListFilter {
        status,
        hash_profile: args.hash_profile.as_deref().map(profile),
        scheme: args.scheme.choice(),
    };
    let mut store = ctx.open(Access::ReadOnly)?;
    let stdout = BufWriter::new(ctx.out.stdout());
    let mut writer = UserWriter::new(args.output.format, stdout, store.shape());
    let mut odd = Vec::new();
    let resolved = users::list(&mut *store, filter, &mut |user| {
        if let Some(value) = user.odd_disabled {
            odd.push((user.username.to_owned(), user.disabled, value.to_owned()));
        }
        writer
            .write(user)
            .map_err(Error::writing("standard output"))
    })?;
    let count = writer.finish().map_err(Error::writing("standard output"))?;
    if let Some(resolved) = &resolved {
        hash_scheme::note_detection(ctx.out, resolved);
    }
    let status = store.shape().status_column();
    for (username, disabled, value) in odd {
        let reads_as = if disabled { "disabled" } else { "active" };
        ctx.out.warn(format!(
            "user '{username}' has {status} stored as {value}, which the service reads as {reads_as}; \
             `authctl enable-user` or `disable-user` stores it as 0 or 1"
        ));
    }
    if args.output.format == ListFormat::Table && count == 0 {
        ctx.out.status("no users");
    }
    Ok(exit::SUCCESS)
}

fn profile(name: &str) -> ProfileMatch {
    match name {
        "service" => ProfileMatch::Service,
        "test" => ProfileMatch::Test,
        _ => ProfileMatch::Other,
    }
}
