//! What the engines report beside users: `init-db`'s outcome, `check`'s view of the database,
//! a deletion's dependent rows.

use crate::shape::Shape;

/// What `init-db` found or made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitReport {
    /// The `users` table was created (and the database itself, when `database_created`).
    Created { database_created: bool },
    /// The table exists in authctl's own shape.
    AlreadyInitialised,
    /// The table exists in the service's `create_all` shape (or another compatible one);
    /// it was left as it is. Lists unique indexes the service's model declares but the table lacks.
    Compatible { missing_unique_indexes: Vec<String> },
}

/// What the engine itself can tell of the database's health, for `check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// The user table's shape.
    pub shape: &'static Shape,
    /// The engine's own consistency check: empty when sound (SQLite's `integrity_check`).
    pub integrity_errors: Vec<String>,
    /// Unique indexes the service's model declares but the table lacks.
    pub missing_unique_indexes: Vec<String>,
    /// Users whose `disabled` is NULL (the service reads it as "active").
    pub null_disabled: Vec<String>,
    /// Users whose id is not in the form the application looks ids up by (a UUID stored with
    /// dashes where it wants 32 hex digits, or in upper case): it never finds them by id.
    pub misformed_ids: Vec<String>,
    /// Logins held by several users as the service matches them (case-insensitively): its
    /// login fails with a server error for them.
    pub login_duplicates: Vec<String>,
}

/// Rows of another table that referred to a deleted user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependents {
    pub table: String,
    pub column: String,
    pub rows: u64,
    /// Cleared (`ON DELETE SET NULL`) rather than deleted.
    pub cleared: bool,
}
