//! authctl administers the `users` table of a FastAPI OAuth2 login service.
//!
//! # The layers
//!
//! - [`cli`]: the command line. One module per subcommand (`cli/add_user.rs`, …), each an `Args`
//!   struct and a short `run` that turns the arguments into one domain call and reports the
//!   outcome. The shared option groups are flattened structs: `cli/format.rs` (every `--format`),
//!   `cli/secrets.rs` (passwords and signing keys from a prompt, stdin, a file, the environment),
//!   `cli/hash_scheme.rs` (`--hash-scheme`). `cli/output.rs` is the only place that prints: data
//!   on stdout, messages and errors on stderr, and the flags an error's advice names.
//! - The domain, which knows nothing of clap or printing and never names a flag:
//!   [`users`] (one entry point per operation: add, set a password, enable/disable, delete, check
//!   a login, issue a token), [`bulk`] (import), [`check`] (a read-only health report),
//!   [`records`] (the user record's fields and file formats, for list, export and import),
//!   [`password`] (hashing and verification per scheme, and the service's scheme), [`token`]
//!   (JWTs as the service makes them). Errors are
//!   [`error::Error`], each with a class that [`exit`] maps to the documented exit code.
//! - [`db`]: the storage seam. [`db::Location`] (a file or a server URL), [`db::Store`] and
//!   [`db::WriteTx`] (look-ups, one short write transaction whose contract is written on
//!   [`db::Store::write`]), and the engines below it, laid out alike: all SQL lives in
//!   `db/sqlite/` and `db/postgres/` (each: the store and its row reader in `mod.rs`, look-ups in
//!   `lookup.rs`, the write transaction in `tx.rs`, `check`'s view in `health.rs`; PostgreSQL
//!   adds the server's URL in `target.rs`, reaching it in `connect.rs`, TLS in `tls.rs`), with
//!   what both share in `db/engine.rs`. The engines import nothing from `users`, `bulk`, `check`,
//!   `records` or `cli` (from `password`, only the hash census type and bcrypt's cost bound).
//! - [`shape`]: the user tables authctl knows, described once, and which one a database holds
//!   (`shape/detect.rs`). Below both the domain and the engines: it names no engine and no flag.
//!
//! The arrows point down only: `cli` → domain → `db` → `shape`, with [`error`] at the bottom.
//!
//! # One write, from the command line to the table
//!
//! `authctl add-user alice --password-stdin`: `main` parses and calls [`cli::run`], which
//! dispatches to `cli::add_user::run`. It builds a [`users::UserSpec`] (values checked), opens
//! the store ([`db::open`]), and calls [`users::add`] once. The domain plans against the table
//! (refusing a taken name before anyone types a password), resolves the service's hash scheme
//! from the stored hashes, asks the command line's [`users::PasswordSource`] for the password,
//! hashes it outside any lock, then takes the write transaction, re-checks what it planned,
//! inserts and commits. The [`users::Outcome`] comes back to `run`, which hands it to
//! `cli/output.rs` to print.
//!
//! # Where new things plug in
//!
//! - A command: a module in `cli/` with its `Args` and `run`, an arm in `cli::Command` and
//!   `cli::run`, its `###` section with an example in `docs/commands.md` (a test checks), and a
//!   domain entry point if it does something new.
//! - An engine: a directory beside `db/sqlite/` and `db/postgres/` with the same files,
//!   implementing [`db::Store`] and [`db::WriteTx`] with the same contract (its look-ups through
//!   `engine::Session`, its deletions through `engine::Deletion`), an arm in
//!   [`db::Location::parse`] and [`db::open`], and an arm in the tests' `support` module (the
//!   only place tests open a database) and a file like `tests/cli/postgres.rs` that compiles the
//!   suite's subjects for it.
//! - A table shape: a static [`shape::Shape`] in `shape/mod.rs` (its table, login, id kind,
//!   status polarity, rights, record fields, token claims, refusal wording), its columns in
//!   [`shape::ShapeName`] and `shape/detect.rs`, and its `create_all` DDL in each engine. The
//!   engines build their SQL from the description; the domain asks it what a login, an id and a
//!   flag are.

// Unit tests may unwrap: a panic there is the failure report.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod bulk;
pub mod check;
pub mod cli;
pub mod db;
pub mod duration;
pub mod error;
pub mod exit;
pub mod password;
pub mod records;
pub mod shape;
pub mod token;
pub mod users;
