//! Look-ups on SQLite: the queries of [`Lookup`], on the store's connection or in its write
//! transaction (`engine::Session`).

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Row};

use super::{Sql, SqliteStore, read_stored_user};
use crate::db::engine::{Classify, Context, Session};
use crate::db::{Lookup, StoredUser, UserId};
use crate::error::Result;
use crate::password::{HashCensus, MAX_BCRYPT_COST};
use crate::shape::Shape;

/// A connection to run look-ups on: the store's own, or its write transaction's.
pub(super) struct Conn<'a> {
    pub db: &'a Connection,
    pub ctx: &'a Context,
    pub sql: &'a Sql,
}

impl Session for SqliteStore {
    fn shape(&self) -> &'static Shape {
        self.ctx.shape
    }

    fn lookup<T>(&mut self, f: impl FnOnce(&mut dyn Lookup) -> Result<T>) -> Result<T> {
        f(&mut Conn {
            db: &self.conn,
            ctx: &self.ctx,
            sql: &self.sql,
        })
    }
}

impl Conn<'_> {
    fn run<T>(&self, query: impl FnOnce(&Connection, &Sql) -> rusqlite::Result<T>) -> Result<T> {
        query(self.db, self.sql).map_err(|e| self.ctx.classify(e))
    }
}

impl Lookup for Conn<'_> {
    fn shape(&self) -> &'static Shape {
        self.ctx.shape
    }

    fn find_user(&mut self, username: &str) -> Result<Option<StoredUser>> {
        self.run(|conn, sql| find_user(conn, sql, username))
    }

    fn find_by_id(&mut self, id: &UserId) -> Result<Option<StoredUser>> {
        self.run(|conn, sql| find_by_id(conn, sql, id))
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

fn find_user(conn: &Connection, sql: &Sql, login: &str) -> rusqlite::Result<Option<StoredUser>> {
    conn.prepare_cached(&format!(
        "SELECT {}, hashed_password FROM {} WHERE {}",
        sql.columns, sql.table, sql.login_is
    ))?
    .query_row([login], |row| read_stored_user(row, sql))
    .optional()
}

fn find_by_id(conn: &Connection, sql: &Sql, id: &UserId) -> rusqlite::Result<Option<StoredUser>> {
    conn.prepare_cached(&format!(
        "SELECT {}, hashed_password FROM {} WHERE id = ?1",
        sql.columns, sql.table
    ))?
    .query_row([sql.id(id)], |row| read_stored_user(row, sql))
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
        read_stored_user(row, sql)
    })?;
    if !folds {
        return Ok(found
            .into_iter()
            .map(|stored| (stored.user.username.clone(), stored))
            .collect());
    }
    // SQLite's lower() folds ASCII only: the same fold pairs each row with its logins.
    let mut asked: HashMap<String, Vec<&str>> = HashMap::new();
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
