//! User operations, as the service understands users: one entry point per operation (add,
//! set a password, enable or disable, delete, check a login, issue a token; the import is
//! `bulk::import`). Each takes the store, what the command describes and its options, plans
//! against the table, asks for a password only when the write needs one, hashes outside the
//! write lock, writes in one short transaction and returns the outcome. No clap, no printing,
//! no SQL.

mod cached;
mod email;
mod lookalike;
mod spec;
mod tokens;
mod unicode14;
mod write;

pub(crate) use cached::Cached;
pub use email::email_str;
pub use lookalike::{Likeness, LookAlike, keys as look_alike_keys};
pub use spec::{
    UserSpec, check_email, check_full_name, check_login, email_problem, full_name_problem,
    length_problem, login_for_shape,
};
pub use tokens::{Issued, Judgement, TokenRequest, issue_token, judge_token};
pub use write::OnExisting;
pub(crate) use write::{PasswordChange, Plan, apply, finish, password_change, plan};

use crate::db::{Dependents, Lookup, StatusFilter, Store, StoredUser, User, UserRef, WriteTx};
use crate::error::{Error, Result};
use crate::password::{
    self, HashInfo, HashProfile, Hasher, Policy, ProfileMatch, Resolved, Scheme, SchemeChoice,
    SecretString, StoredHashProblem, Weakness,
};
use crate::shape::{Flag, Shape};

/// What a command did (or, in a dry run, would do) to one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Created,
    Updated,
    /// Nothing to do: the user is as asked, or is left alone as asked.
    Unchanged,
    Disabled,
    Enabled,
    PasswordChanged,
    Deleted,
    /// Asked to delete a user that does not exist, and told that is fine.
    Absent,
    /// A right (`is_superuser`, `is_verified`) given.
    Granted,
    /// A right taken away.
    Revoked,
}

impl Action {
    /// The stable name used in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::Unchanged => "unchanged",
            Action::Disabled => "disabled",
            Action::Enabled => "enabled",
            Action::PasswordChanged => "password_changed",
            Action::Deleted => "deleted",
            Action::Absent => "absent",
            Action::Granted => "granted",
            Action::Revoked => "revoked",
        }
    }

    pub fn changed(self) -> bool {
        !matches!(self, Action::Unchanged | Action::Absent)
    }
}

/// The outcome for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub action: Action,
    /// The user named by the command.
    pub username: String,
    /// The user after the change (before it, for a deletion); `None` when there is no such user
    /// ([`Action::Absent`]).
    pub user: Option<User>,
    /// For [`Action::Updated`]: which fields changed (`email`, `full_name`, `disabled`, `password`).
    pub fields: Vec<&'static str>,
    /// The service's hash scheme a new password was hashed for, when one was.
    pub hashed_for: Option<Resolved>,
    /// What was done as asked but deserves a second look.
    pub warnings: Vec<Warning>,
    /// For [`Action::Deleted`]: the rows of other tables that went with the user.
    pub dependents: Vec<Dependents>,
}

/// Something done as asked that the operator should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// A look-alike username, added because the operator insisted.
    LookAlike(LookAlike),
    /// A password the policy calls weak, stored because the policy was not enforced.
    WeakPassword(Weakness),
    /// A password not in Unicode NFC, stored exactly as given.
    NotNfc,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::LookAlike(found) => write!(f, "{found}; added as asked"),
            Warning::WeakPassword(weakness) => {
                write!(f, "the password is weak ({weakness}); stored as asked")
            }
            Warning::NotNfc => f.write_str(
                "the password is not in Unicode NFC form; it is stored exactly as given, and the \
                 same characters typed on another system may arrive as other bytes and not match",
            ),
        }
    }
}

/// What new users and new passwords must pass.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rules {
    pub policy: Policy,
    /// Add a username that looks like an existing one (with a warning).
    pub allow_look_alike: bool,
}

/// Judges a new password for a user: refused when the scheme cannot take it, or when the policy
/// is enforced and finds it weak; otherwise the warnings to give.
pub(crate) fn judge_password(
    password: &str,
    username: &str,
    email: Option<&str>,
    scheme: Scheme,
    policy: Policy,
) -> Result<Vec<Warning>> {
    password::check_policy(password)?;
    scheme.check_new_password(password)?;
    let mut warnings = Vec::new();
    if let Some(weakness) = policy.weakness(password, username, email) {
        if policy.enforce {
            return Err(Error::WeakPassword {
                username: username.to_owned(),
                weakness: weakness.to_string(),
            });
        }
        warnings.push(Warning::WeakPassword(weakness));
    }
    if !password::policy::is_nfc(password) {
        warnings.push(Warning::NotNfc);
    }
    Ok(warnings)
}

impl Outcome {
    fn new(action: Action, username: &str, user: Option<User>) -> Self {
        Outcome {
            action,
            username: username.to_owned(),
            user,
            fields: Vec::new(),
            hashed_for: None,
            warnings: Vec::new(),
            dependents: Vec::new(),
        }
    }

    fn of(action: Action, user: User) -> Self {
        Outcome {
            username: user.username.clone(),
            ..Outcome::new(action, "", Some(user))
        }
    }

    /// Whether the password given to this write is now the user's (a generated one may then
    /// be shown).
    pub fn stored_password(&self) -> bool {
        self.action == Action::Created || self.fields.contains(&"password")
    }
}

/// How new hashes are made: for the service's scheme (given, or read from the table) at a cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Hashing {
    pub scheme: SchemeChoice,
    pub profile: HashProfile,
}

/// The service's hash scheme: given, else read from the table's hashes.
pub fn resolve_scheme(choice: SchemeChoice, lookup: &mut dyn Lookup) -> Result<Resolved> {
    let resolved = choice.resolve(|| Ok((lookup.hash_census()?, "stored")))?;
    Ok(for_shape(resolved, lookup.shape()))
}

/// A detected scheme as the shape's application has it: where it is known to verify bcrypt
/// too (pwdlib with both hashers), hashes that show Argon2 (or none) mean Argon2 and bcrypt. Only
/// bcrypt hashes still mean a passlib-era deployment, bcrypt only.
pub(crate) fn for_shape(mut resolved: Resolved, shape: &Shape) -> Resolved {
    if let (true, Scheme::Argon2, Some(detection)) = (
        shape.verifies_bcrypt_too,
        resolved.scheme,
        &mut resolved.detection,
    ) {
        resolved.scheme = Scheme::Argon2Bcrypt;
        detection.scheme = Scheme::Argon2Bcrypt;
        detection.reason = format!(
            "{}'s pwdlib verifies Argon2 and bcrypt, and {}",
            shape.name, detection.reason
        );
        detection.worth_a_note = false;
    }
    resolved
}

impl Hashing {
    /// Resolves the scheme against the table's hashes.
    fn resolve(&self, store: &mut dyn Store) -> Result<(Hasher, Resolved)> {
        let resolved = resolve_scheme(self.scheme, store)?;
        let hasher = Hasher {
            scheme: resolved.scheme,
            profile: self.profile,
        };
        Ok((hasher, resolved))
    }
}

/// Where a new password comes from. The domain asks only when a write needs one, and only
/// after the look-ups that can refuse the command: nobody types a password to learn that the
/// name is taken.
pub trait PasswordSource {
    /// The password for `username`, to be hashed for `scheme`. `accept` says whether it can be
    /// stored (a prompt may then ask again).
    fn new_password(
        &mut self,
        username: &str,
        scheme: &Resolved,
        accept: &dyn Fn(&str) -> Result<()>,
    ) -> Result<SecretString>;
}

/// The options of [`add`].
#[derive(Debug, Clone, Copy)]
pub struct AddOptions {
    pub on_existing: OnExisting,
    pub hashing: Hashing,
    pub rules: Rules,
    pub dry_run: bool,
}

/// Adds (or upserts) one user in one short write transaction.
pub fn add(
    store: &mut dyn Store,
    spec: &UserSpec,
    options: AddOptions,
    passwords: &mut dyn PasswordSource,
) -> Result<Outcome> {
    let spec = &spec.clone().for_shape(store.shape())?;
    let plan = plan(
        store,
        spec,
        options.on_existing,
        options.rules.allow_look_alike,
    )?;
    let mut warnings: Vec<Warning> = plan
        .look_alike
        .clone()
        .map(Warning::LookAlike)
        .into_iter()
        .collect();
    let (change, hashed_for) = if plan.needs_password {
        let (change, resolved, judged) = new_hash(store, spec, &plan, options, passwords)?;
        warnings.extend(judged);
        (change, Some(resolved))
    } else {
        (PasswordChange::None, None)
    };
    let mut tx = store.write()?;
    let outcome = apply(&mut *tx, spec, &change, options.on_existing)?;
    finish(tx, options.dry_run)?;
    let stored_password = outcome.stored_password();
    if !stored_password {
        warnings.retain(|w| matches!(w, Warning::LookAlike(_)));
    }
    Ok(Outcome {
        hashed_for: hashed_for.filter(|_| stored_password),
        warnings,
        ..outcome
    })
}

/// Asks for the new password of a planned write, judges it, and hashes it (a fraction of a
/// second: before the write lock is taken). Returns the change, the scheme and the warnings.
fn new_hash(
    store: &mut dyn Store,
    spec: &UserSpec,
    plan: &Plan,
    options: AddOptions,
    passwords: &mut dyn PasswordSource,
) -> Result<(PasswordChange, Resolved, Vec<Warning>)> {
    let (hasher, resolved) = options.hashing.resolve(store)?;
    let email = match &spec.email {
        Some(email) => email.clone(),
        None => plan.existing.as_ref().and_then(|e| e.user.email.clone()),
    };
    let (username, policy) = (&spec.username, options.rules.policy);
    let judge = |p: &str| judge_password(p, username, email.as_deref(), hasher.scheme, policy);
    let password = passwords.new_password(username, &resolved, &|p| judge(p).map(drop))?;
    let warnings = judge(&password)?;
    Ok((
        password_change(plan, &password, &hasher)?,
        resolved,
        warnings,
    ))
}

/// The options of [`set_password`].
#[derive(Debug, Clone, Copy)]
pub struct PasswordOptions {
    /// Write nothing when the given password already verifies.
    pub if_changed: bool,
    pub hashing: Hashing,
    pub policy: Policy,
    pub dry_run: bool,
}

/// Stores a new password hash for an existing user (unknown users are refused before the
/// password is asked for).
pub fn set_password(
    store: &mut dyn Store,
    username: &str,
    options: PasswordOptions,
    passwords: &mut dyn PasswordSource,
) -> Result<Outcome> {
    let planned =
        find_named(store, username)?.ok_or_else(|| Error::UserNotFound(username.to_owned()))?;
    let username = &planned.user.username.clone();
    let (hasher, resolved) = options.hashing.resolve(store)?;
    let email = planned.user.email.clone();
    let judge =
        |p: &str| judge_password(p, username, email.as_deref(), hasher.scheme, options.policy);
    let password = passwords.new_password(username, &resolved, &|p| judge(p).map(drop))?;
    let warnings = judge(&password)?;
    let plan = Plan {
        existing: Some(planned),
        needs_password: true,
        look_alike: None,
    };
    let change = if options.if_changed {
        password_change(&plan, &password, &hasher)?
    } else {
        PasswordChange::Set(hasher.hash(&password)?)
    };
    let PasswordChange::Set(hash) = change else {
        // It verifies already: nothing to write, no lock taken.
        let user = plan.existing.map(|planned| planned.user);
        return Ok(Outcome::new(Action::Unchanged, username, user));
    };
    let user = store_hash(store, username, hash, options.dry_run)?;
    Ok(Outcome {
        fields: vec!["password"],
        hashed_for: Some(resolved),
        warnings,
        ..Outcome::of(Action::PasswordChanged, user)
    })
}

/// Writes a user's new hash under the write lock; returns the user.
fn store_hash(store: &mut dyn Store, username: &str, hash: String, dry_run: bool) -> Result<User> {
    let mut tx = store.write()?;
    let current = tx
        .find_user(username)?
        .ok_or_else(|| Error::UserNotFound(username.to_owned()))?;
    let spec = UserSpec {
        username: username.to_owned(),
        ..UserSpec::default()
    };
    tx.update_user(&current.user.id, &spec.apply_to(Some(&current), hash))?;
    finish(tx, dry_run)?;
    Ok(current.user)
}

/// The user a command names, matched as the service matches a login; on the shapes whose model
/// normalises the email, else as the application would have stored it (`Carol@Example.COM`
/// finds `Carol@example.com`). The name as typed comes first, so a row stored otherwise (by hand,
/// or refused by the model) stays reachable. Not for `verify-login`, which logs in as the
/// application's login form does.
fn find_named<L: Lookup + ?Sized>(lookup: &mut L, login: &str) -> Result<Option<StoredUser>> {
    if let Some(found) = lookup.find_user(login)? {
        return Ok(Some(found));
    }
    match login_for_shape(lookup.shape(), login) {
        Ok(stored_as) if stored_as != login => lookup.find_user(&stored_as),
        _ => Ok(None),
    }
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
            let stored = find_named(&mut *tx, username)?;
            outcomes.push(act(&mut *tx, username, stored)?);
        }
    }
    finish(tx, dry_run)?;
    Ok(outcomes)
}

/// Sets `disabled` for every named user in one transaction: all of them or, when one does
/// not exist, none. On the shapes with `is_active`, that is its opposite.
pub fn set_disabled(
    store: &mut dyn Store,
    usernames: &[String],
    disabled: bool,
    dry_run: bool,
) -> Result<Vec<Outcome>> {
    set_flag(store, usernames, Flag::Disabled, disabled, dry_run)
}

/// Sets a flag for every named user in one transaction, all or none: `disabled`, or a right the
/// shape has (`is_superuser`, `is_verified`; refused on a shape without it).
pub fn set_flag(
    store: &mut dyn Store,
    usernames: &[String],
    flag: Flag,
    value: bool,
    dry_run: bool,
) -> Result<Vec<Outcome>> {
    let shape = store.shape();
    if !shape.has_flag(flag) {
        return Err(Error::invalid(format!(
            "the {} has no {} column",
            shape.title(),
            flag.name()
        )));
    }
    for_each_named(store, usernames, dry_run, |tx, username, stored| {
        let mut user = stored
            .ok_or_else(|| Error::UserNotFound(username.to_owned()))?
            .user;
        let (current, odd) = user.flag(flag);
        let differs = current != value;
        // An odd stored value (NULL aside) is rewritten as the value the service expects.
        if differs || odd {
            tx.set_flag(&user.id, flag, value)?;
        }
        user.set_flag(flag, value);
        let action = match (differs, flag, value) {
            (false, _, _) => Action::Unchanged,
            (true, Flag::Disabled, true) => Action::Disabled,
            (true, Flag::Disabled, false) => Action::Enabled,
            (true, _, true) => Action::Granted,
            (true, _, false) => Action::Revoked,
        };
        let fields = if differs { vec![flag.name()] } else { vec![] };
        Ok(Outcome {
            fields,
            ..Outcome::of(action, user)
        })
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
                let dependents = tx.delete_user(&stored.user.id)?;
                Ok(Outcome {
                    dependents,
                    ..Outcome::of(Action::Deleted, stored.user)
                })
            }
            None if if_exists => Ok(Outcome::new(Action::Absent, username, None)),
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
    /// Right password, but `disabled` is set (`is_active` is false).
    Inactive {
        hash: HashInfo,
    },
    /// Right password, active, but not verified, for a service that requires verification.
    Unverified {
        hash: HashInfo,
    },
    /// The service cannot check this login: its library fails on the stored hash (or on this
    /// password against it), and its login answers 500.
    Fails(StoredHashProblem),
}

/// Checks a login as the service with this hash scheme does: exact username, password, then
/// `disabled`. Exactly one hash verification runs whether or not the user exists. A stored hash
/// the service could not verify is [`Login::Fails`], never "accepted". `password` is asked once
/// the scheme is known (and told which). Returns the scheme the answer is for.
pub fn verify_login(
    store: &mut dyn Store,
    scheme: SchemeChoice,
    require_verified: bool,
    username: &str,
    password: &mut dyn FnMut(&Resolved) -> Result<SecretString>,
) -> Result<(Login, Resolved)> {
    let shape = store.shape();
    if require_verified && !shape.verified {
        return Err(Error::invalid(format!(
            "the {} has no is_verified column to require",
            shape.title()
        )));
    }
    let resolved = resolve_scheme(scheme, store)?;
    let password = &password(&resolved)?;
    let scheme = resolved.scheme;
    let Some(stored) = store.find_user(username)? else {
        scheme.verify_dummy(password);
        return Ok((Login::IncorrectCredentials, resolved));
    };
    let verification = match scheme.verify(password, &stored.hashed_password) {
        Ok(verification) => verification,
        Err(problem) => return Ok((Login::Fails(problem), resolved)),
    };
    let login = if !verification.matches {
        Login::IncorrectCredentials
    } else if stored.user.disabled {
        Login::Inactive {
            hash: verification.info,
        }
    } else if require_verified && stored.user.verified == Some(false) {
        Login::Unverified {
            hash: verification.info,
        }
    } else {
        Login::Accepted {
            hash: verification.info,
        }
    };
    Ok((login, resolved))
}

/// One user as `show-user` shows it: the fields, and what the service makes of the stored hash.
#[derive(Debug, Clone)]
pub struct Shown {
    pub user: User,
    pub scheme: Resolved,
    /// What the hash is, or why the service could not verify it.
    pub hash: std::result::Result<HashInfo, StoredHashProblem>,
}

/// Looks up one user and judges the stored hash for the service's scheme.
pub fn show(store: &mut dyn Store, username: &str, scheme: SchemeChoice) -> Result<Shown> {
    let stored =
        find_named(store, username)?.ok_or_else(|| Error::UserNotFound(username.to_owned()))?;
    let scheme = resolve_scheme(scheme, store)?;
    Ok(Shown {
        hash: scheme.scheme.judge(&stored.hashed_password),
        user: stored.user,
        scheme,
    })
}

/// Which users a listing returns: by status, and optionally by the profile of their hash (for
/// the service's scheme, which decides what "service" means).
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFilter {
    pub status: StatusFilter,
    pub hash_profile: Option<ProfileMatch>,
    pub scheme: SchemeChoice,
}

/// Calls `each` for every user the filter keeps, in id order, streaming. Returns the scheme
/// when the filter needed one.
pub fn list(
    store: &mut dyn Store,
    filter: ListFilter,
    each: &mut dyn FnMut(UserRef<'_>) -> Result<()>,
) -> Result<Option<Resolved>> {
    let Some(profile) = filter.hash_profile else {
        store.for_each_user(filter.status, each)?;
        return Ok(None);
    };
    let resolved = resolve_scheme(filter.scheme, store)?;
    let scheme = resolved.scheme;
    store.for_each_stored_user(filter.status, &mut |stored| {
        let found = password::inspect(&stored.hashed_password)
            .map_or(ProfileMatch::Other, |info| scheme.profile_of(&info));
        if found == profile {
            each(stored.user.view())?;
        }
        Ok(())
    })?;
    Ok(Some(resolved))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Access, Location, OpenOptions};
    use crate::password::counted;

    fn store(dir: &tempfile::TempDir) -> Box<dyn Store> {
        let location = Location::file(dir.path().join("users.db"));
        let options = OpenOptions {
            lock_timeout: std::time::Duration::from_secs(1),
            shape: None,
        };
        crate::db::open(&location, Access::Init, options)
            .and_then(|mut store| {
                store
                    .init(crate::shape::Migrations::Respected)
                    .map(|_| store)
            })
            .unwrap()
    }

    fn add_user(store: &mut dyn Store, username: &str, disabled: bool) {
        struct Given;
        impl PasswordSource for Given {
            fn new_password(
                &mut self,
                _: &str,
                _: &Resolved,
                accept: &dyn Fn(&str) -> Result<()>,
            ) -> Result<SecretString> {
                accept("right password").map(|()| "right password".to_owned().into())
            }
        }
        let spec = UserSpec::new(username.to_owned(), None, None, Some(disabled)).unwrap();
        let options = AddOptions {
            on_existing: OnExisting::Fail,
            hashing: Hashing {
                scheme: SchemeChoice::default(),
                profile: HashProfile::Test,
            },
            rules: Rules::default(),
            dry_run: false,
        };
        add(store, &spec, options, &mut Given).unwrap();
    }

    /// The login answers in the time of one hash verification whoever asks: an unknown user, a
    /// disabled one, a wrong and a right password each cost exactly one.
    #[test]
    fn every_login_runs_exactly_one_hash_verification() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store(&dir);
        add_user(&mut *store, "alice", false);
        add_user(&mut *store, "bob", true);
        let cases = [
            ("nobody", "right password", "IncorrectCredentials"),
            ("bob", "right password", "Inactive"),
            ("alice", "wrong password", "IncorrectCredentials"),
            ("alice", "right password", "Accepted"),
        ];
        for (username, password, expected) in cases {
            let ((login, _), runs) = counted::verifications(|| {
                verify_login(
                    &mut *store,
                    SchemeChoice::default(),
                    false,
                    username,
                    &mut |_| Ok(password.to_owned().into()),
                )
                .unwrap()
            });
            assert!(format!("{login:?}").starts_with(expected), "{login:?}");
            assert_eq!(runs, 1, "{username} / {password}");
        }
    }
}
