//! The SQLite engine: the only place that speaks SQL to a SQLite file.

use std::fs;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, Type, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Row, TransactionBehavior};

use super::shape::{self, IdKind, Migrations, Shape, ShapeName, Tables, Value};
use super::{
    Access, Dependents, Flag, ForeignKey, Health, InitReport, Lookup, NewUser, OpenOptions,
    StatusFilter, Store, StoredUser, Transaction, User, UserId, UserRef, WriteTx, unusable,
};
use crate::error::{Error, Result};
use crate::password::{HashCensus, MAX_BCRYPT_COST};

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
const SCHEMA: &str = include_str!("../../schema.sql");
const SCHEMA_VERSION: i64 = 1;

/// The full-stack template's tables as its models emit them with `create_all` on SQLite
/// (`table-shapes.md`): the `user` table only (the application creates its `item` itself).
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
    ctx: Ctx,
    database_created: bool,
    dry_run: bool,
}

/// What queries and turning a SQLite failure into a domain error need: the location, the lock
/// wait, the table's shape and its statements. Kept apart from the connection so that it can be
/// borrowed while the connection is borrowed mutably (by a transaction).
struct Ctx {
    location: String,
    lock_timeout: Duration,
    /// Forced by `--table-shape`, for `init-db`.
    forced: Option<ShapeName>,
    sql: Sql,
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
    /// `INSERT` of every column the shape has, in [`Shape::written_columns`]'s order after `id`
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

impl Ctx {
    /// Turns a SQLite failure into the domain's error class.
    fn classify(&self, e: rusqlite::Error) -> Error {
        let code = e.sqlite_error_code();
        if let rusqlite::Error::SqliteFailure(failure, _) = &e
            && failure.extended_code == rusqlite::ffi::SQLITE_READONLY_DIRECTORY
        {
            return unusable(
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
            Some(ErrorCode::NotADatabase) => unusable(&self.location, "is not a SQLite database"),
            Some(ErrorCode::DatabaseCorrupt) => unusable(
                &self.location,
                "is corrupt (database disk image is malformed)",
            ),
            Some(ErrorCode::ReadOnly) => {
                unusable(&self.location, "is read-only; nothing was written")
            }
            Some(ErrorCode::CannotOpen) => unusable(&self.location, "cannot be opened"),
            Some(ErrorCode::DiskFull) => {
                unusable(&self.location, "the disk is full; nothing was written")
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
        let mut ctx = Ctx {
            location: path.display().to_string(),
            lock_timeout: options.lock_timeout,
            forced: options.shape,
            sql: Sql::new(options.shape.map_or(&shape::TUTORIAL, ShapeName::shape)),
        };
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
            ctx.sql = Sql::new(shape::detect(&ctx.location, &tables, options.shape)?);
        }
        // SQLite opens a file this user cannot write read-only, and says so only at the first
        // write: refuse now, before anyone types a password.
        let read_only = conn
            .is_readonly(rusqlite::MAIN_DB)
            .map_err(|e| ctx.classify(e))?;
        if read_only && matches!(access, Access::ReadWrite | Access::Init) {
            return Err(unusable(&ctx.location, "is read-only; nothing was written"));
        }
        Ok(SqliteStore {
            conn,
            ctx,
            database_created,
            dry_run,
        })
    }
}

impl SqliteStore {
    /// `init-db --dry-run` where there is no file yet: nothing to look at, so the creation is
    /// planned on an empty in-memory database.
    fn planned_creation(path: &Path, ctx: Ctx) -> Result<Self> {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if parent.is_some_and(|p| !p.is_dir()) {
            return Err(unusable(
                &ctx.location,
                "cannot be created: its directory does not exist",
            ));
        }
        let conn = Connection::open_in_memory().map_err(|e| ctx.classify(e))?;
        Ok(SqliteStore {
            conn,
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
        Ok(_) => Err(unusable(location, "is not a file")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Error::NoDatabase {
            location: location.to_owned(),
        }),
        Err(e) => Err(unusable(location, format!("cannot be read: {e}"))),
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
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(unusable(
            location,
            "cannot be created: its directory does not exist",
        )),
        Err(e) => Err(unusable(location, format!("cannot be created: {e}"))),
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

/// Which of the shape's unique columns lack a unique index of their own.
fn missing_unique_indexes(conn: &Connection, shape: &Shape) -> rusqlite::Result<Vec<String>> {
    let mut unique_single_columns = Vec::new();
    let mut indexes =
        conn.prepare("SELECT name FROM pragma_index_list(?1) WHERE \"unique\" = 1")?;
    let names: Vec<String> = indexes
        .query_map([shape.table], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut info = conn.prepare("SELECT name FROM pragma_index_info(?1)")?;
    for name in names {
        let columns: Vec<Option<String>> = info
            .query_map([&name], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if let [Some(column)] = columns.as_slice() {
            unique_single_columns.push(column.to_ascii_lowercase());
        }
    }
    Ok(shape.missing_unique(&unique_single_columns))
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

/// The status and the flags of a row as the service reads them: (disabled, odd value,
/// is_superuser, is_verified), the flags `None` where the shape has no such column.
type Flags = (bool, Option<String>, Option<bool>, Option<bool>);

fn read_flags(row: &Row<'_>, shape: &Shape) -> rusqlite::Result<Flags> {
    let (status, odd) = read_disabled(row.get_ref(4)?);
    let flag = |has: bool, i| -> rusqlite::Result<Option<bool>> {
        Ok(if has {
            Some(read_disabled(row.get_ref(i)?).0)
        } else {
            None
        })
    };
    Ok((
        shape.status_value(status),
        odd,
        flag(shape.superuser, 5)?,
        flag(shape.verified, 6)?,
    ))
}

fn user_from_row(row: &Row<'_>, sql: &Sql) -> rusqlite::Result<User> {
    let shape = sql.shape;
    let (disabled, odd_disabled, superuser, verified) = read_flags(row, shape)?;
    Ok(User {
        id: sql.read_id(row.get_ref(0)?),
        // The service's column allows NULL; such a row can never log in. Shown as an empty name
        // (which `check` reports) rather than stopping every listing.
        username: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
        email: row.get(2)?,
        full_name: row.get(3)?,
        disabled,
        odd_disabled,
        superuser,
        verified,
        shape,
    })
}

fn user_ref_from_row<'r>(
    row: &'r Row<'_>,
    id: &'r UserId,
    flags: &'r Flags,
    shape: &'static Shape,
) -> rusqlite::Result<UserRef<'r>> {
    let text = |i| -> rusqlite::Result<Option<&'r str>> {
        row.get_ref(i)?
            .as_str_or_null()
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, Type::Text, Box::new(e)))
    };
    Ok(UserRef {
        id,
        username: text(1)?.unwrap_or_default(),
        email: text(2)?,
        full_name: text(3)?,
        disabled: flags.0,
        odd_disabled: flags.1.as_deref(),
        superuser: flags.2,
        verified: flags.3,
        shape,
    })
}

fn stored_user_from_row(row: &Row<'_>, sql: &Sql) -> rusqlite::Result<StoredUser> {
    Ok(StoredUser {
        user: user_from_row(row, sql)?,
        // A NULL hash (hand-inserted rows) verifies nothing; the domain reports it as malformed.
        hashed_password: row.get::<_, Option<String>>(7)?.unwrap_or_default(),
    })
}

fn find_user(conn: &Connection, sql: &Sql, login: &str) -> rusqlite::Result<Option<StoredUser>> {
    conn.prepare_cached(&format!(
        "SELECT {}, hashed_password FROM {} WHERE {}",
        sql.columns, sql.table, sql.login_is
    ))?
    .query_row([login], |row| stored_user_from_row(row, sql))
    .optional()
}

fn email_owner(conn: &Connection, sql: &Sql, email: &str) -> rusqlite::Result<Option<String>> {
    if !sql.shape.email {
        return Ok(None);
    }
    let (login, table) = (sql.shape.login, &sql.table);
    conn.prepare_cached(&format!(
        "SELECT coalesce({login}, '') FROM {table} WHERE email = ?1"
    ))?
    .query_row([email], |row| row.get(0))
    .optional()
}

/// How many keys one batched look-up binds (SQLite allows far more; this keeps statements small).
const BATCH: usize = 500;

/// Runs `select` (ending in `IN (`) over `keys` in batches of [`BATCH`], one cached statement per
/// batch size; `param` is each key's placeholder (`?`, `lower(?)`).
fn batched<T>(
    conn: &Connection,
    select: &str,
    param: &str,
    keys: &[&str],
    row: impl Fn(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut found = Vec::new();
    for chunk in keys.chunks(BATCH) {
        let sql = format!("{select}{})", vec![param; chunk.len()].join(","));
        let mut stmt = conn.prepare_cached(&sql)?;
        for item in stmt.query_map(rusqlite::params_from_iter(chunk), &row)? {
            found.push(item?);
        }
    }
    Ok(found)
}

fn find_users(
    conn: &Connection,
    sql: &Sql,
    logins: &[&str],
) -> rusqlite::Result<Vec<(String, StoredUser)>> {
    let folds = sql.shape.login_folds_case;
    let (login, param) = if folds {
        (format!("lower({})", sql.shape.login), "lower(?)")
    } else {
        (sql.shape.login.to_owned(), "?")
    };
    let select = format!(
        "SELECT {}, hashed_password FROM {} WHERE {login} IN (",
        sql.columns, sql.table
    );
    let found = batched(conn, &select, param, logins, |row| {
        stored_user_from_row(row, sql)
    })?;
    if !folds {
        return Ok(found
            .into_iter()
            .map(|stored| (stored.user.username.clone(), stored))
            .collect());
    }
    // SQLite's lower() folds ASCII only: the same fold pairs each row with its logins.
    let mut asked: std::collections::HashMap<String, Vec<&str>> = std::collections::HashMap::new();
    for login in logins {
        asked
            .entry(login.to_ascii_lowercase())
            .or_default()
            .push(login);
    }
    let mut pairs = Vec::with_capacity(found.len());
    for stored in found {
        let key = stored.user.username.to_ascii_lowercase();
        for login in asked.get(&key).into_iter().flatten() {
            pairs.push(((*login).to_owned(), stored.clone()));
        }
    }
    Ok(pairs)
}

fn email_owners(
    conn: &Connection,
    sql: &Sql,
    emails: &[&str],
) -> rusqlite::Result<Vec<(String, String)>> {
    if !sql.shape.email {
        return Ok(Vec::new());
    }
    let select = format!(
        "SELECT email, coalesce({}, '') FROM {} WHERE email IN (",
        sql.shape.login, sql.table
    );
    batched(conn, &select, "?", emails, |row| {
        Ok((row.get(0)?, row.get(1)?))
    })
}

fn hash_census(conn: &Connection, sql: &Sql) -> rusqlite::Result<HashCensus> {
    // One pass in SQLite's C, by exact (case-sensitive) prefix, no hash parsed: the kinds
    // `password::inspect` knows, and bcrypt costs only within the bounds it verifies.
    const ARGON2: &str = "(hashed_password GLOB '$argon2id$*' OR hashed_password GLOB '$argon2i$*' \
                          OR hashed_password GLOB '$argon2d$*')";
    const BCRYPT: &str =
        "(hashed_password GLOB '$2[aby]$[0-9][0-9]$*' AND length(hashed_password) = 60)";
    conn.prepare_cached(&format!(
        "SELECT count(*) FILTER (WHERE {ARGON2}), count(*) FILTER (WHERE {BCRYPT}), \
                max(cost) FILTER (WHERE {BCRYPT} AND cost BETWEEN 4 AND {MAX_BCRYPT_COST}) \
         FROM (SELECT hashed_password, CAST(substr(hashed_password, 5, 2) AS INTEGER) AS cost FROM {})",
        sql.table
    ))?
    .query_row([], |row| {
        let count = |i| row.get::<_, i64>(i).map(|n| u64::try_from(n).unwrap_or(0));
        Ok(HashCensus {
            argon2: count(0)?,
            bcrypt: count(1)?,
            bcrypt_cost: row
                .get::<_, Option<i64>>(2)?
                .and_then(|cost| u32::try_from(cost).ok()),
        })
    })
}

fn for_each_username(
    conn: &Connection,
    sql: &Sql,
    each: &mut dyn FnMut(&str),
) -> rusqlite::Result<()> {
    let mut statement =
        conn.prepare_cached(&format!("SELECT {} FROM {}", sql.shape.login, sql.table))?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        // Borrowed from SQLite's buffer: no allocation per name.
        if let rusqlite::types::ValueRef::Text(name) = row.get_ref(0)?
            && let Ok(name) = std::str::from_utf8(name)
        {
            each(name);
        }
    }
    Ok(())
}

/// The connection a look-up runs on and how its failures are classified: a store's own, or its
/// write transaction's. One implementation of [`Lookup`] serves both.
trait Session {
    fn session(&self) -> (&Connection, &Ctx);

    fn run<T>(&self, query: impl FnOnce(&Connection, &Sql) -> rusqlite::Result<T>) -> Result<T> {
        let (conn, ctx) = self.session();
        query(conn, &ctx.sql).map_err(|e| ctx.classify(e))
    }
}

impl Session for SqliteStore {
    fn session(&self) -> (&Connection, &Ctx) {
        (&self.conn, &self.ctx)
    }
}

impl Session for SqliteTx<'_> {
    fn session(&self) -> (&Connection, &Ctx) {
        (&self.tx, self.ctx)
    }
}

impl<S: Session> Lookup for S {
    fn shape(&self) -> &'static Shape {
        self.session().1.sql.shape
    }

    fn find_user(&mut self, username: &str) -> Result<Option<StoredUser>> {
        self.run(|conn, sql| find_user(conn, sql, username))
    }

    fn email_owner(&mut self, email: &str) -> Result<Option<String>> {
        self.run(|conn, sql| email_owner(conn, sql, email))
    }

    fn hash_census(&mut self) -> Result<HashCensus> {
        self.run(hash_census)
    }

    fn find_users(&mut self, usernames: &[&str]) -> Result<Vec<(String, StoredUser)>> {
        self.run(|conn, sql| find_users(conn, sql, usernames))
    }

    fn email_owners(&mut self, emails: &[&str]) -> Result<Vec<(String, String)>> {
        self.run(|conn, sql| email_owners(conn, sql, emails))
    }

    fn for_each_username(&mut self, each: &mut dyn FnMut(&str)) -> Result<()> {
        self.run(|conn, sql| for_each_username(conn, sql, each))
    }
}

/// At most this many lines of `integrity_check`: a badly damaged file can report thousands.
const MAX_INTEGRITY_ERRORS: usize = 20;

fn health(conn: &Connection, sql: &Sql) -> rusqlite::Result<Health> {
    let mut integrity = conn.prepare(&format!("PRAGMA integrity_check({MAX_INTEGRITY_ERRORS})"))?;
    let rows = integrity
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let integrity_errors = integrity_errors(&rows);
    let mut nulls = conn.prepare(&format!(
        "SELECT coalesce({}, '') FROM {} WHERE {} IS NULL ORDER BY id",
        sql.shape.login,
        sql.table,
        sql.shape.status_column()
    ))?;
    let null_disabled = nulls
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Health {
        shape: sql.shape,
        integrity_errors,
        missing_unique_indexes: missing_unique_indexes(conn, sql.shape)?,
        null_disabled,
        misformed_ids: misformed_ids(conn, sql)?,
        login_duplicates: login_duplicates(conn, sql)?,
    })
}

/// The logins of rows whose id is not text in the shape's one form.
fn misformed_ids(conn: &Connection, sql: &Sql) -> rusqlite::Result<Vec<String>> {
    let IdKind::Uuid { sqlite_dashed } = sql.shape.id else {
        return Ok(Vec::new());
    };
    let form = if sqlite_dashed {
        "length(id) = 36 AND NOT id GLOB '*[^0-9a-f-]*' AND substr(id, 9, 1) = '-' \
         AND substr(id, 14, 1) = '-' AND substr(id, 19, 1) = '-' AND substr(id, 24, 1) = '-'"
    } else {
        "length(id) = 32 AND NOT id GLOB '*[^0-9a-f]*'"
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT coalesce({}, '') FROM {} WHERE NOT (typeof(id) = 'text' AND {form}) ORDER BY rowid",
        sql.shape.login, sql.table
    ))?;
    stmt.query_map([], |row| row.get(0))?.collect()
}

/// Logins that several rows share as a case-folding service matches them.
fn login_duplicates(conn: &Connection, sql: &Sql) -> rusqlite::Result<Vec<String>> {
    if !sql.shape.login_folds_case {
        return Ok(Vec::new());
    }
    let login = sql.shape.login;
    let mut stmt = conn.prepare(&format!(
        "SELECT lower({login}) FROM {} GROUP BY lower({login}) HAVING count(*) > 1 ORDER BY 1",
        sql.table
    ))?;
    stmt.query_map([], |row| row.get(0))?.collect()
}

/// The problems in `integrity_check`'s rows: "ok" means none; a row may hold several lines,
/// the b-tree ones under a "*** in database main ***" heading.
fn integrity_errors(rows: &[String]) -> Vec<String> {
    rows.iter()
        .flat_map(|row| row.lines())
        .filter(|line| *line != "ok" && !line.starts_with("***"))
        .take(MAX_INTEGRITY_ERRORS)
        .map(str::to_owned)
        .collect()
}

impl Store for SqliteStore {
    fn health(&mut self) -> Result<Health> {
        self.run(health)
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
            self.ctx.sql = Sql::new(shape);
            return Ok(InitReport::Created { database_created });
        }
        let missing = missing_unique_indexes(&tx, shape).map_err(err)?;
        let version = || {
            tx.pragma_query_value(None, "user_version", |row| row.get(0))
                .map_err(err)
        };
        let report = super::existing_table(&ctx.location, shape, version, SCHEMA_VERSION, missing)?;
        self.ctx.sql = Sql::new(shape);
        Ok(report)
    }

    fn for_each_user(
        &mut self,
        filter: StatusFilter,
        each: &mut dyn FnMut(UserRef<'_>) -> Result<()>,
    ) -> Result<()> {
        // Without the hashes, and borrowed from each row: a listing copies nothing it need not.
        let ctx = &self.ctx;
        let err = |e| ctx.classify(e);
        let sql = &ctx.sql;
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {} FROM {} {}",
                sql.columns, sql.table, sql.order
            ))
            .map_err(err)?;
        let mut rows = stmt.query([]).map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            let flags = read_flags(row, sql.shape).map_err(err)?;
            if filter.keeps(flags.0) {
                let id = sql.read_id(row.get_ref(0).map_err(err)?);
                let user = user_ref_from_row(row, &id, &flags, sql.shape).map_err(err)?;
                each(user)?;
            }
        }
        Ok(())
    }

    fn for_each_stored_user(
        &mut self,
        filter: StatusFilter,
        each: &mut dyn FnMut(StoredUser) -> Result<()>,
    ) -> Result<()> {
        let ctx = &self.ctx;
        let err = |e| ctx.classify(e);
        let sql = &ctx.sql;
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {}, hashed_password FROM {} {}",
                sql.columns, sql.table, sql.order
            ))
            .map_err(err)?;
        let mut rows = stmt.query([]).map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            let stored = stored_user_from_row(row, sql).map_err(err)?;
            if filter.keeps(stored.user.disabled) {
                each(stored)?;
            }
        }
        Ok(())
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
        Ok(Box::new(SqliteTx { tx, ctx }))
    }
}

struct SqliteTx<'a> {
    tx: rusqlite::Transaction<'a>,
    ctx: &'a Ctx,
}

impl SqliteTx<'_> {
    /// A write's failure as the domain's conflict when a unique index refused `user`'s login
    /// or email, else classified.
    ///
    /// NOTE: SQLite names the violated column only in the message text ("UNIQUE constraint
    /// failed: users.email"); the extended code says it is a unique constraint.
    fn conflict_or(&mut self, e: rusqlite::Error, user: &NewUser) -> Error {
        let unique = matches!(&e, rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE);
        let message = e.to_string();
        let shape = self.ctx.sql.shape;
        if unique && message.contains(&format!("{}.{}", shape.table, shape.login)) {
            return match self.find_user(&user.username) {
                Ok(stored) => crate::users::taken(shape, &user.username, stored.as_ref()),
                Err(e) => e,
            };
        }
        if let (true, Some(email)) = (
            unique && message.contains(&format!("{}.email", shape.table)),
            &user.email,
        ) {
            return match self.email_owner(email) {
                Ok(owner) => Error::EmailTaken {
                    email: email.clone(),
                    owner: owner.unwrap_or_default(),
                },
                Err(e) => e,
            };
        }
        // An index of the table's own (on `lower(email)`, say): "… failed: index 'name'".
        if let (true, Some((_, index))) = (unique, message.split_once("failed: index ")) {
            return Error::UniqueIndex {
                username: user.username.clone(),
                index: index.trim_matches('\'').to_owned(),
            };
        }
        self.ctx.classify(e)
    }

    fn execute(&self, sql: &str, params: impl rusqlite::Params) -> Result<usize> {
        self.tx
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute(params))
            .map_err(|e| self.ctx.classify(e))
    }

    /// The foreign keys of other tables that refer to the user table.
    fn foreign_keys(&self) -> Result<Vec<ForeignKey>> {
        let table = self.ctx.sql.shape.table;
        self.tx
            .prepare_cached(
                "SELECT m.name, f.\"from\", upper(f.on_delete) FROM sqlite_schema m, \
                 pragma_foreign_key_list(m.name) f \
                 WHERE m.type = 'table' AND lower(f.\"table\") = lower(?1) ORDER BY m.name",
            )
            .and_then(|mut stmt| {
                stmt.query_map([table], |row| {
                    Ok(ForeignKey {
                        table: row.get(0)?,
                        column: row.get(1)?,
                        on_delete: row.get(2)?,
                    })
                })?
                .collect()
            })
            .map_err(|e| self.ctx.classify(e))
    }

    /// Runs a statement that must change exactly the one row of a user found under this
    /// transaction's lock; any other count means the table changed under it.
    fn change_one(
        &mut self,
        sql: &str,
        params: impl rusqlite::Params,
        user: Option<&NewUser>,
    ) -> Result<()> {
        let changed = self
            .tx
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute(params));
        match (changed, user) {
            (Ok(n), _) => super::changed_one(u64::try_from(n).unwrap_or(u64::MAX)),
            (Err(e), Some(user)) => Err(self.conflict_or(e, user)),
            (Err(e), None) => Err(self.ctx.classify(e)),
        }
    }
}

/// `UTC now` as SQLAlchemy writes a naive `DATETIME` to SQLite: `2026-11-27 06:38:01.707249`.
fn sqlite_now() -> String {
    let text = humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string();
    text.trim_end_matches('Z').replacen('T', " ", 1)
}

impl WriteTx for SqliteTx<'_> {
    fn id_owner(&mut self, id: &UserId) -> Result<Option<String>> {
        let sql = &self.ctx.sql;
        self.tx
            .prepare_cached(&format!(
                "SELECT coalesce({}, '') FROM {} WHERE id = ?1",
                sql.shape.login, sql.table
            ))
            .and_then(|mut stmt| stmt.query_row([sql.id(id)], |row| row.get(0)).optional())
            .map_err(|e| self.ctx.classify(e))
    }

    fn insert_user(&mut self, user: &NewUser) -> Result<UserId> {
        let sql = &self.ctx.sql;
        let id = match (&user.id, sql.shape.id) {
            (Some(id), _) => Some(id.clone()),
            (None, IdKind::Uuid { .. }) => Some(UserId::random_uuid()?),
            (None, IdKind::Serial) => None,
        };
        let stored_id = id.as_ref().map(|id| sql.id(id));
        let created_at = sql.shape.created_at.then(sqlite_now);
        let mut values = vec![
            ToSqlOutput::Owned(stored_id.unwrap_or(rusqlite::types::Value::Null)),
            ToSqlOutput::Borrowed(ValueRef::Text(user.username.as_bytes())),
        ];
        values.extend(sql.written(user));
        values.extend(
            created_at
                .as_deref()
                .map(|now| ToSqlOutput::Borrowed(ValueRef::Text(now.as_bytes()))),
        );
        let inserted = self
            .tx
            .prepare_cached(&sql.insert)
            .and_then(|mut stmt| stmt.execute(rusqlite::params_from_iter(values)));
        match inserted {
            Ok(_) => Ok(id.unwrap_or_else(|| UserId::Int(self.tx.last_insert_rowid()))),
            Err(e) => Err(self.conflict_or(e, user)),
        }
    }

    fn update_user(&mut self, id: &UserId, user: &NewUser) -> Result<()> {
        // The context outlives this borrow of the transaction: no copy of the statement.
        let sql = &self.ctx.sql;
        let mut values = sql.written(user);
        values.push(ToSqlOutput::Owned(sql.id(id)));
        self.change_one(&sql.update, rusqlite::params_from_iter(values), Some(user))
    }

    fn delete_user(&mut self, id: &UserId) -> Result<Vec<Dependents>> {
        let key = self.ctx.sql.id(id);
        let mut removed = Vec::new();
        for fk in self.foreign_keys()? {
            let (table, column) = (&fk.table, &fk.column);
            let rows = match super::on_delete(&fk) {
                super::OnDelete::Delete => self.execute(
                    &format!("DELETE FROM \"{table}\" WHERE \"{column}\" = ?1"),
                    [&key],
                )?,
                super::OnDelete::Clear => self.execute(
                    &format!("UPDATE \"{table}\" SET \"{column}\" = NULL WHERE \"{column}\" = ?1"),
                    [&key],
                )?,
                super::OnDelete::Refuse => self
                    .tx
                    .query_row(
                        &format!("SELECT count(*) FROM \"{table}\" WHERE \"{column}\" = ?1"),
                        [&key],
                        |row| row.get::<_, i64>(0),
                    )
                    .map(|n| usize::try_from(n).unwrap_or(0))
                    .map_err(|e| self.ctx.classify(e))?,
            };
            removed.push(super::dependents(&fk, rows)?);
        }
        let statement = format!("DELETE FROM {} WHERE id = ?1", self.ctx.sql.table);
        self.change_one(&statement, [&key], None)?;
        Ok(removed.into_iter().filter(|d| d.rows > 0).collect())
    }

    fn set_flag(&mut self, id: &UserId, flag: Flag, value: bool) -> Result<()> {
        let sql = &self.ctx.sql;
        let (column, stored) = sql.shape.flag_column(flag, value);
        let statement = format!("UPDATE {} SET {column} = ?1 WHERE id = ?2", sql.table);
        let params = rusqlite::params![i64::from(stored), sql.id(id)];
        self.change_one(&statement, params, None)
    }
}

impl Transaction for SqliteTx<'_> {
    fn commit(self: Box<Self>) -> Result<()> {
        let ctx = self.ctx;
        self.tx.commit().map_err(|e| ctx.classify(e))
    }

    /// Every write was checked as it was made.
    fn rollback(self: Box<Self>) -> Result<()> {
        let ctx = self.ctx;
        self.tx.rollback().map_err(|e| ctx.classify(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_declares_the_service_unique_indexes() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        assert!(
            missing_unique_indexes(&conn, &shape::TUTORIAL)
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
        assert!(missing_unique_indexes(&conn, found).unwrap().is_empty());
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

    /// The write transaction re-checks what the plan saw: an email taken by another writer
    /// between the plan and the write is a conflict, even on a table without the unique email
    /// index (where only the domain's check under the lock stands in the way).
    #[test]
    fn the_write_re_checks_what_the_plan_saw() {
        use crate::users::{OnExisting, PasswordChange, UserSpec, apply, plan};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.db");
        let setup = Connection::open(&path).unwrap();
        setup.execute_batch(SERVICE_DDL).unwrap();
        setup.execute_batch("DROP INDEX ix_users_email").unwrap();
        let options = OpenOptions {
            lock_timeout: Duration::from_secs(1),
            shape: None,
        };
        let mut store = SqliteStore::open(&path, Access::ReadWrite, options).unwrap();
        let email = Some(Some("same@example.com".to_owned()));
        let spec = UserSpec::new("second".into(), email, None, None).unwrap();
        let planned = plan(&mut store, &spec, OnExisting::Fail, false).unwrap();
        assert!(planned.existing.is_none());
        setup
            .execute_batch(
                "INSERT INTO users (username, email, disabled, hashed_password) \
                 VALUES ('first', 'same@example.com', 0, 'h')",
            )
            .unwrap();
        let mut tx = store.write().unwrap();
        let written = apply(
            &mut *tx,
            &spec,
            &PasswordChange::Set("h".into()),
            OnExisting::Fail,
        );
        assert!(
            matches!(&written, Err(Error::EmailTaken { owner, .. }) if owner == "first"),
            "{written:?}"
        );
    }

    /// An upsert that keeps the stored hash (the given password verifies) stops when the hash
    /// changed between the plan and the write, rather than write over the new one.
    #[test]
    fn a_hash_changed_since_the_plan_is_not_overwritten() {
        use crate::users::{OnExisting, PasswordChange, UserSpec, apply};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.db");
        let setup = Connection::open(&path).unwrap();
        setup.execute_batch(SERVICE_DDL).unwrap();
        setup
            .execute_batch(
                "INSERT INTO users (username, disabled, hashed_password) VALUES ('alice', 0, 'old')",
            )
            .unwrap();
        let options = OpenOptions {
            lock_timeout: Duration::from_secs(1),
            shape: None,
        };
        let mut store = SqliteStore::open(&path, Access::ReadWrite, options).unwrap();
        let spec = UserSpec::new("alice".into(), None, Some(Some("Alice".into())), None).unwrap();
        // Planned with the password verifying against 'old'; then someone sets a new one.
        let keep = PasswordChange::KeepIf("old".to_owned());
        setup
            .execute_batch("UPDATE users SET hashed_password = 'new' WHERE username = 'alice'")
            .unwrap();
        let mut tx = store.write().unwrap();
        let update = OnExisting::Update { password: true };
        let written = apply(&mut *tx, &spec, &keep, update);
        assert!(
            matches!(&written, Err(Error::Internal(m)) if m.contains("changed while authctl was running")),
            "{written:?}"
        );
    }

    #[test]
    fn integrity_rows_are_split_into_problems() {
        let rows = ["*** in database main ***\nPage 4: never used\nPage 5: never used".to_owned()];
        assert_eq!(
            integrity_errors(&rows),
            ["Page 4: never used", "Page 5: never used"]
        );
        assert!(integrity_errors(&["ok".to_owned()]).is_empty());
        let many = vec!["row 1 missing from index i".to_owned(); 30];
        assert_eq!(integrity_errors(&many).len(), MAX_INTEGRITY_ERRORS);
    }

    /// An import racing another writer (who writes while the passwords hash).
    mod import_races {
        use std::path::PathBuf;
        use std::time::Duration;

        use crate::bulk::{ImportOptions, MissingPassword, Progress, import};
        use crate::db::{Access, Location, OpenOptions, Store};
        use crate::error::{Error, Kind};
        use crate::password::{HashProfile, SchemeChoice};
        use crate::records::FileFormat;
        use crate::users::{Hashing, OnExisting, Rules};

        /// Another writer that runs `.1` while the import hashes (between plan and write).
        struct Racer(PathBuf, &'static str);

        impl Progress for Racer {
            fn start(&self, _: usize) {
                rusqlite::Connection::open(&self.0)
                    .and_then(|c| c.execute(self.1, []))
                    .unwrap();
            }
            fn tick(&self) {}
            fn finish(&self) {}
        }

        fn store(path: &std::path::Path) -> Box<dyn Store> {
            let options = OpenOptions {
                lock_timeout: Duration::from_secs(1),
                shape: None,
            };
            crate::db::open(&Location::file(path.to_owned()), Access::Init, options)
                .and_then(|mut store| store.init(crate::db::Migrations::Respected).map(|_| store))
                .unwrap()
        }

        fn options(on_conflict: OnExisting) -> ImportOptions {
            ImportOptions {
                on_conflict,
                missing_password: MissingPassword::Random,
                hashing: Hashing {
                    scheme: SchemeChoice::default(),
                    profile: HashProfile::Test,
                },
                rules: Rules::default(),
                dry_run: false,
            }
        }

        /// A name taken by another writer while the import hashed is a conflict (exit 4) listed with
        /// its record, found under the write lock; nothing is written.
        #[test]
        fn a_name_taken_between_plan_and_write_is_a_listed_conflict() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("users.db");
            let mut store = store(&path);
            let racer = Racer(
                path.clone(),
                "INSERT INTO users (username, disabled, hashed_password) VALUES ('newbie', 0, 'h')",
            );
            let input = "username,password\nfirst,pw-for-tests\nnewbie,pw-for-tests\n".as_bytes();
            let result = import(
                &mut *store,
                input,
                FileFormat::Csv,
                options(OnExisting::Fail),
                &racer,
            );
            let Err(Error::Rows(rows)) = &result else {
                panic!("{result:?}");
            };
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].location, "line 3");
            assert_eq!(result.unwrap_err().kind(), Kind::Conflict);
            let count: i64 = rusqlite::Connection::open(&path)
                .unwrap()
                .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
                .unwrap();
            assert_eq!(count, 1);
        }

        /// A user gone between the plan and the write is the table changing under the import, not a
        /// record's fault: the import stops with that error and lists no record.
        #[test]
        fn a_user_gone_between_plan_and_write_is_not_a_refused_record() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("users.db");
            let mut store = store(&path);
            rusqlite::Connection::open(&path)
            .unwrap()
            .execute(
                "INSERT INTO users (username, disabled, hashed_password) VALUES ('kept', 0, 'h')",
                [],
            )
            .unwrap();
            let racer = Racer(path, "DELETE FROM users WHERE username = 'kept'");
            let input = "username,email\nkept,kept@example.com\n".as_bytes();
            let result = import(
                &mut *store,
                input,
                FileFormat::Csv,
                options(OnExisting::Skip),
                &racer,
            );
            assert!(matches!(result, Err(Error::Internal(_))), "{result:?}");
        }
    }
}
