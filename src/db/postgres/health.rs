//! `check`'s view of a PostgreSQL database: what in the table the service would trip over (the
//! server checks its own pages).

use postgres::GenericClient;
use postgres::types::Type;

use super::lookup::Conn;
use super::{PgResult, Statements};
use crate::db::Health;
use crate::db::engine::{Classify, ShapeSql};
use crate::error::Result;
use crate::shape::Shape;

pub(super) fn health(conn: &mut Conn<'_, '_>) -> Result<Health> {
    let shape = conn.ctx.shape;
    Ok(Health {
        shape,
        // The server checks its own pages (and has no cheap whole-database check to ask).
        integrity_errors: Vec::new(),
        missing_unique_indexes: missing_unique_indexes(conn.client, shape)
            .map_err(|e| conn.ctx.classify(e))?,
        null_disabled: conn.null_disabled()?,
        // A native uuid column holds no other form.
        misformed_ids: Vec::new(),
        login_duplicates: conn.login_duplicates()?,
    })
}

/// Which of the shape's unique columns lack a unique index of their own.
pub(super) fn missing_unique_indexes(
    client: &mut impl GenericClient,
    shape: &Shape,
) -> PgResult<Vec<String>> {
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

impl Conn<'_, '_> {
    /// Logins that several rows share as a case-folding service matches them.
    fn login_duplicates(&mut self) -> Result<Vec<String>> {
        let ctx = self.ctx;
        if !ctx.shape.login_folds_case {
            return Ok(Vec::new());
        }
        let login = ctx.shape.login;
        let sql = format!(
            "SELECT lower({login})::text FROM {} GROUP BY 1 HAVING count(*) > 1 ORDER BY 1",
            ctx.table()
        );
        let rows = self.rows(&sql, &[])?;
        self.read(&rows, |row| row.try_get(0))
    }

    /// The logins of rows whose status is NULL.
    fn null_disabled(&mut self) -> Result<Vec<String>> {
        let ctx = self.ctx;
        let sql = format!(
            "SELECT coalesce({}, '')::text FROM {} WHERE {} IS NULL ORDER BY id",
            ctx.shape.login,
            ctx.table(),
            ctx.shape.status_column()
        );
        let rows = self.rows(&sql, &[])?;
        self.read(&rows, |row| row.try_get(0))
    }
}
