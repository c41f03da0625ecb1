//! Where the database is: a SQLite file or a PostgreSQL server, from `--db`, `--database-url`
//! or `DATABASE_URL`.

use std::fmt;
use std::path::{Path, PathBuf};

use super::postgres::{self, Target};
use crate::error::{Error, Result};

/// Where the database is: parsed from `--db`, `--database-url` or `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A database on a PostgreSQL server.
    Postgres(Target),
}

/// The URL forms accepted, for error messages and help.
pub const SUPPORTED_URLS: &str = "a file path, sqlite:///relative.db, sqlite:////absolute.db, \
     sqlite+aiosqlite:///./file.db, or postgresql://user@host:port/database (also postgres:// \
     and postgresql+psycopg://, +psycopg2://, +asyncpg://)";

impl Location {
    /// A database file (`--db PATH`).
    pub fn file(path: PathBuf) -> Self {
        Location::Sqlite(path)
    }

    /// The default database when nothing names one: `./users.db`.
    pub fn default_path() -> Self {
        Location::Sqlite(PathBuf::from("users.db"))
    }

    /// Parses a SQLAlchemy database URL (the service's own `DATABASE_URL`) or a plain path.
    ///
    /// SQLAlchemy's SQLite URLs are `sqlite:///` followed by the path, so `sqlite:///x.db` is
    /// relative and `sqlite:////x.db` absolute; a driver suffix (`sqlite+aiosqlite`,
    /// `sqlite+pysqlite`) names the same file. Query parameters are driver options
    /// (`?check_same_thread=false`) and are ignored.
    pub fn parse(url: &str) -> Result<Self> {
        let Some((scheme, rest)) = url.split_once("://") else {
            if url.is_empty() {
                return Err(Error::invalid("the database URL is empty"));
            }
            return Ok(Location::Sqlite(PathBuf::from(url)));
        };
        let engine = scheme.split('+').next().unwrap_or(scheme);
        if ["postgresql", "postgres"]
            .iter()
            .any(|pg| engine.eq_ignore_ascii_case(pg))
        {
            return Ok(Location::Postgres(Target::parse(url)?));
        }
        if !engine.eq_ignore_ascii_case("sqlite") {
            return Err(Error::unusable(
                &postgres::without_password(url),
                format!(
                    "database engine '{engine}' is not supported; authctl supports SQLite and PostgreSQL: {SUPPORTED_URLS}"
                ),
            ));
        }
        let path = rest.split('?').next().unwrap_or_default();
        let Some(path) = path.strip_prefix('/') else {
            return Err(Error::invalid(format!(
                "database URL '{url}' names no file; expected {SUPPORTED_URLS}"
            )));
        };
        if path.is_empty() || path == ":memory:" {
            return Err(Error::invalid(format!(
                "database URL '{url}' names an in-memory database, which would vanish when authctl exits; expected {SUPPORTED_URLS}"
            )));
        }
        Ok(Location::Sqlite(PathBuf::from(path)))
    }

    /// The database file, for an engine that keeps the database in one.
    pub fn file_path(&self) -> Option<&Path> {
        match self {
            Location::Sqlite(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }
}

/// The location as messages show it: a path, or (for a server) its URL without the password.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(target) => write!(f, "{target}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(path: &str) -> Location {
        Location::Sqlite(PathBuf::from(path))
    }

    #[test]
    fn parses_sqlalchemy_urls_and_paths() {
        assert_eq!(
            Location::parse("sqlite:///users.db").unwrap(),
            sqlite("users.db")
        );
        assert_eq!(
            Location::parse("sqlite:///./sql_app.db").unwrap(),
            sqlite("./sql_app.db")
        );
        assert_eq!(
            Location::parse("sqlite:////var/lib/app.db").unwrap(),
            sqlite("/var/lib/app.db")
        );
        assert_eq!(
            Location::parse("sqlite+aiosqlite:///./sqlite3.db").unwrap(),
            sqlite("./sqlite3.db")
        );
        assert_eq!(
            Location::parse("sqlite:///app.db?check_same_thread=false").unwrap(),
            sqlite("app.db")
        );
        assert_eq!(
            Location::parse("data/users.db").unwrap(),
            sqlite("data/users.db")
        );
    }

    #[test]
    fn parses_the_service_postgresql_urls() {
        for url in [
            "postgresql://app:pw@db:5432/app",
            "postgres://app@db/app",
            "postgresql+psycopg://app@db/app?sslmode=require",
            "postgresql+psycopg2://app@%2Fvar%2Frun%2Fpostgresql/app",
            "postgresql+asyncpg://app@db/app?ssl=require",
        ] {
            let location = Location::parse(url).unwrap();
            assert!(matches!(location, Location::Postgres(_)), "{url}");
            assert_eq!(location.file_path(), None);
        }
    }

    #[test]
    fn refuses_other_engines_and_memory() {
        let err = Location::parse("mysql://app:hunter2@db/app").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("'mysql' is not supported"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
        assert!(Location::parse("sqlite://").is_err());
        assert!(Location::parse("sqlite:///:memory:").is_err());
        assert!(Location::parse("").is_err());
    }
}
