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
mod health;
mod lookup;
mod target;
mod tls;
mod tx;

pub use target::{Target, without_password};

use std::time::Duration;

use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, GenericClient, Row};

use super::engine::{self, Classify, Context, ShapeSql};
use super::{
    Access, Health, InitReport, OpenOptions, StatusFilter, Store, StoredUser, Transaction, User,
    UserId, UserRef,
};
use crate::error::{Error, Result, TableAdvice};
use crate::shape::{self, IdKind, Migrations, Shape, ShapeName, Tables};
use lookup::Conn;

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
    ctx: Context,
    dry_run: bool,
    /// Every transaction is `READ ONLY`: what only reads cannot write by mistake.
    read_only: bool,
}

/// The shape's SQL as PostgreSQL spells it, for the statements built per command.
trait Statements {
    fn table(&self) -> String;
    fn columns(&self) -> String;
    fn id_type(&self) -> &'static str;
    fn order(&self) -> String;
}

impl Statements for Context {
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

impl Classify<postgres::Error> for Context {
    fn classify(&self, e: postgres::Error) -> Error {
        let Some(db) = e.as_db_error() else {
            return classify_connection(self, e);
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
            SqlState::UNDEFINED_TABLE => {
                return Error::table(
                    &self.location,
                    format!(
                        "has no {} table (it went while authctl was running)",
                        self.shape.table
                    ),
                    TableAdvice::Create { shape: None },
                );
            }
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
        Error::unusable(&self.location, reason)
    }
}

/// A failure that is not the server's answer: reaching it, TLS, or the connection lost.
fn classify_connection(ctx: &Context, e: postgres::Error) -> Error {
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
            ctx.location
        ));
    }
    let reason = if e.is_closed() {
        format!("the connection to the server was lost: {text}")
    } else if text.contains("TLS") || text.contains("tls") {
        format!("TLS failed: {text}")
    } else {
        format!("the server cannot be reached: {text}")
    };
    Error::unusable(&ctx.location, reason)
}

impl PgStore {
    pub fn open(target: &Target, access: Access, options: OpenOptions) -> Result<Self> {
        let ctx = Context::new(target.to_string(), options);
        let resolved = target.resolve()?;
        let client = connect::connect(&resolved, &ctx)?;
        let mut store = PgStore {
            client,
            ctx,
            dry_run: access == Access::InitDryRun,
            read_only: access == Access::ReadOnly,
        };
        store.check_access(access)?;
        Ok(store)
    }

    fn check_access(&mut self, access: Access) -> Result<()> {
        let writes = matches!(access, Access::ReadWrite | Access::Init);
        let (tables, read_only) = self.with_tx(|conn| {
            let tables = tables(conn.client).map_err(|e| conn.ctx.classify(e))?;
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
            self.ctx.shape = shape::detect(&self.ctx.location, &tables, self.ctx.forced)?;
        }
        if read_only {
            return Err(Error::unusable(
                &self.ctx.location,
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
        let ctx = &self.ctx;
        let mut tx = begin(&mut self.client, ctx, mode)?;
        let value = f(&mut Conn {
            client: &mut tx,
            ctx,
        })?;
        tx.commit().map_err(|e| ctx.classify(e))?;
        Ok(value)
    }
}

impl PgStore {
    /// Every row of the table in listing order, its user columns and `more`, through a cursor
    /// in a transaction of its own.
    fn for_each_listed(
        &mut self,
        more: &str,
        each: &mut dyn FnMut(&Row, &Context) -> Result<()>,
    ) -> Result<()> {
        let select = format!(
            "SELECT {}{more} FROM {} {}",
            self.ctx.columns(),
            self.ctx.table(),
            self.ctx.order()
        );
        self.with_tx(|conn| {
            let ctx = conn.ctx;
            for_each_row(conn.client, &select, &mut |row| each(row, ctx), ctx)
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
    ctx: &Context,
    mode: TxMode<'_>,
) -> Result<postgres::Transaction<'c>> {
    let err = |e| ctx.classify(e);
    let mut tx = client.transaction().map_err(|e| {
        // PgBouncer's answer to BEGIN in statement mode: its error (08P01, "transaction blocks
        // not allowed in statement pooling mode"), or, when it closes first, the closing alone.
        if e.is_closed() || e.code() == Some(&SqlState::PROTOCOL_VIOLATION) {
            Error::unusable(
                &ctx.location,
                "closed the connection as a transaction began: a pooler in statement mode \
                 (PgBouncer's pool_mode = statement) allows no transactions, and authctl reads \
                 and writes only in them; use a pool in transaction or session mode, or the \
                 server itself; nothing was written",
            )
        } else {
            err(e)
        }
    })?;
    let timeout = lock_timeout(ctx.lock_timeout);
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

/// Reads a row of [`Statements::columns`] as the service reads it, borrowed from the row: the
/// one reader behind listings, look-ups and exports (`then` makes what is kept of it).
fn read_user<T>(
    row: &Row,
    shape: &'static Shape,
    then: impl FnOnce(UserRef<'_>) -> T,
) -> PgResult<T> {
    // A boolean column: NULL (hand-inserted rows) is false, as the service reads it.
    let flag = |i| -> PgResult<bool> { Ok(row.try_get::<_, Option<bool>>(i)?.unwrap_or(false)) };
    let right =
        |has: bool, i| -> PgResult<Option<bool>> { Ok(if has { Some(flag(i)?) } else { None }) };
    let id = UserId::parse(row.try_get(0)?);
    Ok(then(UserRef {
        id: &id,
        username: row.try_get::<_, Option<&str>>(1)?.unwrap_or_default(),
        email: row.try_get(2)?,
        full_name: row.try_get(3)?,
        disabled: shape.status_value(flag(4)?),
        odd_disabled: None,
        superuser: right(shape.superuser, 5)?,
        verified: right(shape.verified, 6)?,
        shape,
    }))
}

/// [`read_user`] of a row that also holds the hash, after the select list.
fn read_stored_user(row: &Row, shape: &'static Shape) -> PgResult<StoredUser> {
    Ok(StoredUser {
        user: read_user(row, shape, |user| User::from(user))?,
        hashed_password: row.try_get::<_, Option<String>>(7)?.unwrap_or_default(),
    })
}

/// Runs `select` through a cursor of the transaction, [`CURSOR_ROWS`] rows at a time, calling
/// `each` on each row. The cursor is SQL's, not a protocol portal: it ends with the transaction.
fn for_each_row(
    tx: &mut postgres::Transaction<'_>,
    select: &str,
    each: &mut dyn FnMut(&Row) -> Result<()>,
    ctx: &Context,
) -> Result<()> {
    let err = |e| ctx.classify(e);
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

impl Store for PgStore {
    fn init(&mut self, migrations: Migrations) -> Result<InitReport> {
        let ctx = &self.ctx;
        let err = |e| ctx.classify(e);
        let mut tx = begin(&mut self.client, ctx, TxMode::ReadWrite)?;
        // Two init-db at once: the second waits, then finds the table.
        tx.execute_typed(
            "SELECT pg_advisory_xact_lock(hashtext('authctl init-db'))",
            &[],
        )
        .map_err(err)?;
        let tables = tables(&mut tx).map_err(err)?;
        let shape = shape::to_create(&ctx.location, &tables, ctx.forced)?;
        if !tables.has(shape) {
            shape::may_create(&ctx.location, shape, &tables, migrations)?;
        }
        let report = init_table(&mut tx, shape, tables.has(shape), ctx)?;
        // A dry run drops the transaction: rolled back.
        if !self.dry_run && matches!(report, InitReport::Created { .. }) {
            tx.commit().map_err(err)?;
        }
        self.ctx.shape = shape;
        Ok(report)
    }

    fn health(&mut self) -> Result<Health> {
        self.with_tx(health::health)
    }

    fn for_each_user(
        &mut self,
        filter: StatusFilter,
        each: &mut dyn FnMut(UserRef<'_>) -> Result<()>,
    ) -> Result<()> {
        self.for_each_listed("", &mut |row, ctx| {
            read_user(row, ctx.shape, |user| {
                if filter.keeps(user.disabled) {
                    each(user)
                } else {
                    Ok(())
                }
            })
            .map_err(|e| ctx.classify(e))?
        })
    }

    fn for_each_stored_user(
        &mut self,
        filter: StatusFilter,
        each: &mut dyn FnMut(StoredUser) -> Result<()>,
    ) -> Result<()> {
        self.for_each_listed(", hashed_password", &mut |row, ctx| {
            let stored = read_stored_user(row, ctx.shape).map_err(|e| ctx.classify(e))?;
            if filter.keeps(stored.user.disabled) {
                each(stored)?;
            }
            Ok(())
        })
    }

    /// The table is locked against other writers (SHARE ROW EXCLUSIVE: readers go on), waiting
    /// at most the lock timeout; see [`Store::write`].
    fn write(&mut self) -> Result<Box<dyn Transaction + '_>> {
        let ctx = &self.ctx;
        let lock = format!("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE", ctx.table());
        let tx = begin(&mut self.client, ctx, TxMode::Locked(&lock))?;
        Ok(Box::new(tx::PgTx::new(tx, ctx)))
    }
}

/// Creates the shape's table when missing, else reports how it compares with the shape.
fn init_table(
    tx: &mut postgres::Transaction<'_>,
    shape: &'static Shape,
    exists: bool,
    ctx: &Context,
) -> Result<InitReport> {
    let err = |e| ctx.classify(e);
    if !exists {
        tx.batch_execute(schema_of(shape.name)).map_err(err)?;
        return Ok(InitReport::Created {
            database_created: false,
        });
    }
    let missing_unique_indexes = health::missing_unique_indexes(tx, shape).map_err(err)?;
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
    engine::existing_table(
        &ctx.location,
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
