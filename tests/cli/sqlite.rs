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

/// `add-user`: password sources, stored row, conflicts, validation.
#[path = "add_user.rs"]
mod add_user;
/// `check`.
#[path = "check.rs"]
mod check;
/// Database selection, locking, unusable files, usage errors.
#[path = "database.rs"]
mod database;
/// `delete-user`.
#[path = "delete_user.rs"]
mod delete_user;
/// `disable-user` / `enable-user`.
#[path = "disable_user.rs"]
mod disable_user;
/// The docs and `--help` agree with the commands; every markdown file's examples run.
#[path = "docs.rs"]
mod docs;
/// Email addresses judged as the applications' pydantic `EmailStr` judges them.
#[path = "emails.rs"]
mod emails;
/// `export`.
#[path = "export.rs"]
mod export;
/// kill -9, a full disk, read-only files and directories, damaged files.
#[path = "faults.rs"]
mod faults;
/// `import`.
#[path = "import.rs"]
mod import;
/// `init-db`.
#[path = "init_db.rs"]
mod init_db;
/// The proof against a real FastAPI login service (Python venv built on first use).
#[path = "interop.rs"]
mod interop;
/// The same proof against the passlib-era service and an Argon2-only one (hash schemes).
#[path = "interop_schemes.rs"]
mod interop_schemes;
/// The proof for the other shapes: real fastapi-users and full-stack template applications.
#[path = "interop_shapes.rs"]
mod interop_shapes;
/// `issue-token`.
#[path = "issue_token.rs"]
mod issue_token;
/// Every `--format json` shape, pinned.
#[path = "json.rs"]
mod json;
/// `list-users`.
#[path = "list_users.rs"]
mod list_users;
/// What authctl refuses though the service would take it: invisible characters, look-alike
/// usernames, weak passwords.
#[path = "policy.rs"]
mod policy;
/// Canary secrets, file permissions.
#[path = "secrets.rs"]
mod secrets;
/// `set-password`.
#[path = "set_password.rs"]
mod set_password;
/// The three table shapes: every shape-independent body on each, and each shape's own.
#[path = "shapes.rs"]
pub mod shapes;
/// `show-user`.
#[path = "show_user.rs"]
mod show_user;
/// `verify-login`.
#[path = "verify_login.rs"]
mod verify_login;
