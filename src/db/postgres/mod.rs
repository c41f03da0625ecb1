//! The PostgreSQL engine: the only place that speaks SQL to a PostgreSQL server.
//!
//! The same contract as the SQLite engine: the write transaction locks the table against other
//! writers (readers go on), listings stream through a cursor, an import's inserts go to the
//! server a thousand rows per statement.

mod target;
mod tls;
mod tx;

pub use target::{Target, without_password};

use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, GenericClient, Row};

use self::target::{Resolved, SslMode};
use super::{
    Access, Health, InitReport, Lookup, OpenOptions, StatusFilter, Store, StoredUser, Transaction,
    User, UserRef, check_columns, unusable,
};
use crate::error::{Error, Result};
use crate::password::{HashCensus, MAX_BCRYPT_COST};

/// authctl's table; its comment carries [`SCHEMA_VERSION`].
const SCHEMA: &str = include_str!("schema.sql");
const SCHEMA_VERSION: i64 = 1;
const VERSION_COMMENT: &str = "authctl schema ";

type PgResult<T> = std::result::Result<T, postgres::Error>;

const USER_COLUMNS: &str = "id::int8, username, email, full_name, disabled";

/// Rows fetched per round trip by a listing's cursor: memory stays flat in the table's size.
const CURSOR_ROWS: i32 = 1000;

pub struct PgStore {
    client: Client,
    errors: Errors,
    dry_run: bool,
}

/// What turning a PostgreSQL failure into a domain error needs.
pub(super) struct Errors {
    location: String,
    lock_timeout: Duration,
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
            SqlState::UNDEFINED_TABLE => {
                "has no users table; create it with `authctl init-db`".to_owned()
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
                return Error::Database {
                    location: self.location.clone(),
                    cause: Box::new(e),
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
        };
        let resolved = target.resolve()?;
        let client = connect(resolved, &errors)?;
        let mut store = PgStore {
            client,
            errors,
            dry_run: access == Access::InitDryRun,
        };
        store.check_access(access)?;
        Ok(store)
    }

    fn check_access(&mut self, access: Access) -> Result<()> {
        let errors = &self.errors;
        let err = |e| errors.classify(e);
        if access == Access::ReadOnly {
            // What only reads cannot write by mistake.
            self.client
                .batch_execute("SET default_transaction_read_only = on")
                .map_err(err)?;
        }
        if access.needs_table() {
            let columns = table_columns(&mut self.client).map_err(err)?;
            check_columns(&errors.location, &columns)?;
        }
        if matches!(access, Access::ReadWrite | Access::Init) {
            let read_only: bool = self
                .client
                .query_one(
                    "SELECT pg_is_in_recovery() OR current_setting('default_transaction_read_only') = 'on'",
                    &[],
                )
                .and_then(|row| row.try_get(0))
                .map_err(err)?;
            if read_only {
                return Err(unusable(
                    &errors.location,
                    "is read-only (a standby server, or default_transaction_read_only); nothing was written",
                ));
            }
        }
        Ok(())
    }
}

/// Connects with the TLS `sslmode` asks for, as libpq does (see [`tls::client_config`]).
fn connect(resolved: Resolved, errors: &Errors) -> Result<Client> {
    use postgres::config::SslMode as ClientMode;
    let Resolved {
        mut config,
        ssl_mode,
        root_cert,
    } = resolved;
    if ssl_mode == SslMode::Disable {
        config.ssl_mode(ClientMode::Disable);
        return config
            .connect(postgres::NoTls)
            .map_err(|e| errors.classify(e));
    }
    let tls = tls::client_config(ssl_mode, root_cert.as_deref())
        .map_err(|reason| Error::Environment(format!("database {}: {reason}", errors.location)))?;
    config.ssl_mode(match ssl_mode {
        SslMode::Allow | SslMode::Prefer => ClientMode::Prefer,
        _ => ClientMode::Require,
    });
    config
        .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
        .map_err(|e| errors.classify(e))
}

fn table_columns(client: &mut impl GenericClient) -> PgResult<Vec<String>> {
    client
        .query(
            "SELECT attname::text FROM pg_attribute \
             WHERE attrelid = to_regclass('users') AND attnum > 0 AND NOT attisdropped \
             ORDER BY attnum",
            &[],
        )?
        .iter()
        .map(|row| row.try_get(0))
        .collect()
}

/// Which of the service's unique columns lack a unique index of their own.
fn missing_unique_indexes(client: &mut impl GenericClient) -> PgResult<Vec<String>> {
    let unique: Vec<String> = client
        .query(
            "SELECT lower(a.attname::text) FROM pg_index i \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] \
             WHERE i.indrelid = to_regclass('users') AND i.indisunique AND i.indnkeyatts = 1 \
               AND i.indpred IS NULL AND i.indexprs IS NULL",
            &[],
        )?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<PgResult<_>>()?;
    Ok(super::UNIQUE_COLUMNS
        .iter()
        .filter(|c| !unique.iter().any(|u| u == *c))
        .map(|c| (*c).to_owned())
        .collect())
}

fn user_from_row(row: &Row) -> PgResult<User> {
    Ok(User {
        id: row.try_get(0)?,
        username: row.try_get::<_, Option<String>>(1)?.unwrap_or_default(),
        email: row.try_get(2)?,
        full_name: row.try_get(3)?,
        // A boolean column: NULL (hand-inserted rows) is active, as the service reads it.
        disabled: row.try_get::<_, Option<bool>>(4)?.unwrap_or(false),
        odd_disabled: None,
    })
}

fn user_ref_from_row(row: &Row) -> PgResult<UserRef<'_>> {
    Ok(UserRef {
        id: row.try_get(0)?,
        username: row.try_get::<_, Option<&str>>(1)?.unwrap_or_default(),
        email: row.try_get(2)?,
        full_name: row.try_get(3)?,
        disabled: row.try_get::<_, Option<bool>>(4)?.unwrap_or(false),
        odd_disabled: None,
    })
}

fn stored_user_from_row(row: &Row) -> PgResult<StoredUser> {
    Ok(StoredUser {
        user: user_from_row(row)?,
        hashed_password: row.try_get::<_, Option<String>>(5)?.unwrap_or_default(),
    })
}

/// Runs `select` through a cursor, [`CURSOR_ROWS`] rows at a time, calling `each` on each row.
fn for_each_row(
    client: &mut impl GenericClient,
    select: &str,
    each: &mut dyn FnMut(&Row) -> Result<()>,
    errors: &Errors,
) -> Result<()> {
    let err = |e| errors.classify(e);
    let mut tx = client.transaction().map_err(err)?;
    let statement = tx.prepare(select).map_err(err)?;
    let portal = tx.bind(&statement, &[]).map_err(err)?;
    loop {
        let rows = tx.query_portal(&portal, CURSOR_ROWS).map_err(err)?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            each(row)?;
        }
    }
    tx.commit().map_err(err)
}

/// Look-ups on a connection or a transaction: the one implementation of [`Lookup`]'s queries.
pub(super) struct Conn<'a, C> {
    client: &'a mut C,
    errors: &'a Errors,
}

impl<C: GenericClient> Conn<'_, C> {
    fn rows(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>> {
        self.client
            .query(sql, params)
            .map_err(|e| self.errors.classify(e))
    }

    fn read<T>(&self, rows: &[Row], each: impl Fn(&Row) -> PgResult<T>) -> Result<Vec<T>> {
        rows.iter()
            .map(|row| each(row).map_err(|e| self.errors.classify(e)))
            .collect()
    }

    pub(super) fn find_user(&mut self, username: &str) -> Result<Option<StoredUser>> {
        Ok(self.find_users(&[username])?.pop())
    }

    pub(super) fn email_owner(&mut self, email: &str) -> Result<Option<String>> {
        Ok(self.email_owners(&[email])?.pop().map(|(_, owner)| owner))
    }

    pub(super) fn find_users(&mut self, usernames: &[&str]) -> Result<Vec<StoredUser>> {
        let rows = self.rows(
            &format!("SELECT {USER_COLUMNS}, hashed_password FROM users WHERE username = ANY($1)"),
            &[&usernames],
        )?;
        self.read(&rows, stored_user_from_row)
    }

    pub(super) fn email_owners(&mut self, emails: &[&str]) -> Result<Vec<(String, String)>> {
        let rows = self.rows(
            "SELECT email::text, coalesce(username, '')::text FROM users WHERE email = ANY($1)",
            &[&emails],
        )?;
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
                   FILTER (WHERE {BCRYPT}) FROM users"
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
        for_each_row(
            self.client,
            "SELECT username FROM users WHERE username IS NOT NULL",
            &mut |row| {
                each(row.try_get(0).map_err(|e| errors.classify(e))?);
                Ok(())
            },
            errors,
        )
    }
}

/// [`Lookup`] through a type's `conn()`: the store's connection, or its transaction's.
macro_rules! lookup_through_conn {
    ($type:ty) => {
        impl Lookup for $type {
            fn find_user(&mut self, username: &str) -> Result<Option<StoredUser>> {
                self.conn()?.find_user(username)
            }
            fn email_owner(&mut self, email: &str) -> Result<Option<String>> {
                self.conn()?.email_owner(email)
            }
            fn find_users(&mut self, usernames: &[&str]) -> Result<Vec<StoredUser>> {
                self.conn()?.find_users(usernames)
            }
            fn email_owners(&mut self, emails: &[&str]) -> Result<Vec<(String, String)>> {
                self.conn()?.email_owners(emails)
            }
            fn hash_census(&mut self) -> Result<HashCensus> {
                self.conn()?.hash_census()
            }
            fn for_each_username(&mut self, each: &mut dyn FnMut(&str)) -> Result<()> {
                self.conn()?.for_each_username(each)
            }
        }
    };
}
pub(super) use lookup_through_conn;

impl PgStore {
    // The shape of `PgTx::conn`, which can fail (it sends buffered rows first): one macro serves both.
    #[allow(clippy::unnecessary_wraps)]
    fn conn(&mut self) -> Result<Conn<'_, Client>> {
        Ok(Conn {
            client: &mut self.client,
            errors: &self.errors,
        })
    }
}

lookup_through_conn!(PgStore);

impl Store for PgStore {
    fn init(&mut self) -> Result<InitReport> {
        let errors = &self.errors;
        let err = |e| errors.classify(e);
        let mut tx = self.client.transaction().map_err(err)?;
        tx.batch_execute(&lock_timeout(errors.lock_timeout))
            .map_err(err)?;
        // Two init-db at once: the second waits, then finds the table.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('authctl init-db'))",
            &[],
        )
        .map_err(err)?;
        let columns = table_columns(&mut tx).map_err(err)?;
        if columns.is_empty() {
            tx.batch_execute(SCHEMA).map_err(err)?;
            // A dry run drops the transaction: rolled back.
            if !self.dry_run {
                tx.commit().map_err(err)?;
            }
            return Ok(InitReport::Created {
                database_created: false,
            });
        }
        check_columns(&errors.location, &columns)?;
        let comment: Option<String> = tx
            .query_one(
                "SELECT obj_description(to_regclass('users'), 'pg_class')",
                &[],
            )
            .and_then(|row| row.try_get(0))
            .map_err(err)?;
        let version = comment
            .as_deref()
            .and_then(|c| c.strip_prefix(VERSION_COMMENT))
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        if version > SCHEMA_VERSION {
            return Err(unusable(
                &errors.location,
                format!("was made by a newer authctl (schema version {version}); upgrade authctl"),
            ));
        }
        let missing_unique_indexes = missing_unique_indexes(&mut tx).map_err(err)?;
        if version == SCHEMA_VERSION && missing_unique_indexes.is_empty() {
            Ok(InitReport::AlreadyInitialised)
        } else {
            Ok(InitReport::Compatible {
                missing_unique_indexes,
            })
        }
    }

    fn health(&mut self) -> Result<Health> {
        let errors = &self.errors;
        let err = |e| errors.classify(e);
        let null_disabled = self
            .client
            .query(
                "SELECT coalesce(username, '')::text FROM users WHERE disabled IS NULL ORDER BY id",
                &[],
            )
            .map_err(err)?
            .iter()
            .map(|row| row.try_get(0))
            .collect::<PgResult<_>>()
            .map_err(err)?;
        Ok(Health {
            // The server checks its own pages (and has no cheap whole-database check to ask).
            integrity_errors: Vec::new(),
            missing_unique_indexes: missing_unique_indexes(&mut self.client).map_err(err)?,
            null_disabled,
        })
    }

    fn for_each_user(
        &mut self,
        filter: StatusFilter,
        each: &mut dyn FnMut(UserRef<'_>) -> Result<()>,
    ) -> Result<()> {
        let errors = &self.errors;
        let select = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id");
        for_each_row(
            &mut self.client,
            &select,
            &mut |row| {
                let user = user_ref_from_row(row).map_err(|e| errors.classify(e))?;
                if filter.keeps(user.disabled) {
                    each(user)?;
                }
                Ok(())
            },
            errors,
        )
    }

    fn for_each_stored_user(
        &mut self,
        filter: StatusFilter,
        each: &mut dyn FnMut(StoredUser) -> Result<()>,
    ) -> Result<()> {
        let errors = &self.errors;
        let select = format!("SELECT {USER_COLUMNS}, hashed_password FROM users ORDER BY id");
        for_each_row(
            &mut self.client,
            &select,
            &mut |row| {
                let stored = stored_user_from_row(row).map_err(|e| errors.classify(e))?;
                if filter.keeps(stored.user.disabled) {
                    each(stored)?;
                }
                Ok(())
            },
            errors,
        )
    }

    /// The table is locked against other writers (SHARE ROW EXCLUSIVE: readers go on), waiting
    /// at most the lock timeout; see [`Store::write`].
    fn write(&mut self) -> Result<Box<dyn Transaction + '_>> {
        let errors = &self.errors;
        let err = |e| errors.classify(e);
        let mut tx = self.client.transaction().map_err(err)?;
        tx.batch_execute(&format!(
            "{}; LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE",
            lock_timeout(errors.lock_timeout)
        ))
        .map_err(err)?;
        Ok(Box::new(tx::PgTx::new(tx, errors)))
    }
}

/// The lock wait of this transaction. PostgreSQL reads 0 as "wait forever": at least 1 ms.
fn lock_timeout(timeout: Duration) -> String {
    format!(
        "SET LOCAL lock_timeout = '{}ms'",
        timeout.as_millis().max(1)
    )
}
