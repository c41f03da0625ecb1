//! A user as a command describes it, and the checks on its values: usernames, emails and full
//! names are stored exactly as given, so what a person could never type back is refused.

use crate::db::{NewUser, StoredUser, UserId};
use crate::error::{Error, Result};
use crate::shape::Shape;

/// A user as a command describes it. `None` fields are not given: an update leaves them alone,
/// a creation uses the empty value (NULL email and full name, active).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserSpec {
    /// Only from an import that carries ids.
    pub id: Option<UserId>,
    pub username: String,
    pub email: Option<Option<String>>,
    pub full_name: Option<Option<String>>,
    pub disabled: Option<bool>,
    /// `is_superuser`, on the shapes that have it.
    pub superuser: Option<bool>,
    /// `is_verified`, on the shapes that have it.
    pub verified: Option<bool>,
}

impl UserSpec {
    /// Checks every given value but the login, which only the table's shape can judge (a
    /// username, or an email): [`UserSpec::check_shape`].
    pub fn new(
        username: String,
        email: Option<Option<String>>,
        full_name: Option<Option<String>>,
        disabled: Option<bool>,
    ) -> Result<Self> {
        if let Some(Some(email)) = &email {
            check_email(email)?;
        }
        if let Some(Some(full_name)) = &full_name {
            check_full_name(full_name)?;
        }
        Ok(UserSpec {
            id: None,
            username,
            email,
            full_name,
            disabled,
            superuser: None,
            verified: None,
        })
    }

    /// The user this spec describes, on top of `current` (or of nothing, for a creation).
    pub(super) fn apply_to(
        &self,
        current: Option<&StoredUser>,
        hashed_password: String,
    ) -> NewUser {
        let keep = |given: &Option<Option<String>>, old: Option<&Option<String>>| match given {
            Some(value) => value.clone(),
            None => old.cloned().flatten(),
        };
        NewUser {
            id: self.id.clone(),
            username: self.username.clone(),
            email: keep(&self.email, current.map(|c| &c.user.email)),
            full_name: keep(&self.full_name, current.map(|c| &c.user.full_name)),
            disabled: self
                .disabled
                .unwrap_or_else(|| current.is_some_and(|c| c.user.disabled)),
            superuser: self
                .superuser
                .unwrap_or_else(|| current.and_then(|c| c.user.superuser).unwrap_or(false)),
            verified: self
                .verified
                .unwrap_or_else(|| current.and_then(|c| c.user.verified).unwrap_or(false)),
            hashed_password,
        }
    }

    /// The spec as the application's model would store it ([`login_for_shape`]), checked
    /// against the shape ([`UserSpec::check_shape`]).
    pub fn for_shape(mut self, shape: &Shape) -> Result<Self> {
        self.username = login_for_shape(shape, &self.username)?;
        self.check_shape(shape)?;
        Ok(self)
    }

    /// Refuses what the table's shape cannot hold: a login that is not an email where the login
    /// is one (as the application's model reads it), a value longer than its column, and fields
    /// (an email beside the login, a full name, a flag) it has no column for.
    pub fn check_shape(&self, shape: &Shape) -> Result<()> {
        check_login(shape.login, &self.username)?;
        login_for_shape(shape, &self.username)?;
        let values = [
            (shape.login, Some(self.username.as_str())),
            ("email", self.email.as_ref().and_then(Option::as_deref)),
            (
                "full_name",
                self.full_name.as_ref().and_then(Option::as_deref),
            ),
        ];
        for (field, value) in values {
            if let Some(why) = value.and_then(|v| length_problem(shape, field, v)) {
                return Err(Error::invalid(why));
            }
        }
        let refuse = |what: &str| {
            let table = format!("the {}", shape.title());
            let hint = if what == "email" {
                "; its login is the email"
            } else {
                ""
            };
            Err(Error::invalid(format!(
                "{table} has no {what} column{hint}"
            )))
        };
        if !shape.email && matches!(self.email, Some(Some(_))) {
            return refuse("email");
        }
        if !shape.full_name && matches!(self.full_name, Some(Some(_))) {
            return refuse("full_name");
        }
        if !shape.superuser && self.superuser == Some(true) {
            return refuse("is_superuser");
        }
        if !shape.verified && self.verified == Some(true) {
            return refuse("is_verified");
        }
        match &self.id {
            Some(id) if !id.fits(shape.id) => {
                Err(Error::invalid(format!("id {id} {}", shape.id.expected())))
            }
            _ => Ok(()),
        }
    }
}

/// The login as the application's model stores it: on the shapes that read it with pydantic's
/// `EmailStr`, validated and normalised as it does (so conflicts and look-ups meet the value
/// the application's own signup would write); elsewhere as given.
pub fn login_for_shape(shape: &Shape, login: &str) -> Result<String> {
    if !shape.login_is_email {
        return Ok(login.to_owned());
    }
    super::email_str(login).map_err(|why| {
        Error::invalid(format!(
            "{} {login:?} {why}: the {} model (pydantic's EmailStr) refuses it",
            shape.login, shape.name
        ))
    })
}

/// "full_name is 300 characters long; …": a value longer than the shape's model takes, without
/// quoting it.
pub fn length_problem(shape: &Shape, field: &str, value: &str) -> Option<String> {
    let &(_, limit) = shape.max_lengths.iter().find(|(f, _)| *f == field)?;
    let length = value.chars().count();
    (length > limit).then(|| {
        format!(
            "{field} is {length} characters long; the {} model takes at most {limit}",
            shape.name
        )
    })
}

/// Usernames are stored exactly as given (the service matches bytes), so refuse what a person
/// could never type back or would misread: nothing, invisible characters, surrounding whitespace.
pub fn check_login(noun: &str, login: &str) -> Result<()> {
    if login.is_empty() {
        return Err(Error::invalid(format!("the {noun} is empty")));
    }
    check_visible(noun, login)?;
    if login.starts_with(char::is_whitespace) || login.ends_with(char::is_whitespace) {
        return Err(Error::invalid(format!(
            "{noun} {login:?} starts or ends with whitespace"
        )));
    }
    Ok(())
}

/// Refuses characters that do not show as themselves: control characters, line separators and
/// Unicode format characters (bidi overrides and isolates that reorder what a terminal shows,
/// zero-width characters that make two names look the same). Names the first one.
fn check_visible(what: &str, value: &str) -> Result<()> {
    match invisible(value) {
        Some(why) => Err(Error::invalid(format!("{what} {value:?} {why}"))),
        None => Ok(()),
    }
}

/// "contains U+202E, an invisible formatting character (…)", for the first such character.
fn invisible(value: &str) -> Option<String> {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    value.chars().find_map(|c| {
        let kind = match c.general_category() {
            GeneralCategory::Control => "a control character",
            GeneralCategory::Format => {
                "an invisible formatting character (bidirectional control or zero-width)"
            }
            GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator => {
                "a line separator"
            }
            _ => return None,
        };
        Some(format!("contains U+{:04X}, {kind}", u32::from(c)))
    })
}

/// A light shape check: one `@` between a non-empty local part and domain, no whitespace.
pub fn check_email(email: &str) -> Result<()> {
    match email_problem(email) {
        Some(why) => Err(Error::invalid(format!("email {email:?} {why}"))),
        None => Ok(()),
    }
}

/// What is wrong with an email, without quoting it (an import's columns may be mixed up, and
/// the value a password).
pub fn email_problem(email: &str) -> Option<String> {
    let shaped = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    };
    invisible(email)
        .or_else(|| (!shaped).then(|| "is not an address of the form name@domain".to_owned()))
}

pub fn check_full_name(full_name: &str) -> Result<()> {
    match full_name_problem(full_name) {
        Some(why) if full_name.trim().is_empty() => Err(Error::invalid(why)),
        Some(why) => Err(Error::invalid(format!("full name {full_name:?} {why}"))),
        None => Ok(()),
    }
}

/// What is wrong with a full name, without quoting it.
pub fn full_name_problem(full_name: &str) -> Option<String> {
    if full_name.trim().is_empty() {
        return Some("the full name is empty".to_owned());
    }
    invisible(full_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::User;

    #[test]
    fn usernames_are_checked() {
        assert!(check_login("username", "alice").is_ok());
        assert!(check_login("username", "Jöhn Doe").is_ok());
        assert!(check_login("username", "").is_err());
        assert!(check_login("username", " alice").is_err());
        assert!(check_login("username", "alice\t").is_err());
        assert!(check_login("username", "al\u{7}ice").is_err());
    }

    #[test]
    fn invisible_characters_are_refused_by_name() {
        let message = |r: Result<()>| r.unwrap_err().to_string();
        assert_eq!(
            message(check_login("username", "adm\u{202e}nimda")),
            "username \"adm\\u{202e}nimda\" contains U+202E, an invisible formatting \
             character (bidirectional control or zero-width)"
        );
        for name in ["ali\u{200b}ce", "a\u{2066}b", "\u{feff}alice", "a\u{200d}b"] {
            assert!(
                message(check_login("username", name)).contains("invisible formatting"),
                "{name:?}"
            );
        }
        assert!(
            message(check_login("username", "a\u{2028}b")).contains("U+2028, a line separator")
        );
        assert!(message(check_email("a\u{200b}@example.com")).starts_with("email "));
        assert!(message(check_full_name("Alice\u{202e}")).starts_with("full name "));
        assert!(check_full_name("Zoë Ñúñez 李").is_ok());
    }

    #[test]
    fn emails_are_checked() {
        assert!(check_email("a@example.com").is_ok());
        assert!(check_email("root@localhost").is_ok());
        assert!(check_email("a.example.com").is_err());
        assert!(check_email("@example.com").is_err());
        assert!(check_email("a@").is_err());
        assert!(check_email("a@b@c").is_err());
        assert!(check_email("a b@c").is_err());
    }

    #[test]
    fn an_id_of_another_kind_than_the_table_s_is_refused() {
        use crate::shape::{FASTAPI_USERS, TUTORIAL};
        let with_id = |id| UserSpec {
            id: Some(id),
            ..UserSpec::new("a@example.com".into(), None, None, None).unwrap()
        };
        let uuid = UserId::parse("0e7a4c8e-3b1f-4b6a-9c2d-1f2e3d4c5b6a");
        let refused = |spec: UserSpec, shape| spec.check_shape(shape).unwrap_err().to_string();
        assert_eq!(
            refused(with_id(UserId::Int(7)), &FASTAPI_USERS),
            "id 7 must be a UUID"
        );
        assert_eq!(
            refused(with_id(uuid.clone()), &TUTORIAL),
            format!("id {uuid} must be a positive integer")
        );
        assert!(with_id(UserId::Int(0)).check_shape(&TUTORIAL).is_err());
        assert!(with_id(UserId::Int(7)).check_shape(&TUTORIAL).is_ok());
        assert!(with_id(uuid).check_shape(&FASTAPI_USERS).is_ok());
    }

    #[test]
    fn specs_keep_what_they_do_not_give() {
        let spec = UserSpec::new("a".into(), None, Some(Some("A".into())), None).unwrap();
        let current = StoredUser {
            user: User {
                id: UserId::Int(7),
                username: "a".into(),
                email: Some("a@x".into()),
                full_name: None,
                disabled: true,
                odd_disabled: None,
                superuser: None,
                verified: None,
                shape: &crate::shape::TUTORIAL,
            },
            hashed_password: "h".into(),
        };
        let target = spec.apply_to(Some(&current), "h".into());
        assert_eq!(target.email.as_deref(), Some("a@x"));
        assert_eq!(target.full_name.as_deref(), Some("A"));
        assert!(target.disabled);
        let created = spec.apply_to(None, "h".into());
        assert_eq!(created.email, None);
        assert!(!created.disabled);
    }
}
