//! `check`: what would go wrong for the service or its operator, found by reading the database
//! and changing nothing. Problems are what the service will fail on (a damaged file, a hash it
//! cannot verify); warnings are what works but should not stay (look-alike names, test-profile
//! hashes among real ones, hashes the service will rehash, odd `disabled` values).

use std::collections::HashMap;

use crate::db::{Health, Store};
use crate::error::Result;
use crate::password::{HashInfo, ProfileMatch, Resolved, Scheme, SchemeChoice};
use crate::users::{self, LookAlike};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The service fails on it, or the data is damaged.
    Problem,
    /// It works, but should be looked at.
    Warning,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Problem => "problem",
            Severity::Warning => "warning",
        }
    }
}

/// One thing `check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// A stable name for scripts: `integrity`, `unverifiable_hash`, `look_alike`…
    pub code: &'static str,
    /// The user it is about, when it is about one.
    pub username: Option<String>,
    pub message: String,
}

/// Everything `check` found, problems first.
#[derive(Debug, Clone)]
pub struct Report {
    pub users: u64,
    pub scheme: Resolved,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Adds a finding of the caller's own (the command line's file permissions).
    pub fn add(&mut self, finding: Finding) {
        self.findings.push(finding);
        self.findings.sort_by_key(|f| f.severity);
    }
}

fn finding(severity: Severity, code: &'static str, user: Option<&str>, message: String) -> Finding {
    Finding {
        severity,
        code,
        username: user.map(str::to_owned),
        message,
    }
}

/// Reads the whole table once, streaming, and reports what it finds.
pub fn check(store: &mut dyn Store, scheme: SchemeChoice) -> Result<Report> {
    let mut findings = Vec::new();
    health_findings(store.health()?, &mut findings);
    let resolved = users::resolve_scheme(scheme, store)?;
    let mut table = TableFindings::new(resolved.scheme);
    store.for_each_stored_user(crate::db::StatusFilter::All, &mut |stored| {
        table.user(
            &stored.user.username,
            &stored.hashed_password,
            &mut findings,
        );
        let user = &stored.user;
        if let Some(odd) = &user.odd_disabled {
            let message = format!(
                "{} holds {odd}, which the service reads as {}",
                user.shape.status_column(),
                if user.disabled { "disabled" } else { "active" }
            );
            findings.push(finding(
                Severity::Warning,
                "odd_disabled",
                Some(&user.username),
                message,
            ));
        }
        names(user, &mut findings);
        model(user, &mut findings);
        Ok(())
    })?;
    table.finish(&mut findings);
    findings.sort_by_key(|f| f.severity);
    Ok(Report {
        users: table.users,
        scheme: resolved,
        findings,
    })
}

fn health_findings(health: Health, findings: &mut Vec<Finding>) {
    for line in health.integrity_errors {
        let message = format!("the database is damaged: {line}");
        findings.push(finding(Severity::Problem, "integrity", None, message));
    }
    for column in health.missing_unique_indexes {
        let message = format!(
            "the {} has no unique index on {column}; the service's model declares \
             one, so duplicates are possible",
            health.shape.title()
        );
        findings.push(finding(
            Severity::Warning,
            "missing_unique_index",
            None,
            message,
        ));
    }
    for username in health.misformed_ids {
        let message = "the id is not in the form the application stores (lowercase, and dashed \
                       or 32 hex digits as its model writes), so it never finds this user by id: \
                       every request with the user's token fails"
            .to_owned();
        findings.push(finding(
            Severity::Problem,
            "misformed_id",
            Some(&username),
            message,
        ));
    }
    for login in health.login_duplicates {
        let message = "several users have this email as the service matches it (ignoring \
                       case); its login fails with a server error for them"
            .to_owned();
        findings.push(finding(
            Severity::Problem,
            "duplicate_login",
            Some(&login),
            message,
        ));
    }
    let shape = health.shape;
    for username in health.null_disabled {
        // NULL is false to SQLAlchemy: active where the column is `disabled`, not where it is
        // `is_active`.
        let reads_as = if shape.status_value(false) {
            "disabled"
        } else {
            "active"
        };
        let message = format!(
            "{} is NULL, which the service reads as {reads_as}",
            shape.status_column()
        );
        findings.push(finding(
            Severity::Warning,
            "odd_disabled",
            Some(&username),
            message,
        ));
    }
}

/// Stored values the application's model refuses (its listing of users fails on the row) or
/// would store differently (its own signup with the address makes a second account).
fn model(user: &crate::db::User, findings: &mut Vec<Finding>) {
    let shape = user.shape;
    let login = &user.username;
    if shape.login_is_email {
        match users::email_str(login) {
            Err(why) => findings.push(finding(
                Severity::Problem,
                "model",
                Some(login),
                format!(
                    "{} {login:?} {why}: the {} model (pydantic's EmailStr) refuses it, so the \
                     application fails on this row (its user listing answers 500)",
                    shape.login, shape.name
                ),
            )),
            Ok(normalized) if normalized != *login => findings.push(finding(
                Severity::Warning,
                "model",
                Some(login),
                format!(
                    "{} {login:?} is not stored as the application stores it ({normalized:?}): \
                     its own signup with this address would make a second account",
                    shape.login
                ),
            )),
            Ok(_) => {}
        }
    }
    let values = [
        (shape.login, Some(login.as_str())),
        ("email", user.email.as_deref()),
        ("full_name", user.full_name.as_deref()),
    ];
    for (field, value) in values {
        if let Some(why) = value.and_then(|v| users::length_problem(shape, field, v)) {
            findings.push(finding(Severity::Problem, "model", Some(login), why));
        }
    }
}

/// Names the service stores but a person could misread.
fn names(user: &crate::db::User, findings: &mut Vec<Finding>) {
    let checks = [
        users::check_login(user.shape.login, &user.username),
        user.email.as_deref().map_or(Ok(()), users::check_email),
        user.full_name
            .as_deref()
            .map_or(Ok(()), users::check_full_name),
    ];
    for problem in checks.into_iter().filter_map(std::result::Result::err) {
        let message = problem.to_string();
        findings.push(finding(
            Severity::Warning,
            "name",
            Some(&user.username),
            message,
        ));
    }
}

/// What can only be judged across the table: hash profiles and look-alike names.
struct TableFindings {
    scheme: Scheme,
    users: u64,
    /// Look-alike key to the first username with it.
    keys: HashMap<String, String>,
    test_profile: Vec<String>,
}

impl TableFindings {
    fn new(scheme: Scheme) -> Self {
        TableFindings {
            scheme,
            users: 0,
            keys: HashMap::new(),
            test_profile: Vec::new(),
        }
    }

    fn user(&mut self, username: &str, hash: &str, findings: &mut Vec<Finding>) {
        self.users += 1;
        match self.scheme.judge(hash) {
            Ok(info) => self.hash(username, &info, findings),
            Err(problem) => {
                let message = format!("the stored password hash {}", problem.reason());
                let code = if hash.is_empty() {
                    "no_hash"
                } else {
                    "unverifiable_hash"
                };
                findings.push(finding(Severity::Problem, code, Some(username), message));
            }
        }
        let keys = users::look_alike_keys(username);
        let mut earlier = keys.iter().filter_map(|key| self.keys.get(key));
        if let Some(found) = earlier.find_map(|first| LookAlike::of(username, first)) {
            // Escaped: a bidi override in the other name must not reorder the line either.
            let existing = found.existing.escape_debug();
            let message = format!("looks like user '{existing}': {}", found.why());
            findings.push(finding(
                Severity::Warning,
                "look_alike",
                Some(username),
                message,
            ));
        }
        for key in keys {
            self.keys.entry(key).or_insert_with(|| username.to_owned());
        }
    }

    fn hash(&mut self, username: &str, info: &HashInfo, findings: &mut Vec<Finding>) {
        match self.scheme.profile_of(info) {
            // Reported as what it is, not as a rehash.
            ProfileMatch::Test => return self.test_profile.push(username.to_owned()),
            ProfileMatch::Service | ProfileMatch::Other => {}
        }
        if self.scheme.needs_rehash(info) {
            let message = format!(
                "the service will rehash this {info} at the next login (not its current parameters)"
            );
            findings.push(finding(
                Severity::Warning,
                "rehash",
                Some(username),
                message,
            ));
        }
    }

    /// Test-profile hashes: each one among real ones; once for a table of nothing else.
    fn finish(&mut self, findings: &mut Vec<Finding>) {
        let tests = std::mem::take(&mut self.test_profile);
        let all = u64::try_from(tests.len()).is_ok_and(|n| n == self.users);
        if !tests.is_empty() && all {
            let message = format!(
                "all {} stored hashes are test-profile (cheap to brute-force): fine for a test \
                 fixture, never for real accounts",
                tests.len()
            );
            findings.push(finding(
                Severity::Warning,
                "test_profile_hash",
                None,
                message,
            ));
            return;
        }
        for username in tests {
            let message =
                "test-profile hash (cheap to brute-force) in a table of real ones".to_owned();
            findings.push(finding(
                Severity::Warning,
                "test_profile_hash",
                Some(&username),
                message,
            ));
        }
    }
}
