//! Integration tests: the real authctl binary on temporary databases, one module per subject.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]
// The subjects' files are compiled once per engine (sqlite.rs, postgres.rs), on purpose.
#![allow(clippy::duplicate_mod)]

/// TestEnv and fixtures shared by every module.
mod support;

/// Every subject on SQLite, the embedded default.
mod sqlite;

/// The same test bodies on PostgreSQL.
mod postgres;
