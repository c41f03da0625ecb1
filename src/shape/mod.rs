//! The user tables authctl knows, each described once: the tutorial's `users`, FastAPI's
//! full-stack template's `user` and fastapi-users' `user` (`shared/docs/table-shapes.md`). The
//! engines build their SQL from this description; the domain asks it what a login, an id and a
//! flag are. Which shape a database holds is decided in [`detect()`], from the columns an engine
//! read.
//!
//! Below the storage seam and the domain alike: it names no engine, no command and no flag.

mod detect;

pub use detect::{ALEMBIC_TABLE, Migrations, Tables, detect, may_create, to_create};

use std::fmt;
use std::time::Duration;

use crate::error::Error;

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
    /// What an id of this kind must be (`UserId::fits`), for messages.
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

/// A flag of a user the commands set: its status, and the shapes' rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Disabled,
    Superuser,
    Verified,
}

impl Flag {
    pub fn name(self) -> &'static str {
        match self {
            Flag::Disabled => "disabled",
            Flag::Superuser => "is_superuser",
            Flag::Verified => "is_verified",
        }
    }
}

/// What a token is for: the kinds the services issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The bearer token of every authenticated request.
    Access,
    /// A password-reset link's token.
    Reset,
    /// An email-verification link's token.
    Verify,
}

impl Purpose {
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Access => "access",
            Purpose::Reset => "reset",
            Purpose::Verify => "verify",
        }
    }
}

/// What the service's tokens hold, per purpose; `None` where it has no endpoint for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRules {
    pub access: TokenKind,
    pub reset: Option<TokenKind>,
    pub verify: Option<TokenKind>,
    /// Its access tokens may carry the FastAPI "OAuth2 scopes" chapter's `scope` claim (a
    /// space-separated string), which that chapter's services check per route.
    pub scopes: bool,
    /// How it reads an id from a `sub`.
    pub id_read: IdRead,
}

/// How a service turns a token's `sub` into an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdRead {
    /// Python's `uuid.UUID()` or `int()` (fastapi-users' `parse_id`).
    Python,
    /// The database's own cast: the text goes to `session.get` as it is (the template).
    Database,
}

impl TokenRules {
    fn kind(&self, purpose: Purpose) -> Option<&TokenKind> {
        match purpose {
            Purpose::Access => Some(&self.access),
            Purpose::Reset => self.reset.as_ref(),
            Purpose::Verify => self.verify.as_ref(),
        }
    }
}

/// One kind of token: its claims, lifetime and what the service checks on taking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenKind {
    pub purpose: Purpose,
    /// What `sub` holds.
    pub subject: Subject,
    /// The `aud` claim, when the service requires one.
    pub audience: Option<Audience>,
    /// The service's default lifetime.
    pub lifetime: Duration,
    /// The service setting that changes [`TokenKind::lifetime`].
    pub lifetime_setting: Option<LifetimeSetting>,
    /// `nbf` is the issue time (the template's reset token).
    pub not_before: bool,
    /// fastapi-users' `password_fgpt`: its password helper's hash of the stored hash, which
    /// stops verifying once the password changes.
    pub password_fingerprint: bool,
    /// fastapi-users' verify token names the user by `email` too, and the service finds the
    /// user by it (then checks `sub` is that user's id).
    pub email_claim: bool,
    /// What the service requires of the user the token names.
    pub requires: Requires,
    /// The link the service's email carries it in, where it has one form.
    pub link: Option<Link>,
}

/// A link to the application's front end: `{base}{path}{token}`, the base from a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub base_setting: &'static str,
    pub default_base: &'static str,
    pub path: &'static str,
}

impl Link {
    /// The link with `token`, on the setting's `base` (else the default), joined as the
    /// template joins it: `f"{settings.FRONTEND_HOST}/reset-password?token={token}"`.
    pub fn url(&self, base: Option<&str>, token: &str) -> String {
        format!("{}{}{token}", base.unwrap_or(self.default_base), self.path)
    }
}

/// What a token's `sub` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The login (a username, or the email on the template's reset token).
    Login,
    /// The user's id as text.
    Id,
}

/// An `aud` claim as the service writes it; either form is checked alike (PyJWT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// A one-element list (fastapi-users' JWT strategy).
    List(&'static str),
    /// A string (fastapi-users' reset and verify tokens).
    Text(&'static str),
}

impl Audience {
    pub fn name(self) -> &'static str {
        match self {
            Audience::List(name) | Audience::Text(name) => name,
        }
    }
}

/// What the service requires of a token's user before it acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requires {
    /// Active.
    Active,
    /// Not verified yet, active or not (fastapi-users' `verify` checks no status).
    Unverified,
}

/// A service setting holding a token lifetime in whole units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifetimeSetting {
    pub name: &'static str,
    pub unit: Duration,
    pub unit_name: &'static str,
}

/// The template's and the tutorial's `ACCESS_TOKEN_EXPIRE_MINUTES`; read on every shape, as it
/// always was.
const ACCESS_MINUTES: Option<LifetimeSetting> = Some(LifetimeSetting {
    name: "ACCESS_TOKEN_EXPIRE_MINUTES",
    unit: Duration::from_secs(60),
    unit_name: "minutes",
});

/// An access token: `sub` and `exp`, the user active.
const fn access(subject: Subject, audience: Option<Audience>, lifetime: Duration) -> TokenKind {
    TokenKind {
        purpose: Purpose::Access,
        subject,
        audience,
        lifetime,
        lifetime_setting: ACCESS_MINUTES,
        not_before: false,
        password_fingerprint: false,
        email_claim: false,
        requires: Requires::Active,
        link: None,
    }
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
        // The tutorial's ACCESS_TOKEN_EXPIRE_MINUTES.
        access: access(Subject::Login, None, Duration::from_secs(30 * 60)),
        reset: None,
        verify: None,
        scopes: true,
        id_read: IdRead::Python,
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
        access: access(Subject::Id, None, Duration::from_secs(8 * 24 * 60 * 60)),
        // utils.generate_password_reset_token: {"exp", "nbf": now, "sub": email}.
        reset: Some(TokenKind {
            purpose: Purpose::Reset,
            subject: Subject::Login,
            audience: None,
            lifetime: Duration::from_secs(48 * 60 * 60),
            lifetime_setting: Some(LifetimeSetting {
                name: "EMAIL_RESET_TOKEN_EXPIRE_HOURS",
                unit: Duration::from_secs(60 * 60),
                unit_name: "hours",
            }),
            not_before: true,
            password_fingerprint: false,
            email_claim: false,
            requires: Requires::Active,
            // utils.generate_reset_password_email; config.py's FRONTEND_HOST default.
            link: Some(Link {
                base_setting: "FRONTEND_HOST",
                default_base: "http://localhost:5173",
                path: "/reset-password?token=",
            }),
        }),
        verify: None,
        scopes: false,
        id_read: IdRead::Database,
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
        // The lifetime the documented example gives its JWT strategy.
        access: access(
            Subject::Id,
            Some(Audience::List("fastapi-users:auth")),
            Duration::from_secs(60 * 60),
        ),
        // BaseUserManager.forgot_password: {"sub", "password_fgpt", "aud"}, 3600 s.
        reset: Some(TokenKind {
            purpose: Purpose::Reset,
            subject: Subject::Id,
            audience: Some(Audience::Text("fastapi-users:reset")),
            lifetime: Duration::from_secs(60 * 60),
            lifetime_setting: None,
            not_before: false,
            password_fingerprint: true,
            email_claim: false,
            requires: Requires::Active,
            link: None,
        }),
        // BaseUserManager.request_verify: {"sub", "email", "aud"}, 3600 s.
        verify: Some(TokenKind {
            purpose: Purpose::Verify,
            subject: Subject::Id,
            audience: Some(Audience::Text("fastapi-users:verify")),
            lifetime: Duration::from_secs(60 * 60),
            lifetime_setting: None,
            not_before: false,
            password_fingerprint: false,
            email_claim: true,
            requires: Requires::Unverified,
            link: None,
        }),
        scopes: false,
        id_read: IdRead::Python,
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
    /// The service's token of this purpose; a purpose it has no endpoint for is invalid input.
    pub fn token_kind(&self, purpose: Purpose) -> Result<&TokenKind, Error> {
        self.token.kind(purpose).ok_or_else(|| {
            let having: Vec<&str> = ShapeName::ALL
                .iter()
                .filter(|name| name.shape().token.kind(purpose).is_some())
                .map(|name| name.as_str())
                .collect();
            Error::invalid(format!(
                "the {} table's service has no endpoint for {} tokens; the {} tables' services have",
                self.name,
                purpose.name(),
                having.join(" and ")
            ))
        })
    }

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

    /// The conflict of a login already taken: the username, or (where the login is the email)
    /// the email with the user who has it, `owner`, whose case may differ where the service
    /// folds case.
    pub fn login_taken(&self, login: &str, owner: Option<&str>) -> Error {
        if self.login_is_email {
            return Error::EmailTaken {
                email: login.to_owned(),
                owner: owner.unwrap_or(login).to_owned(),
            };
        }
        Error::UsernameTaken(login.to_owned())
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

    /// Whether the table has the flag's column (every shape has a status).
    pub fn has_flag(&self, flag: Flag) -> bool {
        match flag {
            Flag::Disabled => true,
            Flag::Superuser => self.superuser,
            Flag::Verified => self.verified,
        }
    }

    /// The column a flag is stored in and the value to store for `value`: `disabled` is the
    /// status column, the other way round where that is `is_active`.
    pub fn flag_column(&self, flag: Flag, value: bool) -> (&'static str, bool) {
        match flag {
            Flag::Disabled => (self.status_column(), self.status_value(value)),
            other => (other.name(), value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
