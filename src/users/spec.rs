//! A user as a command describes it, and the checks on its values: usernames, emails and full
//! names are stored exactly as given, so what a person could never type back is refused.

use crate::db::{NewUser, StoredUser};
use crate::error::{Error, Result};

/// A user as a command describes it. `None` fields are not given: an update leaves them alone,
/// a creation uses the empty value (NULL email and full name, active).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserSpec {
    /// Only from an import that carries ids.
    pub id: Option<i64>,
    pub username: String,
    pub email: Option<Option<String>>,
    pub full_name: Option<Option<String>>,
    pub disabled: Option<bool>,
}

impl UserSpec {
    /// Checks every given value.
    pub fn new(
        username: String,
        email: Option<Option<String>>,
        full_name: Option<Option<String>>,
        disabled: Option<bool>,
    ) -> Result<Self> {
        check_username(&username)?;
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
            id: self.id,
            username: self.username.clone(),
            email: keep(&self.email, current.map(|c| &c.user.email)),
            full_name: keep(&self.full_name, current.map(|c| &c.user.full_name)),
            disabled: self
                .disabled
                .unwrap_or_else(|| current.is_some_and(|c| c.user.disabled)),
            hashed_password,
        }
    }
}

/// Usernames are stored exactly as given (the service matches bytes), so refuse what a person
/// could never type back: nothing, control characters, surrounding whitespace.
pub fn check_username(username: &str) -> Result<()> {
    if username.is_empty() {
        return Err(Error::invalid("the username is empty"));
    }
    if username.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "username {username:?} contains a control character"
        )));
    }
    if username.starts_with(char::is_whitespace) || username.ends_with(char::is_whitespace) {
        return Err(Error::invalid(format!(
            "username {username:?} starts or ends with whitespace"
        )));
    }
    Ok(())
}

/// A light shape check: one `@` between a non-empty local part and domain, no whitespace.
pub fn check_email(email: &str) -> Result<()> {
    let shaped = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if shaped {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "email {email:?} is not an address of the form name@domain"
        )))
    }
}

pub fn check_full_name(full_name: &str) -> Result<()> {
    if full_name.trim().is_empty() {
        return Err(Error::invalid("the full name is empty"));
    }
    if full_name.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "full name {full_name:?} contains a control character"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::User;

    #[test]
    fn usernames_are_checked() {
        assert!(check_username("alice").is_ok());
        assert!(check_username("Jöhn Doe").is_ok());
        assert!(check_username("").is_err());
        assert!(check_username(" alice").is_err());
        assert!(check_username("alice\t").is_err());
        assert!(check_username("al\u{7}ice").is_err());
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
    fn specs_keep_what_they_do_not_give() {
        let spec = UserSpec::new("a".into(), None, Some(Some("A".into())), None).unwrap();
        let current = StoredUser {
            user: User {
                id: 7,
                username: "a".into(),
                email: Some("a@x".into()),
                full_name: None,
                disabled: true,
                odd_disabled: None,
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
