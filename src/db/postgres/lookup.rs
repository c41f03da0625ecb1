//! Look-ups on PostgreSQL: the queries of [`Lookup`], each in a transaction of the store's own
//! or in its write transaction (`engine::Session`).

use postgres::Row;
use postgres::types::Type;

use super::{Param, PgResult, PgStore, Statements, for_each_row, read_stored_user};
use crate::db::engine::{Classify, Context, Session};
use crate::db::{Lookup, StoredUser, UserId};
use crate::error::Result;
use crate::password::{HashCensus, MAX_BCRYPT_COST};
use crate::shape::Shape;

/// A transaction to run look-ups in: one of the store's own, or its write transaction.
pub(super) struct Conn<'a, 't> {
    pub client: &'a mut postgres::Transaction<'t>,
    pub ctx: &'a Context,
}

impl Session for PgStore {
    fn shape(&self) -> &'static Shape {
        self.ctx.shape
    }

    fn lookup<T>(&mut self, f: impl FnOnce(&mut dyn Lookup) -> Result<T>) -> Result<T> {
        self.with_tx(|conn| f(conn))
    }
}

impl Conn<'_, '_> {
    pub(super) fn rows(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
        self.client
            .query_typed(sql, params)
            .map_err(|e| self.ctx.classify(e))
    }

    pub(super) fn read<T>(
        &self,
        rows: &[Row],
        each: impl Fn(&Row) -> PgResult<T>,
    ) -> Result<Vec<T>> {
        rows.iter()
            .map(|row| each(row).map_err(|e| self.ctx.classify(e)))
            .collect()
    }
}

impl Lookup for Conn<'_, '_> {
    fn shape(&self) -> &'static Shape {
        self.ctx.shape
    }

    fn find_user(&mut self, username: &str) -> Result<Option<StoredUser>> {
        Ok(self.find_users(&[username])?.pop().map(|(_, user)| user))
    }

    fn find_by_id(&mut self, id: &UserId) -> Result<Option<StoredUser>> {
        let ctx = self.ctx;
        let rows = self.rows(
            &format!(
                "SELECT {}, hashed_password FROM {} WHERE id = $1::text::{}",
                ctx.columns(),
                ctx.table(),
                ctx.id_type()
            ),
            &[(&id.to_string(), Type::TEXT)],
        )?;
        Ok(self
            .read(&rows, |row| read_stored_user(row, ctx.shape))?
            .pop())
    }

    fn email_owner(&mut self, email: &str) -> Result<Option<String>> {
        Ok(self.email_owners(&[email])?.pop().map(|(_, owner)| owner))
    }

    /// Each row with the login that found it: the server's own `lower()` decides, whatever the
    /// database's locale.
    fn find_users(&mut self, logins: &[&str]) -> Result<Vec<(String, StoredUser)>> {
        let ctx = self.ctx;
        let (shape, login) = (ctx.shape, ctx.shape.login);
        let matching = if shape.login_folds_case {
            format!("lower({login}) = lower(asked)")
        } else {
            format!("{login} = asked")
        };
        let rows = self.rows(
            &format!(
                "SELECT {}, hashed_password, asked FROM unnest($1::text[]) AS asked \
                 JOIN {} ON {matching}",
                ctx.columns(),
                ctx.table()
            ),
            &[(&logins, Type::TEXT_ARRAY)],
        )?;
        self.read(&rows, |row| {
            Ok((row.try_get(8)?, read_stored_user(row, shape)?))
        })
    }

    fn email_owners(&mut self, emails: &[&str]) -> Result<Vec<(String, String)>> {
        if !self.ctx.shape.email {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT email::text, coalesce({}, '')::text FROM {} WHERE email = ANY($1)",
            self.ctx.shape.login,
            self.ctx.table()
        );
        let rows = self.rows(&sql, &[(&emails, Type::TEXT_ARRAY)])?;
        self.read(&rows, |row| Ok((row.try_get(0)?, row.try_get(1)?)))
    }

    fn hash_census(&mut self) -> Result<HashCensus> {
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
                self.ctx.table()
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

    fn for_each_username(&mut self, each: &mut dyn FnMut(&str)) -> Result<()> {
        let ctx = self.ctx;
        let (login, table) = (ctx.shape.login, ctx.table());
        for_each_row(
            self.client,
            &format!("SELECT {login}::text FROM {table} WHERE {login} IS NOT NULL"),
            &mut |row| {
                each(row.try_get(0).map_err(|e| ctx.classify(e))?);
                Ok(())
            },
            ctx,
        )
    }
}
