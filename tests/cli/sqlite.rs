//! Every subject on SQLite, the embedded default.

/// Tests of what only SQLite has (files, modes, pragmas, text booleans): compiled here.
macro_rules! sqlite_only {
    ($($item:item)*) => { $($item)* };
}

/// Tests of what only PostgreSQL has: left out here.
#[allow(unused_macros)]
macro_rules! postgres_only {
    ($($item:item)*) => {};
}

/// The engine every subject here runs on.
pub type TestEnv = crate::support::TestEnv<crate::support::Sqlite>;

subjects!();

/// The docs and `--help` agree with the commands; every markdown file's examples run.
#[path = "docs.rs"]
mod docs;
/// Email addresses judged as the applications' pydantic `EmailStr` judges them.
#[path = "emails.rs"]
mod emails;
/// kill -9, a full disk, read-only files and directories, damaged files.
#[path = "faults.rs"]
mod faults;
/// The same proof against the passlib-era service and an Argon2-only one (hash schemes).
#[path = "interop_schemes.rs"]
mod interop_schemes;
