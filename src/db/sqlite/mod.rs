//! The SQLite engine: the only place that speaks SQL to a SQLite file. The store and its row
//! reader here; look-ups in `lookup.rs`, the write transaction in `tx.rs`, `check`'s view in
//! `health.rs`.

mod health;
mod lookup;
mod tx;

use std::fs;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rusqlite::types::{ToSqlOutput, Type, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, Row, TransactionBehavior};

use super::engine::{self, Classify, Context, ShapeSql, Value};
use super::{
    Access, Health, InitReport, NewUser, OpenOptions, StatusFilter, Store, StoredUser, Transaction,
    User, UserId, UserRef,
};
use crate::error::{Error, Result};
use crate::shape::{self, IdKind, Migrations, Shape, ShapeName, Tables};
use tx::SqliteTx;

/// The DDL the service's SQLAlchemy model emits with `create_all` on SQLite (SQLAlchemy 1.4 to
/// 2.1, service contract): the other table shape every command must work on, as is.
pub const SERVICE_DDL: &str =
    "CREATE TABLE users (id INTEGER NOT NULL, username VARCHAR, email VARCHAR,
    full_name VARCHAR, disabled BOOLEAN, hashed_password VARCHAR, PRIMARY KEY (id));
    CREATE INDEX ix_users_id ON users (id);
    CREATE UNIQUE INDEX ix_users_username ON users (username);
    CREATE UNIQUE INDEX ix_users_email ON users (email);
    CREATE INDEX ix_users_full_name ON users (full_name);";

/// authctl's schema; its last statement sets `PRAGMA user_version` to [`SCHEMA_VERSION`].
const SCHEMA: &str = include_str!("../../../schema.sql");
const SCHEMA_VERSION: i64 = 1;

/// The full-stack template's tables as its models emit them with `create_all` on SQLite
/// (`shared/docs/table-shapes.md`): the `user` table only (the application creates its `item` itself).
pub const TEMPLATE_DDL: &str =
    "CREATE TABLE user (email VARCHAR(255) NOT NULL, is_active BOOLEAN NOT NULL,
    is_superuser BOOLEAN NOT NULL, full_name VARCHAR(255), id CHAR(32) NOT NULL,
    hashed_password VARCHAR NOT NULL, created_at DATETIME, PRIMARY KEY (id));
    CREATE UNIQUE INDEX ix_user_email ON user (email);";

/// fastapi-users' `SQLAlchemyBaseUserTableUUID` with `create_all` on SQLite.
pub const FASTAPI_USERS_DDL: &str =
    "CREATE TABLE user (id CHAR(36) NOT NULL, email VARCHAR(320) NOT NULL,
    hashed_password VARCHAR(1024) NOT NULL, is_active BOOLEAN NOT NULL,
    is_superuser BOOLEAN NOT NULL, is_verified BOOLEAN NOT NULL, PRIMARY KEY (id));
    CREATE UNIQUE INDEX ix_user_email ON user (email);";

fn schema_of(shape: ShapeName) -> &'static str {
    match shape {
        ShapeName::Tutorial => SCHEMA,
        ShapeName::FastapiTemplate => TEMPLATE_DDL,
        ShapeName::FastapiUsers => FASTAPI_USERS_DDL,
    }
}

pub struct SqliteStore {
    conn: Connection,
    /// Kept apart from the connection, with the statements, so that both can be borrowed while
    /// a transaction borrows the connection mutably.
    ctx: Context,
    sql: Sql,
    database_created: bool,
    dry_run: bool,
}

/// The statements of one shape, built once.
struct Sql {
    shape: &'static Shape,
    table: String,
    /// id, login, email, full_name, status, is_superuser, is_verified: NULL where the shape has
    /// no such column, so one row reader serves every shape.
    columns: String,
    /// `login = ?1`, or `lower(login) = lower(?1)` where the service folds case.
    login_is: String,
    /// A listing's order: by id, or as inserted where ids are random.
    order: &'static str,
    /// `INSERT` of every column the shape has, in [`Shape::written`]'s order after `id`
    /// and the login (and `created_at` last where the shape has it).
    insert: String,
    /// `UPDATE … SET` the written columns `WHERE id = ?`.
    update: String,
}

impl Sql {
    fn new(shape: &'static Shape) -> Self {
        let login = shape.login;
        let login_is = if shape.login_folds_case {
            format!("lower({login}) = lower(?1)")
        } else {
            format!("{login} = ?1")
        };
        let table = shape.quoted_table();
        let written: Vec<&str> = shape.written().map(|c| shape.column(c)).collect();
        let mut inserted = vec!["id", login];
        inserted.extend(&written);
        if shape.created_at {
            inserted.push("created_at");
        }
        let sets: Vec<String> = written.iter().map(|c| format!("{c} = ?")).collect();
        Sql {
            shape,
            insert: format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                inserted.join(", "),
                vec!["?"; inserted.len()].join(", ")
            ),
            update: format!("UPDATE {table} SET {} WHERE id = ?", sets.join(", ")),
            columns: shape.select_list("id", "NULL", "NULL"),
            table,
            login_is,
            order: match shape.id {
                IdKind::Serial => "ORDER BY id",
                IdKind::Uuid { .. } => "ORDER BY rowid",
            },
        }
    }

    /// The stored form of an id: an integer, the UUID as text in the shape's form, or (for a
    /// row stored in another form) the text as stored, so that the row is found.
    fn id(&self, id: &UserId) -> rusqlite::types::Value {
        use rusqlite::types::Value;
        match (id, self.shape.id) {
            (UserId::Int(n), _) => Value::Integer(*n),
            (UserId::Other(text), _) => Value::Text(text.clone()),
            (id, IdKind::Uuid { sqlite_dashed }) => Value::Text(id.stored_text(sqlite_dashed)),
            (id, IdKind::Serial) => Value::Text(id.to_string()),
        }
    }

    /// An id as stored: an integer, a UUID in the shape's one stored form, else the value as
    /// it is ([`UserId::Other`]: a row the application cannot find by id, which `check` reports).
    fn read_id(&self, value: ValueRef<'_>) -> UserId {
        match (value, self.shape.id) {
            (ValueRef::Integer(n), _) => UserId::Int(n),
            (ValueRef::Text(t), IdKind::Uuid { sqlite_dashed }) => {
                let text = String::from_utf8_lossy(t);
                match UserId::parse(&text) {
                    id @ UserId::Uuid(_) if id.stored_text(sqlite_dashed) == text => id,
                    _ => UserId::Other(text.into_owned()),
                }
            }
            (ValueRef::Text(t), IdKind::Serial) => {
                UserId::Other(String::from_utf8_lossy(t).into_owned())
            }
            (ValueRef::Real(x), _) => UserId::Other(x.to_string()),
            (ValueRef::Blob(b), _) => UserId::Other(format!("a {}-byte blob", b.len())),
            (ValueRef::Null, _) => UserId::Other("NULL".to_owned()),
        }
    }

    /// The values of the written columns for `user`, borrowed, in the statements' order.
    fn written<'u>(&self, user: &'u NewUser) -> Vec<ToSqlOutput<'u>> {
        let shape = self.shape;
        let mut values = Vec::with_capacity(8);
        for column in shape.written() {
            values.push(match shape.value(column, user) {
                Value::Text(text) => ToSqlOutput::Borrowed(
                    text.map_or(ValueRef::Null, |s| ValueRef::Text(s.as_bytes())),
                ),
                // NOTE: integer 0/1, never text: SQLAlchemy reads 'false' as True.
                Value::Bool(b) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(i64::from(b))),
            });
        }
        values
    }
}

impl Classify<rusqlite::Error> for Context {
    fn classify(&self, e: rusqlite::Error) -> Error {
        let code = e.sqlite_error_code();
        if let rusqlite::Error::SqliteFailure(failure, _) = &e
            && failure.extended_code == rusqlite::ffi::SQLITE_READONLY_DIRECTORY
        {
            return Error::unusable(
                &self.location,
                "its directory is not writable, so SQLite cannot create its journal there; \
                 nothing was written",
            );
        }
        match code {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Error::Busy {
                location: self.location.clone(),
                waited: self.lock_timeout,
            },
            Some(ErrorCode::NotADatabase) => {
                Error::unusable(&self.location, "is not a SQLite database")
            }
            Some(ErrorCode::DatabaseCorrupt) => Error::unusable(
                &self.location,
                "is corrupt (database disk image is malformed)",
            ),
            Some(ErrorCode::ReadOnly) => {
                Error::unusable(&self.location, "is read-only; nothing was written")
            }
            Some(ErrorCode::CannotOpen) => Error::unusable(&self.location, "cannot be opened"),
            Some(ErrorCode::DiskFull) => {
                Error::unusable(&self.location, "the disk is full; nothing was written")
            }
            _ => Error::Database {
                location: self.location.clone(),
                cause: Box::new(e),
            },
        }
    }
}

impl SqliteStore {
    pub fn open(path: &Path, access: Access, options: OpenOptions) -> Result<Self> {
        let mut database_created = false;
        let dry_run = access == Access::InitDryRun;
        let mut ctx = Context::new(path.display().to_string(), options);
        if dry_run && !path.exists() {
            return Self::planned_creation(path, ctx);
        }
        // NOTE: never SQLITE_OPEN_CREATE and never SQLITE_OPEN_URI: a mistyped path must be an
        // error, not a new empty database, and `file:…?mode=` must not be interpreted.
        let flags = match access {
            Access::Init => {
                database_created = create_private_file(path, &ctx.location)?;
                OpenFlags::SQLITE_OPEN_READ_WRITE
            }
            Access::InitDryRun | Access::ReadWrite => OpenFlags::SQLITE_OPEN_READ_WRITE,
            Access::ReadOnly => OpenFlags::SQLITE_OPEN_READ_ONLY,
        } | OpenFlags::SQLITE_OPEN_NO_MUTEX;

        if access.needs_table() {
            check_is_file(path, &ctx.location)?;
        }

        let conn = Connection::open_with_flags(path, flags).map_err(|e| ctx.classify(e))?;
        // SQLite's busy handler is the lock wait: it retries until the timeout, then SQLITE_BUSY.
        conn.busy_timeout(options.lock_timeout)
            .map_err(|e| ctx.classify(e))?;
        if access.needs_table() {
            let tables = tables(&conn).map_err(|e| ctx.classify(e))?;
            ctx.shape = shape::detect(&ctx.location, &tables, options.shape)?;
        }
        // SQLite opens a file this user cannot write read-only, and says so only at the first
        // write: refuse now, before anyone types a password.
        let read_only = conn
            .is_readonly(rusqlite::MAIN_DB)
            .map_err(|e| ctx.classify(e))?;
        if read_only && matches!(access, Access::ReadWrite | Access::Init) {
            return Err(Error::unusable(
                &ctx.location,
                "is read-only; nothing was written",
            ));
        }
        Ok(SqliteStore {
            conn,
            sql: Sql::new(ctx.shape),
            ctx,
            database_created,
            dry_run,
        })
    }
}

impl SqliteStore {
    /// Every row of the table in listing order, its user columns and `more`, as PostgreSQL's
    /// store does it: `each` gives SQLite's failure or, inside, its own.
    fn for_each_listed(
        &mut self,
        more: &str,
        each: &mut dyn FnMut(&Row<'_>, &Sql) -> rusqlite::Result<Result<()>>,
    ) -> Result<()> {
        let (ctx, sql) = (&self.ctx, &self.sql);
        let err = |e| ctx.classify(e);
        let select = format!(
            "SELECT {}{more} FROM {} {}",
            sql.columns, sql.table, sql.order
        );
        let mut stmt = self.conn.prepare(&select).map_err(err)?;
        let mut rows = stmt.query([]).map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            each(row, sql).map_err(err)??;
        }
        Ok(())
    }

    /// `init-db --dry-run` where there is no file yet: nothing to look at, so the creation is
    /// planned on an empty in-memory database.
    fn planned_creation(path: &Path, ctx: Context) -> Result<Self> {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if parent.is_some_and(|p| !p.is_dir()) {
            return Err(Error::unusable(
                &ctx.location,
                "cannot be created: its directory does not exist",
            ));
        }
        let conn = Connection::open_in_memory().map_err(|e| ctx.classify(e))?;
        Ok(SqliteStore {
            conn,
            sql: Sql::new(ctx.shape),
            ctx,
            database_created: true,
            dry_run: true,
        })
    }
}

/// A database that must exist is a regular file at `path`.
fn check_is_file(path: &Path, location: &str) -> Result<()> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(_) => Err(Error::unusable(location, "is not a file")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Error::NoDatabase {
            location: location.to_owned(),
        }),
        Err(e) => Err(Error::unusable(location, format!("cannot be read: {e}"))),
    }
}

/// Creates the database file with mode 0600 if it does not exist; says whether it did.
///
/// SQLite would create it with the umask's mode (often world-readable); password hashes are
/// secrets. SQLite gives its journal files the database file's mode.
fn create_private_file(path: &Path, location: &str) -> Result<bool> {
    match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Error::unusable(
            location,
            "cannot be created: its directory does not exist",
        )),
        Err(e) => Err(Error::unusable(location, format!("cannot be created: {e}"))),
    }
}

/// The columns of the tables a shape may live in, in one read of the schema. An `id` is an
/// integer by SQLite's type affinity: a declared type containing INT.
fn tables(conn: &Connection) -> rusqlite::Result<Tables> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.name, p.name, p.name = 'id' AND upper(p.type) LIKE '%INT%' \
         FROM sqlite_schema m, pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND lower(m.name) IN ('users', 'user', 'alembic_version') \
         ORDER BY m.name, p.cid",
    )?;
    let rows = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Tables::from_columns(rows))
}

/// Reads `disabled` as the service does: NULL is active, anything truthy is disabled.
///
/// NOTE: SQLAlchemy reads SQLite booleans with Python's `bool()`, so the text `'false'` is
/// True: that user is locked out. Such values are reported, not hidden.
fn read_disabled(value: ValueRef<'_>) -> (bool, Option<String>) {
    match value {
        ValueRef::Null | ValueRef::Integer(0) => (false, None),
        ValueRef::Integer(1) => (true, None),
        ValueRef::Integer(n) => (true, Some(format!("integer {n}"))),
        ValueRef::Real(x) => (x != 0.0, Some(format!("real {x}"))),
        ValueRef::Text(t) => (
            !t.is_empty(),
            Some(format!("text '{}'", String::from_utf8_lossy(t))),
        ),
        ValueRef::Blob(b) => (!b.is_empty(), Some("a blob".to_owned())),
    }
}

/// Reads a row of [`Sql::columns`] as the service reads it, borrowed from the row: the one
/// reader behind listings, look-ups and exports (`then` makes what is kept of it).
fn read_user<T>(
    row: &Row<'_>,
    sql: &Sql,
    then: impl FnOnce(UserRef<'_>) -> T,
) -> rusqlite::Result<T> {
    let shape = sql.shape;
    let (status, odd) = read_disabled(row.get_ref(4)?);
    let flag = |has: bool, i| -> rusqlite::Result<Option<bool>> {
        Ok(if has {
            Some(read_disabled(row.get_ref(i)?).0)
        } else {
            None
        })
    };
    // Borrowed, with `Row::get`'s errors for a value that is not text.
    let text = |i| -> rusqlite::Result<Option<&str>> {
        match row.get_ref(i)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(bytes) => std::str::from_utf8(bytes)
                .map(Some)
                .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, Type::Text, Box::new(e))),
            other => Err(rusqlite::Error::InvalidColumnType(
                i,
                row.as_ref().column_name(i)?.to_owned(),
                other.data_type(),
            )),
        }
    };
    let id = sql.read_id(row.get_ref(0)?);
    Ok(then(UserRef {
        id: &id,
        // The service's column allows NULL; such a row can never log in. Shown as an empty name
        // (which `check` reports) rather than stopping every listing.
        username: text(1)?.unwrap_or_default(),
        email: text(2)?,
        full_name: text(3)?,
        disabled: shape.status_value(status),
        odd_disabled: odd.as_deref(),
        superuser: flag(shape.superuser, 5)?,
        verified: flag(shape.verified, 6)?,
        shape,
    }))
}

/// [`read_user`] of a row that also holds the hash, after the select list.
fn read_stored_user(row: &Row<'_>, sql: &Sql) -> rusqlite::Result<StoredUser> {
    Ok(StoredUser {
        user: read_user(row, sql, |user| User::from(user))?,
        // A NULL hash (hand-inserted rows) verifies nothing; the domain reports it as malformed.
        hashed_password: row.get::<_, Option<String>>(7)?.unwrap_or_default(),
    })
}

impl Store for SqliteStore {
    fn health(&mut self) -> Result<Health> {
        health::health(&self.conn, &self.sql).map_err(|e| self.ctx.classify(e))
    }

    fn init(&mut self, migrations: Migrations) -> Result<InitReport> {
        let database_created = self.database_created;
        let ctx = &self.ctx;
        let err = |e| ctx.classify(e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let tables = tables(&tx).map_err(err)?;
        let shape = shape::to_create(&ctx.location, &tables, ctx.forced)?;
        if !tables.has(shape) {
            if let Err(refused) = shape::may_create(&ctx.location, shape, &tables, migrations) {
                // The file this command made is empty: no trace of a refused init-db is left.
                if database_created && let Some(path) = tx.path() {
                    let _ = fs::remove_file(path);
                }
                return Err(refused);
            }
            tx.execute_batch(schema_of(shape.name)).map_err(err)?;
            // A dry run drops the transaction: rolled back.
            if !self.dry_run {
                tx.commit().map_err(err)?;
            }
            (self.ctx.shape, self.sql) = (shape, Sql::new(shape));
            return Ok(InitReport::Created { database_created });
        }
        let missing = health::missing_unique_indexes(&tx, shape).map_err(err)?;
        let version = || {
            tx.pragma_query_value(None, "user_version", |row| row.get(0))
                .map_err(err)
        };
        let report =
            engine::existing_table(&ctx.location, shape, version, SCHEMA_VERSION, missing)?;
        (self.ctx.shape, self.sql) = (shape, Sql::new(shape));
        Ok(report)
    }

    fn for_each_user(
        &mut self,
        filter: StatusFilter,
        each: &mut dyn FnMut(UserRef<'_>) -> Result<()>,
    ) -> Result<()> {
        // Without the hashes, and borrowed from each row: a listing copies nothing it need not.
        self.for_each_listed("", &mut |row, sql| {
            // The status first: a row the filter leaves out is not read further.
            if filter != StatusFilter::All
                && !filter.keeps(sql.shape.status_value(read_disabled(row.get_ref(4)?).0))
            {
                return Ok(Ok(()));
            }
            read_user(row, sql, &mut *each)
        })
    }

    fn for_each_stored_user(
        &mut self,
        filter: StatusFilter,
        each: &mut dyn FnMut(StoredUser) -> Result<()>,
    ) -> Result<()> {
        self.for_each_listed(", hashed_password", &mut |row, sql| {
            let stored = read_stored_user(row, sql)?;
            Ok(if filter.keeps(stored.user.disabled) {
                each(stored)
            } else {
                Ok(())
            })
        })
    }

    fn write(&mut self) -> Result<Box<dyn Transaction + '_>> {
        let ctx = &self.ctx;
        // A bulk write touches every index page; SQLite's default 2 MiB page cache re-reads
        // them. Reads keep the default, so a listing's memory stays small.
        self.conn
            .pragma_update(None, "cache_size", -32_768)
            .map_err(|e| ctx.classify(e))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| ctx.classify(e))?;
        Ok(Box::new(SqliteTx::new(tx, ctx, &self.sql)))
    }
}

/// The service's own table in a new database file, for the domain's tests
/// (`db::testing::service_table`).
#[cfg(test)]
pub(super) fn create_service_table(path: &Path, email_index: bool) -> rusqlite::Result<()> {
    let conn = Connection::open(path)?;
    conn.execute_batch(SERVICE_DDL)?;
    if !email_index {
        conn.execute_batch("DROP INDEX ix_users_email")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_declares_the_service_unique_indexes() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        assert!(
            health::missing_unique_indexes(&conn, &shape::TUTORIAL)
                .unwrap()
                .is_empty()
        );
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }

    #[test]
    fn service_table_passes_the_column_check() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SERVICE_DDL).unwrap();
        let found = shape::detect("x", &tables(&conn).unwrap(), None).unwrap();
        assert_eq!(found.name, ShapeName::Tutorial);
        assert!(
            health::missing_unique_indexes(&conn, found)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn disabled_is_read_as_the_service_reads_it() {
        assert_eq!(read_disabled(ValueRef::Null), (false, None));
        assert_eq!(read_disabled(ValueRef::Integer(0)), (false, None));
        assert_eq!(read_disabled(ValueRef::Integer(1)), (true, None));
        let (disabled, note) = read_disabled(ValueRef::Text(b"false"));
        assert!(disabled);
        assert_eq!(note.as_deref(), Some("text 'false'"));
        // Python's bool() of what SQLAlchemy hands it: zero and empty are False.
        assert_eq!(
            read_disabled(ValueRef::Integer(2)),
            (true, Some("integer 2".into()))
        );
        assert_eq!(
            read_disabled(ValueRef::Real(0.0)),
            (false, Some("real 0".into()))
        );
        assert_eq!(
            read_disabled(ValueRef::Real(0.5)),
            (true, Some("real 0.5".into()))
        );
        assert_eq!(
            read_disabled(ValueRef::Text(b"")),
            (false, Some("text ''".into()))
        );
        assert_eq!(
            read_disabled(ValueRef::Blob(b"")),
            (false, Some("a blob".into()))
        );
        assert_eq!(
            read_disabled(ValueRef::Blob(b"\0")),
            (true, Some("a blob".into()))
        );
    }

    #[test]
    fn strict_schema_refuses_text_booleans() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        let result = conn.execute(
            "INSERT INTO users (username, disabled, hashed_password) VALUES ('a', 'false', 'h')",
            [],
        );
        assert!(result.is_err());
    }
}
