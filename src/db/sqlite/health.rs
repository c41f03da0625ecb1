//! `check`'s view of a SQLite database: SQLite's own integrity check, and what in the table the
//! service would trip over.

use rusqlite::Connection;

use super::Sql;
use crate::db::Health;
use crate::db::engine::ShapeSql;
use crate::shape::{IdKind, Shape};

/// Which of the shape's unique columns lack a unique index of their own.
pub(super) fn missing_unique_indexes(
    conn: &Connection,
    shape: &Shape,
) -> rusqlite::Result<Vec<String>> {
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

/// At most this many lines of `integrity_check`: a badly damaged file can report thousands.
const MAX_INTEGRITY_ERRORS: usize = 20;

pub(super) fn health(conn: &Connection, sql: &Sql) -> rusqlite::Result<Health> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
