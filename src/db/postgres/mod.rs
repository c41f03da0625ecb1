//! The PostgreSQL engine: the only place that speaks SQL to a PostgreSQL server.
//!
//! The same contract as the SQLite engine: the write transaction locks the table against other
//! writers (readers go on), listings stream through a cursor, an import's inserts go to the
//! server a thousand rows per statement.
//!
//! NOTE: a transaction pooler (PgBouncer, Supavisor, RDS Proxy) hands the server connection to
//! the next client after each transaction. So every statement runs in a transaction of ours
//! ([`begin`]) that sets what it needs with `SET LOCAL` / `SET TRANSACTION`, statements are
//! unnamed (`query_typed`: parse, bind and execute in one round trip), and a listing's cursor is
//! the transaction's own: nothing is left on the connection when the transaction ends.

mod connect;
mod target;
mod tls;
mod tx;

pub use target::{Target, without_password};

use std::time::Duration;

use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, GenericClient, Row};

use super::shape::{self, IdKind, Migrations, Shape, ShapeName, Tables};
use super::{
    Access, Health, InitReport, Lookup, OpenOptions, StatusFilter, Store, StoredUser, Transaction,
    User, UserId, UserRef, unusable,
};
use crate::error::{Error, Result};
use crate::password::{HashCensus, MAX_BCRYPT_COST};

/// authctl's table; its comment carries [`SCHEMA_VERSION`].
const SCHEMA: &str = include_str!("schema.sql");
const SCHEMA_VERSION: i64 = 1;
const VERSION_COMMENT: &str = "authctl schema ";

/// The full-stack template's `user` as SQLModel's `create_all` makes it on PostgreSQL.
const TEMPLATE_DDL: &str = "CREATE TABLE \"user\" (email VARCHAR(255) NOT NULL, \
    is_active BOOLEAN NOT NULL, is_superuser BOOLEAN NOT NULL, full_name VARCHAR(255), \
    id UUID NOT NULL, hashed_password VARCHAR NOT NULL, created_at TIMESTAMP WITH TIME ZONE, \
    PRIMARY KEY (id)); CREATE UNIQUE INDEX ix_user_email ON \"user\" (email);";

/// fastapi-users' `SQLAlchemyBaseUserTableUUID` with `create_all` on PostgreSQL.
const FASTAPI_USERS_DDL: &str = "CREATE TABLE \"user\" (id UUID NOT NULL, \
    email VARCHAR(320) NOT NULL, hashed_password VARCHAR(1024) NOT NULL, \
    is_active BOOLEAN NOT NULL, is_superuser BOOLEAN NOT NULL, is_verified BOOLEAN NOT NULL, \
    PRIMARY KEY (id)); CREATE UNIQUE INDEX ix_user_email ON \"user\" (email);";

fn schema_of(shape: ShapeName) -> &'static str {
    match shape {
        ShapeName::Tutorial => SCHEMA,
        ShapeName::FastapiTemplate => TEMPLATE_DDL,
        ShapeName::FastapiUsers => FASTAPI_USERS_DDL,
    }
}

type PgResult<T> = std::result::Result<T, postgres::Error>;

/// A statement's parameter with its type, for unnamed statements (`query_typed`).
type Param<'a> = (&'a (dyn ToSql + Sync), Type);

/// Rows fetched per round trip by a listing's cursor: memory stays flat in the table's size.
const CURSOR_ROWS: i32 = 1000;

pub struct PgStore {
    client: Client,
    errors: Errors,
    dry_run: bool,
    /// Every transaction is `READ ONLY`: what only reads cannot write by mistake.
    read_only: bool,
}

/// What turning a PostgreSQL failure into a domain error needs, and the table's shape that the
/// statements are built from.
pub(super) struct Errors {
    location: String,
    lock_timeout: Duration,
    /// Forced by `--table-shape`, for `init-db`.
    forced: Option<ShapeName>,
    shape: &'static Shape,
}

impl Errors {
    fn table(&self) -> String {
        self.shape.quoted_table()
    }

    /// id (as text), login, email, full_name, status, is_superuser, is_verified.
    fn columns(&self) -> String {
        self.shape
            .select_list("id::text", "NULL::text", "NULL::bool")
    }

    /// The id column's type, to cast a text id to.
    fn id_type(&self) -> &'static str {
        match self.shape.id {
            IdKind::Serial => "int8",
            IdKind::Uuid { .. } => "uuid",
        }
    }

    /// A listing's order: by id, or by creation time where ids are random and the shape keeps it.
    fn order(&self) -> String {
        // Qualified: the select list's `id::text` is also called id, and would sort as text.
        let table = self.table();
        match (self.shape.id, self.shape.created_at) {
            (IdKind::Serial, _) | (_, false) => format!("ORDER BY {table}.id"),
            (_, true) => format!("ORDER BY {table}.created_at, {table}.id"),
        }
    }
}

impl Errors {
    /// Turns a client or server failure into the domain's error class.
    pub(super) fn classify(&self, e: postgres::Error) -> Error {
        let Some(db) = e.as_db_error() else {
            return self.classify_connection(e);
        };
        let message = db.message().to_owned();
        let code = db.code();
        if [
            SqlState::LOCK_NOT_AVAILABLE,
            SqlState::T_R_DEADLOCK_DETECTED,
        ]
        .contains(code)
        {
            return Error::Busy {
                location: self.location.clone(),
                waited: self.lock_timeout,
            };
        }
        if [
            SqlState::INVALID_PASSWORD,
            SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
        ]
        .contains(code)
        {
            return Error::Environment(format!(
                "database {}: authentication failed: {message}",
                self.location
            ));
        }
        let reason = match *code {
            SqlState::INVALID_CATALOG_NAME => {
                format!("{message} on the server; create it first (createdb)")
            }
            SqlState::UNDEFINED_TABLE => format!(
                "has no {} table (it went while authctl was running); create it with `authctl init-db`",
                self.shape.table
            ),
            SqlState::INSUFFICIENT_PRIVILEGE => format!("permission denied: {message}"),
            SqlState::READ_ONLY_SQL_TRANSACTION => {
                format!("is read-only ({message}); nothing was written")
            }
            SqlState::DISK_FULL => "the disk is full; nothing was written".to_owned(),
            SqlState::TOO_MANY_CONNECTIONS | SqlState::CANNOT_CONNECT_NOW => {
                format!("the server refuses connections: {message}")
            }
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE => return Error::invalid(message),
            _ => {
                // The client's own text is only "db error": the server's message is the cause.
                // Not its detail, which may quote the row and so the hash.
                return Error::Database {
                    location: self.location.clone(),
                    cause: format!("{message} (SQLSTATE {})", code.code()).into(),
                };
            }
        };
        unusable(&self.location, reason)
    }

    /// A failure that is not the server's answer: reaching it, TLS, or the connection lost.
    fn classify_connection(&self, e: postgres::Error) -> Error {
        // The client's own words are in the chain: "invalid configuration: password missing".
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            text = format!("{text}: {cause}");
            source = cause.source();
        }
        if text.contains("password missing") {
            return Error::Environment(format!(
                "database {}: the server asks for a password and none was given; put it in the URL, \
                 PGPASSWORD or ~/.pgpass",
                self.location
            ));
        }
        let reason = if e.is_closed() {
            format!("the connection to the server was lost: {text}")
        } else if text.contains("TLS") || text.contains("tls") {
            format!("TLS failed: {text}")
        } else {
            format!("the server cannot be reached: {text}")
        };
        unusable(&self.location, reason)
    }
}

impl PgStore {
    pub fn open(target: &Target, access: Access, options: OpenOptions) -> Result<Self> {
        let errors = Errors {
            location: target.to_string(),
            lock_timeout: options.lock_timeout,
            forced: options.shape,
            shape: options.shape.map_or(&shape::TUTORIAL, ShapeName::shape),
        };
        let resolved = target.resolve()?;
        let client = connect::connect(&resolved, &errors)?;
        let mut store = PgStore {
            client,
            errors,
            dry_run: access == Access::InitDryRun,
            read_only: access == Access::ReadOnly,
        };
        store.check_access(access)?;
        Ok(store)
    }

    fn check_access(&mut self, access: Access) -> Result<()> {
        let writes = matches!(access, Access::ReadWrite | Access::Init);
        let (tables, read_only) = self.with_tx(|conn| {
            let tables = tables(conn.client).map_err(|e| conn.errors.classify(e))?;
            if !writes {
                return Ok((tables, false));
            }
            let rows = conn.rows(
                "SELECT pg_is_in_recovery() OR current_setting('default_transaction_read_only') = 'on'",
                &[],
            )?;
            let read_only = conn.read(&rows, |row| row.try_get::<_, bool>(0))?;
            Ok((tables, read_only.first().copied().unwrap_or(false)))
        })?;
        if access.needs_table() {
            self.errors.shape = shape::detect(&self.errors.location, &tables, self.errors.forced)?;
        }
        if read_only {
            return Err(unusable(
                &self.errors.location,
                "is read-only (a standby server, or default_transaction_read_only); nothing was written",
            ));
        }
        Ok(())
    }

    /// Runs `f` in a transaction of its own ([`begin`]), committed when it succeeds.
    fn with_tx<T>(&mut self, f: impl FnOnce(&mut Conn<'_, '_>) -> Result<T>) -> Result<T> {
        let mode = if self.read_only {
            TxMode::ReadOnly
        } else {
            TxMode::ReadWrite
        };
        let errors = &self.errors;
        let mut tx = begin(&mut self.client, errors, mode)?;
        let value = f(&mut Conn {
            client: &mut tx,
            errors,
        })?;
        tx.commit().map_err(|e| errors.classify(e))?;
        Ok(value)
    }
}

impl PgStore {
    /// Every row of the table in listing order, its user columns and `more`, through a cursor
    /// in a transaction of its own.
    fn for_each_listed(
        &mut self,
        more: &str,
        each: &mut dyn FnMut(&Row, &Errors) -> Result<()>,
    ) -> Result<()> {
        let select = format!(
            "SELECT {}{more} FROM {} {}",
            self.errors.columns(),
            self.errors.table(),
            self.errors.order()
        );
        self.with_tx(|conn| {
            let errors = conn.errors;
            for_each_row(conn.client, &select, &mut |row| each(row, errors), errors)
        })
    }
}

/// What a transaction may do, and what it waits for first.
enum TxMode<'a> {
    ReadOnly,
    ReadWrite,
    /// Writes, holding this table lock.
    Locked(&'a str),
}

/// A transaction whose every lock wait is bounded by the busy timeout, as SQLite's are: past
/// it the server answers 55P03 ([`Error::Busy`]). Two round trips: `BEGIN`, then its settings.
fn begin<'c>(
    client: &'c mut Client,
    errors: &Errors,
    mode: TxMode<'_>,
) -> Result<postgres::Transaction<'c>> {
    let err = |e| errors.classify(e);
    let mut tx = client.transaction().map_err(|e| {
        // PgBouncer's answer to BEGIN in statement mode: its error (08P01, "transaction blocks
        // not allowed in statement pooling mode"), or, when it closes first, the closing alone.
        if e.is_closed() || e.code() == Some(&SqlState::PROTOCOL_VIOLATION) {
            unusable(
                &errors.location,
                "closed the connection as a transaction began: a pooler in statement mode \
                 (PgBouncer's pool_mode = statement) allows no transactions, and authctl reads \
                 and writes only in them; use a pool in transaction or session mode, or the \
                 server itself; nothing was written",
            )
        } else {
            err(e)
        }
    })?;
    let timeout = lock_timeout(errors.lock_timeout);
    let setup = match mode {
        TxMode::ReadOnly => format!("SET TRANSACTION READ ONLY; {timeout}"),
        TxMode::ReadWrite => timeout,
        TxMode::Locked(lock) => format!("{timeout}; {lock}"),
    };
    tx.batch_execute(&setup).map_err(err)?;
    Ok(tx)
}

/// The columns of the tables a shape may live in (on the search path), in one query: what
/// opening a store costs on top of the connection.
fn tables(client: &mut impl GenericClient) -> PgResult<Tables> {
    let rows = client.query_typed(
        "SELECT c.relname::text, a.attname::text, \
           a.attname = 'id' AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         WHERE a.attrelid IN (to_regclass('users'), to_regclass('\"user\"'), \
             to_regclass('alembic_version')) \
           AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum",
        &[],
    )?;
    let rows = rows
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
        .collect::<PgResult<Vec<_>>>()?;
    Ok(Tables::from_columns(rows))
}

/// Which of the shape's unique columns lack a unique index of their own.
fn missing_unique_indexes(client: &mut impl GenericClient, shape: &Shape) -> PgResult<Vec<String>> {
    let unique: Vec<String> = client
        .query_typed(
            "SELECT lower(a.attname::text) FROM pg_index i \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] \
             WHERE i.indrelid = to_regclass(quote_ident($1)) AND i.indisunique \
               AND i.indnkeyatts = 1 AND i.indpred IS NULL AND i.indexprs IS NULL",
            &[(&shape.table, Type::TEXT)],
        )?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<PgResult<_>>()?;
    Ok(shape.missing_unique(&unique))
}

/// The status and the flags of a row: (disabled, is_superuser, is_verified).
fn read_flags(row: &Row, shape: &Shape) -> PgResult<(bool, Option<bool>, Option<bool>)> {
    // A boolean column: NULL (hand-inserted rows) is false, as the service reads it.
    let flag = |i| -> PgResult<bool> { Ok(row.try_get::<_, Option<bool>>(i)?.unwrap_or(false)) };
    Ok((
        shape.status_value(flag(4)?),
        if shape.superuser {
            Some(flag(5)?)
        } else {
            None
        },
        if shape.verified { Some(flag(6)?) } else { None },
    ))
}

fn read_id(row: &Row) -> PgResult<UserId> {
    Ok(UserId::parse(row.try_get(0)?))
}

fn user_from_row(row: &Row, shape: &'static Shape) -> PgResult<User> {
    let (disabled, superuser, verified) = read_flags(row, shape)?;
    Ok(User {
        id: read_id(row)?,
        username: row.try_get::<_, Option<String>>(1)?.unwrap_or_default(),
        email: row.try_get(2)?,
        full_name: row.try_get(3)?,
        disabled,
        odd_disabled: None,
        superuser,
        verified,
        shape,
    })
}

fn user_ref_from_row<'r>(
    row: &'r Row,
    id: &'r UserId,
    shape: &'static Shape,
) -> PgResult<UserRef<'r>> {
    let (disabled, superuser, verified) = read_flags(row, shape)?;
    Ok(UserRef {
        id,
        username: row.try_get::<_, Option<&str>>(1)?.unwrap_or_default(),
        email: row.try_get(2)?,
        full_name: row.try_get(3)?,
        disabled,
        odd_disabled: None,
        superuser,
        verified,
        shape,
    })
}

fn stored_user_from_row(row: &Row, shape: &'static Shape) -> PgResult<StoredUser> {
    Ok(StoredUser {
        user: user_from_row(row, shape)?,
        hashed_password: row.try_get::<_, Option<String>>(7)?.unwrap_or_default(),
    })
}

/// Runs `select` through a cursor of the transaction, [`CURSOR_ROWS`] rows at a time, calling
/// `each` on each row. The cursor is SQL's, not a protocol portal: it ends with the transaction.
fn for_each_row(
    tx: &mut postgres::Transaction<'_>,
    select: &str,
    each: &mut dyn FnMut(&Row) -> Result<()>,
    errors: &Errors,
) -> Result<()> {
    let err = |e| errors.classify(e);
    tx.batch_execute(&format!(
        "DECLARE authctl_rows NO SCROLL CURSOR FOR {select}"
    ))
    .map_err(err)?;
    let fetch = format!("FETCH {CURSOR_ROWS} FROM authctl_rows");
    loop {
        let rows = tx.query_typed(&fetch, &[]).map_err(err)?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            each(row)?;
        }
    }
    tx.batch_execute("CLOSE authctl_rows").map_err(err)
}

/// Look-ups in a transaction: the one implementation of [`Lookup`]'s queries.
pub(super) struct Conn<'a, 't> {
    client: &'a mut postgres::Transaction<'t>,
    errors: &'a Errors,
}

impl Conn<'_, '_> {
    fn rows(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
        self.client
            .query_typed(sql, params)
            .map_err(|e| self.errors.classify(e))
    }

    fn read<T>(&self, rows: &[Row], each: impl Fn(&Row) -> PgResult<T>) -> Result<Vec<T>> {
        rows.iter()
            .map(|row| each(row).map_err(|e| self.errors.classify(e)))
            .collect()
    }

    pub(super) fn find_user(&mut self, username: &str) -> Result<Option<StoredUser>> {
        Ok(self.find_users(&[username])?.pop().map(|(_, user)| user))
    }

    pub(super) fn email_owner(&mut self, email: &str) -> Result<Option<String>> {
        Ok(self.email_owners(&[email])?.pop().map(|(_, owner)| owner))
    }

    /// Each row with the login that found it: the server's own `lower()` decides, whatever the
    /// database's locale.
    pub(super) fn find_users(&mut self, logins: &[&str]) -> Result<Vec<(String, StoredUser)>> {
        let errors = self.errors;
        let (shape, login) = (errors.shape, errors.shape.login);
        let matching = if shape.login_folds_case {
            format!("lower({login}) = lower(asked)")
        } else {
            format!("{login} = asked")
        };
        let rows = self.rows(
            &format!(
                "SELECT {}, hashed_password, asked FROM unnest($1::text[]) AS asked \
                 JOIN {} ON {matching}",
                errors.columns(),
                errors.table()
            ),
            &[(&logins, Type::TEXT_ARRAY)],
        )?;
        self.read(&rows, |row| {
            Ok((row.try_get(8)?, stored_user_from_row(row, shape)?))
        })
    }

    pub(super) fn email_owners(&mut self, emails: &[&str]) -> Result<Vec<(String, String)>> {
        if !self.errors.shape.email {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT email::text, coalesce({}, '')::text FROM {} WHERE email = ANY($1)",
            self.errors.shape.login,
            self.errors.table()
        );
        let rows = self.rows(&sql, &[(&emails, Type::TEXT_ARRAY)])?;
        self.read(&rows, |row| Ok((row.try_get(0)?, row.try_get(1)?)))
    }

    pub(super) fn hash_census(&mut self) -> Result<HashCensus> {
        // One pass on the server by exact prefix, no hash parsed: the kinds `password::inspect`
        // knows, and bcrypt costs only within the bounds it verifies.
        const ARGON2: &str = "(hashed_password LIKE '$argon2id$%' OR hashed_password LIKE '$argon2i$%' \
                              OR hashed_password LIKE '$argon2d$%')";
        const BCRYPT: &str =
            r"(hashed_password ~ '^\$2[aby]\$[0-9]{2}\$' AND length(hashed_password) = 60)";
        let rows = self.rows(
            &format!(
                "SELECT count(*) FILTER (WHERE {ARGON2}), count(*) FILTER (WHERE {BCRYPT}), \
                 max(CASE WHEN {BCRYPT} THEN substr(hashed_password, 5, 2)::int8 END) \
                   FILTER (WHERE {BCRYPT}) FROM {}",
                self.errors.table()
            ),
            &[],
        )?;
        let census = self.read(&rows, |row| {
            let count = |i| {
                row.try_get::<_, i64>(i)
                    .map(|n| u64::try_from(n).unwrap_or(0))
            };
            Ok(HashCensus {
                argon2: count(0)?,
                bcrypt: count(1)?,
                bcrypt_cost: row
                    .try_get::<_, Option<i64>>(2)?
                    .and_then(|cost| u32::try_from(cost).ok())
                    .filter(|cost| (4..=MAX_BCRYPT_COST).contains(cost)),
            })
        })?;
        Ok(census.into_iter().next().unwrap_or_default())
    }

    pub(super) fn for_each_username(&mut self, each: &mut dyn FnMut(&str)) -> Result<()> {
        let errors = self.errors;
        let (login, table) = (errors.shape.login, errors.table());
        for_each_row(
            self.client,
            &format!("SELECT {login}::text FROM {table} WHERE {login} IS NOT NULL"),
            &mut |row| {
                each(row.try_get(0).map_err(|e| errors.classify(e))?);
                Ok(())
            },
            errors,
        )
    }
}

/// [`Lookup`] through a type's `lookup()`: the store's own transaction for each, or the write
/// transaction's.
macro_rules! lookup_through_conn {
    ($type:ty) => {
        impl Lookup for $type {
            fn shape(&self) -> &'static Shape {
                self.errors.shape
            }
            fn find_user(&mut self, username: &str) -> Result<Option<StoredUser>> {
                self.lookup(|conn| conn.find_user(username))
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
    };
}
pub(super) use lookup_through_conn;

impl PgStore {
    fn lookup<T>(&mut self, f: impl FnOnce(&mut Conn<'_, '_>) -> Result<T>) -> Result<T> {
        self.with_tx(f)
    }
}

lookup_through_conn!(PgStore);

impl Conn<'_, '_> {
    /// Logins that several rows share as a case-folding service matches them.
    fn login_duplicates(&mut self) -> Result<Vec<String>> {
        let errors = self.errors;
        if !errors.shape.login_folds_case {
            return Ok(Vec::new());
        }
        let login = errors.shape.login;
        let sql = format!(
            "SELECT lower({login})::text FROM {} GROUP BY 1 HAVING count(*) > 1 ORDER BY 1",
            errors.table()
        );
        let rows = self.rows(&sql, &[])?;
        self.read(&rows, |row| row.try_get(0))
    }

    /// The logins of rows whose status is NULL.
    fn null_disabled(&mut self) -> Result<Vec<String>> {
        let errors = self.errors;
        let sql = format!(
            "SELECT coalesce({}, '')::text FROM {} WHERE {} IS NULL ORDER BY id",
            errors.shape.login,
            errors.table(),
            errors.shape.status_column()
        );
        let rows = self.rows(&sql, &[])?;
        self.read(&rows, |row| row.try_get(0))
    }
}

impl Store for PgStore {
    fn init(&mut self, migrations: Migrations) -> Result<InitReport> {
        let errors = &self.errors;
        let err = |e| errors.classify(e);
        let mut tx = begin(&mut self.client, errors, TxMode::ReadWrite)?;
        // Two init-db at once: the second waits, then finds the table.
        tx.execute_typed(
            "SELECT pg_advisory_xact_lock(hashtext('authctl init-db'))",
            &[],
        )
        .map_err(err)?;
        let tables = tables(&mut tx).map_err(err)?;
        let shape = shape::to_create(&errors.location, &tables, errors.forced)?;
        if !tables.has(shape) {
            shape::may_create(&errors.location, shape, &tables, migrations)?;
        }
        let report = init_table(&mut tx, shape, tables.has(shape), errors)?;
        // A dry run drops the transaction: rolled back.
        if !self.dry_run && matches!(report, InitReport::Created { .. }) {
            tx.commit().map_err(err)?;
        }
        self.errors.shape = shape;
        Ok(report)
    }

    fn health(&mut self) -> Result<Health> {
        let shape = self.errors.shape;
        self.with_tx(|conn| {
            Ok(Health {
                shape,
                // The server checks its own pages (and has no cheap whole-database check to ask).
                integrity_errors: Vec::new(),
                missing_unique_indexes: missing_unique_indexes(conn.client, shape)
                    .map_err(|e| conn.errors.classify(e))?,
                null_disabled: conn.null_disabled()?,
                // A native uuid column holds no other form.
                misformed_ids: Vec::new(),
                login_duplicates: conn.login_duplicates()?,
            })
        })
    }

    fn for_each_user(
        &mut self,
        filter: StatusFilter,
        each: &mut dyn FnMut(UserRef<'_>) -> Result<()>,
    ) -> Result<()> {
        self.for_each_listed("", &mut |row, errors| {
            let err = |e| errors.classify(e);
            let id = read_id(row).map_err(err)?;
            let user = user_ref_from_row(row, &id, errors.shape).map_err(err)?;
            if filter.keeps(user.disabled) {
                each(user)?;
            }
            Ok(())
        })
    }

    fn for_each_stored_user(
        &mut self,
        filter: StatusFilter,
        each: &mut dyn FnMut(StoredUser) -> Result<()>,
    ) -> Result<()> {
        self.for_each_listed(", hashed_password", &mut |row, errors| {
            let stored = stored_user_from_row(row, errors.shape).map_err(|e| errors.classify(e))?;
            if filter.keeps(stored.user.disabled) {
                each(stored)?;
            }
            Ok(())
        })
    }

    /// The table is locked against other writers (SHARE ROW EXCLUSIVE: readers go on), waiting
    /// at most the lock timeout; see [`Store::write`].
    fn write(&mut self) -> Result<Box<dyn Transaction + '_>> {
        let errors = &self.errors;
        let lock = format!("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE", errors.table());
        let tx = begin(&mut self.client, errors, TxMode::Locked(&lock))?;
        Ok(Box::new(tx::PgTx::new(tx, errors)))
    }
}

/// Creates the shape's table when missing, else reports how it compares with the shape.
fn init_table(
    tx: &mut postgres::Transaction<'_>,
    shape: &'static Shape,
    exists: bool,
    errors: &Errors,
) -> Result<InitReport> {
    let err = |e| errors.classify(e);
    if !exists {
        tx.batch_execute(schema_of(shape.name)).map_err(err)?;
        return Ok(InitReport::Created {
            database_created: false,
        });
    }
    let missing_unique_indexes = missing_unique_indexes(tx, shape).map_err(err)?;
    let version = || {
        let comment: Option<String> = tx
            .query_typed_one(
                "SELECT obj_description(to_regclass('users'), 'pg_class')",
                &[],
            )
            .and_then(|row| row.try_get(0))
            .map_err(err)?;
        Ok(comment
            .as_deref()
            .and_then(|c| c.strip_prefix(VERSION_COMMENT))
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0))
    };
    super::existing_table(
        &errors.location,
        shape,
        version,
        SCHEMA_VERSION,
        missing_unique_indexes,
    )
}

/// The lock wait of this transaction. PostgreSQL reads 0 as "wait forever": at least 1 ms.
fn lock_timeout(timeout: Duration) -> String {
    format!(
        "SET LOCAL lock_timeout = '{}ms'",
        timeout.as_millis().max(1)
    )
}
