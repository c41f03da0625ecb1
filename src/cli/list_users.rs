//! `authctl list-users`: every user, never a hash.

use crate::db::{Access, StatusFilter};
use crate::error::Error;
use crate::exit;
use crate::password::{self, ProfileMatch};

use super::Context;
use super::format::{ListFormat, ListFormatArgs};
use super::hash_scheme::SchemeArgs;
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
    let filter = if args.active {
        StatusFilter::Active
    } else if args.disabled {
        StatusFilter::Disabled
    } else {
        StatusFilter::All
    };
    let mut store = ctx.open(Access::ReadOnly)?;
    // The scheme says which cost is the service's; only the --hash-profile filter needs it.
    let scheme = match &args.hash_profile {
        Some(_) => Some(args.scheme.resolve_noted(&mut *store, ctx.out)?),
        None => None,
    };
    let mut writer = UserWriter::new(
        args.output.format,
        std::io::BufWriter::new(ctx.out.stdout()),
        false,
    );
    let mut irregular = Vec::new();
    store.for_each_user(filter, &mut |stored| {
        if let (Some(profile), Some(scheme)) = (&args.hash_profile, scheme) {
            let found = password::inspect(&stored.hashed_password)
                .map_or(ProfileMatch::Other, |info| scheme.profile_of(&info));
            if found.name() != profile {
                return Ok(());
            }
        }
        let user = &stored.user;
        if let Some(value) = &user.odd_disabled {
            irregular.push((user.username.clone(), user.disabled, value.clone()));
        }
        writer.write(&stored).map_err(|source| Error::Output {
            target: "standard output".to_owned(),
            source,
        })
    })?;
    let count = writer.finish().map_err(|source| Error::Output {
        target: "standard output".to_owned(),
        source,
    })?;
    for (username, disabled, value) in irregular {
        let reads_as = if disabled { "disabled" } else { "active" };
        ctx.out.warn(format!(
            "user '{username}' has disabled stored as {value}, which the service reads as {reads_as}; \
             `authctl enable-user` or `disable-user` stores it as 0 or 1"
        ));
    }
    if args.output.format == ListFormat::Table && count == 0 {
        ctx.out.status("no users");
    }
    Ok(exit::SUCCESS)
}
