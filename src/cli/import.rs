//! `authctl import`: many users from CSV, JSON or JSON lines, all or nothing.

use std::fs::File;
use std::io::{self, IsTerminal};
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::bulk::{self, ImportOptions, MissingPassword, Summary};
use crate::db::Access;
use crate::error::Error;
use crate::exit;
use crate::users::{Hashing, OnExisting, Rules};

use super::Context;
use super::format::{FileFormatArg, Format, FormatArgs, InputFormatArgs};
use super::hash_scheme::{self, SchemeArgs};
use super::output;
use super::secrets::{HashArgs, PolicyArgs};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Fields (CSV header or JSON keys): the login (required: username on the tutorial's table, email on
the full-stack template's and fastapi-users'), email (the tutorial's), full_name, disabled
(true/false), is_superuser and is_verified (where the table has them), id (optional: keep ids when
moving users), and either password (hashed on import) or hashed_password (an argon2 or bcrypt
hash, checked, stored as is). The same fields `export` writes.

Passwords are hashed, and given hashes checked, for the service's hash scheme (--hash-scheme),
detected from the table's hashes, or from the imported ones when the table has none: a hash the
service could not verify is refused with its line.

Passwords must pass the policy (see add-user --help); every record that fails it is listed.
A new username that looks like an existing one or an earlier record's is refused.

Every record is checked before anything is written, and every refused record is listed with its
line (or record number) and field. Passwords are hashed on every core, outside the write lock;
then one transaction writes all the users, or none.

Examples:
  authctl import users.csv
  authctl import fixtures.jsonl --hash-profile test --on-conflict update
  authctl export --include-hashes --format jsonl | authctl --db new.db import --input-format jsonl")]
#[command(mut_arg("format", |arg| arg.help("Output format of the summary")))]
pub struct Args {
    /// The file to read, or - for standard input
    #[arg(value_name = "FILE", default_value = "-")]
    pub file: PathBuf,

    #[command(flatten)]
    pub input: InputFormatArgs,

    /// What to do with a username that already exists
    #[arg(long = "on-conflict", value_enum, default_value_t = OnConflict::Fail)]
    pub on_conflict: OnConflict,

    /// What to do with a record that has no password and no hashed_password
    #[arg(long = "missing-password", value_enum, default_value_t = Missing::Error)]
    pub missing_password: Missing,

    #[command(flatten)]
    pub hash: HashArgs,

    #[command(flatten)]
    pub scheme: SchemeArgs,

    #[command(flatten)]
    pub policy: PolicyArgs,

    /// Add new usernames that look like existing ones or each other (differ only in case, or
    /// are Unicode confusables such as Cyrillic "а" for "a"), with a warning
    #[arg(long = "allow-look-alike")]
    pub allow_look_alike: bool,

    /// Check and hash everything and print the summary, but write nothing
    #[arg(long = "dry-run")]
    pub dry_run: bool,

    #[command(flatten)]
    pub output: FormatArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnConflict {
    /// Refuse the import (exit 4), listing every taken username
    Fail,
    /// Leave existing users as they are
    Skip,
    /// Bring existing users to the record (a password only if it differs)
    Update,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Missing {
    /// Refuse the record
    Error,
    /// Give the user a random password nobody knows (set one later with set-password)
    Random,
    /// The same, and create the user disabled
    Disabled,
}

#[derive(Serialize)]
struct SummaryRecord {
    created: usize,
    updated: usize,
    unchanged: usize,
    skipped: usize,
    /// Always 0: any refused record stops the import before anything is written (and the
    /// error lists them); kept so that the summary reads the same in every case.
    failed: usize,
    dry_run: bool,
    /// The service's hash scheme new hashes were made for and given ones checked against.
    hash_scheme: &'static str,
}

/// A progress bar on a terminal (rows/s, ETA); nothing when stderr is not one.
struct Bar(ProgressBar);

impl bulk::Progress for Bar {
    fn start(&self, total: usize) {
        self.0.set_length(u64::try_from(total).unwrap_or(u64::MAX));
    }
    fn tick(&self) {
        self.0.inc(1);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let format = FileFormatArg::for_file(args.input.input_format, &args.file);
    let on_conflict = match args.on_conflict {
        OnConflict::Fail => OnExisting::Fail,
        OnConflict::Skip => OnExisting::Skip,
        OnConflict::Update => OnExisting::Update { password: true },
    };
    let options = ImportOptions {
        on_conflict,
        missing_password: match args.missing_password {
            Missing::Error => MissingPassword::Error,
            Missing::Random => MissingPassword::Random,
            Missing::Disabled => MissingPassword::Disabled,
        },
        hashing: Hashing {
            scheme: args.scheme.choice(),
            profile: args.hash.profile(),
        },
        rules: Rules {
            policy: args.policy.policy(),
            allow_look_alike: args.allow_look_alike,
        },
        dry_run: args.dry_run,
    };
    args.hash.warn_if_test(ctx.out);
    let bar = if io::stderr().is_terminal() && !ctx.out.is_quiet() {
        let bar = ProgressBar::new(0);
        if let Ok(style) =
            ProgressStyle::with_template("hashing {wide_bar} {pos}/{len} ({per_sec}, ETA {eta})")
        {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut store = ctx.open(Access::ReadWrite)?;
    let input: Box<dyn io::Read> = if args.file.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        let file = File::open(&args.file)
            .map_err(|e| Error::Environment(format!("cannot read {}: {e}", args.file.display())))?;
        Box::new(io::BufReader::new(file))
    };
    let summary = bulk::import(&mut *store, input, format, options, &Bar(bar))?;
    report(ctx, args.output.format, &summary, args.dry_run)?;
    Ok(exit::SUCCESS)
}

fn report(ctx: &Context, format: Format, summary: &Summary, dry_run: bool) -> io::Result<()> {
    hash_scheme::note_detection(ctx.out, &summary.scheme);
    for (place, warning) in &summary.warnings {
        ctx.out.warn_about(Some(place), warning);
    }
    match format {
        Format::Json => output::write_json(
            &mut ctx.out.stdout(),
            &SummaryRecord {
                created: summary.created,
                updated: summary.updated,
                unchanged: summary.unchanged,
                skipped: summary.skipped,
                failed: 0,
                dry_run,
                hash_scheme: summary.scheme.scheme.name(),
            },
        ),
        Format::Text => {
            let head = if dry_run {
                "dry run, nothing written: would have"
            } else {
                "imported:"
            };
            ctx.out.status(format!(
                "{head} {} created, {} updated, {} unchanged, {} skipped, 0 failed",
                summary.created, summary.updated, summary.unchanged, summary.skipped
            ));
            Ok(())
        }
    }
}
