//! `authctl check`: a read-only health report of the database, for people and for CI.

use std::io::{self, Write};

use serde::Serialize;

use crate::check::{self, Finding, Report, Severity};
use crate::db::Access;
use crate::exit;

use super::Context;
use super::format::{Format, FormatArgs};
use super::hash_scheme::SchemeArgs;
use super::output;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Reads the database and changes nothing. Problems are what the service fails on: a damaged file
(SQLite's integrity_check), a stored hash it cannot verify (malformed, absurd parameters, a kind
its hash scheme cannot identify, none at all). Warnings are what works but should not stay:
usernames that look alike (case, Unicode confusables), names with invisible characters, test-
profile hashes among real ones, hashes the service will rehash at the next login, NULL or text
values in disabled, missing unique indexes, a database file others can read.

A table on stdout (severity, a stable code, the user, the message; problems first), a summary
on stderr. Exit 0 when there is no problem (and, with --strict, no warning), 1 otherwise.

Examples:
  authctl check
  authctl check --strict --format json | jq '.findings[] | select(.severity == \"problem\")'")]
pub struct Args {
    /// Exit 1 on warnings too, not only on problems (for CI)
    #[arg(long = "strict")]
    pub strict: bool,

    #[command(flatten)]
    pub output: FormatArgs,

    #[command(flatten)]
    pub scheme: SchemeArgs,
}

#[derive(Serialize)]
struct CheckRecord<'a> {
    database: String,
    /// The table's shape: tutorial, fastapi-template, fastapi-users.
    table_shape: &'static str,
    users: u64,
    hash_scheme: &'static str,
    problems: usize,
    warnings: usize,
    findings: Vec<FindingRecord<'a>>,
}

#[derive(Serialize)]
struct FindingRecord<'a> {
    severity: &'static str,
    code: &'static str,
    /// Null for findings about the database or the table.
    username: Option<&'a str>,
    message: String,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let location = ctx.location()?;
    let mut store = ctx.open_at(&location, Access::ReadOnly)?;
    let mut report = check::check(&mut *store, args.scheme.choice())?;
    if let Some(exposed) = super::readable_by_others(&location) {
        report.add(Finding {
            severity: Severity::Warning,
            code: "file_mode",
            username: None,
            message: exposed,
        });
    }
    let (problems, warnings) = (
        report.count(Severity::Problem),
        report.count(Severity::Warning),
    );
    match args.output.format {
        Format::Json => output::write_json(
            &mut ctx.out.stdout(),
            &CheckRecord {
                database: location.to_string(),
                table_shape: store.shape().name.as_str(),
                users: report.users,
                hash_scheme: report.scheme.scheme.name(),
                problems,
                warnings,
                findings: report.findings.iter().map(record).collect(),
            },
        )?,
        Format::Text => {
            write_table(&mut ctx.out.stdout(), &report)?;
            let shape = store.shape();
            let database = if shape.is_tutorial() {
                location.to_string()
            } else {
                format!("{location} (table shape {})", shape.name)
            };
            ctx.out.status(summary(&report, &database));
        }
    }
    let clean = problems == 0 && (warnings == 0 || !args.strict);
    Ok(if clean { exit::SUCCESS } else { exit::REJECTED })
}

fn record(finding: &Finding) -> FindingRecord<'_> {
    FindingRecord {
        severity: finding.severity.name(),
        code: finding.code,
        username: finding.username.as_deref(),
        message: message(finding),
    }
}

/// A finding's message with the command that fixes it (the domain names none).
fn message(finding: &Finding) -> String {
    // Only for a user a command can name.
    let named = finding
        .username
        .as_deref()
        .is_some_and(|name| !name.is_empty());
    let advice = match finding.code {
        "odd_disabled" if named => "; set it with disable-user or enable-user",
        "test_profile_hash" if named => "; give the user a new password with set-password",
        _ => "",
    };
    format!("{}{advice}", finding.message)
}

/// The findings as a table, problems first, one line each (nothing when there are none).
/// Usernames are escaped: a bidi override in one must not reorder the line it is shown on.
fn write_table(out: &mut impl Write, report: &Report) -> io::Result<()> {
    const HEADER: [&str; 4] = ["SEVERITY", "CODE", "USER", "MESSAGE"];
    let rows: Vec<[String; 4]> = report
        .findings
        .iter()
        .map(|f| {
            let user = match f.username.as_deref() {
                None => "-".to_owned(),
                Some("") => "''".to_owned(),
                Some(name) => name.escape_debug().to_string(),
            };
            [
                f.severity.name().to_owned(),
                f.code.to_owned(),
                user,
                message(f),
            ]
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let width = |i: usize| {
        let cells = rows.iter().map(|row| row[i].chars().count());
        cells.chain([HEADER[i].len()]).max().unwrap_or(0)
    };
    let (w0, w1, w2) = (width(0), width(1), width(2));
    for [severity, code, user, message] in std::iter::once(HEADER.map(str::to_owned)).chain(rows) {
        writeln!(out, "{severity:<w0$}  {code:<w1$}  {user:<w2$}  {message}")?;
    }
    out.flush()
}

fn summary(report: &Report, database: &str) -> String {
    let count = |n: usize, word: &str| match n {
        1 => format!("1 {word}"),
        n => format!("{n} {word}s"),
    };
    let found = match (
        report.count(Severity::Problem),
        report.count(Severity::Warning),
    ) {
        (0, 0) => "nothing to report".to_owned(),
        (p, w) => format!("{}, {}", count(p, "problem"), count(w, "warning")),
    };
    format!(
        "checked {} in database {database} (hash scheme {}): {found}",
        count(usize::try_from(report.users).unwrap_or(usize::MAX), "user"),
        report.scheme.scheme.name()
    )
}
