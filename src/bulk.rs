//! Bulk import: the records `import` reads (the fields `export` writes), their validation, and
//! the import itself: every record checked first, passwords hashed on every core outside the
//! write lock, then one short transaction for all of them.

use std::collections::HashMap;
use std::io::Read;

use crate::db::Store;
use crate::error::{Error, Kind, Result, RowCause, RowError};
use crate::password::{self, HashCensus, Hasher, Resolved, SchemeChoice};
use crate::users::{self, Action, Hashing, OnExisting, PasswordChange, UserSpec};

/// The file formats of `import` and `export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    /// The format a file name implies: `.csv`, `.json`, `.jsonl`/`.ndjson`.
    pub fn from_extension(path: &std::path::Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

/// The fields a record may have. `password` and `hashed_password` exclude each other.
pub const FIELDS: [&str; 7] = [
    "id",
    "username",
    "email",
    "full_name",
    "disabled",
    "password",
    "hashed_password",
];

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

/// The password part of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Secret {
    Password(String),
    Hash(String),
    Missing,
}

/// A checked record.
#[derive(Debug, Clone)]
struct Row {
    location: String,
    spec: UserSpec,
    secret: Secret,
}

/// A record as read, before checking: field name to text (JSON values turned to text).
struct RawRecord {
    location: String,
    fields: Vec<(String, Option<FieldValue>)>,
}

enum FieldValue {
    Text(String),
    Bool(bool),
    Int(i64),
}

/// Reads every record of the input. Syntax errors are row errors too, so all are reported.
fn read_records(input: impl Read, format: Format) -> Result<(Vec<RawRecord>, Vec<RowError>)> {
    let mut records = Vec::new();
    let mut errors = Vec::new();
    match format {
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
            let headers: Vec<String> = reader
                .headers()
                .map_err(|e| Error::invalid(format!("the CSV header cannot be read: {e}")))?
                .iter()
                .map(|h| h.trim().to_owned())
                .collect();
            // An unknown column is reported once, at the header, not on every line.
            for header in &headers {
                if !FIELDS.contains(&header.as_str()) {
                    errors.push(row_error(
                        "line 1".to_owned(),
                        Some(header),
                        format!("unknown field (known: {})", FIELDS.join(", ")),
                    ));
                }
            }
            for result in reader.records() {
                match result {
                    Ok(record) => {
                        let line = record.position().map_or(0, csv::Position::line);
                        let fields = headers
                            .iter()
                            .zip(record.iter())
                            .filter(|(h, _)| FIELDS.contains(&h.as_str()))
                            .map(|(h, v)| {
                                let value = (!v.is_empty()).then(|| FieldValue::Text(v.to_owned()));
                                (h.clone(), value)
                            })
                            .collect();
                        records.push(RawRecord {
                            location: format!("line {line}"),
                            fields,
                        });
                    }
                    Err(e) => {
                        let line = e.position().map_or(0, csv::Position::line);
                        errors.push(row_error(format!("line {line}"), None, format!("{e}")));
                        if e.is_io_error() {
                            break;
                        }
                    }
                }
            }
        }
        Format::Json => {
            let value: serde_json::Value = serde_json::from_reader(input)
                .map_err(|e| Error::invalid(format!("the JSON input is not valid: {e}")))?;
            let serde_json::Value::Array(items) = value else {
                return Err(Error::invalid(
                    "the JSON input must be one array of objects (use --input-format jsonl for one object per line)",
                ));
            };
            for (index, item) in items.into_iter().enumerate() {
                let location = format!("record {}", index + 1);
                match json_fields(item) {
                    Ok(fields) => records.push(RawRecord { location, fields }),
                    Err(message) => errors.push(row_error(location, None, message)),
                }
            }
        }
        Format::Jsonl => {
            let mut text = String::new();
            std::io::BufReader::new(input)
                .read_to_string(&mut text)
                .map_err(|e| Error::Environment(format!("cannot read the input: {e}")))?;
            for (index, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let location = format!("line {}", index + 1);
                match serde_json::from_str(line)
                    .map_err(|e| format!("not valid JSON: {e}"))
                    .and_then(json_fields)
                {
                    Ok(fields) => records.push(RawRecord { location, fields }),
                    Err(message) => errors.push(row_error(location, None, message)),
                }
            }
        }
    }
    Ok((records, errors))
}

fn json_fields(value: serde_json::Value) -> Result<Vec<(String, Option<FieldValue>)>, String> {
    let serde_json::Value::Object(map) = value else {
        return Err("not a JSON object".to_owned());
    };
    map.into_iter()
        .map(|(key, value)| {
            let value = match value {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(FieldValue::Text(s)),
                serde_json::Value::Bool(b) => Some(FieldValue::Bool(b)),
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) => Some(FieldValue::Int(i)),
                    None => return Err(format!("field {key}: {n} is not an integer")),
                },
                other => {
                    return Err(format!(
                        "field {key}: {other} is not a string, number or boolean"
                    ));
                }
            };
            Ok((key, value))
        })
        .collect()
}

fn row_error(location: String, field: Option<&str>, message: impl Into<String>) -> RowError {
    RowError {
        location,
        field: field.map(str::to_owned),
        message: message.into(),
        cause: RowCause::Value,
    }
}

/// Checks one record; every problem of it is pushed to `errors`.
fn check_record(raw: RawRecord, errors: &mut Vec<RowError>) -> Option<Row> {
    let location = raw.location;
    let before = errors.len();
    let mut fail = |field: Option<&str>, message: String| {
        errors.push(row_error(location.clone(), field, message));
    };
    let mut values: HashMap<String, Option<FieldValue>> = HashMap::new();
    for (name, value) in raw.fields {
        if FIELDS.contains(&name.as_str()) {
            values.insert(name, value);
        } else {
            fail(
                Some(&name),
                format!("unknown field (known: {})", FIELDS.join(", ")),
            );
        }
    }
    let mut text = |name: &str| -> Option<String> {
        match values.remove(name).flatten() {
            None => None,
            Some(FieldValue::Text(s)) => Some(s),
            Some(FieldValue::Int(_) | FieldValue::Bool(_)) => {
                fail(Some(name), "must be text".to_owned());
                None
            }
        }
    };
    let username = text("username");
    let email = text("email");
    let full_name = text("full_name");
    let password = text("password");
    let hashed_password = text("hashed_password");
    let id = match values.remove("id").flatten() {
        None => None,
        Some(FieldValue::Int(i)) if i > 0 => Some(i),
        Some(FieldValue::Text(s)) if s.parse::<i64>().is_ok_and(|i| i > 0) => s.parse().ok(),
        Some(_) => {
            fail(Some("id"), "must be a positive integer".to_owned());
            None
        }
    };
    let disabled = match values.remove("disabled").flatten() {
        None | Some(FieldValue::Int(0)) => false,
        Some(FieldValue::Bool(b)) => b,
        Some(FieldValue::Int(1)) => true,
        Some(FieldValue::Text(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            _ => {
                fail(Some("disabled"), format!("{s:?} is not true or false"));
                false
            }
        },
        Some(FieldValue::Int(_)) => {
            fail(Some("disabled"), "must be true or false".to_owned());
            false
        }
    };
    let Some(username) = username else {
        fail(Some("username"), "is missing".to_owned());
        return None;
    };
    let checks: [(&str, Result<()>); 3] = [
        ("username", users::check_username(&username)),
        ("email", email.as_deref().map_or(Ok(()), users::check_email)),
        (
            "full_name",
            full_name.as_deref().map_or(Ok(()), users::check_full_name),
        ),
    ];
    for (field, check) in checks {
        if let Err(e) = check {
            fail(Some(field), e.to_string());
        }
    }
    let secret = match (password, hashed_password) {
        (Some(_), Some(_)) => {
            fail(
                Some("password"),
                "give password or hashed_password, not both".to_owned(),
            );
            Secret::Missing
        }
        (Some(password), None) => {
            if let Err(e) = password::check_policy(&password) {
                fail(Some("password"), e.to_string());
            }
            Secret::Password(password)
        }
        (None, Some(hash)) => {
            // Whether the service can identify it is checked once its scheme is known.
            if let Err(bad) = password::inspect(&hash) {
                fail(Some("hashed_password"), format!("the hash {}", bad.0));
            }
            Secret::Hash(hash)
        }
        (None, None) => Secret::Missing,
    };
    if errors.len() > before {
        return None;
    }
    Some(Row {
        location,
        spec: UserSpec {
            id,
            username,
            email: Some(email),
            full_name: Some(full_name),
            disabled: Some(disabled),
        },
        secret,
    })
}

/// How to import.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    pub on_conflict: OnExisting,
    pub missing_password: MissingPassword,
    pub hashing: Hashing,
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
}

/// Progress of the password work, reported by the hashing threads.
pub trait Progress: Sync {
    fn start(&self, total: usize);
    fn tick(&self);
    fn finish(&self);
}

/// Reads, checks, hashes and writes; nothing is written unless every record is good.
pub fn import(
    store: &mut dyn Store,
    input: impl Read,
    format: Format,
    options: ImportOptions,
    progress: &dyn Progress,
) -> Result<Summary> {
    let (records, mut errors) = read_records(input, format)?;
    let mut rows = Vec::with_capacity(records.len());
    for record in records {
        if let Some(row) = check_record(record, &mut errors) {
            rows.push(row);
        }
    }
    check_duplicates(&rows, &mut errors);
    let resolved = resolve_scheme(store, &rows, options.hashing.scheme)?;
    check_against_scheme(&rows, &resolved, &mut errors);
    let hasher = Hasher {
        scheme: resolved.scheme,
        profile: options.hashing.profile,
    };

    // Against the database as it is now, before any hashing; re-checked under the lock.
    let mut plans = Vec::with_capacity(rows.len());
    for row in &mut rows {
        if row.secret == Secret::Missing && options.missing_password == MissingPassword::Error {
            errors.push(RowError {
                cause: RowCause::NoPassword,
                ..row_error(
                    row.location.clone(),
                    Some("password"),
                    "neither password nor hashed_password",
                )
            });
        }
        match users::plan(store, &row.spec, options.on_conflict) {
            Ok(plan) => {
                if plan.existing.is_none()
                    && row.secret == Secret::Missing
                    && options.missing_password == MissingPassword::Disabled
                {
                    row.spec.disabled = Some(true);
                }
                plans.push(plan);
            }
            Err(e) if e.kind() == Kind::Conflict => {
                let field = if matches!(e, Error::UsernameTaken(_)) {
                    "username"
                } else {
                    "email"
                };
                errors.push(RowError {
                    cause: RowCause::Conflict,
                    ..row_error(row.location.clone(), Some(field), e.to_string())
                });
            }
            Err(e) => return Err(e),
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| location_order(&e.location));
        return Err(Error::Rows(errors));
    }

    // The costly part, on every core, with no lock held.
    let work: Vec<usize> = (0..rows.len())
        .filter(|&i| plans[i].needs_password)
        .collect();
    progress.start(work.len());
    let computed: Vec<(usize, Result<PasswordChange>)> = {
        use rayon::prelude::*;
        work.par_iter()
            .map(|&i| {
                let change = password_change(&rows[i], &plans[i], &hasher);
                progress.tick();
                (i, change)
            })
            .collect()
    };
    progress.finish();
    let mut changes = vec![PasswordChange::None; rows.len()];
    for (i, change) in computed {
        changes[i] = change?;
    }

    let on_conflict = options.on_conflict;
    let mut tx = store.write()?;
    let mut summary = Summary {
        created: 0,
        updated: 0,
        unchanged: 0,
        skipped: 0,
        scheme: resolved,
    };
    for (row, change) in rows.iter().zip(&changes) {
        let outcome = users::apply(&mut *tx, &row.spec, change, on_conflict).map_err(|e| {
            Error::Rows(vec![RowError {
                cause: if e.kind() == Kind::Conflict {
                    RowCause::Conflict
                } else {
                    RowCause::Value
                },
                ..row_error(row.location.clone(), None, e.to_string())
            }])
        })?;
        match outcome.action {
            Action::Created => summary.created += 1,
            Action::Updated => summary.updated += 1,
            Action::Skipped => summary.skipped += 1,
            _ => summary.unchanged += 1,
        }
    }
    users::finish(tx, options.dry_run)?;
    Ok(summary)
}

/// The password change of one record: hash a password (or keep the stored hash when it
/// already verifies), store a given hash, or give a random password to a new user.
fn password_change(row: &Row, plan: &users::Plan, hasher: &Hasher) -> Result<PasswordChange> {
    match &row.secret {
        Secret::Password(password) => users::password_change(plan, password, hasher),
        Secret::Hash(stored) => Ok(PasswordChange::Set(stored.clone())),
        Secret::Missing if plan.existing.is_none() => hasher
            .hash(&password::random_password()?)
            .map(PasswordChange::Set),
        Secret::Missing => Ok(PasswordChange::None),
    }
}

/// The service's hash scheme: given, else read from the table's hashes, else (an empty table,
/// as when moving users to a new database) from the hashes being imported.
fn resolve_scheme(store: &mut dyn Store, rows: &[Row], choice: SchemeChoice) -> Result<Resolved> {
    choice.resolve(|| {
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
    })
}

/// Refuses what the service could not verify: hashes its library cannot identify, passwords its
/// hasher cannot take.
fn check_against_scheme(rows: &[Row], resolved: &Resolved, errors: &mut Vec<RowError>) {
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
            errors.push(row_error(row.location.clone(), Some(field), message));
        }
    }
}

/// A username or email twice in the input is refused at its second place.
fn check_duplicates(rows: &[Row], errors: &mut Vec<RowError>) {
    let mut usernames: HashMap<&str, &str> = HashMap::new();
    let mut emails: HashMap<&str, &str> = HashMap::new();
    for row in rows {
        if let Some(first) = usernames.insert(&row.spec.username, &row.location) {
            errors.push(row_error(
                row.location.clone(),
                Some("username"),
                format!("'{}' is also at {first}", row.spec.username),
            ));
        }
        if let Some(Some(email)) = &row.spec.email
            && let Some(first) = emails.insert(email, &row.location)
        {
            errors.push(row_error(
                row.location.clone(),
                Some("email"),
                format!("'{email}' is also at {first}"),
            ));
        }
    }
}

/// Sorts "line 10" after "line 9".
fn location_order(location: &str) -> (String, u64) {
    let (word, number) = location.rsplit_once(' ').unwrap_or((location, "0"));
    (word.to_owned(), number.parse().unwrap_or(0))
}
