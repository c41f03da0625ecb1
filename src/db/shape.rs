//! The user tables authctl knows, each described once: the tutorial's `users`, FastAPI's
//! full-stack template's `user` and fastapi-users' `user` (`shared/docs/table-shapes.md`). The
//! engines build their SQL from this description; the domain asks it what a login, an id and a
//! flag are. Detection from a database's columns lives here too.

use std::fmt;
use std::time::Duration;

use super::unusable;
use crate::error::Result;

/// A built-in table shape, by the name `--table-shape` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShapeName {
    Tutorial,
    FastapiTemplate,
    FastapiUsers,
}

impl ShapeName {
    pub const ALL: [ShapeName; 3] = [
        ShapeName::Tutorial,
        ShapeName::FastapiTemplate,
        ShapeName::FastapiUsers,
    ];

    pub fn shape(self) -> &'static Shape {
        match self {
            ShapeName::Tutorial => &TUTORIAL,
            ShapeName::FastapiTemplate => &FASTAPI_TEMPLATE,
            ShapeName::FastapiUsers => &FASTAPI_USERS,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ShapeName::Tutorial => "tutorial",
            ShapeName::FastapiTemplate => "fastapi-template",
            ShapeName::FastapiUsers => "fastapi-users",
        }
    }
}

impl fmt::Display for ShapeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a shape's ids are made and stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// An integer the database assigns (SQLite's rowid, a PostgreSQL sequence).
    Serial,
    /// A random (version 4) UUID the tool generates, as the application does. On PostgreSQL a
    /// native `uuid`; on SQLite text, dashed or as 32 hex digits: the one form the application
    /// looks up (`session.get` finds no other).
    Uuid { sqlite_dashed: bool },
}

impl IdKind {
    /// Whether an id given to a new user (an import's) is of this kind: a positive integer, or a
    /// UUID.
    pub fn accepts(self, id: &super::UserId) -> bool {
        match (self, id) {
            (IdKind::Serial, super::UserId::Int(n)) => *n > 0,
            (IdKind::Uuid { .. }, super::UserId::Uuid(_)) => true,
            _ => false,
        }
    }

    /// What [`IdKind::accepts`] wants, for messages.
    pub fn expected(self) -> &'static str {
        match self {
            IdKind::Serial => "must be a positive integer",
            IdKind::Uuid { .. } => "must be a UUID",
        }
    }
}

/// Which column says a user may log in, and which way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// `disabled`: true locks the user out; NULL is active (the tutorial).
    Disabled,
    /// `is_active`: false locks the user out.
    IsActive,
}

/// What the service's access tokens hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRules {
    /// `sub` is the user's id (as text) rather than the login.
    pub sub_is_id: bool,
    /// The `aud` claim, a one-element list, when the service requires one.
    pub audience: Option<&'static str>,
    /// The service's default lifetime.
    pub lifetime: Duration,
}

/// A column every write of a user sets; see [`Shape::written`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Email,
    FullName,
    Status,
    Superuser,
    Verified,
    Hash,
}

/// A written column's value, for an engine to bind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Text(Option<&'a str>),
    Bool(bool),
}

/// How the service words a refused login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusals {
    pub bad_credentials: &'static str,
    pub inactive: &'static str,
    pub unverified: &'static str,
}

/// One user table: enough for the engines to build their SQL and for the domain to speak in the
/// service's terms.
#[derive(Debug, PartialEq, Eq)]
pub struct Shape {
    pub name: ShapeName,
    pub table: &'static str,
    /// The column a login names (`username`, `email`).
    pub login: &'static str,
    /// The login is an email address, which the application's model reads with pydantic's
    /// `EmailStr` (validated, and stored normalised); matched case-insensitively by the service
    /// (`lower(email) = lower(?)`) when `login_folds_case`.
    pub login_is_email: bool,
    pub login_folds_case: bool,
    pub id: IdKind,
    /// An `email` column beside the login (the tutorial's).
    pub email: bool,
    pub full_name: bool,
    pub status: Status,
    pub superuser: bool,
    pub verified: bool,
    /// A `created_at` column with no SQL default: the application fills it, so the tool does.
    pub created_at: bool,
    /// The columns a table must have to be taken for this shape.
    pub columns: &'static [&'static str],
    /// The fields of its records (listings, exports, imports), in order: `id`, the login, the
    /// user's other fields, `disabled` (on every shape, whatever the status column), the rights.
    pub fields: &'static [&'static str],
    /// [`Shape::fields`] and what an imported record may add: `password` or `hashed_password`.
    pub import_fields: &'static [&'static str],
    /// The columns the application's model declares unique.
    pub unique: &'static [&'static str],
    pub token: TokenRules,
    pub refusals: Refusals,
    /// The application hashes with pwdlib's Argon2 and bcrypt hashers (the template since 0.10.0,
    /// fastapi-users since v13), so it verifies both whatever the table holds yet.
    pub verifies_bcrypt_too: bool,
    /// Whether, and where, the application checks the status of a token's user on each
    /// request (so that disabling takes effect before tokens expire).
    pub status_check: &'static str,
    /// The longest value, in characters, the model's columns take: (field, limit).
    pub max_lengths: &'static [(&'static str, usize)],
}

/// The FastAPI security tutorial's `users` table (`service-contract.md`).
pub static TUTORIAL: Shape = Shape {
    name: ShapeName::Tutorial,
    table: "users",
    login: "username",
    login_is_email: false,
    login_folds_case: false,
    id: IdKind::Serial,
    email: true,
    full_name: true,
    status: Status::Disabled,
    superuser: false,
    verified: false,
    created_at: false,
    columns: &[
        "id",
        "username",
        "email",
        "full_name",
        "disabled",
        "hashed_password",
    ],
    fields: &["id", "username", "email", "full_name", "disabled"],
    import_fields: &[
        "id",
        "username",
        "email",
        "full_name",
        "disabled",
        "password",
        "hashed_password",
    ],
    unique: &["username", "email"],
    token: TokenRules {
        sub_is_id: false,
        audience: None,
        lifetime: crate::token::DEFAULT_LIFETIME,
    },
    refusals: Refusals {
        bad_credentials: "incorrect username or password",
        inactive: "inactive user",
        unverified: "user not verified",
    },
    verifies_bcrypt_too: false,
    max_lengths: &[],
    status_check: "checks `disabled` on each request (the tutorial's /users/me does)",
};

/// FastAPI's full-stack template (`backend/app/models.py`, `core/security.py` at 68adb40).
pub static FASTAPI_TEMPLATE: Shape = Shape {
    name: ShapeName::FastapiTemplate,
    table: "user",
    login: "email",
    login_is_email: true,
    login_folds_case: false,
    id: IdKind::Uuid {
        sqlite_dashed: false,
    },
    email: false,
    full_name: true,
    status: Status::IsActive,
    superuser: true,
    verified: false,
    created_at: true,
    columns: &[
        "id",
        "email",
        "full_name",
        "is_active",
        "is_superuser",
        "hashed_password",
    ],
    fields: &["id", "email", "full_name", "disabled", "is_superuser"],
    import_fields: &[
        "id",
        "email",
        "full_name",
        "disabled",
        "is_superuser",
        "password",
        "hashed_password",
    ],
    unique: &["email"],
    token: TokenRules {
        sub_is_id: true,
        audience: None,
        lifetime: Duration::from_secs(8 * 24 * 60 * 60),
    },
    refusals: Refusals {
        bad_credentials: "incorrect email or password",
        inactive: "inactive user",
        unverified: "user not verified",
    },
    verifies_bcrypt_too: true,
    max_lengths: &[("email", 255), ("full_name", 255)],
    status_check: "checks `is_active` on each request (the template's get_current_active_user does)",
};

/// fastapi-users' `SQLAlchemyBaseUserTableUUID` (fastapi-users 15.0.5, -db-sqlalchemy 7.0.0).
pub static FASTAPI_USERS: Shape = Shape {
    name: ShapeName::FastapiUsers,
    table: "user",
    login: "email",
    login_is_email: true,
    login_folds_case: true,
    id: IdKind::Uuid {
        sqlite_dashed: true,
    },
    email: false,
    full_name: false,
    status: Status::IsActive,
    superuser: true,
    verified: true,
    created_at: false,
    columns: &[
        "id",
        "email",
        "hashed_password",
        "is_active",
        "is_superuser",
        "is_verified",
    ],
    fields: &["id", "email", "disabled", "is_superuser", "is_verified"],
    import_fields: &[
        "id",
        "email",
        "disabled",
        "is_superuser",
        "is_verified",
        "password",
        "hashed_password",
    ],
    unique: &["email"],
    token: TokenRules {
        sub_is_id: true,
        audience: Some("fastapi-users:auth"),
        // The lifetime the documented example gives its JWT strategy.
        lifetime: Duration::from_secs(60 * 60),
    },
    // Its login route answers an inactive user as a wrong password.
    refusals: Refusals {
        bad_credentials: "bad credentials (LOGIN_BAD_CREDENTIALS)",
        inactive: "inactive user (the service answers LOGIN_BAD_CREDENTIALS)",
        unverified: "user not verified (LOGIN_USER_NOT_VERIFIED)",
    },
    verifies_bcrypt_too: true,
    max_lengths: &[("email", 320)],
    status_check: "checks `is_active` on each request (fastapi-users' current_user(active=True) does)",
};

impl Shape {
    /// The tutorial's shape, whose words (`users table`) the messages have always used.
    pub fn is_tutorial(&self) -> bool {
        self.name == ShapeName::Tutorial
    }

    /// The table as messages name it: "users table", `fastapi-users table "user"`.
    pub fn title(&self) -> String {
        if self.is_tutorial() {
            "users table".to_owned()
        } else {
            format!("{} table \"{}\"", self.name, self.table)
        }
    }

    /// The table after "table": `users`, `"user" (fastapi-users)`.
    pub fn named(&self) -> String {
        if self.is_tutorial() {
            self.table.to_owned()
        } else {
            format!("\"{}\" ({})", self.table, self.name)
        }
    }

    /// The table name quoted for SQL (`user` is a reserved word in PostgreSQL).
    pub fn quoted_table(&self) -> String {
        format!("\"{}\"", self.table)
    }

    /// Two logins of one input that the service may take for one user: folded with Unicode's
    /// lowercase where it matches case-insensitively. At least as strict as any database's
    /// `lower()` (SQLite's folds ASCII only, PostgreSQL's as the database's locale says), so
    /// no pair the service would confuse gets through an import.
    pub fn duplicate_key<'a>(&self, login: &'a str) -> std::borrow::Cow<'a, str> {
        if self.login_folds_case {
            std::borrow::Cow::Owned(login.to_lowercase())
        } else {
            std::borrow::Cow::Borrowed(login)
        }
    }

    /// The status column's name.
    pub fn status_column(&self) -> &'static str {
        match self.status {
            Status::Disabled => "disabled",
            Status::IsActive => "is_active",
        }
    }

    /// The stored value of the status column for a user who is (or is not) disabled.
    pub fn status_value(&self, disabled: bool) -> bool {
        match self.status {
            Status::Disabled => disabled,
            Status::IsActive => !disabled,
        }
    }

    /// The columns every write sets, in this order: `email`, `full_name` (where the shape has
    /// them), the status, `is_superuser`, `is_verified` (where it has them), `hashed_password`.
    /// Both engines bind a user's values in this one order.
    pub fn written(&self) -> impl Iterator<Item = Written> {
        [
            (self.email, Written::Email),
            (self.full_name, Written::FullName),
            (true, Written::Status),
            (self.superuser, Written::Superuser),
            (self.verified, Written::Verified),
            (true, Written::Hash),
        ]
        .into_iter()
        .filter_map(|(has, column)| has.then_some(column))
    }

    /// A written column's name.
    pub fn column(&self, column: Written) -> &'static str {
        match column {
            Written::Email => "email",
            Written::FullName => "full_name",
            Written::Status => self.status_column(),
            Written::Superuser => "is_superuser",
            Written::Verified => "is_verified",
            Written::Hash => "hashed_password",
        }
    }

    /// The value a user gives a written column, as stored (the status the right way round).
    pub fn value<'u>(&self, column: Written, user: &'u super::NewUser) -> Value<'u> {
        match column {
            Written::Email => Value::Text(user.email.as_deref()),
            Written::FullName => Value::Text(user.full_name.as_deref()),
            Written::Status => Value::Bool(self.status_value(user.disabled)),
            Written::Superuser => Value::Bool(user.superuser),
            Written::Verified => Value::Bool(user.verified),
            Written::Hash => Value::Text(Some(&user.hashed_password)),
        }
    }

    /// The columns the model declares unique that are not among `found`, the (lower-case)
    /// columns that have a unique index of their own.
    pub(super) fn missing_unique(&self, found: &[String]) -> Vec<String> {
        self.unique
            .iter()
            .filter(|c| !found.iter().any(|u| u == *c))
            .map(|c| (*c).to_owned())
            .collect()
    }

    /// Whether the table has the flag's column (every shape has a status).
    pub fn has_flag(&self, flag: super::Flag) -> bool {
        match flag {
            super::Flag::Disabled => true,
            super::Flag::Superuser => self.superuser,
            super::Flag::Verified => self.verified,
        }
    }

    /// The column a flag is stored in and the value to store for `value`: `disabled` is the
    /// status column, the other way round where that is `is_active`.
    pub fn flag_column(&self, flag: super::Flag, value: bool) -> (&'static str, bool) {
        match flag {
            super::Flag::Disabled => (self.status_column(), self.status_value(value)),
            other => (other.name(), value),
        }
    }

    /// The select list the engines read users with, in this order: id, login, email, full_name,
    /// status, is_superuser, is_verified; `text_null`/`bool_null` where the shape has no such
    /// column, so one row reader serves every shape.
    pub(super) fn select_list(&self, id: &str, text_null: &str, bool_null: &str) -> String {
        let or = |has: bool, column: &'static str, null: &str| {
            if has {
                column.to_owned()
            } else {
                null.to_owned()
            }
        };
        format!(
            "{id}, {}, {}, {}, {}, {}, {}",
            self.login,
            or(self.email, "email", text_null),
            or(self.full_name, "full_name", text_null),
            self.status_column(),
            or(self.superuser, "is_superuser", bool_null),
            or(self.verified, "is_verified", bool_null),
        )
    }

    fn has_columns(&self, columns: &[String]) -> bool {
        self.columns
            .iter()
            .all(|wanted| columns.iter().any(|c| c.eq_ignore_ascii_case(wanted)))
    }
}

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
    /// From the engine's one read of the catalog: (table, column, is an integer `id`) rows of
    /// the `users`, `user` and `alembic_version` tables, in column order.
    pub(super) fn from_columns(rows: impl IntoIterator<Item = (String, String, bool)>) -> Self {
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
    pub(super) fn has(&self, shape: &Shape) -> bool {
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
        [] if tables.users.is_empty() => Err(unusable(
            location,
            format!(
                "has a table \"user\" that is neither FastAPI's full-stack template's nor \
                 fastapi-users' user table (its columns: {}); name its shape with --table-shape \
                 if it is one of them",
                tables.user.join(", ")
            ),
        )),
        _ => Err(unusable(
            location,
            "has both a \"users\" and a \"user\" table; say which to administer with \
             --table-shape (tutorial, fastapi-template, fastapi-users)",
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
    let reason = match (migrations, tables.alembic, shape.name) {
        (Migrations::Ignored, _, _) => return Ok(()),
        (_, true, _) => format!(
            "is managed by Alembic (it has an {ALEMBIC_TABLE} table), so its tables come from \
             the application's migrations, which stop at a table made outside them; run \
             `alembic upgrade head` to make its table {} (authctl then administers it as it is), or \
             give --no-migrations if this database never runs them",
            shape.named()
        ),
        (_, false, ShapeName::FastapiTemplate) => format!(
            "has no table {} yet, and the full-stack template makes it with its Alembic migrations \
             (the backend's prestart.sh runs `alembic upgrade head`), which stop with \
             DuplicateTable at one made outside them; run them to make it (authctl then \
             administers it as it is), or give --no-migrations if this database never runs them \
             (a test fixture)",
            shape.named()
        ),
        (_, false, _) => return Ok(()),
    };
    Err(unusable(location, reason))
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
        return Err(unusable(
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
        let init = match shape.name {
            ShapeName::Tutorial => "`authctl init-db`".to_owned(),
            name => format!("`authctl init-db --table-shape {name}` or the application itself"),
        };
        let table = match shape.name {
            ShapeName::Tutorial => "users table".to_owned(),
            _ => format!("table \"{}\"", shape.table),
        };
        return Err(unusable(
            location,
            format!("has no {table}; create it with {init}"),
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
        return Err(unusable(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(names: &[&str]) -> Vec<String> {
        names.iter().map(|&n| n.to_owned()).collect()
    }

    fn tables(users: &[&str], user: &[&str]) -> Tables {
        Tables {
            users: columns(users),
            user: columns(user),
            user_id_is_integer: false,
            alembic: false,
        }
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
        assert!(message(tables(TUTORIAL.columns, FASTAPI_USERS.columns)).contains("--table-shape"));
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
            err.to_string()
                .contains("init-db --table-shape fastapi-users"),
            "{err}"
        );
    }

    /// The record fields written out in each static agree with the shape's columns.
    #[test]
    fn record_fields_follow_the_columns() {
        for name in ShapeName::ALL {
            let shape = name.shape();
            let mut expected = vec!["id", shape.login];
            for (has, field) in [
                (shape.email, "email"),
                (shape.full_name, "full_name"),
                (true, "disabled"),
                (shape.superuser, "is_superuser"),
                (shape.verified, "is_verified"),
            ] {
                if has {
                    expected.push(field);
                }
            }
            assert_eq!(shape.fields, expected, "{name}");
            expected.extend(["password", "hashed_password"]);
            assert_eq!(shape.import_fields, expected, "{name}");
        }
    }

    #[test]
    fn logins_fold_case_only_where_the_service_does() {
        assert_eq!(FASTAPI_USERS.duplicate_key("Ève@X.org"), "ève@x.org");
        assert_eq!(FASTAPI_TEMPLATE.duplicate_key("Ann@X.org"), "Ann@X.org");
        assert_eq!(TUTORIAL.duplicate_key("Ann"), "Ann");
    }
}
