//! The domain's errors: every failure the core can report, each with the class that decides its exit code.

use std::time::Duration;

/// The failure classes of `exit-codes.md`. The mapping to numbers lives in [`crate::exit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A negative answer about credentials or the user's state.
    Rejected,
    /// The command line is wrong in a way clap cannot see (a missing `--yes`).
    Usage,
    /// The named user does not exist.
    NotFound,
    /// The username or the email is already taken.
    Conflict,
    /// A value was refused.
    Invalid,
    /// The database stayed locked past the busy timeout.
    Busy,
    /// The database cannot be used: missing, not SQLite, corrupt, read-only, no compatible table.
    DatabaseUnusable,
    /// The user's stored hash is sound but of a kind the service's library cannot identify.
    Unverifiable,
    /// A required secret or input is missing or unreadable.
    Environment,
    /// A bug.
    Internal,
}

impl Kind {
    /// The stable name used in `--format json` errors.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Rejected => "rejected",
            Kind::Usage => "usage",
            Kind::NotFound => "not_found",
            Kind::Conflict => "conflict",
            Kind::Invalid => "invalid_input",
            Kind::Busy => "busy",
            Kind::DatabaseUnusable => "database_unusable",
            Kind::Unverifiable => "unverifiable_hash",
            Kind::Environment => "environment",
            Kind::Internal => "internal",
        }
    }
}

/// An error of the domain core. Messages are lowercase, name the object, and never hold a secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("user '{0}' does not exist")]
    UserNotFound(String),

    #[error("username '{0}' already exists")]
    UsernameTaken(String),

    #[error("email '{email}' is already used by user '{owner}'")]
    EmailTaken { email: String, owner: String },

    /// A unique index of the table that authctl's own checks do not know (a stricter one added by
    /// hand, as on `lower(email)`) refused the row.
    #[error(
        "user '{username}' conflicts with a stored user under the table's unique index {index}"
    )]
    UniqueIndex { username: String, index: String },

    #[error("user '{0}' is disabled")]
    UserDisabled(String),

    /// A verify token asked for a user the service already counts as verified.
    #[error("user '{0}' is already verified")]
    AlreadyVerified(String),

    /// Rows of another table refer to a user to delete, and their foreign key neither
    /// cascades nor clears.
    #[error(
        "{rows} row(s) of table {table} refer to the user ({column}, ON DELETE {on_delete}); \
         delete or reassign them first"
    )]
    Referenced {
        table: String,
        column: String,
        rows: usize,
        on_delete: String,
    },

    /// A new username a person could take for an existing user's: which one, and how alike.
    #[error("{0}")]
    LookAlike(String),

    /// A new password the policy refuses. The weakness never quotes the password.
    #[error("the password for '{username}' is too weak: {weakness}")]
    WeakPassword { username: String, weakness: String },

    /// A value given to authctl was refused (username, email, password policy, key, lifetime…).
    #[error("{0}")]
    Invalid(String),

    /// The hash stored for a user cannot be verified as is.
    #[error("the stored password hash of user '{username}' {reason}")]
    BadStoredHash { username: String, reason: String },

    /// The signing key is the FastAPI tutorial's published example.
    #[error(
        "the signing key is the FastAPI tutorial's published example key, with which anyone can forge tokens; \
         make a new one with `openssl rand -hex 32`"
    )]
    ExampleKey,

    /// A JSON import file is not one array (JSON lines is the other format).
    #[error("the JSON input must be one array of objects")]
    NotAnArray,

    /// Nothing at the database's location (only `init-db` creates one).
    #[error("database {location}: no database at this path")]
    NoDatabase { location: String },

    /// The hash stored for a user is one the service's hash scheme cannot identify.
    #[error("the stored password hash of user '{username}' {reason}")]
    UnverifiableHash { username: String, reason: String },

    /// `location` is the database as shown to people: a path, or a URL without its password.
    #[error(
        "database {location} is locked by another connection (waited {waited}); nothing was written",
        waited = crate::duration::human(*.waited)
    )]
    Busy { location: String, waited: Duration },

    /// The database cannot be used as it is; the reason says what to do.
    #[error("database {location}: {reason}")]
    Unusable { location: String, reason: String },

    /// The database's user table is not one a command can work on; what to do about it is the
    /// command line's to say ([`TableAdvice`]).
    #[error("database {location}: {reason}")]
    Table {
        location: String,
        reason: String,
        advice: TableAdvice,
    },

    /// A required secret or input is missing or unreadable.
    #[error("{0}")]
    Environment(String),

    /// The command line is wrong in a way clap cannot check.
    #[error("{0}")]
    Usage(String),

    /// The operator answered no at a confirmation prompt.
    #[error("{0}")]
    Declined(String),

    /// Rows of an import were refused; all of them are listed.
    #[error("{}:\n{}", rows_heading(.0.len()), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Rows(Vec<RowError>),

    /// Anything else that should not happen: a bug or a broken system (no random source).
    #[error("{0}")]
    Internal(String),

    /// An unexpected database failure: a bug or a broken environment. `cause` is the engine's
    /// own error (PostgreSQL's: the server's message and SQLSTATE), shown in the message and not
    /// chained (its own cause repeats it).
    #[error("database {location}: {cause}")]
    Database {
        location: String,
        cause: Box<dyn std::error::Error + Send + Sync>,
    },

    /// Writing the output failed (a closed pipe is not an error; see `exit::for_error`).
    #[error("writing to {target}")]
    Output {
        target: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Turns a write failure into [`Error::Output`] for `target` ("standard output", a file).
    pub fn writing(target: &str) -> impl FnOnce(std::io::Error) -> Error + '_ {
        move |source| Error::Output {
            target: target.to_owned(),
            source,
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Error::UserDisabled(_) | Error::Declined(_) => Kind::Rejected,
            Error::Usage(_) => Kind::Usage,
            // Conflicts only when every refused row is one: a script can then retry with
            // --on-conflict; anything else is bad input.
            Error::Rows(rows)
                if rows
                    .iter()
                    .all(|r| matches!(r.cause, RowCause::Conflict | RowCause::LookAlike)) =>
            {
                Kind::Conflict
            }
            Error::UserNotFound(_) => Kind::NotFound,
            Error::AlreadyVerified(_)
            | Error::UsernameTaken(_)
            | Error::EmailTaken { .. }
            | Error::UniqueIndex { .. }
            | Error::Referenced { .. }
            | Error::LookAlike(_) => Kind::Conflict,
            Error::Invalid(_)
            | Error::WeakPassword { .. }
            | Error::BadStoredHash { .. }
            | Error::Rows(_)
            | Error::ExampleKey
            | Error::NotAnArray => Kind::Invalid,
            Error::Busy { .. } => Kind::Busy,
            Error::Unusable { .. } | Error::Table { .. } | Error::NoDatabase { .. } => {
                Kind::DatabaseUnusable
            }
            Error::UnverifiableHash { .. } => Kind::Unverifiable,
            Error::Environment(_) => Kind::Environment,
            Error::Internal(_) | Error::Database { .. } | Error::Output { .. } => Kind::Internal,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid(message.into())
    }

    /// [`Error::Unusable`] for the database shown as `location`.
    pub(crate) fn unusable(location: &str, reason: impl Into<String>) -> Self {
        Error::Unusable {
            location: location.to_owned(),
            reason: reason.into(),
        }
    }

    /// [`Error::Table`] for the database shown as `location`.
    pub(crate) fn table(location: &str, reason: impl Into<String>, advice: TableAdvice) -> Self {
        Error::Table {
            location: location.to_owned(),
            reason: reason.into(),
            advice,
        }
    }
}

/// What can be done about a user table that is not what a command needs, for the command line
/// to word with its own flags and commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableAdvice {
    /// A `user` table of neither known shape: name its shape, if it is one of them.
    NameTheShape,
    /// Tables of two shapes: say which to administer.
    ChooseTheShape,
    /// Alembic makes the tables: unless this database never runs its migrations.
    SkipMigrations,
    /// The template's migrations make its table: unless they never run (a test fixture).
    SkipTemplateMigrations,
    /// The table is missing: create it, naming its shape where it is not the tutorial's
    /// (whose application may create it itself).
    Create { shape: Option<&'static str> },
}

/// One refused record of an import: where it is, which field, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Line of a CSV or JSON lines file, or 1-based index of a JSON array element.
    pub location: String,
    pub field: Option<String>,
    pub message: String,
    pub cause: RowCause,
}

/// Why a record was refused, for the exit class and for the advice the command line adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowCause {
    /// A bad value.
    Value,
    /// The username or email is taken.
    Conflict,
    /// Neither a password nor a hash, and the import was told to refuse such records.
    NoPassword,
    /// A new username looks like another (in the table or the file).
    LookAlike,
    /// The password fails the policy.
    WeakPassword,
}

impl RowError {
    /// A bad value at `location` (in `field`, when one field is at fault).
    pub fn new(
        location: impl Into<String>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        RowError {
            location: location.into(),
            field: field.map(str::to_owned),
            message: message.into(),
            cause: RowCause::Value,
        }
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "  {}, field {field}: {}", self.location, self.message),
            None => write!(f, "  {}: {}", self.location, self.message),
        }
    }
}

/// "3 problems in the input; nothing was written".
pub fn rows_heading(count: usize) -> String {
    format!(
        "{} in the input; nothing was written",
        plural(count, "problem")
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
