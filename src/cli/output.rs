//! The one place that prints: data to stdout, messages and errors to stderr.
#![allow(clippy::print_stderr)]

use std::fmt::Display;
use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

use crate::db::User;

/// Where a command's messages go; `-q` silences status lines and notes, not warnings or errors.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    quiet: bool,
}

impl Output {
    pub fn new(quiet: bool) -> Self {
        Output { quiet }
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

    /// An error, with its causes on one line (`a: b: c`), printed once.
    pub fn error(&self, err: &anyhow::Error) {
        eprintln!("error: {err:#}");
    }

    /// The data stream. Take it once per command and write through it.
    pub fn stdout(&self) -> io::StdoutLock<'static> {
        io::stdout().lock()
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

/// How `list-users` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ListFormat {
    /// A table for people
    #[default]
    Table,
    /// One JSON array
    Json,
    /// One JSON object per line
    Jsonl,
    /// CSV with a header row
    Csv,
}

/// The machine-readable fields of a user: the stable contract of `--format json|jsonl|csv`.
/// Never a password hash.
#[derive(Debug, Serialize)]
struct UserRecord<'a> {
    id: i64,
    username: &'a str,
    email: Option<&'a str>,
    full_name: Option<&'a str>,
    disabled: bool,
}

impl<'a> From<&'a User> for UserRecord<'a> {
    fn from(user: &'a User) -> Self {
        UserRecord {
            id: user.id,
            username: &user.username,
            email: user.email.as_deref(),
            full_name: user.full_name.as_deref(),
            disabled: user.disabled,
        }
    }
}

const TABLE_HEADER: [&str; 5] = ["ID", "USERNAME", "EMAIL", "FULL NAME", "STATUS"];
const CSV_HEADER: [&str; 5] = ["id", "username", "email", "full_name", "disabled"];

/// Writes users as they come: JSON, JSON lines and CSV stream; the table is laid out at the end.
pub struct UserWriter<W: Write> {
    sink: Sink<W>,
    count: u64,
}

enum Sink<W: Write> {
    Table(W, Box<Table>),
    Json(W),
    Jsonl(W),
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> UserWriter<W> {
    pub fn new(format: ListFormat, out: W) -> Self {
        let sink = match format {
            ListFormat::Table => {
                let mut table = Table::new();
                table
                    .load_style(presets::UTF8_FULL_CONDENSED)
                    .set_content_arrangement(ContentArrangement::Dynamic)
                    .set_header(TABLE_HEADER);
                Sink::Table(out, Box::new(table))
            }
            ListFormat::Json => Sink::Json(out),
            ListFormat::Jsonl => Sink::Jsonl(out),
            ListFormat::Csv => Sink::Csv(Box::new(
                csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(out),
            )),
        };
        UserWriter { sink, count: 0 }
    }

    pub fn write(&mut self, user: &User) -> io::Result<()> {
        let record = UserRecord::from(user);
        match &mut self.sink {
            Sink::Table(_, table) => {
                table.add_row([
                    user.id.to_string(),
                    user.username.clone(),
                    user.email.clone().unwrap_or_default(),
                    user.full_name.clone().unwrap_or_default(),
                    if user.disabled { "disabled" } else { "active" }.to_owned(),
                ]);
            }
            Sink::Json(out) => {
                out.write_all(if self.count == 0 { b"[\n  " } else { b",\n  " })?;
                serde_json::to_writer(&mut *out, &record)?;
            }
            Sink::Jsonl(out) => {
                serde_json::to_writer(&mut *out, &record)?;
                out.write_all(b"\n")?;
            }
            Sink::Csv(csv) => {
                if self.count == 0 {
                    csv.write_record(CSV_HEADER).map_err(csv_to_io)?;
                }
                csv.serialize(record).map_err(csv_to_io)?;
            }
        }
        self.count += 1;
        Ok(())
    }

    /// Ends the output (closes the JSON array, lays out the table); returns how many users.
    pub fn finish(self) -> io::Result<u64> {
        let count = self.count;
        match self.sink {
            Sink::Table(mut out, table) => {
                writeln!(out, "{table}")?;
                out.flush()?;
            }
            Sink::Json(mut out) => {
                out.write_all(if count == 0 { b"[]\n" } else { b"\n]\n" })?;
                out.flush()?;
            }
            Sink::Jsonl(mut out) => out.flush()?,
            Sink::Csv(mut csv) => {
                // No rows: still print the header, so the field set is visible.
                if count == 0 {
                    csv.write_record(CSV_HEADER).map_err(csv_to_io)?;
                }
                csv.flush()?;
            }
        }
        Ok(count)
    }
}

/// Keeps an I/O failure (a closed pipe) recognisable as one.
fn csv_to_io(err: csv::Error) -> io::Error {
    match err.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}
