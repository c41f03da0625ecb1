//! Checking the records of an import: each record alone, then the records against each other and
//! against the service's hash scheme. Every problem is collected with its place; none stops the
//! others from being found.

use std::collections::HashMap;

use crate::db::UserId;
use crate::error::{RowCause, RowError};
use crate::password::{self, Policy, Resolved, SecretString};
use crate::records::{self, FieldValue, RawRecord};
use crate::shape::Shape;
use crate::users::{self, LookAlike, UserSpec, Warning};

/// The password part of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Secret {
    Password(SecretString),
    Hash(String),
    Missing,
}

/// A checked record.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub location: String,
    pub spec: UserSpec,
    pub secret: Secret,
    /// What was accepted as asked but deserves a second look.
    pub warnings: Vec<Warning>,
}

/// The problems of one record, pushed to the import's list as they are found.
struct Problems<'a> {
    location: &'a str,
    errors: &'a mut Vec<RowError>,
    found: bool,
}

impl Problems<'_> {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.errors
            .push(RowError::new(self.location, Some(field), message));
        self.found = true;
    }
}

/// Checks one record; every problem of it is pushed to `errors`.
pub(super) fn check_record(
    raw: RawRecord,
    shape: &Shape,
    errors: &mut Vec<RowError>,
) -> Option<Row> {
    let location = raw.location;
    let mut problems = Problems {
        location: &location,
        errors,
        found: false,
    };
    let mut values = known_fields(raw.fields, shape, &mut problems);
    let mut text = |name: &str, problems: &mut Problems| match values.remove(name).flatten() {
        Some(FieldValue::Text(s)) => Some(s),
        Some(FieldValue::Int(_) | FieldValue::Bool(_)) => {
            problems.add(name, "must be text");
            None
        }
        None => None,
    };
    let username = text(shape.login, &mut problems);
    let email = if shape.email {
        text("email", &mut problems)
    } else {
        None
    };
    let full_name = text("full_name", &mut problems);
    let password = text("password", &mut problems);
    let hashed_password = text("hashed_password", &mut problems);
    let id = parse_id(values.remove("id").flatten(), shape, &mut problems);
    let mut flag = |name: &str| {
        let value = values.remove(name).flatten();
        value.map(|v| parse_flag(name, v, &mut problems))
    };
    let disabled = flag("disabled").unwrap_or(false);
    let (superuser, verified) = (flag("is_superuser"), flag("is_verified"));
    let Some(username) = username else {
        problems.add(shape.login, "is missing");
        return None;
    };
    let username = check_values(
        shape,
        username,
        email.as_deref(),
        full_name.as_deref(),
        &mut problems,
    );
    let secret = secret(password, hashed_password, &mut problems);
    if problems.found {
        return None;
    }
    let spec = UserSpec {
        id,
        username,
        email: shape.email.then_some(email),
        full_name: shape.full_name.then_some(full_name),
        disabled: Some(disabled),
        // A record without them keeps a stored user's rights and gives a new one none.
        superuser: superuser.filter(|_| shape.superuser),
        verified: verified.filter(|_| shape.verified),
    };
    Some(Row {
        location,
        spec,
        secret,
        warnings: Vec::new(),
    })
}

/// The password policy on the password of a record that will set one: a problem when enforced,
/// else warnings on the row.
pub(super) fn judge_policy(row: &mut Row, policy: Policy, errors: &mut Vec<RowError>) {
    let Secret::Password(password) = &row.secret else {
        return;
    };
    let email = row.spec.email.clone().flatten();
    if let Some(weakness) = policy.weakness(password, &row.spec.username, email.as_deref()) {
        if policy.enforce {
            errors.push(RowError {
                cause: RowCause::WeakPassword,
                ..RowError::new(
                    &*row.location,
                    Some("password"),
                    format!("too weak: {weakness}"),
                )
            });
        } else {
            row.warnings.push(Warning::WeakPassword(weakness));
        }
    }
    if !password::policy::is_nfc(password) {
        row.warnings.push(Warning::NotNfc);
    }
}

/// The fields a record may have, by name; the others are problems.
fn known_fields(
    fields: Vec<(String, Option<FieldValue>)>,
    shape: &Shape,
    problems: &mut Problems,
) -> HashMap<String, Option<FieldValue>> {
    let known = shape.import_fields;
    let mut values = HashMap::new();
    for (name, value) in fields {
        if known.contains(&name.as_str()) {
            values.insert(name, value);
        } else {
            problems.add(&name, records::unknown_field(shape));
        }
    }
    values
}

/// An id in the shape's kind: a positive integer, or a UUID (any of its text forms).
fn parse_id(value: Option<FieldValue>, shape: &Shape, problems: &mut Problems) -> Option<UserId> {
    let id = match value? {
        FieldValue::Int(i) => UserId::Int(i),
        FieldValue::Text(s) => UserId::parse(s.trim()),
        FieldValue::Bool(_) => UserId::Other(String::new()),
    };
    if id.fits(shape.id) {
        return Some(id);
    }
    problems.add("id", shape.id.expected());
    None
}

/// A boolean field (`disabled`, `is_superuser`, `is_verified`).
fn parse_flag(name: &str, value: FieldValue, problems: &mut Problems) -> bool {
    match value {
        FieldValue::Int(0) => false,
        FieldValue::Bool(b) => b,
        FieldValue::Int(1) => true,
        FieldValue::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            _ => {
                // Not quoted: in a file with its columns mixed up, it may be a password.
                problems.add(name, "is not true or false (or 1/0, yes/no)");
                false
            }
        },
        FieldValue::Int(_) => {
            problems.add(name, "must be true or false");
            false
        }
    }
}

/// The login as the application's model would store it; every refused value a problem.
fn check_values(
    shape: &Shape,
    username: String,
    email: Option<&str>,
    full_name: Option<&str>,
    problems: &mut Problems,
) -> String {
    let mut login = username;
    if shape.login_is_email {
        // Described, never quoted: in a file with its columns mixed up they may be passwords.
        match users::email_str(&login) {
            Ok(normalized) => login = normalized,
            Err(why) => problems.add(
                shape.login,
                format!(
                    "{why}: the {} model (pydantic's EmailStr) refuses it",
                    shape.name
                ),
            ),
        }
    } else if let Err(e) = users::check_login(shape.login, &login) {
        problems.add(shape.login, e.to_string());
    }
    if let Some(why) = email.and_then(users::email_problem) {
        problems.add("email", why);
    }
    if let Some(why) = full_name.and_then(users::full_name_problem) {
        problems.add("full_name", why);
    }
    for (field, value) in [
        (shape.login, Some(login.as_str())),
        ("email", email),
        ("full_name", full_name),
    ] {
        if let Some(why) = value.and_then(|v| users::length_problem(shape, field, v)) {
            problems.add(field, why);
        }
    }
    login
}

fn secret(password: Option<String>, hash: Option<String>, problems: &mut Problems) -> Secret {
    match (password, hash) {
        (Some(_), Some(_)) => {
            problems.add("password", "give password or hashed_password, not both");
            Secret::Missing
        }
        (Some(password), None) => {
            if let Err(e) = password::check_policy(&password) {
                problems.add("password", e.to_string());
            }
            if password.contains(['\n', '\r']) {
                problems.add(
                    "password",
                    "contains a line break, which no login form sends (an unclosed quote?)",
                );
            }
            Secret::Password(password.into())
        }
        (None, Some(hash)) => {
            // Whether the service can identify it is checked once its scheme is known.
            if let Err(bad) = password::inspect(&hash) {
                problems.add("hashed_password", format!("the hash {}", bad.0));
            }
            Secret::Hash(hash)
        }
        (None, None) => Secret::Missing,
    }
}

/// A new username that looks like an earlier new one of the input is refused at its place, unless
/// `allow` (then it is a warning). `new` holds only the records that create a user.
pub(super) fn check_look_alikes(
    mut new: Vec<&mut Row>,
    login: &'static str,
    allow: bool,
    errors: &mut Vec<RowError>,
) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for i in 0..new.len() {
        let keys = users::look_alike_keys(&new[i].spec.username);
        let name = &new[i].spec.username;
        let mut earlier = keys.iter().filter_map(|key| seen.get(key).copied());
        let first = earlier.find_map(|f| Some(f).zip(LookAlike::of(name, &new[f].spec.username)));
        for key in keys {
            seen.entry(key).or_insert(i);
        }
        let Some((first, found)) = first else {
            continue;
        };
        if allow {
            new[i].warnings.push(Warning::LookAlike(found.named(login)));
            continue;
        }
        let (place, why) = (&new[first].location, found.why());
        let message = format!(
            "'{}' looks like '{}' at {place}: {why}",
            found.username, found.existing
        );
        errors.push(RowError {
            cause: RowCause::LookAlike,
            ..RowError::new(&*new[i].location, Some(login), message)
        });
    }
}

/// A login or email twice in the input (as the service matches logins) is refused at its
/// second place.
pub(super) fn check_duplicates(rows: &[Row], shape: &Shape, errors: &mut Vec<RowError>) {
    let mut usernames: HashMap<std::borrow::Cow<'_, str>, &str> = HashMap::new();
    let mut emails: HashMap<&str, &str> = HashMap::new();
    for row in rows {
        let key = shape.duplicate_key(&row.spec.username);
        if let Some(first) = usernames.insert(key, &row.location) {
            errors.push(RowError::new(
                &*row.location,
                Some(shape.login),
                format!("'{}' is also at {first}", row.spec.username),
            ));
        }
        if let Some(Some(email)) = &row.spec.email
            && let Some(first) = emails.insert(email, &row.location)
        {
            errors.push(RowError::new(
                &*row.location,
                Some("email"),
                format!("'{email}' is also at {first}"),
            ));
        }
    }
}

/// Refuses what the service could not verify: hashes its library cannot identify, passwords its
/// hasher cannot take.
pub(super) fn check_against_scheme(rows: &[Row], resolved: &Resolved, errors: &mut Vec<RowError>) {
    let scheme = resolved.scheme;
    let detected = resolved
        .detection
        .as_ref()
        .map_or_else(String::new, |d| format!(" (detected: {})", d.reason));
    for row in rows {
        let (field, problem) = match &row.secret {
            Secret::Password(password) => (
                "password",
                scheme
                    .check_new_password(password)
                    .err()
                    .map(|e| e.to_string()),
            ),
            Secret::Hash(hash) => (
                "hashed_password",
                scheme
                    .judge(hash)
                    .err()
                    .map(|problem| format!("the hash {}{detected}", problem.reason())),
            ),
            Secret::Missing => continue,
        };
        if let Some(message) = problem {
            errors.push(RowError::new(&*row.location, Some(field), message));
        }
    }
}
