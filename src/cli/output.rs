//! The one place that prints: data to stdout, messages and errors to stderr.
#![allow(clippy::print_stderr)]

use std::fmt::Display;
use std::io::{self, Write};

use serde::Serialize;

use crate::db::UserRef;
use crate::error::{self, Error, RowCause, RowError, TableAdvice};
use crate::exit;
use crate::records::{RecordWriter, UserRecord};
use crate::shape::Shape;
use crate::users::{Action, Outcome, Warning};

use super::format::{Format, ListFormat};
use super::table::UserTable;

/// Where a command's messages go; `-q` silences status lines and notes, not warnings or errors.
#[derive(Debug)]
pub struct Output {
    quiet: bool,
    json_errors: bool,
}

impl Output {
    /// `json_errors`: the command was asked for `--format json`, so errors are JSON too.
    pub fn new(quiet: bool, json_errors: bool) -> Self {
        Output { quiet, json_errors }
    }

    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// A line saying what was done ("created user 'alice'"), on stderr.
    pub fn status(&self, message: impl Display) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }

    /// Advice that does not change the outcome.
    pub fn note(&self, message: impl Display) {
        if !self.quiet {
            eprintln!("note: {message}");
        }
    }

    /// Something the operator should act on; shown even with `-q`.
    pub fn warn(&self, message: impl Display) {
        eprintln!("warning: {message}");
    }

    /// A warning about what was done as asked, with the option that asked for it; `place` is
    /// the record's place in an import.
    pub fn warn_about(&self, place: Option<&str>, warning: &Warning) {
        let flag = match warning {
            Warning::LookAlike(_) => " (--allow-look-alike)",
            Warning::WeakPassword(_) => " (--allow-weak-password)",
            Warning::NotNfc => "",
        };
        match place {
            Some(place) => self.warn(format!("{place}: {warning}{flag}")),
            None => self.warn(format!("{warning}{flag}")),
        }
    }

    /// An error, with its causes on one line (`a: b: c`), printed once; as one JSON object
    /// `{"error": {"kind", "exit_code", "message", "records"?}}` when JSON was asked for.
    pub fn error(&self, err: &anyhow::Error) {
        let message = message(err);
        if !self.json_errors {
            eprintln!("error: {message}");
            return;
        }
        let kind = exit::kind_of(err);
        let records = match exit::domain_error(err) {
            Some(Error::Rows(rows)) => Some(
                rows.iter()
                    .map(|r| {
                        let message = format!("{}{}", r.message, row_advice(r));
                        serde_json::json!({"location": r.location, "field": r.field, "message": message})
                    })
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        };
        let mut error = serde_json::json!({
            "kind": kind.name(),
            "exit_code": exit::for_kind(kind),
            "message": message,
        });
        if let Some(records) = records {
            error["records"] = serde_json::Value::Array(records);
        }
        eprintln!("{}", serde_json::json!({ "error": error }));
    }

    /// The data stream. Take it once per command and write through it.
    pub fn stdout(&self) -> io::StdoutLock<'static> {
        io::stdout().lock()
    }
}

/// An error as the command line words it: the domain's description, with the options that
/// change the outcome added (the domain never names a flag).
fn message(err: &anyhow::Error) -> String {
    let advice = match exit::domain_error(err) {
        Some(Error::Rows(rows)) => {
            let rows: Vec<String> = rows
                .iter()
                .map(|r| format!("{r}{}", row_advice(r)))
                .collect();
            return format!("{}:\n{}", error::rows_heading(rows.len()), rows.join("\n"));
        }
        Some(Error::Table { advice, .. }) => return format!("{err:#}{}", table_advice(*advice)),
        Some(Error::Busy { .. }) => ", retry later or raise --busy-timeout",
        Some(Error::ExampleKey) => ", or pass --allow-example-key for a test service",
        Some(Error::NotAnArray) => " (use --input-format jsonl for one object per line)",
        Some(Error::NoDatabase { .. }) => {
            "; check --db/DATABASE_URL, or create one with `authctl init-db`"
        }
        Some(Error::LookAlike(_)) => "; pass --allow-look-alike to add it anyway",
        Some(Error::WeakPassword { .. }) => {
            "; choose a longer or less common one, or pass --allow-weak-password for a throwaway test account"
        }
        _ => "",
    };
    format!("{err:#}{advice}")
}

/// What to do about a user table a command cannot work on, in the command line's words.
fn table_advice(advice: TableAdvice) -> String {
    match advice {
        TableAdvice::NameTheShape => {
            "; name its shape with --table-shape if it is one of them".to_owned()
        }
        TableAdvice::ChooseTheShape => "; say which to administer with --table-shape \
                                        (tutorial, fastapi-template, fastapi-users)"
            .to_owned(),
        TableAdvice::SkipMigrations => {
            ", or give --no-migrations if this database never runs them".to_owned()
        }
        TableAdvice::SkipTemplateMigrations => {
            ", or give --no-migrations if this database never runs them (a test fixture)".to_owned()
        }
        TableAdvice::Create { shape: None } => "; create it with `authctl init-db`".to_owned(),
        TableAdvice::Create { shape: Some(name) } => format!(
            "; create it with `authctl init-db --table-shape {name}` or the application itself"
        ),
    }
}

fn row_advice(row: &RowError) -> &'static str {
    match row.cause {
        RowCause::NoPassword => " (see --missing-password)",
        RowCause::LookAlike => " (see --allow-look-alike)",
        RowCause::WeakPassword => " (see --allow-weak-password)",
        RowCause::Value | RowCause::Conflict => "",
    }
}

/// Writes one line of data (a token, a generated password) and flushes it.
pub fn write_line(w: &mut impl Write, line: impl Display) -> io::Result<()> {
    writeln!(w, "{line}")?;
    w.flush()
}

/// Writes a value as one line of JSON.
pub fn write_json(w: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *w, value)?;
    writeln!(w)?;
    w.flush()
}

/// The JSON record of what a write did to one user (the stable contract of `--format json`).
#[derive(Debug, Serialize)]
struct ActionRecord<'a> {
    action: &'static str,
    changed: bool,
    dry_run: bool,
    fields: &'a [&'static str],
    username: &'a str,
    /// Null when there is no such user (`absent`).
    user: Option<UserRecord<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    generated_password: Option<&'a str>,
    /// The service's hash scheme of the password hash this write stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    hash_scheme: Option<&'static str>,
    /// For a deletion: the rows of other tables that went with the user (only when some did).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    dependents: &'a [DependentRecord<'a>],
}

/// Rows of another table a deletion removed (`deleted`) or cleared (`cleared`).
#[derive(Debug, Serialize)]
struct DependentRecord<'a> {
    table: &'a str,
    column: &'a str,
    rows: u64,
    action: &'static str,
}

/// How a command reports one outcome.
pub struct Report<'a> {
    pub format: Format,
    pub dry_run: bool,
    /// Why nothing changed, for text: "is already disabled".
    pub unchanged: &'a str,
}

impl Report<'_> {
    /// Prints an outcome: a status line on stderr, or a JSON line on stdout.
    /// A generated password goes to stdout in both forms (it is data), and only once it is
    /// stored: not in a dry run, not when the user was left alone.
    pub fn emit(
        &self,
        out: &Output,
        outcome: &Outcome,
        generated_password: Option<&str>,
    ) -> io::Result<()> {
        let generated_password =
            generated_password.filter(|_| !self.dry_run && outcome.stored_password());
        for warning in &outcome.warnings {
            out.warn_about(None, warning);
        }
        let action = outcome.action;
        let dependents: Vec<DependentRecord<'_>> = outcome
            .dependents
            .iter()
            .map(|d| DependentRecord {
                table: &d.table,
                column: &d.column,
                rows: d.rows,
                action: if d.cleared { "cleared" } else { "deleted" },
            })
            .collect();
        match self.format {
            Format::Json => write_json(
                &mut out.stdout(),
                &ActionRecord {
                    action: action.name(),
                    changed: action.changed(),
                    dry_run: self.dry_run,
                    fields: &outcome.fields,
                    username: &outcome.username,
                    user: outcome.user.as_ref().map(UserRecord::from),
                    generated_password,
                    hash_scheme: outcome.hashed_for.as_ref().map(|r| r.scheme.name()),
                    dependents: &dependents,
                },
            ),
            Format::Text => {
                if let Some(password) = generated_password {
                    write_line(&mut out.stdout(), password)?;
                }
                out.status(self.text(action, outcome));
                Ok(())
            }
        }
    }

    fn text(&self, action: Action, outcome: &Outcome) -> String {
        let name = &outcome.username;
        let (done, planned) = match action {
            Action::Created => ("created", "would create"),
            Action::Updated => ("updated", "would update"),
            Action::Disabled => ("disabled", "would disable"),
            Action::Enabled => ("enabled", "would enable"),
            Action::Deleted => ("deleted", "would delete"),
            Action::PasswordChanged => {
                let verb = if self.dry_run {
                    "would change"
                } else {
                    "changed"
                };
                return format!("{verb} the password of user '{name}'");
            }
            Action::Unchanged => {
                return format!("user '{name}' {}; nothing changed", self.unchanged);
            }
            Action::Absent => return format!("user '{name}' does not exist; nothing to delete"),
            Action::Granted | Action::Revoked => {
                let right = outcome.fields.join(", ");
                let verb = match (action, self.dry_run) {
                    (Action::Granted, false) => "granted",
                    (Action::Granted, true) => "would grant",
                    (_, false) => "revoked",
                    (_, true) => "would revoke",
                };
                let to = if action == Action::Granted {
                    "to"
                } else {
                    "from"
                };
                return format!("{verb} {right} {to} user '{name}'");
            }
        };
        let verb = if self.dry_run { planned } else { done };
        match (action, &outcome.user) {
            (Action::Created, Some(user)) if !self.dry_run => {
                let state = if user.disabled { " (disabled)" } else { "" };
                format!("{verb} user '{name}' (id {}){state}", user.id)
            }
            (Action::Updated, _) => {
                format!("{verb} user '{name}': {}", outcome.fields.join(", "))
            }
            (Action::Deleted, _) if !outcome.dependents.is_empty() => {
                let rows: Vec<String> = outcome
                    .dependents
                    .iter()
                    .map(|d| {
                        let done = if d.cleared { "cleared" } else { "with it" };
                        format!("{} row(s) of {} {done}", d.rows, d.table)
                    })
                    .collect();
                format!("{verb} user '{name}' ({})", rows.join(", "))
            }
            _ => format!("{verb} user '{name}'"),
        }
    }
}

/// Writes users as they come, in every format: the machine formats and the table stream.
pub enum UserWriter<W: Write> {
    Table(UserTable<W>),
    Records(RecordWriter<W>),
}

impl<W: Write> UserWriter<W> {
    pub fn new(format: ListFormat, out: W, shape: &'static Shape) -> Self {
        match format.records() {
            Some(format) => UserWriter::Records(RecordWriter::new(format, out, false, shape)),
            None => UserWriter::Table(UserTable::new(out, shape)),
        }
    }

    pub fn write(&mut self, user: UserRef<'_>) -> io::Result<()> {
        match self {
            UserWriter::Records(records) => records.write(user, None),
            UserWriter::Table(table) => table.add(user),
        }
    }

    /// Ends the output (closes the JSON array, lays out a short table); returns how many users.
    pub fn finish(self) -> io::Result<u64> {
        match self {
            UserWriter::Records(records) => records.finish(),
            UserWriter::Table(table) => table.finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{FASTAPI_USERS, ShapeName, TUTORIAL, Tables, detect};

    fn tables(users: &[&str], user: &[&str]) -> Tables {
        Tables::with_columns(users, user)
    }

    /// The domain refuses a table in its own terms; the message adds the flags that change it.
    #[test]
    fn table_refusals_name_the_flags_that_change_them() {
        let message =
            |t: Tables, forced| message(&anyhow::Error::from(detect("x", &t, forced).unwrap_err()));
        assert!(
            message(tables(TUTORIAL.columns, FASTAPI_USERS.columns), None)
                .contains("--table-shape")
        );
        assert!(
            message(tables(&[], &[]), Some(ShapeName::FastapiUsers))
                .contains("init-db --table-shape fastapi-users")
        );
        assert_eq!(
            message(tables(&[], &[]), None),
            "database x: has no users table; create it with `authctl init-db`"
        );
    }
}
