//! The users the seam hands up and takes down: as stored, as listed, as written.

use std::fmt;

use crate::error::{Error, Result};
use crate::shape::{Flag, IdKind, Shape};

/// A user's id as the shape stores it: an integer the database assigned, or a UUID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserId {
    Int(i64),
    Uuid(uuid::Uuid),
    /// A stored id that is neither (a hand-inserted row): shown as it is, for `check`.
    Other(String),
}

impl UserId {
    /// A new random (version 4) UUID, as `uuid.uuid4()` makes them.
    pub fn random_uuid() -> Result<Self> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)
            .map_err(|e| Error::Environment(format!("no random numbers for an id: {e}")))?;
        Ok(UserId::Uuid(
            uuid::Builder::from_random_bytes(bytes).into_uuid(),
        ))
    }

    /// Reads a stored or given id: an integer, else a UUID in any of its text forms.
    pub fn parse(text: &str) -> Self {
        if let Ok(n) = text.parse::<i64>() {
            return UserId::Int(n);
        }
        match uuid::Uuid::try_parse(text) {
            Ok(uuid) => UserId::Uuid(uuid),
            Err(_) => UserId::Other(text.to_owned()),
        }
    }

    /// [`UserId`]'s text, as `Display` gives it, for the listings' every row.
    ///
    /// NOTE: an integer's own `to_string`, not `Display`: that goes through the formatter's
    /// machinery, 6% of a million-row CSV listing.
    pub fn text(&self) -> String {
        match self {
            UserId::Int(n) => n.to_string(),
            other => other.to_string(),
        }
    }

    /// Whether an id given to a new user (an import's) is of this kind: a positive integer, or a
    /// UUID.
    pub fn fits(&self, kind: IdKind) -> bool {
        match (kind, self) {
            (IdKind::Serial, UserId::Int(n)) => *n > 0,
            (IdKind::Uuid { .. }, UserId::Uuid(_)) => true,
            _ => false,
        }
    }

    /// The id as the shape stores it in SQLite text (the 32-hex or dashed form), or as its
    /// canonical text on PostgreSQL (`dashed`).
    pub fn stored_text(&self, dashed: bool) -> String {
        match self {
            UserId::Uuid(uuid) if !dashed => uuid.simple().to_string(),
            other => other.to_string(),
        }
    }
}

/// The id as the service puts it in a token's `sub` and a listing shows it: dashed lowercase.
impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserId::Int(n) => write!(f, "{n}"),
            UserId::Uuid(uuid) => write!(f, "{}", uuid.hyphenated()),
            UserId::Other(text) => f.write_str(text),
        }
    }
}

/// JSON: a number for integer ids, the dashed text for UUIDs.
impl serde::Serialize for UserId {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        match self {
            UserId::Int(n) => serializer.serialize_i64(*n),
            other => serializer.collect_str(other),
        }
    }
}

/// A user as the service sees it, without the password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub email: Option<String>,
    pub full_name: Option<String>,
    /// What the service reads: NULL is active, any other value than false is disabled.
    pub disabled: bool,
    /// Set when the stored `disabled` is not a value the service's model writes (false, true;
    /// NULL from hand-inserted rows is read as false and not odd), e.g. the text `'false'` that
    /// SQLAlchemy reads as True: a description of the stored value, for warnings.
    pub odd_disabled: Option<String>,
    /// `is_superuser`, on the shapes that have it.
    pub superuser: Option<bool>,
    /// `is_verified`, on the shapes that have it.
    pub verified: Option<bool>,
    /// The table's shape, which names the fields when the user is written out.
    pub shape: &'static Shape,
}

/// A user as a listing streams it: borrowed from the engine's row, nothing copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserRef<'a> {
    pub id: &'a UserId,
    pub username: &'a str,
    pub email: Option<&'a str>,
    pub full_name: Option<&'a str>,
    pub disabled: bool,
    /// See [`User::odd_disabled`].
    pub odd_disabled: Option<&'a str>,
    pub superuser: Option<bool>,
    pub verified: Option<bool>,
    pub shape: &'static Shape,
}

impl User {
    /// A flag as the service reads it, and whether its stored value is odd (rewritten on write).
    pub fn flag(&self, flag: Flag) -> (bool, bool) {
        match flag {
            Flag::Disabled => (self.disabled, self.odd_disabled.is_some()),
            Flag::Superuser => (self.superuser.unwrap_or(false), false),
            Flag::Verified => (self.verified.unwrap_or(false), false),
        }
    }

    /// The user after a flag was written.
    pub fn set_flag(&mut self, flag: Flag, value: bool) {
        match flag {
            Flag::Disabled => (self.disabled, self.odd_disabled) = (value, None),
            Flag::Superuser => self.superuser = Some(value),
            Flag::Verified => self.verified = Some(value),
        }
    }

    pub fn view(&self) -> UserRef<'_> {
        UserRef {
            id: &self.id,
            username: &self.username,
            email: self.email.as_deref(),
            full_name: self.full_name.as_deref(),
            disabled: self.disabled,
            odd_disabled: self.odd_disabled.as_deref(),
            superuser: self.superuser,
            verified: self.verified,
            shape: self.shape,
        }
    }
}

impl From<UserRef<'_>> for User {
    fn from(user: UserRef<'_>) -> Self {
        User {
            id: user.id.clone(),
            username: user.username.to_owned(),
            email: user.email.map(str::to_owned),
            full_name: user.full_name.map(str::to_owned),
            disabled: user.disabled,
            odd_disabled: user.odd_disabled.map(str::to_owned),
            superuser: user.superuser,
            verified: user.verified,
            shape: user.shape,
        }
    }
}

/// A user with the stored password hash, for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUser {
    pub user: User,
    pub hashed_password: String,
}

/// A user to insert, or the values to give an existing one. The hash is computed before the
/// write transaction starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Only when importing users with their ids, or a UUID the domain generated; otherwise the
    /// database assigns one.
    pub id: Option<UserId>,
    pub username: String,
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub disabled: bool,
    /// Written where the shape has the column.
    pub superuser: bool,
    pub verified: bool,
    pub hashed_password: String,
}

/// Which users a listing returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    #[default]
    All,
    Active,
    Disabled,
}

impl StatusFilter {
    /// Whether the filter keeps a user who is (as the service reads it) `disabled` or not.
    pub fn keeps(self, disabled: bool) -> bool {
        match self {
            StatusFilter::All => true,
            StatusFilter::Active => !disabled,
            StatusFilter::Disabled => disabled,
        }
    }
}
