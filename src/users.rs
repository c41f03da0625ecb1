//! User operations, as the service understands users: validation, adding, enabling and
//! disabling, and logging in. No clap, no printing, no SQL.

use std::time::{Duration, SystemTime};

use crate::db::{Lookup, NewUser, Store, User};
use crate::error::{Error, Result};
use crate::password::{self, HashInfo};
use crate::token::{self, SigningKey, Token};

/// The non-secret fields of a new user, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFields {
    pub username: String,
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub disabled: bool,
}

impl UserFields {
    pub fn new(
        username: String,
        email: Option<String>,
        full_name: Option<String>,
        disabled: bool,
    ) -> Result<Self> {
        check_username(&username)?;
        if let Some(email) = &email {
            check_email(email)?;
        }
        if let Some(full_name) = &full_name {
            check_full_name(full_name)?;
        }
        Ok(UserFields {
            username,
            email,
            full_name,
            disabled,
        })
    }

    pub fn with_hash(self, hashed_password: String) -> NewUser {
        NewUser {
            username: self.username,
            email: self.email,
            full_name: self.full_name,
            disabled: self.disabled,
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

fn check_full_name(full_name: &str) -> Result<()> {
    if full_name.trim().is_empty() {
        return Err(Error::invalid(
            "the full name is empty; leave out --full-name instead",
        ));
    }
    if full_name.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "full name {full_name:?} contains a control character"
        )));
    }
    Ok(())
}

/// What adding a user did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddOutcome {
    Created {
        id: i64,
    },
    /// `--if-not-exists` and the username was taken: nothing was written.
    AlreadyExists,
}

/// Checks that a user can be added, before the password is asked for and hashed.
/// `Some(AlreadyExists)` means there is nothing to do.
pub fn check_can_add(
    lookup: &mut dyn Lookup,
    fields: &UserFields,
    if_not_exists: bool,
) -> Result<Option<AddOutcome>> {
    if lookup.find_user(&fields.username)?.is_some() {
        return if if_not_exists {
            Ok(Some(AddOutcome::AlreadyExists))
        } else {
            Err(Error::UsernameTaken(fields.username.clone()))
        };
    }
    if let Some(email) = &fields.email
        && let Some(owner) = lookup.email_owner(email)?
    {
        return Err(Error::EmailTaken {
            email: email.clone(),
            owner,
        });
    }
    Ok(None)
}

/// Adds a user whose password is already hashed, in one short write transaction.
pub fn add(store: &mut dyn Store, user: &NewUser, if_not_exists: bool) -> Result<AddOutcome> {
    let fields = UserFields {
        username: user.username.clone(),
        email: user.email.clone(),
        full_name: user.full_name.clone(),
        disabled: user.disabled,
    };
    let mut tx = store.write()?;
    // Checked again under the lock: the service may have added the same user meanwhile.
    if let Some(outcome) = check_can_add(&mut *tx, &fields, if_not_exists)? {
        return Ok(outcome);
    }
    let id = tx.insert_user(user)?;
    tx.commit()?;
    Ok(AddOutcome::Created { id })
}

/// One user's status after `disable-user` or `enable-user`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub user: User,
    /// False when the user already had the requested status.
    pub changed: bool,
}

/// Sets `disabled` for every named user in one transaction: all of them or, when one does
/// not exist, none.
pub fn set_disabled(
    store: &mut dyn Store,
    usernames: &[String],
    disabled: bool,
) -> Result<Vec<StatusChange>> {
    let mut tx = store.write()?;
    let mut changes: Vec<StatusChange> = Vec::with_capacity(usernames.len());
    for username in usernames {
        if changes.iter().any(|c| &c.user.username == username) {
            continue;
        }
        let mut user = tx
            .find_user(username)?
            .ok_or_else(|| Error::UserNotFound(username.clone()))?
            .user;
        let differs = user.disabled != disabled;
        // An irregular stored value (NULL aside) is rewritten as the integer the service expects.
        if differs || user.irregular_disabled.is_some() {
            tx.set_disabled(user.id, disabled)?;
        }
        user.disabled = disabled;
        user.irregular_disabled = None;
        changes.push(StatusChange {
            user,
            changed: differs,
        });
    }
    tx.commit()?;
    Ok(changes)
}

/// The service's answer to a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    Accepted {
        hash: HashInfo,
    },
    /// Unknown username or wrong password: the service does not say which.
    IncorrectCredentials,
    /// Right password, but `disabled` is set.
    Inactive {
        hash: HashInfo,
    },
}

/// Checks a login as the service does: exact username, password, then `disabled`.
/// Exactly one hash verification runs whether or not the user exists.
pub fn verify_login(store: &mut dyn Store, username: &str, password: &str) -> Result<Login> {
    let Some(stored) = store.find_user(username)? else {
        password::verify_dummy(password);
        return Ok(Login::IncorrectCredentials);
    };
    let verification = password::verify(password, &stored.hashed_password).map_err(|bad| {
        Error::BadStoredHash {
            username: username.to_owned(),
            reason: bad.0,
        }
    })?;
    Ok(if !verification.matches {
        Login::IncorrectCredentials
    } else if stored.user.disabled {
        Login::Inactive {
            hash: verification.info,
        }
    } else {
        Login::Accepted {
            hash: verification.info,
        }
    })
}

/// Issues an access token for an existing, active user.
pub fn issue_token(
    store: &mut dyn Store,
    username: &str,
    key: &SigningKey,
    lifetime: Duration,
    now: SystemTime,
) -> Result<Token> {
    // Checked first, so that a bad lifetime is reported whatever the user.
    token::check_lifetime(lifetime)?;
    let stored = store
        .find_user(username)?
        .ok_or_else(|| Error::UserNotFound(username.to_owned()))?;
    if stored.user.disabled {
        return Err(Error::UserDisabled(username.to_owned()));
    }
    token::issue(key, username, lifetime, now)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
