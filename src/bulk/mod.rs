//! Bulk import: read and check every record, then each user takes the same path as one
//! `add` (plan against the table, settle the password, apply under the lock), with the costly
//! part, the hashing, on every core and outside the lock, and one short transaction for all.

mod check;

use std::io::Read;

use check::{Row, Secret};

use crate::db::{Lookup, Store};
use crate::error::{Error, Kind, Result, RowCause, RowError};
use crate::password::{self, HashCensus, Hasher, Resolved, SchemeChoice};
use crate::records::{self, FileFormat};
use crate::shape::Shape;
use crate::users::{
    self, Action, Cached, Hashing, OnExisting, PasswordChange, Plan, Rules, Warning,
};

/// What to do with a record that has neither `password` nor `hashed_password`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingPassword {
    /// Refuse the record.
    Error,
    /// A random password nobody knows: the user must be given one with `set-password`.
    Random,
    /// The same, and the user is created disabled.
    Disabled,
}

/// How to import.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    pub on_conflict: OnExisting,
    pub missing_password: MissingPassword,
    pub hashing: Hashing,
    pub rules: Rules,
    pub dry_run: bool,
}

/// What an import did, counted by action, and the hash scheme it worked with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub skipped: usize,
    pub scheme: Resolved,
    /// What was accepted as asked but deserves a second look, with the record's place.
    pub warnings: Vec<(String, Warning)>,
}

/// Progress of the password work, reported by the hashing threads.
pub trait Progress: Sync {
    fn start(&self, total: usize);
    fn tick(&self);
    fn finish(&self);
}

/// One record on its way in: checked, planned against the table, its password settled.
struct Planned {
    row: Row,
    plan: Plan,
    change: PasswordChange,
}

/// The records of an input, read and checked on their own, before any database is looked at.
pub struct CheckedInput {
    rows: Vec<Row>,
    errors: Vec<RowError>,
}

impl CheckedInput {
    /// How many records passed.
    pub fn passed(&self) -> usize {
        self.rows.len()
    }

    /// Every problem found, with its place.
    pub fn problems(&self) -> &[RowError] {
        &self.errors
    }
}

/// Reads every record and checks each alone and against the others (fields, names, emails,
/// duplicates): the first stage of an import, and the one that parses outside input.
pub fn check_input(input: impl Read, format: FileFormat, shape: &Shape) -> Result<CheckedInput> {
    let (raw, mut errors) = records::read(input, format, shape)?;
    let rows = check_all(raw, shape, &mut errors);
    check::check_duplicates(&rows, shape, &mut errors);
    Ok(CheckedInput { rows, errors })
}

/// Reads, checks, hashes and writes; nothing is written unless every record is good.
pub fn import(
    store: &mut dyn Store,
    input: impl Read,
    format: FileFormat,
    options: ImportOptions,
    progress: &dyn Progress,
) -> Result<Summary> {
    let CheckedInput { rows, mut errors } = check_input(input, format, store.shape())?;
    let resolved = resolve_scheme(store, &rows, options.hashing.scheme)?;
    check::check_against_scheme(&rows, &resolved, &mut errors);
    let mut planned = plan_all(store, rows, options, &mut errors)?;
    let new = planned.iter_mut().filter(|p| p.plan.existing.is_none());
    let new_rows = new.map(|p| &mut p.row).collect();
    let login = store.shape().login;
    check::check_look_alikes(new_rows, login, options.rules.allow_look_alike, &mut errors);
    if !errors.is_empty() {
        errors.sort_by_key(|e| location_order(&e.location));
        return Err(Error::Rows(errors));
    }
    let hasher = Hasher {
        scheme: resolved.scheme,
        profile: options.hashing.profile,
    };
    hash_all(&mut planned, &hasher, progress)?;
    write_all(store, &planned, options, resolved)
}

/// Checks every record on every core; the problems keep the records' order.
fn check_all(raw: Vec<records::RawRecord>, shape: &Shape, errors: &mut Vec<RowError>) -> Vec<Row> {
    use rayon::prelude::*;
    let checked: Vec<(Option<Row>, Vec<RowError>)> = raw
        .into_par_iter()
        .map(|record| {
            let mut problems = Vec::new();
            (check::check_record(record, shape, &mut problems), problems)
        })
        .collect();
    let mut rows = Vec::with_capacity(checked.len());
    for (row, problems) in checked {
        errors.extend(problems);
        rows.extend(row);
    }
    rows
}

/// Plans every row against the table as it is now, before any hashing (re-checked under the
/// lock); taken names and emails, and records without a password that must have one, are
/// problems.
fn plan_all(
    store: &mut dyn Store,
    rows: Vec<Row>,
    options: ImportOptions,
    errors: &mut Vec<RowError>,
) -> Result<Vec<Planned>> {
    let mut planned = Vec::with_capacity(rows.len());
    let mut table = Cached::new(store, rows.iter().map(|row| &row.spec))?;
    for mut row in rows {
        let missing = row.secret == Secret::Missing;
        if missing && options.missing_password == MissingPassword::Error {
            errors.push(RowError {
                cause: RowCause::NoPassword,
                ..RowError::new(
                    &*row.location,
                    Some("password"),
                    "neither password nor hashed_password",
                )
            });
        }
        let allow_look_alike = options.rules.allow_look_alike;
        match users::plan(&mut table, &row.spec, options.on_conflict, allow_look_alike) {
            Ok(plan) => {
                row.warnings
                    .extend(plan.look_alike.clone().map(Warning::LookAlike));
                if plan.needs_password {
                    check::judge_policy(&mut row, options.rules.policy, errors);
                }
                if plan.existing.is_none()
                    && missing
                    && options.missing_password == MissingPassword::Disabled
                {
                    row.spec.disabled = Some(true);
                }
                planned.push(Planned {
                    row,
                    plan,
                    change: PasswordChange::None,
                });
            }
            Err(e) if e.kind() == Kind::Conflict => {
                errors.push(conflict(&row, &e, table.shape().login));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(planned)
}

/// A record's conflict, under the field it is about: the login (`username`, or `email` where the
/// login is the email), or the email.
fn conflict(row: &Row, e: &Error, login: &'static str) -> RowError {
    let (field, cause) = match e {
        Error::UsernameTaken(_) => (login, RowCause::Conflict),
        Error::LookAlike(_) => (login, RowCause::LookAlike),
        _ => ("email", RowCause::Conflict),
    };
    RowError {
        cause,
        ..RowError::new(&*row.location, Some(field), e.to_string())
    }
}

/// The costly part, on every core, with no lock held.
fn hash_all(planned: &mut [Planned], hasher: &Hasher, progress: &dyn Progress) -> Result<()> {
    use rayon::prelude::*;
    progress.start(planned.iter().filter(|p| p.plan.needs_password).count());
    let result = planned
        .par_iter_mut()
        .filter(|p| p.plan.needs_password)
        .try_for_each(|p| {
            p.change = password_change(&p.row, &p.plan, hasher)?;
            progress.tick();
            Ok(())
        });
    progress.finish();
    result
}

/// The password change of one record: hash a password (or keep the stored hash when it
/// already verifies), store a given hash, or give a random password to a new user.
fn password_change(row: &Row, plan: &Plan, hasher: &Hasher) -> Result<PasswordChange> {
    match &row.secret {
        Secret::Password(password) => users::password_change(plan, password, hasher),
        Secret::Hash(stored) => Ok(PasswordChange::Set(stored.clone())),
        Secret::Missing if plan.existing.is_none() => hasher
            .hash(&password::random_password()?)
            .map(PasswordChange::Set),
        Secret::Missing => Ok(PasswordChange::None),
    }
}

/// One transaction for every user: all of them are written, or none.
fn write_all(
    store: &mut dyn Store,
    planned: &[Planned],
    options: ImportOptions,
    scheme: Resolved,
) -> Result<Summary> {
    let mut tx = store.write()?;
    // Re-read under the lock: the service may have written since the plan.
    let mut table = Cached::new(&mut *tx, planned.iter().map(|p| &p.row.spec))?;
    let mut summary = Summary {
        created: 0,
        updated: 0,
        unchanged: 0,
        skipped: 0,
        scheme,
        warnings: Vec::new(),
    };
    for Planned { row, change, .. } in planned {
        let outcome = users::apply(&mut table, &row.spec, change, options.on_conflict)
            .map_err(|e| refusal(planned, Some(row), e))?;
        // An existing user left alone is "skipped" when the import was told to skip them.
        match (outcome.action, options.on_conflict) {
            (Action::Created, _) => summary.created += 1,
            (Action::Updated, _) => summary.updated += 1,
            (_, OnExisting::Skip) => summary.skipped += 1,
            _ => summary.unchanged += 1,
        }
        // Only about what was written: a weak password left unstored is nobody's concern.
        let written = |w: &&Warning| match w {
            Warning::LookAlike(_) => outcome.action == Action::Created,
            Warning::WeakPassword(_) | Warning::NotNfc => outcome.stored_password(),
        };
        let place = || row.location.clone();
        summary.warnings.extend(
            row.warnings
                .iter()
                .filter(written)
                .map(|w| (place(), w.clone())),
        );
    }
    users::finish(tx, options.dry_run).map_err(|e| refusal(planned, None, e))?;
    Ok(summary)
}

/// A record the table refuses under the lock is listed with its place; a failing database is
/// not a record's fault. The record is the one the error names, else the one being applied: an
/// engine may send its rows in batches, so a refusal can arrive while a later record is applied,
/// or at the commit.
fn refusal(planned: &[Planned], current: Option<&Row>, e: Error) -> Error {
    if !matches!(e.kind(), Kind::Conflict | Kind::Invalid) {
        return e;
    }
    // Only an index of the table's own refuses a row the domain did not check itself.
    let named = match &e {
        Error::UniqueIndex { username, .. } => planned
            .iter()
            .map(|p| &p.row)
            .find(|r| r.spec.username == *username),
        _ => None,
    };
    match named.or(current) {
        Some(row) => Error::Rows(vec![refused_under_lock(row, &e)]),
        None => e,
    }
}

/// A record the table refused under the lock (the service wrote meanwhile).
fn refused_under_lock(row: &Row, e: &Error) -> RowError {
    let cause = if e.kind() == Kind::Conflict {
        RowCause::Conflict
    } else {
        RowCause::Value
    };
    RowError {
        cause,
        ..RowError::new(&*row.location, None, e.to_string())
    }
}

/// The service's hash scheme: given, else read from the table's hashes, else (an empty table,
/// as when moving users to a new database) from the hashes being imported.
fn resolve_scheme(store: &mut dyn Store, rows: &[Row], choice: SchemeChoice) -> Result<Resolved> {
    let shape = store.shape();
    let resolved = choice.resolve(|| {
        let stored = store.hash_census()?;
        if !stored.is_empty() {
            return Ok((stored, "stored"));
        }
        let mut imported = HashCensus::default();
        for row in rows {
            if let Secret::Hash(hash) = &row.secret
                && let Ok(info) = password::inspect(hash)
            {
                imported.add(&info);
            }
        }
        let whose = if imported.is_empty() {
            "stored or imported"
        } else {
            "imported"
        };
        Ok((imported, whose))
    })?;
    Ok(crate::users::for_shape(resolved, shape))
}

/// Sorts "line 10" after "line 9".
fn location_order(location: &str) -> (String, u64) {
    let (word, number) = location.rsplit_once(' ').unwrap_or((location, "0"));
    (word.to_owned(), number.parse().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first stage alone, as the fuzz target drives it: what passed and what did not.
    #[test]
    fn check_input_counts_what_passed_and_lists_the_rest() {
        let csv = "username,email,password\nann,,pw\n,x@example.com,pw\nbob,b,pw\ncy,,pw\n";
        let checked =
            check_input(csv.as_bytes(), FileFormat::Csv, &crate::shape::TUTORIAL).unwrap();
        assert_eq!(checked.passed(), 2);
        let places: Vec<&str> = checked
            .problems()
            .iter()
            .map(|p| p.location.as_str())
            .collect();
        assert_eq!(places, ["line 3", "line 4"]);
    }

    /// An import racing another writer (who writes while the passwords hash).
    mod import_races {
        use std::path::{Path, PathBuf};

        use crate::bulk::{ImportOptions, MissingPassword, Progress, import};
        use crate::db::testing;
        use crate::error::{Error, Kind};
        use crate::password::{HashProfile, SchemeChoice};
        use crate::records::FileFormat;
        use crate::users::{Hashing, OnExisting, Rules};

        /// Another writer that runs `.1` on the database while the import hashes (between
        /// plan and write).
        struct Racer(PathBuf, fn(&Path));

        impl Progress for Racer {
            fn start(&self, _: usize) {
                (self.1)(&self.0);
            }
            fn tick(&self) {}
            fn finish(&self) {}
        }

        fn options(on_conflict: OnExisting) -> ImportOptions {
            ImportOptions {
                on_conflict,
                missing_password: MissingPassword::Random,
                hashing: Hashing {
                    scheme: SchemeChoice::default(),
                    profile: HashProfile::Test,
                },
                rules: Rules::default(),
                dry_run: false,
            }
        }

        /// A name taken by another writer while the import hashed is a conflict (exit 4) listed with
        /// its record, found under the write lock; nothing is written.
        #[test]
        fn a_name_taken_between_plan_and_write_is_a_listed_conflict() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("users.db");
            let mut store = testing::init(&path);
            let racer = Racer(path.clone(), |path| {
                testing::insert(path, &testing::new_user("newbie", None));
            });
            let input = "username,password\nfirst,pw-for-tests\nnewbie,pw-for-tests\n".as_bytes();
            let result = import(
                &mut *store,
                input,
                FileFormat::Csv,
                options(OnExisting::Fail),
                &racer,
            );
            let Err(Error::Rows(rows)) = &result else {
                panic!("{result:?}");
            };
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].location, "line 3");
            assert_eq!(result.unwrap_err().kind(), Kind::Conflict);
            assert_eq!(testing::count(&path), 1);
        }

        /// A user gone between the plan and the write is the table changing under the import, not a
        /// record's fault: the import stops with that error and lists no record.
        #[test]
        fn a_user_gone_between_plan_and_write_is_not_a_refused_record() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("users.db");
            let mut store = testing::init(&path);
            testing::insert(&path, &testing::new_user("kept", None));
            let racer = Racer(path, |path| testing::delete(path, "kept"));
            let input = "username,email\nkept,kept@example.com\n".as_bytes();
            let result = import(
                &mut *store,
                input,
                FileFormat::Csv,
                options(OnExisting::Skip),
                &racer,
            );
            assert!(matches!(result, Err(Error::Internal(_))), "{result:?}");
        }
    }
}
