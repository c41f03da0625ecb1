//! Which shape a database's tables are: from the columns an engine read, the shape to work on,
//! or why there is none. The refusals are typed ([`Error::Table`]); the command line words
//! what to do about them.

use super::{IdKind, Shape, ShapeName, TUTORIAL};
use crate::error::{Error, Result, TableAdvice};

/// The columns of the tables a shape may live in, as the engine read them (empty: no table).
pub struct Tables {
    /// `users`.
    pub users: Vec<String>,
    /// `user`.
    pub user: Vec<String>,
    /// `user.id` is an integer column: fastapi-users' `SQLAlchemyBaseUserTable[int]`, or a
    /// template fork from before its UUID ids, neither of which is a shape here.
    pub user_id_is_integer: bool,
    /// There is an `alembic_version` table: the schema is the application's migrations'.
    pub alembic: bool,
}

/// Whether `init-db` may create a table that the application's migrations would make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migrations {
    /// Not where they make it: a database Alembic manages, or the full-stack template's table
    /// (its `prestart.sh` runs `alembic upgrade head`, which stops at a table already there).
    Respected,
    /// `--no-migrations`: the database never runs them (a test fixture), so create it here.
    Ignored,
}

impl Tables {
    /// `users` and `user` with these columns (empty: no such table), for tests.
    #[cfg(test)]
    pub(crate) fn with_columns(users: &[&str], user: &[&str]) -> Self {
        let columns = |names: &[&str]| names.iter().map(|&n| n.to_owned()).collect();
        Tables {
            users: columns(users),
            user: columns(user),
            user_id_is_integer: false,
            alembic: false,
        }
    }

    /// From the engine's one read of the catalog: (table, column, is an integer `id`) rows of
    /// the `users`, `user` and `alembic_version` tables, in column order.
    pub fn from_columns(rows: impl IntoIterator<Item = (String, String, bool)>) -> Self {
        let mut tables = Tables {
            users: Vec::new(),
            user: Vec::new(),
            user_id_is_integer: false,
            alembic: false,
        };
        for (table, column, integer_id) in rows {
            if table.eq_ignore_ascii_case("users") {
                tables.users.push(column);
            } else if table.eq_ignore_ascii_case(ALEMBIC_TABLE) {
                tables.alembic = true;
            } else {
                tables.user_id_is_integer |= integer_id;
                tables.user.push(column);
            }
        }
        tables
    }

    /// Whether the shape's table exists.
    pub fn has(&self, shape: &Shape) -> bool {
        !self.of(shape).is_empty()
    }

    fn of(&self, shape: &Shape) -> &[String] {
        if shape.table == "users" {
            &self.users
        } else {
            &self.user
        }
    }
}

/// The shape of the database's user table: the one forced, checked; else the one its columns
/// say. A table authctl does not recognise is refused, never guessed at.
pub fn detect(
    location: &str,
    tables: &Tables,
    forced: Option<ShapeName>,
) -> Result<&'static Shape> {
    if let Some(name) = forced {
        let shape = name.shape();
        return check_shape(location, shape, tables).map(|()| shape);
    }
    let found: Vec<&'static Shape> = ShapeName::ALL
        .iter()
        .map(|name| name.shape())
        .filter(|shape| matches_shape(shape, tables.of(shape)))
        .collect();
    match found.as_slice() {
        [shape] => check_shape(location, shape, tables).map(|()| *shape),
        [] if tables.user.is_empty() => {
            check_shape(location, &TUTORIAL, tables).map(|()| &TUTORIAL)
        }
        [] if tables.users.is_empty() => Err(Error::table(
            location,
            format!(
                "has a table \"user\" that is neither FastAPI's full-stack template's nor \
                 fastapi-users' user table (its columns: {})",
                tables.user.join(", ")
            ),
            TableAdvice::NameTheShape,
        )),
        _ => Err(Error::table(
            location,
            "has both a \"users\" and a \"user\" table",
            TableAdvice::ChooseTheShape,
        )),
    }
}

/// The shape `init-db` works on: the one forced; else the one found; else, with no user table
/// yet, the tutorial's.
pub fn to_create(
    location: &str,
    tables: &Tables,
    forced: Option<ShapeName>,
) -> Result<&'static Shape> {
    match forced {
        Some(name) if tables.of(name.shape()).is_empty() => Ok(name.shape()),
        None if tables.users.is_empty() && tables.user.is_empty() => Ok(&TUTORIAL),
        forced => detect(location, tables, forced),
    }
}

/// Alembic's own table: the revision the database is migrated to.
pub const ALEMBIC_TABLE: &str = "alembic_version";

/// Whether `init-db` may create the shape's table, which the database lacks: not where the
/// application's migrations make it, unless told they never run.
pub fn may_create(
    location: &str,
    shape: &Shape,
    tables: &Tables,
    migrations: Migrations,
) -> Result<()> {
    let (reason, advice) = match (migrations, tables.alembic, shape.name) {
        (Migrations::Ignored, _, _) => return Ok(()),
        (_, true, _) => (
            format!(
                "is managed by Alembic (it has an {ALEMBIC_TABLE} table), so its tables come from \
                 the application's migrations, which stop at a table made outside them; run \
                 `alembic upgrade head` to make its table {} (authctl then administers it as it is)",
                shape.named()
            ),
            TableAdvice::SkipMigrations,
        ),
        (_, false, ShapeName::FastapiTemplate) => (
            format!(
                "has no table {} yet, and the full-stack template makes it with its Alembic \
                 migrations (the backend's prestart.sh runs `alembic upgrade head`), which stop \
                 with DuplicateTable at one made outside them; run them to make it (authctl then \
                 administers it as it is)",
                shape.named()
            ),
            TableAdvice::SkipTemplateMigrations,
        ),
        (_, false, _) => return Ok(()),
    };
    Err(Error::table(location, reason, advice))
}

/// Whether a table is a shape's: its columns, and for the template no `is_verified` (which
/// would make it fastapi-users').
fn matches_shape(shape: &Shape, columns: &[String]) -> bool {
    let verified = columns
        .iter()
        .any(|c| c.eq_ignore_ascii_case("is_verified"));
    shape.has_columns(columns) && (shape.name != ShapeName::FastapiTemplate || !verified)
}

fn check_shape(location: &str, shape: &Shape, tables: &Tables) -> Result<()> {
    check_columns(location, shape, tables.of(shape))?;
    if matches!(shape.id, IdKind::Uuid { .. }) && tables.user_id_is_integer {
        return Err(Error::unusable(
            location,
            format!(
                "table user has integer ids; authctl knows the {} table with UUID ids only \
                 (fastapi-users' SQLAlchemyBaseUserTableUUID, the template since 0.7.0)",
                shape.name
            ),
        ));
    }
    Ok(())
}

fn check_columns(location: &str, shape: &Shape, columns: &[String]) -> Result<()> {
    if columns.is_empty() {
        let (table, named) = match shape.name {
            ShapeName::Tutorial => ("users table".to_owned(), None),
            name => (format!("table \"{}\"", shape.table), Some(name.as_str())),
        };
        return Err(Error::table(
            location,
            format!("has no {table}"),
            TableAdvice::Create { shape: named },
        ));
    }
    if let Some(missing) = shape
        .columns
        .iter()
        .find(|wanted| !columns.iter().any(|c| c.eq_ignore_ascii_case(wanted)))
    {
        let whose = match shape.name {
            ShapeName::Tutorial => "the login service's users table".to_owned(),
            name => format!("a {name} user table"),
        };
        return Err(Error::unusable(
            location,
            format!(
                "table {} has no column '{missing}'; it is not {whose} (expected columns: {})",
                shape.table,
                shape.columns.join(", ")
            ),
        ));
    }
    Ok(())
}

impl Shape {
    fn has_columns(&self, columns: &[String]) -> bool {
        self.columns
            .iter()
            .all(|wanted| columns.iter().any(|c| c.eq_ignore_ascii_case(wanted)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::FASTAPI_USERS;

    fn tables(users: &[&str], user: &[&str]) -> Tables {
        Tables::with_columns(users, user)
    }

    #[test]
    fn migrations_decide_what_init_db_may_create() {
        let empty = tables(&[], &[]);
        let migrated = Tables {
            alembic: true,
            ..tables(&[], &[])
        };
        for name in ShapeName::ALL {
            let shape = name.shape();
            let template = name == ShapeName::FastapiTemplate;
            assert_eq!(
                may_create("db", shape, &empty, Migrations::Respected).is_ok(),
                !template,
                "{name}"
            );
            assert!(may_create("db", shape, &migrated, Migrations::Respected).is_err());
            for tables in [&empty, &migrated] {
                assert!(may_create("db", shape, tables, Migrations::Ignored).is_ok());
            }
        }
        // The catalog row of Alembic's table marks the schema as migrated, not as a user table.
        let read = Tables::from_columns([(
            "alembic_version".to_owned(),
            "version_num".to_owned(),
            false,
        )]);
        assert!(read.alembic && read.user.is_empty() && read.users.is_empty());
    }

    #[test]
    fn each_shape_is_detected_by_its_columns() {
        let template = [
            "email",
            "is_active",
            "is_superuser",
            "full_name",
            "id",
            "hashed_password",
            "created_at",
        ];
        let fastapi_users = FASTAPI_USERS.columns;
        let found = |t: Tables| detect("x", &t, None).map(|s| s.name);
        assert_eq!(
            found(tables(TUTORIAL.columns, &[])).unwrap(),
            ShapeName::Tutorial
        );
        assert_eq!(
            found(tables(&[], &template)).unwrap(),
            ShapeName::FastapiTemplate
        );
        assert_eq!(
            found(tables(&[], fastapi_users)).unwrap(),
            ShapeName::FastapiUsers
        );
        // fastapi-users with a full_name added by the application is still fastapi-users.
        let mut more = fastapi_users.to_vec();
        more.push("full_name");
        assert_eq!(found(tables(&[], &more)).unwrap(), ShapeName::FastapiUsers);
    }

    #[test]
    fn unknown_and_ambiguous_tables_are_refused() {
        let message = |t: Tables| detect("x", &t, None).unwrap_err().to_string();
        assert!(message(tables(&[], &[])).contains("has no users table"));
        assert!(message(tables(&[], &["id", "name"])).contains("neither"));
        let both = detect("x", &tables(TUTORIAL.columns, FASTAPI_USERS.columns), None);
        assert!(matches!(
            both,
            Err(Error::Table {
                advice: TableAdvice::ChooseTheShape,
                ..
            })
        ));
        assert!(message(tables(&["id", "username"], &[])).contains("no column 'email'"));
        // Neither table recognised: the two tables are the problem, not the `user` one alone.
        assert!(message(tables(&["id", "username"], &["id", "name"])).contains("both"));
    }

    /// fastapi-users' integer-id variant has the UUID table's columns: refused, not given UUIDs.
    #[test]
    fn a_user_table_with_integer_ids_is_refused() {
        let t = Tables {
            user_id_is_integer: true,
            ..tables(&[], FASTAPI_USERS.columns)
        };
        let err = detect("x", &t, None).unwrap_err().to_string();
        assert!(err.contains("table user has integer ids"), "{err}");
        assert!(detect("x", &t, Some(ShapeName::FastapiUsers)).is_err());
    }

    #[test]
    fn a_forced_shape_is_checked() {
        let t = tables(TUTORIAL.columns, FASTAPI_USERS.columns);
        let forced = detect("x", &t, Some(ShapeName::FastapiUsers)).unwrap();
        assert_eq!(forced.name, ShapeName::FastapiUsers);
        let err = detect("x", &t, Some(ShapeName::FastapiTemplate)).unwrap_err();
        assert!(err.to_string().contains("no column 'full_name'"), "{err}");
        // init-db with a shape named on another shape's table refuses it too.
        let err = to_create("x", &t, Some(ShapeName::FastapiTemplate)).unwrap_err();
        assert!(err.to_string().contains("no column 'full_name'"), "{err}");
        assert_eq!(
            to_create("x", &tables(&[], &[]), Some(ShapeName::FastapiUsers))
                .unwrap()
                .name,
            ShapeName::FastapiUsers
        );
        let err = detect("x", &tables(&[], &[]), Some(ShapeName::FastapiUsers)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Table {
                    advice: TableAdvice::Create {
                        shape: Some("fastapi-users")
                    },
                    ..
                }
            ),
            "{err}"
        );
    }
}
