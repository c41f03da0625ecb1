//! Integration tests: the real authctl binary on temporary databases, one module per subject.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

/// TestEnv and fixtures shared by every module.
mod support;

/// `add-user`: password sources, stored row, conflicts, validation.
mod add_user;
/// `check`.
mod check;
/// Database selection, locking, unusable files, usage errors.
mod database;
/// `delete-user`.
mod delete_user;
/// `disable-user` / `enable-user`.
mod disable_user;
/// The README and `--help` agree with the commands; README examples run.
mod docs;
/// `export`.
mod export;
/// kill -9, a full disk, read-only files and directories, damaged files.
mod faults;
/// `import`.
mod import;
/// `init-db`.
mod init_db;
/// The proof against a real FastAPI login service (Python venv built on first use).
mod interop;
/// The same proof against the passlib-era service and an Argon2-only one (hash schemes).
mod interop_schemes;
/// `issue-token`.
mod issue_token;
/// Every `--format json` shape, pinned.
mod json;
/// `list-users`.
mod list_users;
/// What authctl refuses though the service would take it: invisible characters, look-alike
/// usernames, weak passwords.
mod policy;
/// Canary secrets, file permissions.
mod secrets;
/// `set-password`.
mod set_password;
/// `show-user`.
mod show_user;
/// `verify-login`.
mod verify_login;
