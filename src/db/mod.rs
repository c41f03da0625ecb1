//! The storage seam: where the users live and the operations the domain needs on them.
//!
//! Everything above this module speaks [`Store`] and [`WriteTx`]; all SQL lives in the engine
//! modules below it ([`sqlite`], [`postgres`]). An engine is a module and an arm in
//! [`Location::parse`] and [`open`], nothing else.

mod postgres;
mod shape;
mod sqlite;

pub use postgres::Target;
pub use shape::{FASTAPI_TEMPLATE, FASTAPI_USERS, IdKind, Migrations, Shape, ShapeName, TUTORIAL};

/// The DDL the service's `create_all` emits on SQLite, for the tests that build its table.
#[doc(hidden)]
pub use sqlite::SERVICE_DDL;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::password::HashCensus;

/// Where the database is: parsed from `--db`, `--database-url` or `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A database on a PostgreSQL server.
    Postgres(Target),
}

/// The URL forms accepted, for error messages and help.
pub const SUPPORTED_URLS: &str = "a file path, sqlite:///relative.db, sqlite:////absolute.db, \
     sqlite+aiosqlite:///./file.db, or postgresql://user@host:port/database (also postgres:// \
     and postgresql+psycopg://, +psycopg2://, +asyncpg://)";

impl Location {
    /// A database file (`--db PATH`).
    pub fn file(path: PathBuf) -> Self {
        Location::Sqlite(path)
    }

    /// The default database when nothing names one: `./users.db`.
    pub fn default_path() -> Self {
        Location::Sqlite(PathBuf::from("users.db"))
    }

    /// Parses a SQLAlchemy database URL (the service's own `DATABASE_URL`) or a plain path.
    ///
    /// SQLAlchemy's SQLite URLs are `sqlite:///` followed by the path, so `sqlite:///x.db` is
    /// relative and `sqlite:////x.db` absolute; a driver suffix (`sqlite+aiosqlite`,
    /// `sqlite+pysqlite`) names the same file. Query parameters are driver options
    /// (`?check_same_thread=false`) and are ignored.
    pub fn parse(url: &str) -> Result<Self> {
        let Some((scheme, rest)) = url.split_once("://") else {
            if url.is_empty() {
                return Err(Error::invalid("the database URL is empty"));
            }
            return Ok(Location::Sqlite(PathBuf::from(url)));
        };
        let engine = scheme.split('+').next().unwrap_or(scheme);
        if ["postgresql", "postgres"]
            .iter()
            .any(|pg| engine.eq_ignore_ascii_case(pg))
        {
            return Ok(Location::Postgres(Target::parse(url)?));
        }
        if !engine.eq_ignore_ascii_case("sqlite") {
            return Err(Error::Unusable {
                location: postgres::without_password(url),
                reason: format!(
                    "database engine '{engine}' is not supported; authctl supports SQLite and PostgreSQL: {SUPPORTED_URLS}"
                ),
            });
        }
        let path = rest.split('?').next().unwrap_or_default();
        let Some(path) = path.strip_prefix('/') else {
            return Err(Error::invalid(format!(
                "database URL '{url}' names no file; expected {SUPPORTED_URLS}"
            )));
        };
        if path.is_empty() || path == ":memory:" {
            return Err(Error::invalid(format!(
                "database URL '{url}' names an in-memory database, which would vanish when authctl exits; expected {SUPPORTED_URLS}"
            )));
        }
        Ok(Location::Sqlite(PathBuf::from(path)))
    }

    /// The database file, for an engine that keeps the database in one.
    pub fn file_path(&self) -> Option<&Path> {
        match self {
            Location::Sqlite(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }
}

/// The location as messages show it: a path, or (for a server) its URL without the password.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(target) => write!(f, "{target}"),
        }
    }
}

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
    /// giving up with [`Error::Busy`].
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

/// A write of one user found under the transaction's lock must change exactly that row; any
/// other count means the table changed under authctl (a row deleted, a duplicate id).
pub(crate) fn changed_one(rows: u64) -> Result<()> {
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
fn existing_table(
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
        return Err(unusable(
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

fn unusable(location: &str, reason: impl Into<String>) -> Error {
    Error::Unusable {
        location: location.to_owned(),
        reason: reason.into(),
    }
}

/// A user's id as the shape stores it: an integer the database assigned, or a UUID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserId {
    Int(i64),
    Uuid(uuid::Uuid),
    /// A stored id that is neither (a hand-inserted row): shown as it is, for `check`.
    Other(String),
}

impl UserId {
    /// A new random (version 4) UUID, as `uuid.uuid4()` makes them.
    pub fn random_uuid() -> Result<Self> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)
            .map_err(|e| Error::Environment(format!("no random numbers for an id: {e}")))?;
        Ok(UserId::Uuid(
            uuid::Builder::from_random_bytes(bytes).into_uuid(),
        ))
    }

    /// Reads a stored or given id: an integer, else a UUID in any of its text forms.
    pub fn parse(text: &str) -> Self {
        if let Ok(n) = text.parse::<i64>() {
            return UserId::Int(n);
        }
        match uuid::Uuid::try_parse(text) {
            Ok(uuid) => UserId::Uuid(uuid),
            Err(_) => UserId::Other(text.to_owned()),
        }
    }

    /// [`UserId`]'s text, as `Display` gives it, for the listings' every row.
    ///
    /// NOTE: an integer's own `to_string`, not `Display`: that goes through the formatter's
    /// machinery, 6% of a million-row CSV listing.
    pub fn text(&self) -> String {
        match self {
            UserId::Int(n) => n.to_string(),
            other => other.to_string(),
        }
    }

    /// The id as the shape stores it in SQLite text (the 32-hex or dashed form), or as its
    /// canonical text on PostgreSQL (`dashed`).
    pub fn stored_text(&self, dashed: bool) -> String {
        match self {
            UserId::Uuid(uuid) if !dashed => uuid.simple().to_string(),
            other => other.to_string(),
        }
    }
}

/// The id as the service puts it in a token's `sub` and a listing shows it: dashed lowercase.
impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserId::Int(n) => write!(f, "{n}"),
            UserId::Uuid(uuid) => write!(f, "{}", uuid.hyphenated()),
            UserId::Other(text) => f.write_str(text),
        }
    }
}

/// JSON: a number for integer ids, the dashed text for UUIDs.
impl serde::Serialize for UserId {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        match self {
            UserId::Int(n) => serializer.serialize_i64(*n),
            other => serializer.collect_str(other),
        }
    }
}

/// A flag of a user the commands set: its status, and the shapes' rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Disabled,
    Superuser,
    Verified,
}

impl Flag {
    pub fn name(self) -> &'static str {
        match self {
            Flag::Disabled => "disabled",
            Flag::Superuser => "is_superuser",
            Flag::Verified => "is_verified",
        }
    }
}

/// A user as the service sees it, without the password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub email: Option<String>,
    pub full_name: Option<String>,
    /// What the service reads: NULL is active, any other value than false is disabled.
    pub disabled: bool,
    /// Set when the stored `disabled` is not a value the service's model writes (false, true;
    /// NULL from hand-inserted rows is read as false and not odd), e.g. the text `'false'` that
    /// SQLAlchemy reads as True: a description of the stored value, for warnings.
    pub odd_disabled: Option<String>,
    /// `is_superuser`, on the shapes that have it.
    pub superuser: Option<bool>,
    /// `is_verified`, on the shapes that have it.
    pub verified: Option<bool>,
    /// The table's shape, which names the fields when the user is written out.
    pub shape: &'static Shape,
}

/// A user as a listing streams it: borrowed from the engine's row, nothing copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserRef<'a> {
    pub id: &'a UserId,
    pub username: &'a str,
    pub email: Option<&'a str>,
    pub full_name: Option<&'a str>,
    pub disabled: bool,
    /// See [`User::odd_disabled`].
    pub odd_disabled: Option<&'a str>,
    pub superuser: Option<bool>,
    pub verified: Option<bool>,
    pub shape: &'static Shape,
}

impl User {
    /// A flag as the service reads it, and whether its stored value is odd (rewritten on write).
    pub fn flag(&self, flag: Flag) -> (bool, bool) {
        match flag {
            Flag::Disabled => (self.disabled, self.odd_disabled.is_some()),
            Flag::Superuser => (self.superuser.unwrap_or(false), false),
            Flag::Verified => (self.verified.unwrap_or(false), false),
        }
    }

    /// The user after a flag was written.
    pub fn set_flag(&mut self, flag: Flag, value: bool) {
        match flag {
            Flag::Disabled => (self.disabled, self.odd_disabled) = (value, None),
            Flag::Superuser => self.superuser = Some(value),
            Flag::Verified => self.verified = Some(value),
        }
    }

    pub fn view(&self) -> UserRef<'_> {
        UserRef {
            id: &self.id,
            username: &self.username,
            email: self.email.as_deref(),
            full_name: self.full_name.as_deref(),
            disabled: self.disabled,
            odd_disabled: self.odd_disabled.as_deref(),
            superuser: self.superuser,
            verified: self.verified,
            shape: self.shape,
        }
    }
}

/// A user with the stored password hash, for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUser {
    pub user: User,
    pub hashed_password: String,
}

/// A user to insert, or the values to give an existing one. The hash is computed before the
/// write transaction starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Only when importing users with their ids, or a UUID the domain generated; otherwise the
    /// database assigns one.
    pub id: Option<UserId>,
    pub username: String,
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub disabled: bool,
    /// Written where the shape has the column.
    pub superuser: bool,
    pub verified: bool,
    pub hashed_password: String,
}

/// Which users a listing returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    #[default]
    All,
    Active,
    Disabled,
}

impl StatusFilter {
    /// Whether the filter keeps a user who is (as the service reads it) `disabled` or not.
    pub fn keeps(self, disabled: bool) -> bool {
        match self {
            StatusFilter::All => true,
            StatusFilter::Active => !disabled,
            StatusFilter::Disabled => disabled,
        }
    }
}

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

/// Look-ups shared by a store and its write transaction.
pub trait Lookup {
    /// The table's shape: forced, detected when the store was opened, or (for `init-db`) the
    /// one it created.
    fn shape(&self) -> &'static Shape;
    /// The user with this login (a username or an email), matched as the service matches it:
    /// byte-exact, or case-insensitively where the shape says so.
    fn find_user(&mut self, username: &str) -> Result<Option<StoredUser>>;
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
    /// ([`shape::may_create`]).
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
    /// other writers (then [`Error::Busy`], nothing written). Keep it short: hash first.
    ///
    /// The contract the domain relies on: between a look-up made through the transaction and
    /// its commit, no other writer changes the rows looked up, so a check (username free, email
    /// free, hash unchanged) still holds when the write lands. Readers (the running service) go
    /// on meanwhile. SQLite gives this by taking the database's write lock at the start
    /// (`BEGIN IMMEDIATE`). An engine with row locks must give the same by locking the table
    /// first (for PostgreSQL, `LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE` under a `SET LOCAL
    /// lock_timeout`, its timeout reported as [`Error::Busy`]), which lets readers in and keeps
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

/// Rows of another table that referred to a deleted user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependents {
    pub table: String,
    pub column: String,
    pub rows: u64,
    /// Cleared (`ON DELETE SET NULL`) rather than deleted.
    pub cleared: bool,
}

/// What deleting a user does to the rows a foreign key ties to it.
pub(crate) enum OnDelete {
    Delete,
    Clear,
    /// `NO ACTION`, `RESTRICT`, `SET DEFAULT`: the rows must not be there.
    Refuse,
}

pub(crate) fn on_delete(fk: &ForeignKey) -> OnDelete {
    match fk.on_delete.as_str() {
        "CASCADE" => OnDelete::Delete,
        "SET NULL" => OnDelete::Clear,
        _ => OnDelete::Refuse,
    }
}

/// What [`OnDelete`] did to `rows` rows of `fk`'s table; rows a refusing key protects are the
/// deletion's conflict.
pub(crate) fn dependents(fk: &ForeignKey, rows: usize) -> Result<Dependents> {
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
pub struct ForeignKey {
    pub table: String,
    pub column: String,
    /// `CASCADE`, `SET NULL`, `NO ACTION`, `RESTRICT`, `SET DEFAULT` (upper case).
    pub on_delete: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(path: &str) -> Location {
        Location::Sqlite(PathBuf::from(path))
    }

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

    #[test]
    fn parses_sqlalchemy_urls_and_paths() {
        assert_eq!(
            Location::parse("sqlite:///users.db").unwrap(),
            sqlite("users.db")
        );
        assert_eq!(
            Location::parse("sqlite:///./sql_app.db").unwrap(),
            sqlite("./sql_app.db")
        );
        assert_eq!(
            Location::parse("sqlite:////var/lib/app.db").unwrap(),
            sqlite("/var/lib/app.db")
        );
        assert_eq!(
            Location::parse("sqlite+aiosqlite:///./sqlite3.db").unwrap(),
            sqlite("./sqlite3.db")
        );
        assert_eq!(
            Location::parse("sqlite:///app.db?check_same_thread=false").unwrap(),
            sqlite("app.db")
        );
        assert_eq!(
            Location::parse("data/users.db").unwrap(),
            sqlite("data/users.db")
        );
    }

    #[test]
    fn parses_the_service_postgresql_urls() {
        for url in [
            "postgresql://app:pw@db:5432/app",
            "postgres://app@db/app",
            "postgresql+psycopg://app@db/app?sslmode=require",
            "postgresql+psycopg2://app@%2Fvar%2Frun%2Fpostgresql/app",
            "postgresql+asyncpg://app@db/app?ssl=require",
        ] {
            let location = Location::parse(url).unwrap();
            assert!(matches!(location, Location::Postgres(_)), "{url}");
            assert_eq!(location.file_path(), None);
        }
    }

    #[test]
    fn refuses_other_engines_and_memory() {
        let err = Location::parse("mysql://app:hunter2@db/app").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("'mysql' is not supported"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
        assert!(Location::parse("sqlite://").is_err());
        assert!(Location::parse("sqlite:///:memory:").is_err());
        assert!(Location::parse("").is_err());
    }
}
