//! The write transaction on SQLite: `BEGIN IMMEDIATE`, so the database's write lock is held from
//! the first statement to the commit (the seam's contract, `Store::write`).

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension};

use super::Sql;
use super::lookup::Conn;
use crate::db::engine::{self, Classify, Context, Deletion, ForeignKey, OnDelete, Session};
use crate::db::{Dependents, Lookup, NewUser, Transaction, UserId, WriteTx};
use crate::error::{Error, Result};
use crate::shape::{Flag, IdKind, Shape};

pub(super) struct SqliteTx<'a> {
    tx: rusqlite::Transaction<'a>,
    ctx: &'a Context,
    sql: &'a Sql,
}

impl<'a> SqliteTx<'a> {
    pub(super) fn new(tx: rusqlite::Transaction<'a>, ctx: &'a Context, sql: &'a Sql) -> Self {
        SqliteTx { tx, ctx, sql }
    }
}

impl Session for SqliteTx<'_> {
    fn shape(&self) -> &'static Shape {
        self.ctx.shape
    }

    fn lookup<T>(&mut self, f: impl FnOnce(&mut dyn Lookup) -> Result<T>) -> Result<T> {
        let db: &Connection = &self.tx;
        f(&mut Conn {
            db,
            ctx: self.ctx,
            sql: self.sql,
        })
    }
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
        let shape = self.ctx.shape;
        if unique && message.contains(&format!("{}.{}", shape.table, shape.login)) {
            return match self.find_user(&user.username) {
                Ok(stored) => shape.login_taken(
                    &user.username,
                    stored.as_ref().map(|s| s.user.username.as_str()),
                ),
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
            (Ok(n), _) => engine::changed_one(u64::try_from(n).unwrap_or(u64::MAX)),
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

impl Deletion for SqliteTx<'_> {
    fn foreign_keys(&mut self) -> Result<Vec<ForeignKey>> {
        let table = self.ctx.shape.table;
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

    fn on_dependents(&mut self, fk: &ForeignKey, what: OnDelete, id: &UserId) -> Result<usize> {
        let (table, column, key) = (&fk.table, &fk.column, self.sql.id(id));
        match what {
            OnDelete::Delete => self.execute(
                &format!("DELETE FROM \"{table}\" WHERE \"{column}\" = ?1"),
                [&key],
            ),
            OnDelete::Clear => self.execute(
                &format!("UPDATE \"{table}\" SET \"{column}\" = NULL WHERE \"{column}\" = ?1"),
                [&key],
            ),
            OnDelete::Refuse => self
                .tx
                .query_row(
                    &format!("SELECT count(*) FROM \"{table}\" WHERE \"{column}\" = ?1"),
                    [&key],
                    |row| row.get::<_, i64>(0),
                )
                .map(|n| usize::try_from(n).unwrap_or(0))
                .map_err(|e| self.ctx.classify(e)),
        }
    }

    fn delete_row(&mut self, id: &UserId) -> Result<()> {
        let statement = format!("DELETE FROM {} WHERE id = ?1", self.sql.table);
        self.change_one(&statement, [&self.sql.id(id)], None)
    }
}

impl WriteTx for SqliteTx<'_> {
    fn id_owner(&mut self, id: &UserId) -> Result<Option<String>> {
        let sql = &self.sql;
        self.tx
            .prepare_cached(&format!(
                "SELECT coalesce({}, '') FROM {} WHERE id = ?1",
                sql.shape.login, sql.table
            ))
            .and_then(|mut stmt| stmt.query_row([sql.id(id)], |row| row.get(0)).optional())
            .map_err(|e| self.ctx.classify(e))
    }

    fn insert_user(&mut self, user: &NewUser) -> Result<UserId> {
        let sql = &self.sql;
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
        // The statements outlive this borrow of the transaction: no copy of the statement.
        let sql = &self.sql;
        let mut values = sql.written(user);
        values.push(ToSqlOutput::Owned(sql.id(id)));
        self.change_one(&sql.update, rusqlite::params_from_iter(values), Some(user))
    }

    fn delete_user(&mut self, id: &UserId) -> Result<Vec<Dependents>> {
        engine::delete_with_dependents(self, id)
    }

    fn set_flag(&mut self, id: &UserId, flag: Flag, value: bool) -> Result<()> {
        let sql = &self.sql;
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
