//! The write transaction on PostgreSQL. Inserts wait in a buffer and go to the server a thousand
//! rows per statement; ids come from the table's sequence in blocks, so each insert still returns
//! its id at once. Every other statement sends the buffer first. Statements are unnamed, as
//! everywhere in the engine: a pooled server connection keeps none of them.

use std::collections::VecDeque;

use postgres::types::{ToSql, Type};

use super::lookup::Conn;
use super::{Param, PgResult, Statements};
use crate::db::engine::{
    self, Classify, Context, Deletion, ForeignKey, OnDelete, Session, ShapeSql, Value,
};
use crate::db::{Dependents, Lookup, NewUser, Transaction, UserId, WriteTx};
use crate::error::{Error, Result};
use crate::shape::{Flag, IdKind, Shape, Written};

/// Rows per multi-row insert.
const FLUSH_AT: usize = 1000;
/// The largest block of ids taken from the sequence at once. Blocks start at one and double, so
/// a single `add-user` takes exactly one id.
const MAX_ID_BLOCK: i64 = 1024;

pub(super) struct PgTx<'a> {
    tx: postgres::Transaction<'a>,
    ctx: &'a Context,
    /// Inserted but not yet sent, each with its id.
    pending: Vec<NewUser>,
    ids: Ids,
}

/// The id column's sequence, looked up when first needed.
#[derive(Default, Clone)]
enum Sequence {
    #[default]
    Unknown,
    /// The column has none (a table made by hand).
    Absent,
    Named(String),
}

#[derive(Default)]
struct Ids {
    sequence: Sequence,
    /// Taken from the sequence, not yet given to a row.
    reserved: VecDeque<i64>,
    next_block: i64,
    /// Rows were given ids of their own (an import's): the sequence may be behind them.
    explicit: bool,
}

impl<'a> PgTx<'a> {
    pub(super) fn new(tx: postgres::Transaction<'a>, ctx: &'a Context) -> Self {
        PgTx {
            tx,
            ctx,
            pending: Vec::new(),
            ids: Ids {
                next_block: 1,
                ..Ids::default()
            },
        }
    }

    fn err(&self) -> impl Fn(postgres::Error) -> Error + '_ {
        |e| self.ctx.classify(e)
    }

    /// A look-up of its own, every buffered insert sent first (see [`Session`]).
    fn conn<T>(&mut self, f: impl FnOnce(&mut Conn<'_, '_>) -> Result<T>) -> Result<T> {
        self.flush()?;
        f(&mut Conn {
            client: &mut self.tx,
            ctx: self.ctx,
        })
    }

    fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.pending);
        let column = |f: fn(&NewUser) -> Option<&str>| rows.iter().map(f).collect::<Vec<_>>();
        let ids: Vec<String> = rows
            .iter()
            .map(|u| u.id.as_ref().map(ToString::to_string).unwrap_or_default())
            .collect();
        let logins = column(|u| Some(&u.username));
        let emails = column(|u| u.email.as_deref());
        let full_names = column(|u| u.full_name.as_deref());
        let hashes = column(|u| Some(&u.hashed_password));
        let shape = self.ctx.shape;
        let flag = |f: fn(&NewUser) -> bool| rows.iter().map(f).collect::<Vec<bool>>();
        let status: Vec<bool> = rows
            .iter()
            .map(|u| shape.status_value(u.disabled))
            .collect();
        let (superuser, verified) = (flag(|u| u.superuser), flag(|u| u.verified));
        // A row a unique index refuses is left out (the transaction lives on), then explained.
        let inserted = self
            .tx
            .query_typed(
                &insert_statement(shape, self.ctx.id_type()),
                &[
                    (&ids, Type::TEXT_ARRAY),
                    (&logins, Type::TEXT_ARRAY),
                    (&emails, Type::TEXT_ARRAY),
                    (&full_names, Type::TEXT_ARRAY),
                    (&status, Type::BOOL_ARRAY),
                    (&superuser, Type::BOOL_ARRAY),
                    (&verified, Type::BOOL_ARRAY),
                    (&hashes, Type::TEXT_ARRAY),
                ],
            )
            .map_err(self.err())?;
        if inserted.len() == rows.len() {
            return Ok(());
        }
        let written: Vec<UserId> = inserted
            .iter()
            .map(|row| row.try_get(0).map(UserId::parse))
            .collect::<PgResult<_>>()
            .map_err(self.err())?;
        match rows
            .iter()
            .find(|u| u.id.as_ref().is_some_and(|id| !written.contains(id)))
        {
            // Not for its id, login or email: the domain checked those under this
            // transaction's lock, which keeps every other writer out. So an index of the table's own.
            Some(refused) => Err(unique_index(
                &mut Conn {
                    client: &mut self.tx,
                    ctx: self.ctx,
                },
                refused,
            )),
            None => Err(Error::Internal("a multi-row insert lost rows".to_owned())),
        }
    }

    /// The next id for a row without one: from the sequence, as the service's inserts get theirs.
    fn next_id(&mut self) -> Result<UserId> {
        if let IdKind::Uuid { .. } = self.ctx.shape.id {
            return UserId::random_uuid();
        }
        self.next_serial().map(UserId::Int)
    }

    fn next_serial(&mut self) -> Result<i64> {
        if let Some(id) = self.ids.reserved.pop_front() {
            return Ok(id);
        }
        let Some(sequence) = self.sequence()? else {
            // No sequence (a table made by hand): the next after the largest, under our lock.
            self.flush()?;
            let row = self
                .tx
                .query_typed_one(
                    &format!(
                        "SELECT coalesce(max(id), 0)::int8 + 1 FROM {}",
                        self.ctx.table()
                    ),
                    &[],
                )
                .map_err(self.err())?;
            return row.try_get(0).map_err(self.err());
        };
        if self.ids.explicit {
            self.flush()?;
            self.catch_up(&sequence)?;
        }
        let block = self.ids.next_block;
        self.ids.next_block = (block * 2).min(MAX_ID_BLOCK);
        let rows = self
            .tx
            .query_typed(
                "SELECT nextval($1::text::regclass) FROM generate_series(1, $2::int8)",
                &[(&sequence, Type::TEXT), (&block, Type::INT8)],
            )
            .map_err(self.err())?;
        for row in rows {
            let id = row.try_get(0).map_err(self.err())?;
            self.ids.reserved.push_back(id);
        }
        self.ids
            .reserved
            .pop_front()
            .ok_or_else(|| Error::Internal("the id sequence gave no value".to_owned()))
    }

    fn sequence(&mut self) -> Result<Option<String>> {
        if let IdKind::Uuid { .. } = self.ctx.shape.id {
            return Ok(None);
        }
        if let Sequence::Unknown = self.ids.sequence {
            let name: Option<String> = self
                .tx
                .query_typed_one(
                    "SELECT pg_get_serial_sequence(quote_ident($1), 'id')",
                    &[(&self.ctx.shape.table, Type::TEXT)],
                )
                .and_then(|row| row.try_get(0))
                .map_err(self.err())?;
            self.ids.sequence = name.map_or(Sequence::Absent, Sequence::Named);
        }
        Ok(match &self.ids.sequence {
            Sequence::Named(name) => Some(name.clone()),
            _ => None,
        })
    }

    /// Moves the sequence past the largest id, so that the service's next insert does not
    /// collide with an id an import brought.
    fn catch_up(&mut self, sequence: &str) -> Result<()> {
        let table = self.ctx.table();
        self.tx
            .execute_typed(
                &format!(
                    "SELECT setval(s, m) FROM (SELECT $1::text::regclass AS s, \
                     (SELECT max(id) FROM {table})::int8 AS m) t \
                     WHERE m > coalesce(pg_sequence_last_value(s), 0)"
                ),
                &[(&sequence, Type::TEXT)],
            )
            .map_err(self.err())?;
        self.ids.explicit = false;
        Ok(())
    }

    /// Gives back ids taken and not used, when nobody took one since.
    fn give_back(&mut self, sequence: &str) -> Result<()> {
        let (Some(&first), Some(&last)) = (self.ids.reserved.front(), self.ids.reserved.back())
        else {
            return Ok(());
        };
        self.tx
            .execute_typed(
                "SELECT setval($1::text::regclass, $2::int8, false) \
                 WHERE pg_sequence_last_value($1::text::regclass) = $3::int8",
                &[
                    (&sequence, Type::TEXT),
                    (&first, Type::INT8),
                    (&last, Type::INT8),
                ],
            )
            .map_err(self.err())?;
        self.ids.reserved.clear();
        Ok(())
    }

    /// Runs a statement that must change exactly one row ([`engine::changed_one`]), after the
    /// buffer; a unique index's refusal becomes the domain's conflict.
    fn change(&mut self, sql: &str, params: &[Param<'_>], user: Option<&NewUser>) -> Result<()> {
        self.flush()?;
        match self.tx.execute_typed(sql, params) {
            Ok(rows) => engine::changed_one(rows),
            Err(e) => match (e.code(), user) {
                (Some(&postgres::error::SqlState::UNIQUE_VIOLATION), Some(user)) => {
                    Err(unique_violation(&e, user))
                }
                _ => Err(self.ctx.classify(e)),
            },
        }
    }
}

impl Session for PgTx<'_> {
    fn shape(&self) -> &'static Shape {
        self.ctx.shape
    }

    fn lookup<T>(&mut self, f: impl FnOnce(&mut dyn Lookup) -> Result<T>) -> Result<T> {
        self.conn(|conn| f(conn))
    }
}

/// The multi-row insert for the shape: every column it has, from eight arrays (id as text,
/// login, email, full_name, status, is_superuser, is_verified, hash); `created_at` is the
/// server's clock, as the application's default would be.
fn insert_statement(shape: &Shape, id_type: &str) -> String {
    let mut columns = vec![
        ("id", format!("u.id::{id_type}")),
        (shape.login, "u.login".into()),
    ];
    // The written columns from the array of the same name (`Shape::written`'s one order).
    columns.extend(shape.written().map(|column| {
        let array = match column {
            Written::Email => "u.email",
            Written::FullName => "u.full_name",
            Written::Status => "u.status",
            Written::Superuser => "u.superuser",
            Written::Verified => "u.verified",
            Written::Hash => "u.hash",
        };
        (shape.column(column), array.to_owned())
    }));
    if shape.created_at {
        // Per row, as the application's Python-side default: listings keep the import's order.
        columns.push(("created_at", "clock_timestamp()".to_owned()));
    }
    let (names, values): (Vec<&str>, Vec<String>) = columns.into_iter().unzip();
    format!(
        "INSERT INTO {} ({}) SELECT {} FROM unnest($1::text[], $2::text[], $3::text[], \
         $4::text[], $5::bool[], $6::bool[], $7::bool[], $8::text[]) \
         AS u(id, login, email, full_name, status, superuser, verified, hash) \
         ON CONFLICT DO NOTHING RETURNING id::text",
        shape.quoted_table(),
        names.join(", "),
        values.join(", ")
    )
}

/// An update refused by a unique index: one of the table's own (the domain checked the email
/// under the lock). The transaction is aborted, so the index is named from the error.
fn unique_violation(e: &postgres::Error, user: &NewUser) -> Error {
    Error::UniqueIndex {
        username: user.username.clone(),
        index: e
            .as_db_error()
            .and_then(|db| db.constraint())
            .unwrap_or("?")
            .to_owned(),
    }
}

/// A row refused by a unique index that is not on `username`, `email` or `id` alone: the
/// table's own, named (all of them, when it has several).
fn unique_index(conn: &mut Conn<'_, '_>, user: &NewUser) -> Error {
    let shape = conn.ctx.shape;
    let names = conn.rows(
        "SELECT coalesce(string_agg(c.relname::text, ', ' ORDER BY c.relname), '?') \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE i.indrelid = to_regclass(quote_ident($1)) AND i.indisunique AND NOT (i.indnkeyatts = 1 \
           AND i.indexprs IS NULL AND i.indpred IS NULL AND (SELECT attname::text FROM pg_attribute \
             WHERE attrelid = i.indrelid AND attnum = i.indkey[0]) IN ('id', $2, 'email'))",
        &[(&shape.table, Type::TEXT), (&shape.login, Type::TEXT)],
    );
    match names.and_then(|rows| conn.read(&rows, |row| row.try_get::<_, String>(0))) {
        Ok(names) => Error::UniqueIndex {
            username: user.username.clone(),
            index: names.into_iter().next().unwrap_or_default(),
        },
        Err(e) => e,
    }
}

impl PgTx<'_> {
    /// The values an update sets, in [`Shape::written`]'s order (`$2…` of [`PgTx::update_sql`]).
    fn values(&self, user: &NewUser) -> Vec<(Box<dyn ToSql + Sync>, Type)> {
        let shape = self.ctx.shape;
        shape
            .written()
            .map(|column| -> (Box<dyn ToSql + Sync>, Type) {
                match shape.value(column, user) {
                    Value::Text(text) => (Box::new(text.map(str::to_owned)), Type::TEXT),
                    Value::Bool(b) => (Box::new(b), Type::BOOL),
                }
            })
            .collect()
    }

    /// `UPDATE … SET` the written columns, in [`Shape::written`]'s order as `$2…`, `WHERE id = $1`.
    fn update_sql(&self) -> String {
        let shape = self.ctx.shape;
        let sets: Vec<String> = shape
            .written()
            .enumerate()
            .map(|(i, column)| format!("{} = ${}", shape.column(column), i + 2))
            .collect();
        format!(
            "UPDATE {} SET {} WHERE id = $1::text::{}",
            self.ctx.table(),
            sets.join(", "),
            self.ctx.id_type()
        )
    }
}

impl Deletion for PgTx<'_> {
    /// The foreign keys of other tables that refer to the user table.
    fn foreign_keys(&mut self) -> Result<Vec<ForeignKey>> {
        self.flush()?;
        let rows = self
            .tx
            .query_typed(
                "SELECT c.conrelid::regclass::text, a.attname::text, CASE c.confdeltype \
                   WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'r' THEN 'RESTRICT' \
                   WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END \
                 FROM pg_constraint c \
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
                 WHERE c.contype = 'f' AND c.confrelid = to_regclass(quote_ident($1)) ORDER BY 1",
                &[(&self.ctx.shape.table, Type::TEXT)],
            )
            .map_err(self.err())?;
        rows.iter()
            .map(|row| {
                Ok(ForeignKey {
                    table: row.try_get(0)?,
                    column: row.try_get(1)?,
                    on_delete: row.try_get(2)?,
                })
            })
            .collect::<PgResult<_>>()
            .map_err(self.err())
    }

    fn on_dependents(&mut self, fk: &ForeignKey, what: OnDelete, id: &UserId) -> Result<usize> {
        let (table, column) = (&fk.table, &fk.column);
        let refers = format!("\"{column}\" = $1::text::{}", self.ctx.id_type());
        let sql = match what {
            OnDelete::Delete => format!("DELETE FROM {table} WHERE {refers}"),
            OnDelete::Clear => format!("UPDATE {table} SET \"{column}\" = NULL WHERE {refers}"),
            OnDelete::Refuse => format!("SELECT FROM {table} WHERE {refers}"),
        };
        self.flush()?;
        let rows = self
            .tx
            .execute_typed(&sql, &[(&id.to_string(), Type::TEXT)])
            .map_err(self.err())?;
        Ok(usize::try_from(rows).unwrap_or(usize::MAX))
    }

    fn delete_row(&mut self, id: &UserId) -> Result<()> {
        let sql = format!(
            "DELETE FROM {} WHERE id = $1::text::{}",
            self.ctx.table(),
            self.ctx.id_type()
        );
        self.change(&sql, &[(&id.to_string(), Type::TEXT)], None)
    }
}

impl WriteTx for PgTx<'_> {
    fn id_owner(&mut self, id: &UserId) -> Result<Option<String>> {
        if let Some(user) = self.pending.iter().find(|u| u.id.as_ref() == Some(id)) {
            return Ok(Some(user.username.clone()));
        }
        // Buffered rows cannot hold it (just checked): no need to send them first.
        let sql = format!(
            "SELECT coalesce({}, '')::text FROM {} WHERE id = $1::text::{}",
            self.ctx.shape.login,
            self.ctx.table(),
            self.ctx.id_type()
        );
        let row = self
            .tx
            .query_typed_opt(&sql, &[(&id.to_string(), Type::TEXT)])
            .map_err(self.err())?;
        row.map(|row| row.try_get(0))
            .transpose()
            .map_err(self.err())
    }

    fn insert_user(&mut self, user: &NewUser) -> Result<UserId> {
        let id = match &user.id {
            Some(id) => {
                self.ids.explicit = true;
                id.clone()
            }
            None => self.next_id()?,
        };
        self.pending.push(NewUser {
            id: Some(id.clone()),
            ..user.clone()
        });
        if self.pending.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(id)
    }

    fn update_user(&mut self, id: &UserId, user: &NewUser) -> Result<()> {
        let sql = self.update_sql();
        let values = self.values(user);
        let id = id.to_string();
        let mut params: Vec<Param<'_>> = vec![(&id, Type::TEXT)];
        params.extend(values.iter().map(|(v, t)| (&**v, t.clone())));
        self.change(&sql, &params, Some(user))
    }

    fn set_flag(&mut self, id: &UserId, flag: Flag, value: bool) -> Result<()> {
        let (column, stored) = self.ctx.shape.flag_column(flag, value);
        let sql = format!(
            "UPDATE {} SET {column} = $2 WHERE id = $1::text::{}",
            self.ctx.table(),
            self.ctx.id_type()
        );
        self.change(
            &sql,
            &[(&id.to_string(), Type::TEXT), (&stored, Type::BOOL)],
            None,
        )
    }

    fn delete_user(&mut self, id: &UserId) -> Result<Vec<Dependents>> {
        engine::delete_with_dependents(self, id)
    }
}

impl Transaction for PgTx<'_> {
    /// The buffered rows are sent first: the server checks them, then forgets them.
    fn rollback(mut self: Box<Self>) -> Result<()> {
        self.flush()?;
        let ctx = self.ctx;
        self.tx.rollback().map_err(|e| ctx.classify(e))
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        self.flush()?;
        let moved = self.ids.explicit || !self.ids.reserved.is_empty();
        if moved && let Some(sequence) = self.sequence()? {
            self.give_back(&sequence)?;
            if self.ids.explicit {
                self.catch_up(&sequence)?;
            }
        }
        let ctx = self.ctx;
        self.tx.commit().map_err(|e| ctx.classify(e))
    }
}
