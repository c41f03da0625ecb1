//! User operations, as the service understands users: validation, adding and updating,
//! enabling and disabling, passwords, deleting, logging in. No clap, no printing, no SQL.

use std::time::{Duration, SystemTime};

use crate::db::{Lookup, NewUser, Store, StoredUser, User, WriteTx};
use crate::error::{Error, Result};
use crate::password::{HashInfo, Hasher, Scheme};
use crate::token::{self, SigningKey, Token};

/// What a command did (or, in a dry run, would do) to one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Created,
    Updated,
    Unchanged,
    Skipped,
    Disabled,
    Enabled,
    PasswordChanged,
    Deleted,
    /// `--if-exists` and there was no such user.
    Absent,
}

impl Action {
    /// The stable name used in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::Unchanged => "unchanged",
            Action::Skipped => "skipped",
            Action::Disabled => "disabled",
            Action::Enabled => "enabled",
            Action::PasswordChanged => "password_changed",
            Action::Deleted => "deleted",
            Action::Absent => "absent",
        }
    }

    pub fn changed(self) -> bool {
        !matches!(self, Action::Unchanged | Action::Skipped | Action::Absent)
    }
}

/// The outcome for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub action: Action,
    /// The user after the change (before it, for a deletion).
    pub user: User,
    /// For [`Action::Updated`]: which fields changed (`email`, `full_name`, `disabled`, `password`).
    pub fields: Vec<&'static str>,
}

impl Outcome {
    /// Whether the password given to this write is now the user's (a generated one may then
    /// be shown).
    pub fn stored_password(&self) -> bool {
        self.action == Action::Created || self.fields.contains(&"password")
    }
}

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
    fn apply_to(&self, current: Option<&StoredUser>, hashed_password: String) -> NewUser {
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

/// What to do when the username already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExisting {
    /// A conflict (exit 4).
    Fail,
    /// Leave the user as is.
    Skip,
    /// Bring the user to the spec; `password` says whether the password is part of it.
    Update { password: bool },
}

/// The password part of a write, settled before the write lock is taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordChange {
    /// The password is not touched (or not needed: the user exists and is left alone).
    None,
    /// Store this hash (a new password's, or an imported one).
    Set(String),
    /// The given password already verifies against this stored hash: keep it. Should the
    /// stored hash have changed meanwhile, the write stops rather than guess.
    KeepIf(String),
}

/// What must be known before the lock: whether a password is needed at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The user as it is now, if it exists.
    pub existing: Option<StoredUser>,
    /// True when the write will need a password (a creation, or an update of the password).
    pub needs_password: bool,
}

/// Looks at the user before anything is asked or hashed; refuses conflicts early.
pub fn plan(lookup: &mut dyn Lookup, spec: &UserSpec, on_existing: OnExisting) -> Result<Plan> {
    let existing = lookup.find_user(&spec.username)?;
    let needs_password = match (&existing, on_existing) {
        (None, _) => true,
        (Some(_), OnExisting::Fail) => return Err(Error::UsernameTaken(spec.username.clone())),
        (Some(_), OnExisting::Skip) => false,
        (Some(_), OnExisting::Update { password }) => password,
    };
    if existing.is_none() || matches!(on_existing, OnExisting::Update { .. }) {
        check_email_free(lookup, spec)?;
    }
    Ok(Plan {
        existing,
        needs_password,
    })
}

fn check_email_free(lookup: &mut dyn Lookup, spec: &UserSpec) -> Result<()> {
    if let Some(Some(email)) = &spec.email
        && let Some(owner) = lookup.email_owner(email)?
        && owner != spec.username
    {
        return Err(Error::EmailTaken {
            email: email.clone(),
            owner,
        });
    }
    Ok(())
}

/// Decides the password change for a plan: a new user gets the new hash; an existing one keeps
/// its hash when the given password already verifies the way the service would verify it (so
/// re-runs change nothing).
pub fn password_change(plan: &Plan, password: &str, hasher: &Hasher) -> Result<PasswordChange> {
    hasher.scheme.check_new_password(password)?;
    if let Some(existing) = &plan.existing
        && hasher
            .scheme
            .verify(password, &existing.hashed_password)
            .is_ok_and(|v| v.matches)
    {
        return Ok(PasswordChange::KeepIf(existing.hashed_password.clone()));
    }
    hasher.hash(password).map(PasswordChange::Set)
}

/// Writes one spec inside a transaction: creates, skips, fails or updates as `on_existing`
/// says. Re-checks everything under the lock; the service may have written meanwhile.
pub fn apply(
    tx: &mut dyn WriteTx,
    spec: &UserSpec,
    password: &PasswordChange,
    on_existing: OnExisting,
) -> Result<Outcome> {
    let existing = tx.find_user(&spec.username)?;
    let Some(existing) = existing else {
        let PasswordChange::Set(hash) = password else {
            return Err(Error::Internal(format!(
                "user '{}' appeared to exist and then vanished; run the command again",
                spec.username
            )));
        };
        check_email_free(tx, spec)?;
        if let Some(id) = spec.id
            && let Some(owner) = tx.id_owner(id)?
        {
            return Err(Error::invalid(format!(
                "id {id} is already used by user '{owner}'"
            )));
        }
        let new = spec.apply_to(None, hash.clone());
        let id = tx.insert_user(&new)?;
        return Ok(Outcome {
            action: Action::Created,
            user: user_of(id, &new),
            fields: Vec::new(),
        });
    };
    match on_existing {
        OnExisting::Fail => Err(Error::UsernameTaken(spec.username.clone())),
        OnExisting::Skip => Ok(Outcome {
            action: Action::Skipped,
            user: existing.user,
            fields: Vec::new(),
        }),
        OnExisting::Update { .. } => {
            let hash = match password {
                PasswordChange::None => existing.hashed_password.clone(),
                PasswordChange::Set(hash) => hash.clone(),
                PasswordChange::KeepIf(hash) if *hash == existing.hashed_password => hash.clone(),
                PasswordChange::KeepIf(_) => {
                    return Err(Error::Internal(format!(
                        "the password of user '{}' changed while authctl was running; run the command again",
                        spec.username
                    )));
                }
            };
            check_email_free(tx, spec)?;
            let target = spec.apply_to(Some(&existing), hash);
            let current = &existing.user;
            let mut fields = Vec::new();
            if target.email != current.email {
                fields.push("email");
            }
            if target.full_name != current.full_name {
                fields.push("full_name");
            }
            // An irregular stored value ('false' text) is rewritten even when it reads the same.
            if target.disabled != current.disabled || current.odd_disabled.is_some() {
                fields.push("disabled");
            }
            if target.hashed_password != existing.hashed_password {
                fields.push("password");
            }
            if fields.is_empty() {
                return Ok(Outcome {
                    action: Action::Unchanged,
                    user: existing.user,
                    fields,
                });
            }
            tx.update_user(current.id, &target)?;
            Ok(Outcome {
                action: Action::Updated,
                user: user_of(current.id, &target),
                fields,
            })
        }
    }
}

fn user_of(id: i64, user: &NewUser) -> User {
    User {
        id,
        username: user.username.clone(),
        email: user.email.clone(),
        full_name: user.full_name.clone(),
        disabled: user.disabled,
        odd_disabled: None,
    }
}

/// Commits, unless this is a dry run (then the transaction is rolled back when dropped).
pub fn finish(tx: Box<dyn WriteTx + '_>, dry_run: bool) -> Result<()> {
    if dry_run { Ok(()) } else { tx.commit() }
}

/// Adds (or upserts) one user in one short write transaction.
pub fn add(
    store: &mut dyn Store,
    spec: &UserSpec,
    password: &PasswordChange,
    on_existing: OnExisting,
    dry_run: bool,
) -> Result<Outcome> {
    let mut tx = store.write()?;
    let outcome = apply(&mut *tx, spec, password, on_existing)?;
    finish(tx, dry_run)?;
    Ok(outcome)
}

/// Runs `act` on every named user (each name once) in one transaction: all of them, or none
/// when `act` fails for one.
fn for_each_named(
    store: &mut dyn Store,
    usernames: &[String],
    dry_run: bool,
    mut act: impl FnMut(&mut dyn WriteTx, &str, Option<StoredUser>) -> Result<Outcome>,
) -> Result<Vec<Outcome>> {
    let mut tx = store.write()?;
    let mut seen = std::collections::HashSet::new();
    let mut outcomes = Vec::with_capacity(usernames.len());
    for username in usernames {
        if seen.insert(username.as_str()) {
            let stored = tx.find_user(username)?;
            outcomes.push(act(&mut *tx, username, stored)?);
        }
    }
    finish(tx, dry_run)?;
    Ok(outcomes)
}

/// Sets `disabled` for every named user in one transaction: all of them or, when one does
/// not exist, none.
pub fn set_disabled(
    store: &mut dyn Store,
    usernames: &[String],
    disabled: bool,
    dry_run: bool,
) -> Result<Vec<Outcome>> {
    for_each_named(store, usernames, dry_run, |tx, username, stored| {
        let mut user = stored
            .ok_or_else(|| Error::UserNotFound(username.to_owned()))?
            .user;
        let differs = user.disabled != disabled;
        // An irregular stored value (NULL aside) is rewritten as the integer the service expects.
        if differs || user.odd_disabled.is_some() {
            tx.set_disabled(user.id, disabled)?;
        }
        user.disabled = disabled;
        user.odd_disabled = None;
        let action = match (differs, disabled) {
            (false, _) => Action::Unchanged,
            (true, true) => Action::Disabled,
            (true, false) => Action::Enabled,
        };
        Ok(Outcome {
            action,
            user,
            fields: Vec::new(),
        })
    })
}

/// Looks up the user whose password is to change, before anyone types a password.
pub fn plan_password(lookup: &mut dyn Lookup, username: &str) -> Result<Plan> {
    match lookup.find_user(username)? {
        Some(existing) => Ok(Plan {
            existing: Some(existing),
            needs_password: true,
        }),
        None => Err(Error::UserNotFound(username.to_owned())),
    }
}

/// Stores a new password hash for the planned user. [`PasswordChange::KeepIf`] (from
/// [`password_change`], for `--if-changed`) writes nothing and takes no lock.
pub fn set_password(
    store: &mut dyn Store,
    plan: &Plan,
    change: &PasswordChange,
    dry_run: bool,
) -> Result<Outcome> {
    let Some(planned) = &plan.existing else {
        return Err(Error::Internal(
            "set_password needs a planned user".to_owned(),
        ));
    };
    let PasswordChange::Set(hash) = change else {
        return Ok(Outcome {
            action: Action::Unchanged,
            user: planned.user.clone(),
            fields: Vec::new(),
        });
    };
    let username = &planned.user.username;
    let mut tx = store.write()?;
    let current = tx
        .find_user(username)?
        .ok_or_else(|| Error::UserNotFound(username.clone()))?;
    let spec = UserSpec {
        username: username.clone(),
        ..UserSpec::default()
    };
    tx.update_user(
        current.user.id,
        &spec.apply_to(Some(&current), hash.clone()),
    )?;
    finish(tx, dry_run)?;
    Ok(Outcome {
        action: Action::PasswordChanged,
        user: current.user,
        fields: vec!["password"],
    })
}

/// Deletes the named users in one transaction, all or none. With `if_exists`, an unknown
/// name is reported as absent instead of failing.
pub fn delete(
    store: &mut dyn Store,
    usernames: &[String],
    if_exists: bool,
    dry_run: bool,
) -> Result<Vec<Outcome>> {
    for_each_named(
        store,
        usernames,
        dry_run,
        |tx, username, stored| match stored {
            Some(stored) => {
                tx.delete_user(stored.user.id)?;
                Ok(Outcome {
                    action: Action::Deleted,
                    user: stored.user,
                    fields: Vec::new(),
                })
            }
            None if if_exists => Ok(Outcome {
                action: Action::Absent,
                user: User {
                    id: 0,
                    username: username.to_owned(),
                    email: None,
                    full_name: None,
                    disabled: false,
                    odd_disabled: None,
                },
                fields: Vec::new(),
            }),
            None => Err(Error::UserNotFound(username.to_owned())),
        },
    )
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

/// Checks a login as the service with this hash scheme does: exact username, password, then
/// `disabled`. Exactly one hash verification runs whether or not the user exists. A stored hash
/// the service could not verify (its login answers 500) is an error, never an answer.
pub fn verify_login(
    store: &mut dyn Store,
    scheme: Scheme,
    username: &str,
    password: &str,
) -> Result<Login> {
    let Some(stored) = store.find_user(username)? else {
        scheme.verify_dummy(password);
        return Ok(Login::IncorrectCredentials);
    };
    let verification = scheme
        .verify(password, &stored.hashed_password)
        .map_err(|problem| problem.into_error(username))?;
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
