//! The domain's errors: every failure the core can report, each with the class that decides its exit code.

use std::path::PathBuf;
use std::time::Duration;

/// The failure classes of `exit-codes.md`. The mapping to numbers lives in [`crate::exit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A negative answer about credentials or the user's state.
    Rejected,
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
    /// A required secret or input is missing or unreadable.
    Environment,
    /// A bug.
    Internal,
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

    #[error("user '{0}' is disabled")]
    UserDisabled(String),

    /// A value given to authctl was refused (username, email, password policy, key, lifetime…).
    #[error("{0}")]
    Invalid(String),

    /// The hash stored for a user cannot be verified as is.
    #[error("the stored password hash of user '{username}' {reason}")]
    BadStoredHash { username: String, reason: String },

    #[error(
        "database {path} is locked by another connection (waited {waited}); nothing was written, retry later or raise --busy-timeout",
        path = .path.display(),
        waited = humantime::format_duration(*.waited)
    )]
    Busy { path: PathBuf, waited: Duration },

    /// The database cannot be used as it is; the reason says what to do.
    #[error("database {path}: {reason}", path = .path.display())]
    Unusable { path: PathBuf, reason: String },

    /// A required secret or input is missing or unreadable.
    #[error("{0}")]
    Environment(String),

    /// Anything else that should not happen: a bug or a broken system (no random source).
    #[error("{0}")]
    Internal(String),

    /// An unexpected database failure: a bug or a broken environment.
    #[error("database {path}: {source}", path = .path.display())]
    Database {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

impl Error {
    pub fn kind(&self) -> Kind {
        match self {
            Error::UserDisabled(_) => Kind::Rejected,
            Error::UserNotFound(_) => Kind::NotFound,
            Error::UsernameTaken(_) | Error::EmailTaken { .. } => Kind::Conflict,
            Error::Invalid(_) | Error::BadStoredHash { .. } => Kind::Invalid,
            Error::Busy { .. } => Kind::Busy,
            Error::Unusable { .. } => Kind::DatabaseUnusable,
            Error::Environment(_) => Kind::Environment,
            Error::Internal(_) | Error::Database { .. } => Kind::Internal,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid(message.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
