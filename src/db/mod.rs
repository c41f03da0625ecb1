//! The storage seam: where the users live and the operations the domain needs on them.
//!
//! Everything above this module speaks [`Store`] and [`WriteTx`], whose contract is this file;
//! all SQL lives in the engine modules below it, laid out alike (`sqlite/`, `postgres/`: the
//! store in `mod.rs`, its look-ups in `lookup.rs`, its write transaction in `tx.rs`, `check`'s
//! view in `health.rs`), with what both share in `engine.rs`. An engine is a module and an arm
//! in [`Location::parse`] and [`open`], nothing else. The engines import nothing from the
//! domain's `users`, `bulk`, `check` or `records`, nor from the command line (from `password`,
//! only the hash census type and bcrypt's cost bound); they build their SQL from the
//! [`crate::shape`] description.

mod engine;
mod location;
mod postgres;
mod report;
mod sqlite;
#[cfg(test)]
pub(crate) mod testing;
mod user;

pub use location::{Location, SUPPORTED_URLS};
pub use postgres::Target;
pub use report::{Dependents, Health, InitReport};
pub use user::{NewUser, StatusFilter, StoredUser, User, UserId, UserRef};

/// The DDL the service's `create_all` emits on SQLite, for the tests that build its table.
#[doc(hidden)]
pub use sqlite::SERVICE_DDL;

use std::time::Duration;

use crate::error::Result;
use crate::password::HashCensus;
use crate::shape::{Flag, Migrations, Shape, ShapeName};

/// How a command opens the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `init-db` only: may create the database (a file, for SQLite) and the table.
    Init,
    /// `init-db --dry-run`: what `Init` would do, without creating or changing anything.
    InitDryRun,
    /// Commands that write: the database must exist.
    ReadWrite,
    /// Commands that only read: the database must exist; works on a read-only file.
    ReadOnly,
}

impl Access {
    /// Whether the database must already exist with a compatible `users` table.
    pub fn needs_table(self) -> bool {
        matches!(self, Access::ReadWrite | Access::ReadOnly)
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct OpenOptions {
    /// How long to wait for a lock held by another connection (the running service) before
    /// giving up with [`Error::Busy`](crate::error::Error::Busy).
    pub lock_timeout: Duration,
    /// The table shape to administer (`--table-shape`); detected from the schema when `None`.
    pub shape: Option<ShapeName>,
}

/// Opens the database at `location`. Every access but the init ones also checks that a
/// compatible `users` table is there.
pub fn open(location: &Location, access: Access, options: OpenOptions) -> Result<Box<dyn Store>> {
    match location {
        Location::Sqlite(path) => Ok(Box::new(sqlite::SqliteStore::open(path, access, options)?)),
        Location::Postgres(target) => {
            Ok(Box::new(postgres::PgStore::open(target, access, options)?))
        }
    }
}

/// Look-ups shared by a store and its write transaction.
pub trait Lookup {
    /// The table's shape: forced, detected when the store was opened, or (for `init-db`) the
    /// one it created.
    fn shape(&self) -> &'static Shape;
    /// The user with this login (a username or an email), matched as the service matches it:
    /// byte-exact, or case-insensitively where the shape says so.
    fn find_user(&mut self, username: &str) -> Result<Option<StoredUser>>;
    /// The user with this id (a token's `sub`, where the service puts the id there).
    fn find_by_id(&mut self, id: &UserId) -> Result<Option<StoredUser>>;
    /// The username owning this email, if any.
    fn email_owner(&mut self, email: &str) -> Result<Option<String>>;
    /// The users these logins find, in no particular order, each with the login that found it
    /// (where the service folds case, `Ann@x.org` finds `ann@x.org`, as the database's own
    /// `lower()` decides): [`Lookup::find_user`] for many, in as few round trips as the engine
    /// allows.
    fn find_users(&mut self, logins: &[&str]) -> Result<Vec<(String, StoredUser)>>;
    /// The owners of these emails, as (email, username) pairs: [`Lookup::email_owner`] for many.
    fn email_owners(&mut self, emails: &[&str]) -> Result<Vec<(String, String)>>;
    /// How many stored hashes are Argon2 and how many bcrypt (the service's scheme shows in
    /// them), counted by their prefix without parsing each one.
    fn hash_census(&mut self) -> Result<HashCensus>;
    /// Calls `each` with every stored username, in no particular order.
    fn for_each_username(&mut self, each: &mut dyn FnMut(&str)) -> Result<()>;

    /// A stored username other than `username` that has one of its `keys` (the domain's
    /// look-alike rule): reads every username, unless the implementation keeps them in memory.
    fn username_with_key(
        &mut self,
        username: &str,
        keys: fn(&str) -> [String; 2],
    ) -> Result<Option<String>> {
        let wanted = keys(username);
        let mut found = None;
        self.for_each_username(&mut |name| {
            if found.is_none() && name != username && keys(name).iter().any(|k| wanted.contains(k))
            {
                found = Some(name.to_owned());
            }
        })?;
        Ok(found)
    }
}

/// A database holding the service's `users` table.
pub trait Store: Lookup {
    /// Creates the `users` table if missing; checks an existing one. Only for [`Access::Init`]
    /// (and [`Access::InitDryRun`], which rolls the creation back). The check and the creation
    /// are one write transaction, so two `init-db` at once (or one beside the service's
    /// `create_all`) end with one table, never an error or a half-made schema. A table the
    /// application's migrations make is not created unless `migrations` says they never run
    /// ([`crate::shape::may_create`]).
    fn init(&mut self, migrations: Migrations) -> Result<InitReport>;

    /// The engine's view of the database's health; reads only.
    fn health(&mut self) -> Result<Health>;

    /// Calls `each` for every user matching `filter`, in id order, without loading them all;
    /// stops at the first error `each` returns.
    fn for_each_user(
        &mut self,
        filter: StatusFilter,
        each: &mut dyn FnMut(UserRef<'_>) -> Result<()>,
    ) -> Result<()>;

    /// [`Store::for_each_user`] with each user's stored hash (exports, hash filters).
    fn for_each_stored_user(
        &mut self,
        filter: StatusFilter,
        each: &mut dyn FnMut(StoredUser) -> Result<()>,
    ) -> Result<()>;

    /// Starts the one write transaction of a command, waiting at most the lock timeout for
    /// other writers (then [`Error::Busy`](crate::error::Error::Busy), nothing written). Keep it short: hash first.
    ///
    /// The contract the domain relies on: between a look-up made through the transaction and
    /// its commit, no other writer changes the rows looked up, so a check (username free, email
    /// free, hash unchanged) still holds when the write lands. Readers (the running service) go
    /// on meanwhile. SQLite gives this by taking the database's write lock at the start
    /// (`BEGIN IMMEDIATE`). An engine with row locks must give the same by locking the table
    /// first (for PostgreSQL, `LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE` under a `SET LOCAL
    /// lock_timeout`, its timeout reported as [`Error::Busy`](crate::error::Error::Busy)), which lets readers in and keeps
    /// writers out. Plain READ COMMITTED races; SERIALIZABLE does not protect against a service
    /// writing at READ COMMITTED, and fails instead of waiting.
    fn write(&mut self) -> Result<Box<dyn Transaction + '_>>;
}

/// The write transaction: its writes, and its commit. Dropped uncommitted, it rolls back.
pub trait Transaction: WriteTx {
    fn commit(self: Box<Self>) -> Result<()>;
    /// Ends without writing anything, once the engine has checked every write as a commit would
    /// (a dry run meets the conflicts the real run would).
    fn rollback(self: Box<Self>) -> Result<()>;
}

/// The writes of a transaction (and its look-ups, which see them).
pub trait WriteTx: Lookup {
    /// The login holding this id, if any.
    fn id_owner(&mut self, id: &UserId) -> Result<Option<String>>;
    /// Inserts and returns the new id. A taken username or email is a conflict error.
    fn insert_user(&mut self, user: &NewUser) -> Result<UserId>;
    /// Gives user `id` every value of `user` but its id and login.
    fn update_user(&mut self, id: &UserId, user: &NewUser) -> Result<()>;
    /// Sets one flag; a flag the shape does not have is the caller's error (checked before).
    fn set_flag(&mut self, id: &UserId, flag: Flag, value: bool) -> Result<()>;
    /// Deletes the user and, first, the rows of other tables whose foreign keys say so
    /// (`ON DELETE CASCADE`; `SET NULL` clears theirs): what the database would do with its
    /// foreign keys enforced, which SQLite does not by default. Returns the rows removed or
    /// cleared per table. Rows a `NO ACTION`/`RESTRICT` key protects refuse the deletion.
    fn delete_user(&mut self, id: &UserId) -> Result<Vec<Dependents>>;
}
