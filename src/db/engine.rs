//! What both engines share below the seam: the SQL the shape's description gives, the rules for
//! a user's dependents, what `init-db` says of a table that exists, and the context every
//! statement's failure is classified with.

use std::time::Duration;

use super::{Dependents, InitReport, Lookup, NewUser, StoredUser, UserId};
use crate::error::{Error, Result};
use crate::password::HashCensus;
use crate::shape::{Shape, ShapeName, TUTORIAL, Written};

/// What turning an engine's failure into a domain error needs, and the shape the statements
/// are built from. Each engine classifies its own failures with it ([`Classify`]).
pub(super) struct Context {
    /// The database as messages show it: a path, or a URL without its password.
    pub location: String,
    pub lock_timeout: Duration,
    /// Forced by the command line, for `init-db` (detected otherwise).
    pub forced: Option<ShapeName>,
    pub shape: &'static Shape,
}

impl Context {
    pub fn new(location: String, options: super::OpenOptions) -> Self {
        Context {
            location,
            lock_timeout: options.lock_timeout,
            forced: options.shape,
            shape: options.shape.map_or(&TUTORIAL, ShapeName::shape),
        }
    }
}

/// An engine's failure as the domain's error class.
pub(super) trait Classify<E> {
    fn classify(&self, e: E) -> Error;
}

/// Where an engine runs look-ups: a store lends its connection (SQLite) or a transaction of its
/// own (PostgreSQL) for each, a write transaction runs them in itself (PostgreSQL's after
/// sending the inserts it holds). Through it, one implementation of [`Lookup`] serves every
/// store and transaction; each engine's queries are its `lookup::Conn`'s.
pub(super) trait Session {
    fn shape(&self) -> &'static Shape;
    fn lookup<T>(&mut self, f: impl FnOnce(&mut dyn Lookup) -> Result<T>) -> Result<T>;
}

impl<S: Session> Lookup for S {
    fn shape(&self) -> &'static Shape {
        Session::shape(self)
    }

    fn find_user(&mut self, username: &str) -> Result<Option<StoredUser>> {
        self.lookup(|conn| conn.find_user(username))
    }

    fn find_by_id(&mut self, id: &UserId) -> Result<Option<StoredUser>> {
        self.lookup(|conn| conn.find_by_id(id))
    }

    fn email_owner(&mut self, email: &str) -> Result<Option<String>> {
        self.lookup(|conn| conn.email_owner(email))
    }

    fn find_users(&mut self, usernames: &[&str]) -> Result<Vec<(String, StoredUser)>> {
        self.lookup(|conn| conn.find_users(usernames))
    }

    fn email_owners(&mut self, emails: &[&str]) -> Result<Vec<(String, String)>> {
        self.lookup(|conn| conn.email_owners(emails))
    }

    fn hash_census(&mut self) -> Result<HashCensus> {
        self.lookup(|conn| conn.hash_census())
    }

    fn for_each_username(&mut self, each: &mut dyn FnMut(&str)) -> Result<()> {
        self.lookup(|conn| conn.for_each_username(each))
    }
}

/// A written column's value, for an engine to bind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Value<'a> {
    Text(Option<&'a str>),
    Bool(bool),
}

/// The SQL pieces both engines build from a shape.
pub(super) trait ShapeSql {
    /// The value a user gives a written column, as stored (the status the right way round).
    fn value<'u>(&self, column: Written, user: &'u NewUser) -> Value<'u>;
    /// The columns the model declares unique that are not among `found`, the (lower-case)
    /// columns that have a unique index of their own.
    fn missing_unique(&self, found: &[String]) -> Vec<String>;
    /// The select list the engines read users with, in this order: id, login, email, full_name,
    /// status, is_superuser, is_verified; `text_null`/`bool_null` where the shape has no such
    /// column, so one row reader serves every shape.
    fn select_list(&self, id: &str, text_null: &str, bool_null: &str) -> String;
    /// The table name quoted for SQL (`user` is a reserved word in PostgreSQL).
    fn quoted_table(&self) -> String;
}

impl ShapeSql for Shape {
    fn value<'u>(&self, column: Written, user: &'u NewUser) -> Value<'u> {
        match column {
            Written::Email => Value::Text(user.email.as_deref()),
            Written::FullName => Value::Text(user.full_name.as_deref()),
            Written::Status => Value::Bool(self.status_value(user.disabled)),
            Written::Superuser => Value::Bool(user.superuser),
            Written::Verified => Value::Bool(user.verified),
            Written::Hash => Value::Text(Some(&user.hashed_password)),
        }
    }

    fn missing_unique(&self, found: &[String]) -> Vec<String> {
        self.unique
            .iter()
            .filter(|c| !found.iter().any(|u| u == *c))
            .map(|c| (*c).to_owned())
            .collect()
    }

    fn select_list(&self, id: &str, text_null: &str, bool_null: &str) -> String {
        let or = |has: bool, column: &'static str, null: &str| {
            if has {
                column.to_owned()
            } else {
                null.to_owned()
            }
        };
        format!(
            "{id}, {}, {}, {}, {}, {}, {}",
            self.login,
            or(self.email, "email", text_null),
            or(self.full_name, "full_name", text_null),
            self.status_column(),
            or(self.superuser, "is_superuser", bool_null),
            or(self.verified, "is_verified", bool_null),
        )
    }

    fn quoted_table(&self) -> String {
        format!("\"{}\"", self.table)
    }
}

/// A write of one user found under the transaction's lock must change exactly that row; any
/// other count means the table changed under authctl (a row deleted, a duplicate id).
pub(super) fn changed_one(rows: u64) -> Result<()> {
    if rows == 1 {
        return Ok(());
    }
    Err(Error::Internal(format!(
        "a write to one user changed {rows} rows; the table changed while authctl was running, run the command again"
    )))
}

/// What `init-db` reports of a table that exists: authctl's own at its current schema version
/// with every unique index, or one the service made (or an older authctl), left as it is. Only
/// the tutorial's table has a schema of authctl's own, so only its `version` is read; the other
/// shapes' tables are their applications' and count as current.
pub(super) fn existing_table(
    location: &str,
    shape: &Shape,
    version: impl FnOnce() -> Result<i64>,
    current: i64,
    missing_unique_indexes: Vec<String>,
) -> Result<InitReport> {
    let version = if shape.is_tutorial() {
        version()?
    } else {
        current
    };
    if version > current {
        return Err(Error::unusable(
            location,
            format!("was made by a newer authctl (schema version {version}); upgrade authctl"),
        ));
    }
    Ok(if version == current && missing_unique_indexes.is_empty() {
        InitReport::AlreadyInitialised
    } else {
        InitReport::Compatible {
            missing_unique_indexes,
        }
    })
}

/// What deleting a user does to the rows a foreign key ties to it.
pub(super) enum OnDelete {
    Delete,
    Clear,
    /// `NO ACTION`, `RESTRICT`, `SET DEFAULT`: the rows must not be there.
    Refuse,
}

fn on_delete(fk: &ForeignKey) -> OnDelete {
    match fk.on_delete.as_str() {
        "CASCADE" => OnDelete::Delete,
        "SET NULL" => OnDelete::Clear,
        _ => OnDelete::Refuse,
    }
}

/// What [`OnDelete`] did to `rows` rows of `fk`'s table; rows a refusing key protects are the
/// deletion's conflict.
fn dependents(fk: &ForeignKey, rows: usize) -> Result<Dependents> {
    if rows > 0 && matches!(on_delete(fk), OnDelete::Refuse) {
        return Err(Error::Referenced {
            table: fk.table.clone(),
            column: fk.column.clone(),
            rows,
            on_delete: fk.on_delete.clone(),
        });
    }
    Ok(Dependents {
        table: fk.table.clone(),
        column: fk.column.clone(),
        rows: u64::try_from(rows).unwrap_or(u64::MAX),
        cleared: matches!(on_delete(fk), OnDelete::Clear),
    })
}

/// A foreign key to the user table, as the engine reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ForeignKey {
    pub table: String,
    pub column: String,
    /// `CASCADE`, `SET NULL`, `NO ACTION`, `RESTRICT`, `SET DEFAULT` (upper case).
    pub on_delete: String,
}

/// The statements of a deletion as an engine runs them, for [`delete_with_dependents`].
pub(super) trait Deletion {
    /// The foreign keys of other tables that refer to the user table.
    fn foreign_keys(&mut self) -> Result<Vec<ForeignKey>>;
    /// Does `what` to the rows of `fk`'s table that refer to user `id`; returns how many.
    fn on_dependents(&mut self, fk: &ForeignKey, what: OnDelete, id: &UserId) -> Result<usize>;
    /// Deletes the user's own row, which must be there ([`changed_one`]).
    fn delete_row(&mut self, id: &UserId) -> Result<()>;
}

/// `WriteTx::delete_user` on either engine: each dependent table as its foreign key says, then
/// the user; the tables whose rows were removed or cleared.
pub(super) fn delete_with_dependents(
    tx: &mut impl Deletion,
    id: &UserId,
) -> Result<Vec<Dependents>> {
    let mut removed = Vec::new();
    for fk in tx.foreign_keys()? {
        let rows = tx.on_dependents(&fk, on_delete(&fk), id)?;
        removed.push(dependents(&fk, rows)?);
    }
    tx.delete_row(id)?;
    Ok(removed.into_iter().filter(|d| d.rows > 0).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A single-user write that changed no row, or two, is the table changing under authctl.
    #[test]
    fn a_single_user_write_changes_exactly_one_row() {
        assert!(changed_one(1).is_ok());
        for rows in [0, 2] {
            let err = changed_one(rows).unwrap_err();
            assert!(matches!(err, Error::Internal(_)), "{err:?}");
            assert!(
                err.to_string().contains(&format!("changed {rows} rows")),
                "{err}"
            );
        }
    }
}
