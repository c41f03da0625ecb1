//! Integration tests: the real authctl binary on temporary databases, one module per subject.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]
// The subjects' files are compiled once per engine (sqlite.rs, postgres.rs), on purpose.
#![allow(clippy::duplicate_mod)]

/// TestEnv and fixtures shared by every module.
mod support;

/// The subjects both engines run, written once: each root (`sqlite.rs`, `postgres.rs`) expands it
/// after naming its `TestEnv`, and adds what only its engine has.
macro_rules! subjects {
    () => {
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
        /// The service's `.env`, the template's POSTGRES_* settings and token lifetime.
        #[path = "env_file.rs"]
        mod env_file;
        /// `export`.
        #[path = "export.rs"]
        mod export;
        /// `import`.
        #[path = "import.rs"]
        mod import;
        /// `init-db`.
        #[path = "init_db.rs"]
        mod init_db;
        /// The proof against a real FastAPI login service (Python venv built on first use).
        #[path = "interop.rs"]
        mod interop;
        /// The proof for the other shapes: real fastapi-users and full-stack template applications.
        #[path = "interop_shapes.rs"]
        mod interop_shapes;
        /// The reset, verify and scoped tokens, against the applications that take them.
        #[path = "interop_tokens.rs"]
        mod interop_tokens;
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
        /// `verify-token`, and every refusal reason against the real tutorial service.
        #[path = "verify_token.rs"]
        pub mod verify_token;
    };
}

/// Every subject on SQLite, the embedded default.
mod sqlite;

/// The same test bodies on PostgreSQL.
mod postgres;
