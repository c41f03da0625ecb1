//! The path of one user's write, shared by `add`, `set_password` and the import: plan against
//! the table before anything is asked or hashed, settle the password change outside the lock,
//! then apply under the write lock, re-checking what the plan saw.

use crate::db::{Lookup, NewUser, StoredUser, Transaction, User, UserId, WriteTx};
use crate::error::{Error, Result};
use crate::password::Hasher;
use crate::shape::Shape;

use super::lookalike::{self, LookAlike};
use super::{Action, Outcome, UserSpec};

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
    /// A new username that looks like an existing one, allowed as asked.
    pub look_alike: Option<LookAlike>,
}

/// Looks at the user before anything is asked or hashed; refuses conflicts early, and a new
/// username that looks like an existing one unless `allow_look_alike`.
pub fn plan(
    lookup: &mut dyn Lookup,
    spec: &UserSpec,
    on_existing: OnExisting,
    allow_look_alike: bool,
) -> Result<Plan> {
    spec.check_shape(lookup.shape())?;
    let existing = lookup.find_user(&spec.username)?;
    let look_alike = match existing {
        None => look_alike(lookup, &spec.username, allow_look_alike)?,
        Some(_) => None,
    };
    let needs_password = match (&existing, on_existing) {
        (None, _) => true,
        (Some(existing), OnExisting::Fail) => {
            return Err(lookup
                .shape()
                .login_taken(&spec.username, Some(&existing.user.username)));
        }
        (Some(_), OnExisting::Skip) => false,
        (Some(_), OnExisting::Update { password }) => password,
    };
    if existing.is_none() || matches!(on_existing, OnExisting::Update { .. }) {
        check_email_free(lookup, spec)?;
    }
    Ok(Plan {
        existing,
        needs_password,
        look_alike,
    })
}

/// An existing user a new `username` could be taken for: an error, or when allowed the warning.
fn look_alike(lookup: &mut dyn Lookup, username: &str, allow: bool) -> Result<Option<LookAlike>> {
    let found = lookup
        .username_with_key(username, lookalike::keys)?
        .and_then(|existing| LookAlike::of(username, &existing))
        .map(|found| found.named(lookup.shape().login));
    match found {
        Some(found) if !allow => Err(Error::LookAlike(found.to_string())),
        found => Ok(found),
    }
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
    let Some(existing) = tx.find_user(&spec.username)? else {
        return create(tx, spec, password);
    };
    match on_existing {
        OnExisting::Fail => Err(tx
            .shape()
            .login_taken(&spec.username, Some(&existing.user.username))),
        OnExisting::Skip => Ok(Outcome::of(Action::Unchanged, existing.user)),
        OnExisting::Update { .. } => update(tx, spec, password, existing),
    }
}

fn create(tx: &mut dyn WriteTx, spec: &UserSpec, password: &PasswordChange) -> Result<Outcome> {
    let PasswordChange::Set(hash) = password else {
        return Err(Error::Internal(format!(
            "user '{}' appeared to exist and then vanished; run the command again",
            spec.username
        )));
    };
    check_email_free(tx, spec)?;
    if let Some(id) = &spec.id
        && let Some(owner) = tx.id_owner(id)?
    {
        return Err(Error::invalid(format!(
            "id {id} is already used by user '{owner}'"
        )));
    }
    let new = spec.apply_to(None, hash.clone());
    let id = tx.insert_user(&new)?;
    Ok(Outcome::of(Action::Created, user_of(id, &new, tx.shape())))
}

fn update(
    tx: &mut dyn WriteTx,
    spec: &UserSpec,
    password: &PasswordChange,
    existing: StoredUser,
) -> Result<Outcome> {
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
    let fields = changed_fields(&existing, &target);
    if fields.is_empty() {
        return Ok(Outcome::of(Action::Unchanged, existing.user));
    }
    let id = existing.user.id.clone();
    tx.update_user(&id, &target)?;
    Ok(Outcome {
        fields,
        ..Outcome::of(Action::Updated, user_of(id, &target, tx.shape()))
    })
}

/// Which of `email`, `full_name`, `disabled`, `password` differ between the row and the target.
fn changed_fields(existing: &StoredUser, target: &NewUser) -> Vec<&'static str> {
    let current = &existing.user;
    let mut fields = Vec::new();
    if target.email != current.email {
        fields.push("email");
    }
    if target.full_name != current.full_name {
        fields.push("full_name");
    }
    // An odd stored value ('false' text) is rewritten even when it reads the same.
    if target.disabled != current.disabled || current.odd_disabled.is_some() {
        fields.push("disabled");
    }
    if current.superuser.is_some_and(|s| s != target.superuser) {
        fields.push("is_superuser");
    }
    if current.verified.is_some_and(|v| v != target.verified) {
        fields.push("is_verified");
    }
    if target.hashed_password != existing.hashed_password {
        fields.push("password");
    }
    fields
}

/// The user a write made, as the table now holds it (`shape` says which flags it has).
pub(super) fn user_of(id: UserId, user: &NewUser, shape: &'static Shape) -> User {
    User {
        id,
        username: user.username.clone(),
        email: user.email.clone(),
        full_name: user.full_name.clone(),
        disabled: user.disabled,
        odd_disabled: None,
        superuser: shape.superuser.then_some(user.superuser),
        verified: shape.verified.then_some(user.verified),
        shape,
    }
}

/// Commits, unless this is a dry run (then the transaction is rolled back when dropped).
pub fn finish(tx: Box<dyn Transaction + '_>, dry_run: bool) -> Result<()> {
    if dry_run { tx.rollback() } else { tx.commit() }
}

#[cfg(test)]
mod tests {
    use crate::db::testing;
    use crate::error::Error;
    use crate::users::{OnExisting, PasswordChange, UserSpec, apply, plan};

    /// The write transaction re-checks what the plan saw: an email taken by another writer
    /// between the plan and the write is a conflict, even on a table without the unique email
    /// index (where only the domain's check under the lock stands in the way).
    #[test]
    fn the_write_re_checks_what_the_plan_saw() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.db");
        testing::service_table(&path, false);
        let mut store = testing::open(&path);
        let email = Some(Some("same@example.com".to_owned()));
        let spec = UserSpec::new("second".into(), email, None, None).unwrap();
        let planned = plan(&mut *store, &spec, OnExisting::Fail, false).unwrap();
        assert!(planned.existing.is_none());
        testing::insert(&path, &testing::new_user("first", Some("same@example.com")));
        let mut tx = store.write().unwrap();
        let written = apply(
            &mut *tx,
            &spec,
            &PasswordChange::Set("h".into()),
            OnExisting::Fail,
        );
        assert!(
            matches!(&written, Err(Error::EmailTaken { owner, .. }) if owner == "first"),
            "{written:?}"
        );
    }

    /// An upsert that keeps the stored hash (the given password verifies) stops when the hash
    /// changed between the plan and the write, rather than write over the new one.
    #[test]
    fn a_hash_changed_since_the_plan_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.db");
        testing::service_table(&path, true);
        let mut alice = testing::new_user("alice", None);
        alice.hashed_password = "old".to_owned();
        testing::insert(&path, &alice);
        let mut store = testing::open(&path);
        let spec = UserSpec::new("alice".into(), None, Some(Some("Alice".into())), None).unwrap();
        // Planned with the password verifying against 'old'; then someone sets a new one.
        let keep = PasswordChange::KeepIf("old".to_owned());
        testing::update(&path, "alice", |user| {
            user.hashed_password = "new".to_owned();
        });
        let mut tx = store.write().unwrap();
        let update = OnExisting::Update { password: true };
        let written = apply(&mut *tx, &spec, &keep, update);
        assert!(
            matches!(&written, Err(Error::Internal(m)) if m.contains("changed while authctl was running")),
            "{written:?}"
        );
    }
}
