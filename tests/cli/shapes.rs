//! The three table shapes: the tutorial's `users`, the full-stack template's and fastapi-users'
//! `user`. The shape-independent bodies run on every shape (and, like every subject, on both
//! engines); what only one shape has is tested on it.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

use super::TestEnv;
use crate::support::{self, KEY};

/// What a test needs to know of a shape: its name, its login and its record's fields.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub name: &'static str,
    pub table: &'static str,
    /// The login is an email (the template, fastapi-users).
    pub email_login: bool,
    /// The fields of its records, in order.
    pub fields: &'static [&'static str],
    /// Its rights: `superuser`, `verified`.
    pub rights: &'static [&'static str],
    /// `sub` is the id; `aud` when required; the default lifetime in seconds.
    pub sub_is_id: bool,
    pub aud: Option<&'static str>,
    pub lifetime: i64,
    /// What `verify-login` says of an inactive user's right password.
    pub inactive: &'static str,
}

pub const TUTORIAL: Shape = Shape {
    name: "tutorial",
    table: "users",
    email_login: false,
    fields: &["id", "username", "email", "full_name", "disabled"],
    rights: &[],
    sub_is_id: false,
    aud: None,
    lifetime: 30 * 60,
    inactive: "inactive user",
};

pub const TEMPLATE: Shape = Shape {
    name: "fastapi-template",
    table: "user",
    email_login: true,
    fields: &["id", "email", "full_name", "disabled", "is_superuser"],
    rights: &["superuser"],
    sub_is_id: true,
    aud: None,
    lifetime: 8 * 24 * 60 * 60,
    inactive: "inactive user",
};

pub const FASTAPI_USERS: Shape = Shape {
    name: "fastapi-users",
    table: "user",
    email_login: true,
    fields: &["id", "email", "disabled", "is_superuser", "is_verified"],
    rights: &["superuser", "verified"],
    sub_is_id: true,
    aud: Some("fastapi-users:auth"),
    lifetime: 60 * 60,
    inactive: "inactive user (the service answers LOGIN_BAD_CREDENTIALS)",
};

impl Shape {
    /// The login of a person called `name` on this shape.
    pub fn login(self, name: &str) -> String {
        if self.email_login {
            format!("{name}@example.com")
        } else {
            name.to_owned()
        }
    }

    /// A new database with this shape's table, made by `init-db --table-shape`, which says so.
    pub fn env(self) -> TestEnv {
        let env = TestEnv::empty();
        env.run(
            &["init-db", "--table-shape", self.name, "--no-migrations"],
            "",
        )
        .code(0)
        .stderr(self.created(&env, "created"));
        env
    }

    /// What `init-db` says when it creates (`verb`: "created", "would create") the table.
    fn created(self, env: &TestEnv, verb: &str) -> String {
        let named = if self.table == "users" {
            "users".to_owned()
        } else {
            format!("\"{}\" ({})", self.table, self.name)
        };
        match env.engine() {
            support::Engine::Sqlite => {
                format!("{verb} database {} with table {named}\n", env.location())
            }
            support::Engine::Postgres => {
                format!("{verb} table {named} in database {}\n", env.location())
            }
        }
    }

    /// The quoted table, for raw SQL.
    fn table(self) -> String {
        format!("\"{}\"", self.table)
    }
}

/// A test per shape for each body: `mod body { fn tutorial; fn fastapi_template; fn fastapi_users }`.
macro_rules! on_every_shape {
    ($($body:ident),* $(,)?) => {$(
        mod $body {
            #[test]
            fn tutorial() {
                super::$body(super::TUTORIAL);
            }
            #[test]
            fn fastapi_template() {
                super::$body(super::TEMPLATE);
            }
            #[test]
            fn fastapi_users() {
                super::$body(super::FASTAPI_USERS);
            }
        }
    )*};
}

on_every_shape!(
    a_user_is_added_listed_disabled_and_deleted,
    tokens_carry_the_shape_claims,
    an_export_imports_back_as_it_was,
    rights_are_granted_and_revoked,
    the_shape_is_detected_without_being_named,
    an_import_with_one_bad_record_writes_nothing,
    a_writer_waits_for_the_lock_then_gives_up,
    no_hash_or_password_is_printed,
);

fn listed(env: &TestEnv) -> Vec<Value> {
    let assert = env.run(&["list-users", "--format", "json"], "").code(0);
    serde_json::from_str(&support::stdout(&assert)).unwrap()
}

/// The listed record of one login (on PostgreSQL, UUID ids do not keep the order of creation).
fn listed_user(env: &TestEnv, shape: Shape, login: &str) -> Value {
    listed(env)
        .into_iter()
        .find(|user| user[shape.fields[1]] == json!(login))
        .unwrap_or_else(|| panic!("{login} is not listed"))
}

/// The id authctl lists for a login, as text (a UUID on the other shapes).
pub fn id_of(env: &TestEnv, shape: Shape, login: &str) -> String {
    let id = &listed_user(env, shape, login)["id"];
    id.as_str().map_or_else(|| id.to_string(), str::to_owned)
}

fn a_user_is_added_listed_disabled_and_deleted(shape: Shape) {
    let env = shape.env();
    let ann = shape.login("ann");
    let assert = env
        .run(
            &["add-user", &ann, "--password-stdin"],
            "ann's long password\n",
        )
        .code(0);
    let users = listed(&env);
    let [user] = users.as_slice() else {
        panic!("{users:?}")
    };
    let keys: Vec<&str> = user
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, shape.fields);
    assert_eq!(user[shape.fields[1]], json!(ann));
    assert_eq!(user["disabled"], json!(false));
    let id = user["id"].clone();
    if shape.sub_is_id {
        let text = id.as_str().unwrap();
        assert_eq!(text.len(), 36, "{text}");
        assert_eq!(text.as_bytes()[14], b'4', "a version 4 UUID: {text}");
    } else {
        assert_eq!(id, json!(1));
    }
    let shown = id.as_str().map_or_else(|| id.to_string(), str::to_owned);
    assert_eq!(
        support::stderr(&assert).lines().last().unwrap(),
        format!("created user '{ann}' (id {shown})")
    );
    // The same login again is a conflict, worded in the shape's terms.
    let again = env
        .run(
            &["add-user", &ann, "--password-stdin"],
            "another long password\n",
        )
        .code(4);
    let expected = if shape.email_login {
        format!("error: email '{ann}' is already used by user '{ann}'\n")
    } else {
        format!("error: username '{ann}' already exists\n")
    };
    again.stderr(expected);
    // show-user's text: a line per field the shape has, before the hash's lines.
    let mut lines = vec![
        format!("id:           {shown}"),
        format!("{:<14}{ann}", format!("{}:", shape.fields[1])),
    ];
    for (field, line) in [
        ("email", "email:        -"),
        ("full_name", "full name:    -"),
        ("disabled", "status:       active"),
        ("is_superuser", "superuser:    no"),
        ("is_verified", "verified:     no"),
    ] {
        if shape.fields[2..].contains(&field) {
            lines.push(line.to_owned());
        }
    }
    let shown_user = env.run(&["show-user", &ann], "").code(0);
    let text = support::stdout(&shown_user);
    assert!(
        text.starts_with(&format!("{}\nhash:", lines.join("\n"))),
        "{text}"
    );
    env.run(&["disable-user", &ann], "").code(0);
    assert_eq!(listed(&env)[0]["disabled"], json!(true));
    env.run(
        &["verify-login", &ann, "--password-stdin"],
        "ann's long password\n",
    )
    .code(1)
    .stderr(format!("{}\n", shape.inactive));
    env.cmd()
        .env("SECRET_KEY", KEY)
        .args(["issue-token", &ann])
        .assert()
        .code(1)
        .stderr(format!("error: user '{ann}' is disabled\n"));
    env.run(&["enable-user", &ann], "").code(0);
    env.run(
        &["verify-login", &ann, "--password-stdin"],
        "ann's long password\n",
    )
    .code(0);
    env.run(
        &["verify-login", &ann, "--password-stdin"],
        "a wrong password\n",
    )
    .code(1);
    env.run(&["delete-user", &ann, "--yes"], "")
        .code(0)
        .stderr(format!("deleted user '{ann}'\n"));
    assert!(listed(&env).is_empty());
}

/// Decodes as the service does: its key, HS256, its audience when it has one.
fn claims(token: &str, shape: Shape) -> serde_json::Map<String, Value> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    match shape.aud {
        Some(aud) => validation.set_audience(&[aud]),
        None => validation.validate_aud = false,
    }
    jsonwebtoken::decode(
        token,
        &DecodingKey::from_secret(KEY.as_bytes()),
        &validation,
    )
    .unwrap()
    .claims
}

fn tokens_carry_the_shape_claims(shape: Shape) {
    let env = shape.env();
    let ann = shape.login("ann");
    env.add_user(&ann, "ann's long password");
    let id = listed(&env)[0]["id"].clone();
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = claims(&env.issue_token(&ann, &[]), shape);
    let sub = if shape.sub_is_id {
        id.as_str().unwrap().to_owned()
    } else {
        ann.clone()
    };
    let exp = claims["exp"].as_i64().unwrap();
    let lifetime = exp - i64::try_from(before).unwrap();
    assert!(
        (shape.lifetime..=shape.lifetime + 2).contains(&lifetime),
        "{lifetime}"
    );
    let mut expected = json!({"sub": sub, "exp": exp});
    if let Some(aud) = shape.aud {
        expected["aud"] = json!([aud]);
    }
    assert_eq!(Value::Object(claims), expected);
    // A lifetime given overrides the shape's.
    let claims = self::claims(&env.issue_token(&ann, &["--expires-in", "2h"]), shape);
    let lifetime = claims["exp"].as_i64().unwrap() - i64::try_from(before).unwrap();
    assert!((7200..=7202).contains(&lifetime), "{lifetime}");
}

fn an_export_imports_back_as_it_was(shape: Shape) {
    let env = shape.env();
    let mut csv = format!("{},password", shape.fields[1]);
    let rights: Vec<&str> = shape
        .fields
        .iter()
        .copied()
        .filter(|f| f.starts_with("is_"))
        .collect();
    for right in &rights {
        csv.push(',');
        csv.push_str(right);
    }
    csv.push('\n');
    // Each right differs between the two users and from the other right, so a swap of two
    // rights (or of the users) anywhere on the way shows.
    let has = |user: usize, right: usize| (user + right).is_multiple_of(2);
    for (i, name) in ["ann", "bob"].into_iter().enumerate() {
        csv += &shape.login(name);
        csv += ",";
        csv += name;
        csv += "'s long password";
        for r in 0..rights.len() {
            csv.push_str(if has(i, r) { ",true" } else { ",false" });
        }
        csv.push('\n');
    }
    env.run(&["import", "-", "--input-format", "csv"], &csv)
        .code(0);
    let exported = env
        .run(&["export", "--format", "json", "--include-hashes", "-"], "")
        .code(0);
    let exported = support::stdout(&exported);
    let records: Vec<Value> = serde_json::from_str(&exported).unwrap();
    assert_eq!(records.len(), 2);
    let record = |name: &str| {
        let login = json!(shape.login(name));
        records
            .iter()
            .find(|r| r[shape.fields[1]] == login)
            .unwrap()
    };
    for (r, right) in rights.iter().enumerate() {
        assert_eq!(record("ann")[right], json!(has(0, r)), "{right}");
        assert_eq!(record("bob")[right], json!(has(1, r)), "{right}");
    }
    // Into a new database of the same shape, in each format: the same records, ids and hashes.
    for format in ["json", "csv"] {
        let exported = env
            .run(&["export", "--format", format, "--include-hashes", "-"], "")
            .code(0);
        let exported = support::stdout(&exported);
        if format == "csv" {
            let header = format!("{},hashed_password", shape.fields.join(","));
            assert_eq!(exported.lines().next(), Some(header.as_str()));
        }
        let copy = shape.env();
        copy.run(&["import", "-", "--input-format", format], &exported)
            .code(0);
        let again = copy
            .run(&["export", "--format", format, "--include-hashes", "-"], "")
            .code(0);
        assert_eq!(support::stdout(&again), exported, "{format}");
        // Read back through the JSON listing: a swap in one format's writer and reader would
        // cancel out in the comparison above.
        for (i, name) in ["ann", "bob"].into_iter().enumerate() {
            let user = listed_user(&copy, shape, &shape.login(name));
            for (r, right) in rights.iter().enumerate() {
                assert_eq!(user[right], json!(has(i, r)), "{format} {name} {right}");
            }
        }
        copy.run(
            &["verify-login", &shape.login("bob"), "--password-stdin"],
            "bob's long password\n",
        )
        .code(0);
    }
}

fn rights_are_granted_and_revoked(shape: Shape) {
    let env = shape.env();
    let ann = shape.login("ann");
    env.add_user(&ann, "ann's long password");
    for right in ["superuser", "verified"] {
        let column = format!("is_{right}");
        if !shape.rights.contains(&right) {
            let table = if shape.table == "users" {
                "users table".to_owned()
            } else {
                format!("{} table \"{}\"", shape.name, shape.table)
            };
            env.run(&["grant", right, &ann], "")
                .code(5)
                .stderr(format!("error: the {table} has no {column} column\n"));
            let flag = format!("--{right}");
            env.run(
                &["add-user", "x@example.com", &flag, "--random-password"],
                "",
            )
            .code(5);
            if right == "verified" {
                env.run(
                    &[
                        "verify-login",
                        &ann,
                        "--password-stdin",
                        "--require-verified",
                    ],
                    "ann's long password\n",
                )
                .code(5)
                .stderr(format!(
                    "error: the {table} has no is_verified column to require\n"
                ));
            }
            continue;
        }
        assert_eq!(listed_user(&env, shape, &ann)[&column], json!(false));
        env.run(&["grant", right, &ann], "")
            .code(0)
            .stderr(format!("granted {column} to user '{ann}'\n"));
        assert_eq!(listed_user(&env, shape, &ann)[&column], json!(true));
        let already = if right == "verified" {
            "is already verified"
        } else {
            "is already a superuser"
        };
        env.run(&["grant", right, &ann], "")
            .code(0)
            .stderr(format!("user '{ann}' {already}; nothing changed\n"));
        env.run(&["revoke", right, &ann, "--dry-run"], "")
            .code(0)
            .stderr(format!("would revoke {column} from user '{ann}'\n"));
        assert_eq!(listed_user(&env, shape, &ann)[&column], json!(true));
        let assert = env
            .run(&["revoke", right, &ann, "--format", "json"], "")
            .code(0);
        let mut reply: Value = serde_json::from_str(&support::stdout(&assert)).unwrap();
        let user = reply["user"].take();
        assert_eq!(
            reply,
            json!({"action": "revoked", "changed": true, "dry_run": false,
                   "fields": [column], "username": ann, "user": null})
        );
        assert_eq!(user, listed_user(&env, shape, &ann));
        assert_eq!(listed_user(&env, shape, &ann)[&column], json!(false));
        let flag = format!("--{right}");
        let bob = shape.login(&format!("bob-{right}"));
        env.run(&["add-user", &bob, &flag, "--random-password"], "")
            .code(0);
        assert_eq!(listed_user(&env, shape, &bob)[&column], json!(true));
        env.run(&["grant", right, &ann, "nobody@example.com"], "")
            .code(3);
        assert_eq!(
            listed_user(&env, shape, &ann)[&column],
            json!(false),
            "all or none"
        );
    }
}

fn the_shape_is_detected_without_being_named(shape: Shape) {
    // A dry run names the table it would create, and creates nothing.
    let planned = TestEnv::empty();
    planned
        .run(
            &[
                "init-db",
                "--dry-run",
                "--table-shape",
                shape.name,
                "--no-migrations",
            ],
            "",
        )
        .code(0)
        .stderr(shape.created(&planned, "would create"));
    planned.run(&["list-users"], "").code(7);
    let env = shape.env();
    let assert = env.run(&["init-db", "--format", "json"], "").code(0);
    let report: Value = serde_json::from_str(&support::stdout(&assert)).unwrap();
    assert_eq!(report["table_shape"], json!(shape.name));
    assert_eq!(report["action"], json!("unchanged"));
    env.add_user(&shape.login("ann"), "ann's long password");
    // Another shape named is refused, not guessed at.
    let other = if shape.name == "fastapi-users" {
        "fastapi-template"
    } else {
        "fastapi-users"
    };
    let why = match (shape.name, other) {
        ("tutorial", _) => "has no table \"user\"; create it with `authctl init-db --table-shape \
             fastapi-users` or the application itself"
            .to_owned(),
        (_, "fastapi-users") => "table user has no column 'is_verified'; it is not a \
             fastapi-users user table (expected columns: id, email, hashed_password, is_active, \
             is_superuser, is_verified)"
            .to_owned(),
        _ => "table user has no column 'full_name'; it is not a fastapi-template user table \
             (expected columns: id, email, full_name, is_active, is_superuser, hashed_password)"
            .to_owned(),
    };
    env.run(&["--table-shape", other, "list-users"], "")
        .code(7)
        .stderr(format!("error: database {}: {why}\n", env.location()));
    // The environment's AUTHCTL_TABLE_SHAPE is the option's default.
    env.cmd()
        .env("AUTHCTL_TABLE_SHAPE", other)
        .arg("list-users")
        .assert()
        .code(7);
    // A second user table makes detection ambiguous.
    let second = if shape.table == "users" {
        "CREATE TABLE \"user\" (id CHAR(36) NOT NULL, email VARCHAR(320) NOT NULL, \
         hashed_password VARCHAR(1024) NOT NULL, is_active BOOLEAN NOT NULL, \
         is_superuser BOOLEAN NOT NULL, is_verified BOOLEAN NOT NULL, PRIMARY KEY (id))"
    } else {
        support::SERVICE_DDL
    };
    env.insert_raw(second);
    env.run(&["list-users"], "").code(7).stderr(format!(
        "error: database {}: has both a \"users\" and a \"user\" table; say which to \
         administer with --table-shape (tutorial, fastapi-template, fastapi-users)\n",
        env.location()
    ));
    let assert = env
        .run(
            &[
                "--table-shape",
                shape.name,
                "list-users",
                "--format",
                "json",
            ],
            "",
        )
        .code(0);
    let users: Vec<Value> = serde_json::from_str(&support::stdout(&assert)).unwrap();
    assert_eq!(users.len(), 1);
}

fn an_import_with_one_bad_record_writes_nothing(shape: Shape) {
    let env = shape.env();
    let login = shape.fields[1];
    let bad = if shape.email_login {
        "not-an-email"
    } else {
        " spaced "
    };
    let csv = format!(
        "{login},password\n{},a long password\n{bad},a long password\n{},a long password\n",
        shape.login("ann"),
        shape.login("bob")
    );
    let assert = env
        .run(&["import", "-", "--input-format", "csv"], &csv)
        .code(5);
    let stderr = support::stderr(&assert);
    assert!(
        stderr.contains(&format!("line 3, field {login}: ")),
        "{stderr}"
    );
    assert!(listed(&env).is_empty(), "nothing written");
    // A good import in a dry run is checked whole and writes nothing either.
    let good = format!("{login},password\n{},a long password\n", shape.login("ann"));
    env.run(
        &["import", "-", "--input-format", "csv", "--dry-run"],
        &good,
    )
    .code(0);
    assert!(listed(&env).is_empty(), "nothing written by a dry run");
}

fn a_writer_waits_for_the_lock_then_gives_up(shape: Shape) {
    let env = shape.env();
    let lock = env.hold_write_lock_on(shape.table);
    let started = std::time::Instant::now();
    let assert = env
        .run(
            &[
                "--busy-timeout",
                "300ms",
                "add-user",
                &shape.login("ann"),
                "--random-password",
            ],
            "",
        )
        .code(6);
    let waited = started.elapsed();
    assert!(
        support::stderr(&assert).contains("busy"),
        "{}",
        support::stderr(&assert)
    );
    assert!(
        waited >= std::time::Duration::from_millis(300)
            && waited < std::time::Duration::from_secs(5),
        "{waited:?}"
    );
    drop(lock);
    assert!(listed(&env).is_empty());
    env.run(&["add-user", &shape.login("ann"), "--random-password"], "")
        .code(0);
}

fn no_hash_or_password_is_printed(shape: Shape) {
    let env = shape.env();
    let ann = shape.login("ann");
    let password = "canary-password-7f3a9";
    let added = env
        .run(
            &["add-user", &ann, "--password-stdin"],
            &format!("{password}\n"),
        )
        .code(0);
    let mut outputs = vec![support::stdout(&added), support::stderr(&added)];
    for args in [
        vec!["list-users", "--format", "json"],
        vec!["list-users"],
        vec!["show-user", ann.as_str(), "--format", "json"],
        vec!["export", "--format", "csv", "-"],
        vec!["check", "--format", "json"],
    ] {
        let assert = env.run(&args, "").code(0);
        outputs.push(support::stdout(&assert));
        outputs.push(support::stderr(&assert));
    }
    let refused = env
        .run(
            &["verify-login", &ann, "--password-stdin"],
            &format!("{password}-wrong\n"),
        )
        .code(1);
    outputs.push(support::stdout(&refused));
    outputs.push(support::stderr(&refused));
    for output in outputs {
        assert!(!output.contains(password), "{output}");
        assert!(!output.contains("$argon2"), "{output}");
    }
}

/// fastapi-users looks a login up with `lower(email) = lower(?)`: authctl finds, refuses and
/// imports by the same rule.
#[test]
fn fastapi_users_logins_match_ignoring_case() {
    let shape = FASTAPI_USERS;
    let env = shape.env();
    env.add_user("Ann@Example.com", "ann's long password");
    env.run(
        &["verify-login", "ann@EXAMPLE.com", "--password-stdin"],
        "ann's long password\n",
    )
    .code(0);
    env.run(&["add-user", "ann@example.com", "--random-password"], "")
        .code(4)
        .stderr("error: email 'ann@example.com' is already used by user 'Ann@example.com'\n");
    let csv =
        "email,password\nbob@example.com,bob's long password\nBOB@example.com,pw long enough\n";
    let assert = env
        .run(&["import", "-", "--input-format", "csv"], csv)
        .code(5);
    assert!(
        support::stderr(&assert)
            .contains("line 3, field email: 'BOB@example.com' is also at line 2"),
        "{}",
        support::stderr(&assert)
    );
    let csv = "email,password\nANN@example.com,ann's long password\n";
    env.run(&["import", "-", "--input-format", "csv"], csv)
        .code(4);
    assert_eq!(listed(&env).len(), 1);
}

/// The template's login is the email, matched exactly as its `crud.get_user_by_email` does;
/// a login that is not an email is refused before anything is read.
#[test]
fn template_logins_are_emails_matched_exactly() {
    let shape = TEMPLATE;
    let env = shape.env();
    env.add_user("ann@example.com", "ann's long password");
    env.run(
        &["verify-login", "ANN@example.com", "--password-stdin"],
        "ann's long password\n",
    )
    .code(1)
    .stderr("incorrect email or password\n");
    env.run(&["add-user", "ann", "--random-password"], "")
        .code(5)
        .stderr(
            "error: email \"ann\" has no @-sign: the fastapi-template model (pydantic's EmailStr) \
             refuses it\n",
        );
    env.run(
        &[
            "add-user",
            "bob@example.com",
            "--email",
            "b@example.com",
            "--random-password",
        ],
        "",
    )
    .code(5)
    .stderr(
        "error: the fastapi-template table \"user\" has no email column; its login is the email\n",
    );
}

/// `verify-login --require-verified` answers as a fastapi-users application built with
/// `requires_verification=True`.
#[test]
fn fastapi_users_unverified_users_are_refused_when_verification_is_required() {
    let env = FASTAPI_USERS.env();
    env.add_user("ann@example.com", "ann's long password");
    let login = |extra: &[&str]| {
        let mut args = vec!["verify-login", "ann@example.com", "--password-stdin"];
        args.extend(extra);
        env.run(&args, "ann's long password\n")
    };
    login(&[]).code(0);
    login(&["--require-verified"])
        .code(1)
        .stderr("user not verified (LOGIN_USER_NOT_VERIFIED)\n");
    env.run(&["grant", "verified", "ann@example.com"], "")
        .code(0);
    login(&["--require-verified"]).code(0);
    env.run(&["disable-user", "ann@example.com"], "").code(0);
    login(&[])
        .code(1)
        .stderr("inactive user (the service answers LOGIN_BAD_CREDENTIALS)\n");
}

/// The template's `item.owner_id` references the user ON DELETE CASCADE: deleting the user
/// deletes their items, counted, also in a dry run (SQLite enforces the key only with
/// `PRAGMA foreign_keys`, which SQLAlchemy leaves off: authctl deletes them itself).
#[test]
fn deleting_a_template_user_deletes_their_items() {
    let shape = TEMPLATE;
    let env = shape.env();
    env.add_user("ann@example.com", "ann's long password");
    env.add_user("bob@example.com", "bob's long password");
    let id_type = match env.engine() {
        support::Engine::Sqlite => "CHAR(32)",
        support::Engine::Postgres => "UUID",
    };
    env.insert_raw(&format!(
        "CREATE TABLE item (title VARCHAR(255) NOT NULL, id {id_type} NOT NULL, \
         owner_id {id_type} NOT NULL, PRIMARY KEY (id), \
         FOREIGN KEY(owner_id) REFERENCES {} (id) ON DELETE CASCADE)",
        shape.table()
    ));
    let ann = id_of(&env, shape, "ann@example.com");
    let bob = id_of(&env, shape, "bob@example.com");
    let stored = |id: &str| match env.engine() {
        support::Engine::Sqlite => id.replace('-', ""),
        support::Engine::Postgres => id.to_owned(),
    };
    for (n, owner) in [(1, &ann), (2, &ann), (3, &bob)] {
        let item = stored(&format!("00000000-0000-4000-8000-00000000000{n}"));
        env.insert_raw(&format!(
            "INSERT INTO item VALUES ('item {n}', '{item}', '{}')",
            stored(owner)
        ));
    }
    let dry = env
        .run(
            &[
                "delete-user",
                "ann@example.com",
                "--yes",
                "--dry-run",
                "--format",
                "json",
            ],
            "",
        )
        .code(0);
    let report: Value = serde_json::from_str(&support::stdout(&dry)).unwrap();
    assert_eq!(
        report["dependents"],
        json!([{"table": "item", "column": "owner_id", "rows": 2, "action": "deleted"}])
    );
    assert_eq!(
        env.query_text("SELECT count(*) FROM item").as_deref(),
        Some("3")
    );
    env.run(&["delete-user", "ann@example.com", "--yes"], "")
        .code(0)
        .stderr("deleted user 'ann@example.com' (2 row(s) of item with it)\n");
    assert_eq!(
        env.query_text("SELECT count(*) FROM item").as_deref(),
        Some("1")
    );
    // A key that does not cascade protects its rows: the deletion is a conflict.
    env.insert_raw(&format!(
        "CREATE TABLE note (id INTEGER PRIMARY KEY, author_id {id_type} REFERENCES {} (id))",
        shape.table()
    ));
    env.insert_raw(&format!("INSERT INTO note VALUES (1, '{}')", stored(&bob)));
    env.run(&["delete-user", "bob@example.com", "--yes"], "")
        .code(4)
        .stderr(
            "error: 1 row(s) of table note refer to the user (author_id, ON DELETE NO ACTION); \
             delete or reassign them first\n",
        );
    assert_eq!(listed(&env).len(), 1);
    // A user no row refers to: no dependents, in words or in JSON.
    env.add_user("cat@example.com", "cat's long password");
    let deleted = env
        .run(
            &[
                "delete-user",
                "cat@example.com",
                "--yes",
                "--format",
                "json",
            ],
            "",
        )
        .code(0);
    let report: Value = serde_json::from_str(&support::stdout(&deleted)).unwrap();
    assert!(report.get("dependents").is_none(), "{report}");
    env.add_user("dan@example.com", "dan's long password");
    env.run(&["delete-user", "dan@example.com", "--yes"], "")
        .code(0)
        .stderr("deleted user 'dan@example.com'\n");
}

/// Logins that collide as the service matches them (ignoring case), hand-inserted since authctl
/// refuses them, are a problem `check` names; the login that differs from both is not one.
#[test]
fn check_finds_logins_the_application_cannot_tell_apart() {
    let env = FASTAPI_USERS.env();
    env.add_user("ann@example.com", "ann's long password");
    env.add_user("bob@example.com", "bob's long password");
    env.add_user("carol@example.com", "carol's long password");
    env.insert_raw(
        "INSERT INTO \"user\" (id, email, hashed_password, is_active, is_superuser, is_verified)
         SELECT '5b0e1f7c-3f0e-4b8e-9f3c-7f2d1a0b9c8d', 'ANN@example.com', hashed_password,
           TRUE, FALSE, FALSE FROM \"user\" WHERE email = 'bob@example.com'",
    );
    assert_eq!(
        problems(&env),
        [("duplicate_login".to_owned(), "ann@example.com".to_owned())]
    );
}

/// `check`'s problems (it exits 1 for them), as (code, username) pairs.
fn problems(env: &TestEnv) -> Vec<(String, String)> {
    let assert = env.run(&["check", "--format", "json"], "").code(1);
    let report: Value = serde_json::from_str(&support::stdout(&assert)).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "problem")
        .map(|f| {
            let text = |key: &str| f[key].as_str().unwrap().to_owned();
            (text("code"), text("username"))
        })
        .collect()
}

sqlite_only! {
    /// Rows hand-inserted with the id in another form than the application's (fastapi-users
    /// #375) are what `check` reports, and are still found by their stored id.
    #[test]
    fn check_finds_ids_the_application_cannot_find() {
        let env = FASTAPI_USERS.env();
        env.add_user("ann@example.com", "ann's long password");
        env.insert_raw(
            "INSERT INTO \"user\" VALUES ('0B4A3D5E8C2F4A1B9C7D6E5F4A3B2C1D', 'bob@example.com', 'h', 1, 0, 0)",
        );
        let codes = problems(&env);
        let misformed = ("misformed_id".to_owned(), "bob@example.com".to_owned());
        assert!(codes.contains(&misformed), "{codes:?}");
        // Such a row is still found and written by its stored id, not by a form it lacks.
        env.run(&["disable-user", "bob@example.com"], "").code(0);
        assert_eq!(
            env.query_text("SELECT is_active FROM \"user\" WHERE email = 'bob@example.com'").as_deref(),
            Some("0")
        );
        env.run(&["delete-user", "bob@example.com", "--yes"], "").code(0);
        assert_eq!(
            env.query_text("SELECT count(*) FROM \"user\" WHERE email = 'bob@example.com'").as_deref(),
            Some("0")
        );
        assert!(!codes.iter().any(|(code, user)| code == "misformed_id" && user != "bob@example.com"), "{codes:?}");
    }

    /// On SQLite the template stores its uuid as 32 hex digits, fastapi-users with dashes: the
    /// one form each application finds.
    #[test]
    fn sqlite_ids_are_stored_in_the_application_form() {
        for (shape, length) in [(TEMPLATE, 32), (FASTAPI_USERS, 36)] {
            let env = shape.env();
            env.add_user("ann@example.com", "ann's long password");
            let id = env.query_text("SELECT id FROM \"user\"").unwrap();
            assert_eq!(id.len(), length, "{}: {id}", shape.name);
            assert_eq!(id, id.to_lowercase());
            let listed = listed(&env)[0]["id"].as_str().unwrap().replace('-', "");
            assert_eq!(id.replace('-', ""), listed);
        }
        // The template's created_at, which has no SQL default, as SQLAlchemy writes it.
        let env = TEMPLATE.env();
        env.add_user("ann@example.com", "ann's long password");
        let created = env.query_text("SELECT created_at FROM \"user\"").unwrap();
        assert_eq!(created.len(), "2026-11-27 06:38:01.707249".len(), "{created}");
        assert_eq!(created.as_bytes()[10], b' ', "{created}");
    }
}

/// The status the application reads, stored the right way round: `is_active` is the opposite of
/// `disabled` (read through the table, not through authctl's own reading of it).
#[test]
fn the_stored_status_is_what_the_application_reads() {
    for shape in [TUTORIAL, TEMPLATE, FASTAPI_USERS] {
        let env = shape.env();
        let ann = shape.login("ann");
        env.add_user(&ann, "ann's long password");
        let (column, active, inactive) = if shape.table == "users" {
            ("disabled", "false", "true")
        } else {
            ("is_active", "true", "false")
        };
        let stored = || {
            let value = env
                .query_text(&format!("SELECT {column} FROM {}", shape.table()))
                .unwrap();
            // SQLite stores booleans as 0/1, PostgreSQL shows them as t/f.
            match value.as_str() {
                "1" | "t" => "true",
                "0" | "f" => "false",
                other => panic!("{other}"),
            }
        };
        assert_eq!(stored(), active, "{}", shape.name);
        env.run(&["disable-user", &ann], "").code(0);
        assert_eq!(stored(), inactive, "{}", shape.name);
        env.run(&["enable-user", &ann], "").code(0);
        assert_eq!(stored(), active, "{}", shape.name);
    }
}

/// `--upsert` and `import --on-conflict update` change what is given and keep the rights.
#[test]
fn updates_keep_the_rights_they_do_not_name() {
    for shape in [TEMPLATE, FASTAPI_USERS] {
        let env = shape.env();
        let ann = shape.login("ann");
        env.add_user_with(&ann, &["--superuser"], "ann's long password");
        let disabled = ["add-user", &ann, "--upsert", "--disabled"];
        env.run(&disabled, "")
            .code(0)
            .stderr(format!("updated user '{ann}': disabled\n"));
        let user = listed_user(&env, shape, &ann);
        assert_eq!(
            (user["disabled"].clone(), user["is_superuser"].clone()),
            (json!(true), json!(true)),
            "{}",
            shape.name
        );
        let csv = format!("email,password\n{ann},ann's new long password\n");
        env.run(
            &[
                "import",
                "-",
                "--input-format",
                "csv",
                "--on-conflict",
                "update",
            ],
            &csv,
        )
        .code(0);
        let user = listed_user(&env, shape, &ann);
        assert_eq!(user["is_superuser"], json!(true), "{}", shape.name);
        env.run(&["enable-user", &ann], "").code(0);
        env.run(
            &["verify-login", &ann, "--password-stdin"],
            "ann's new long password\n",
        )
        .code(0);
    }
}

/// authctl finds a login as the database's own `lower()` does (the service's query), whatever
/// it folds: ASCII only on SQLite and under PostgreSQL's C locale, all of Unicode elsewhere.
#[test]
fn fastapi_users_logins_fold_as_the_database_folds_them() {
    let env = FASTAPI_USERS.env();
    env.add_user("\u{c9}ve@example.com", "eve's long password");
    let same = env
        .query_text("SELECT lower('\u{c9}VE@EXAMPLE.COM') = lower('\u{e9}ve@example.com')")
        .unwrap();
    let found = matches!(same.as_str(), "1" | "t");
    let code = i32::from(!found);
    env.run(
        &["verify-login", "\u{e9}VE@EXAMPLE.COM", "--password-stdin"],
        "eve's long password\n",
    )
    .code(code);
    // An import finds (and skips) the user the database's lower() finds; else it is a new user
    // that only differs in case, which the look-alike rule refuses.
    let csv = "email,password\n\u{e9}ve@example.com,another long password\n";
    let code = if found { 0 } else { 4 };
    let assert = env
        .run(
            &[
                "import",
                "-",
                "--input-format",
                "csv",
                "--on-conflict",
                "skip",
            ],
            csv,
        )
        .code(code);
    if !found {
        // Listed under the login's own field: `email`, this table has no username.
        let stderr = support::stderr(&assert);
        assert!(
            stderr.contains(
                "line 2, field email: email '\u{e9}ve@example.com' looks like existing user \
                 '\u{c9}ve@example.com': they differ only in case"
            ),
            "{stderr}"
        );
    }
    assert_eq!(listed(&env).len(), 1);
}

/// A key with ON DELETE SET NULL has its column cleared, counted, and the row kept.
#[test]
fn deleting_a_user_clears_set_null_references() {
    let shape = FASTAPI_USERS;
    let env = shape.env();
    env.add_user("ann@example.com", "ann's long password");
    let id = id_of(&env, shape, "ann@example.com");
    let id_type = match env.engine() {
        support::Engine::Sqlite => "CHAR(36)",
        support::Engine::Postgres => "UUID",
    };
    env.insert_raw(&format!(
        "CREATE TABLE audit (id INTEGER PRIMARY KEY, actor_id {id_type} \
         REFERENCES {} (id) ON DELETE SET NULL);
         INSERT INTO audit VALUES (1, '{id}'), (2, '{id}'), (3, NULL);",
        shape.table()
    ));
    env.run(
        &[
            "delete-user",
            "ann@example.com",
            "--yes",
            "--format",
            "json",
        ],
        "",
    )
    .code(0)
    .stdout(predicates::str::contains(
        r#""dependents":[{"table":"audit","column":"actor_id","rows":2,"action":"cleared"}]"#,
    ));
    assert_eq!(
        env.query_text("SELECT count(*) FROM audit WHERE actor_id IS NULL")
            .as_deref(),
        Some("3")
    );
}

/// A `user` table without the unique email index the application's model declares: `init-db`
/// leaves it, says so, and `check` warns.
#[test]
fn a_user_table_without_its_unique_index_is_reported() {
    let env = TestEnv::empty();
    env.insert_raw(
        "CREATE TABLE \"user\" (id CHAR(36) NOT NULL, email VARCHAR(320) NOT NULL, \
         hashed_password VARCHAR(1024) NOT NULL, is_active BOOLEAN NOT NULL, \
         is_superuser BOOLEAN NOT NULL, is_verified BOOLEAN NOT NULL, PRIMARY KEY (id))",
    );
    let assert = env.run(&["init-db", "--format", "json"], "").code(0);
    let report: Value = serde_json::from_str(&support::stdout(&assert)).unwrap();
    assert_eq!(report["table_shape"], "fastapi-users");
    assert_eq!(report["table"], "service");
    assert_eq!(report["missing_unique_indexes"], json!(["email"]));
    let assert = env.run(&["check", "--format", "json"], "").code(0);
    let report: Value = serde_json::from_str(&support::stdout(&assert)).unwrap();
    assert_eq!(report["findings"][0]["code"], "missing_unique_index");
    assert_eq!(
        report["findings"][0]["message"],
        "the fastapi-users table \"user\" has no unique index on email; the service's model \
         declares one, so duplicates are possible"
    );
}

/// fastapi-users' integer-id variant (`SQLAlchemyBaseUserTable[int]`) has every column of the
/// UUID table: refused rather than given UUIDs in an integer column.
#[test]
fn a_user_table_with_integer_ids_is_refused() {
    let env = TestEnv::empty();
    env.insert_raw(
        "CREATE TABLE \"user\" (id INTEGER NOT NULL, email VARCHAR(320) NOT NULL, \
         hashed_password VARCHAR(1024) NOT NULL, is_active BOOLEAN NOT NULL, \
         is_superuser BOOLEAN NOT NULL, is_verified BOOLEAN NOT NULL, PRIMARY KEY (id))",
    );
    env.run(&["add-user", "ann@example.com", "--random-password"], "")
        .code(7)
        .stderr(format!(
            "error: database {}: table user has integer ids; authctl knows the fastapi-users \
             table with UUID ids only (fastapi-users' SQLAlchemyBaseUserTableUUID, the template \
             since 0.7.0)\n",
            env.location()
        ));
    assert_eq!(
        env.query_text("SELECT count(*) FROM \"user\"").as_deref(),
        Some("0")
    );
}

/// What the template's model (pydantic's `EmailStr`, `max_length=255`) refuses is refused with
/// exit 5, naming the field and the rule, before a password is read: in add-user and in an
/// import, with its line. The tutorial's model has no such rule.
#[test]
fn values_the_applications_models_refuse_are_refused_before_a_password_is_read() {
    let env = TEMPLATE.env();
    let missing = env.path("no-such-password-file");
    let missing = missing.to_str().unwrap();
    env.run(
        &["add-user", "ops@svc.local", "--password-file", missing],
        "",
    )
    .code(5)
    .stdout("")
    .stderr(
        "error: email \"ops@svc.local\" is at a special-use or reserved domain, which cannot \
             receive email: the fastapi-template model (pydantic's EmailStr) refuses it\n",
    );
    let long_name = "N".repeat(256);
    env.run(
        &[
            "add-user",
            "ann@example.com",
            "--full-name",
            &long_name,
            "--password-file",
            missing,
        ],
        "",
    )
    .code(5)
    .stderr(
        "error: full_name is 256 characters long; the fastapi-template model takes at most 255\n",
    );
    let csv = format!(
        "email,full_name,password\nci@localhost,,long enough pw 1\nbob@example.com,{long_name},long enough pw 2\n"
    );
    let stderr = support::stderr(
        &env.run(&["import", "-", "--input-format", "csv"], &csv)
            .code(5),
    );
    assert!(
        stderr.contains(
            "line 2, field email: has no period after the @-sign: the fastapi-template model \
             (pydantic's EmailStr) refuses it"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "line 3, field full_name: full_name is 256 characters long; the fastapi-template \
             model takes at most 255"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("long enough pw"), "{stderr}");
    assert!(listed(&env).is_empty());
    let tutorial = TUTORIAL.env();
    tutorial.add_user_with("ops", &["--email", "ops@svc.local"], "ops's long password");
}

/// An address is stored as the application's model stores it, so another spelling of the same
/// address is the same account, as the application's own signup would find it.
#[test]
fn addresses_are_stored_as_the_applications_models_store_them() {
    let env = TEMPLATE.env();
    env.run(&["add-user", "Carol@Example.COM", "--random-password"], "")
        .code(0);
    assert_eq!(listed(&env)[0]["email"], json!("Carol@example.com"));
    env.run(&["add-user", "Carol@example.com", "--random-password"], "")
        .code(4);
    // The commands that name a user find it by either spelling; the report names it as stored.
    let said = |args: &[&str], stdin: &str| support::stderr(&env.run(args, stdin).code(0));
    let disabled = said(&["disable-user", "Carol@Example.COM"], "");
    assert!(
        disabled.starts_with("disabled user 'Carol@example.com'\n"),
        "{disabled}"
    );
    let shown = support::stdout(&env.run(&["show-user", "Carol@EXAMPLE.com"], "").code(0));
    assert!(shown.contains("Carol@example.com"), "{shown}");
    let changed = said(
        &["set-password", "Carol@EXAMPLE.com", "--password-stdin"],
        "carol's new long password\n",
    );
    assert!(changed.contains("'Carol@example.com'"), "{changed}");
    assert_eq!(listed(&env)[0]["email"], json!("Carol@example.com"));
    // A row stored otherwise (by hand) is still found as it is stored.
    env.insert_raw("UPDATE \"user\" SET email = 'Odd@Example.COM'");
    let enabled = said(&["enable-user", "Odd@Example.COM"], "");
    assert!(
        enabled.starts_with("enabled user 'Odd@Example.COM'\n"),
        "{enabled}"
    );
    env.insert_raw("UPDATE \"user\" SET email = 'Carol@example.com'");
    let csv = "email,password\n  Dan@EXAMPLE.org ,dan's long password\n";
    env.run(&["import", "-", "--input-format", "csv"], csv)
        .code(0);
    let emails: Vec<Value> = listed(&env)
        .into_iter()
        .map(|u| u["email"].clone())
        .collect();
    assert!(emails.contains(&json!("Dan@example.org")), "{emails:?}");
    let users = FASTAPI_USERS.env();
    users
        .run(&["add-user", "Eve@Bücher.DE", "--random-password"], "")
        .code(0);
    assert_eq!(listed(&users)[0]["email"], json!("Eve@bücher.de"));
}

/// `check` reports a stored row the application's model refuses (its listing fails on it) as a
/// problem, and one stored otherwise than the application stores it as a warning.
#[test]
fn check_reports_rows_the_applications_model_would_refuse() {
    let env = TEMPLATE.env();
    env.add_user("ann@example.com", "ann's long password");
    env.add_user("bob@example.com", "bob's long password");
    env.add_user("carol@example.com", "carol's long password");
    env.insert_raw(
        "UPDATE \"user\" SET email = 'ops@svc.local' WHERE email = 'ann@example.com';
         UPDATE \"user\" SET email = 'Bob@Example.COM' WHERE email = 'bob@example.com';",
    );
    let assert = env.run(&["check", "-q", "--format", "json"], "").code(1);
    let report: Value = serde_json::from_str(&support::stdout(&assert)).unwrap();
    let findings: Vec<Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "model")
        .cloned()
        .collect();
    assert_eq!(findings.len(), 2, "{findings:?}");
    assert_eq!(findings[0]["severity"], "problem");
    assert_eq!(findings[0]["username"], "ops@svc.local");
    assert!(
        findings[0]["message"]
            .as_str()
            .unwrap()
            .contains("its user listing answers 500"),
        "{findings:?}"
    );
    assert_eq!(findings[1]["severity"], "warning");
    assert_eq!(findings[1]["username"], "Bob@Example.COM");
    assert!(
        findings[1]["message"]
            .as_str()
            .unwrap()
            .contains("(\"Bob@example.com\")"),
        "{findings:?}"
    );
}

/// Each shape's reset and verify tokens: their claims, their lifetimes, their JSON, the link.
#[test]
fn reset_and_verify_tokens_carry_each_services_claims() {
    use serde::Deserialize;
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct LinkToken {
        token: String,
        purpose: String,
        expires_at: i64,
        link: Option<String>,
    }
    let json = |env: &TestEnv, args: &[&str]| -> LinkToken {
        let assert = env
            .cmd()
            .env("SECRET_KEY", KEY)
            .env("FRONTEND_HOST", "https://app.example.com")
            .arg("issue-token")
            .args(args)
            .args(["--format", "json"])
            .assert()
            .code(0);
        serde_json::from_str(&support::stdout(&assert)).unwrap()
    };
    let now = i64::try_from(support::unix_now()).unwrap();
    let env = TEMPLATE.env();
    env.add_user("ann@example.com", "ann's long password");
    let reset = json(&env, &["ann@example.com", "--purpose", "reset"]);
    assert_eq!(reset.purpose, "reset");
    let claims = support::claims(&reset.token);
    assert_eq!(claims.as_object().unwrap().keys().collect::<Vec<_>>(), ["sub", "exp", "nbf"]);
    assert_eq!(claims["sub"], "ann@example.com");
    assert_eq!(claims["exp"], reset.expires_at);
    assert!((reset.expires_at - now - 48 * 3600).abs() <= 2);
    assert_eq!(
        reset.link.as_deref(),
        Some(format!("https://app.example.com/reset-password?token={}", reset.token).as_str())
    );
    env.cmd()
        .env("SECRET_KEY", KEY)
        .args(["issue-token", "ann@example.com", "--purpose", "verify"])
        .assert()
        .code(5);
    // --format link: the template's default front end, and its join taken as it is (a
    // trailing slash stays, as in the template's email).
    let link = |host: Option<&str>| {
        let mut cmd = env.cmd();
        if let Some(host) = host {
            cmd.env("FRONTEND_HOST", host);
        }
        let assert = cmd
            .env("SECRET_KEY", KEY)
            .args(["issue-token", "ann@example.com", "--purpose", "reset", "--format", "link"])
            .assert()
            .code(0);
        support::stdout(&assert)
    };
    assert!(link(None).starts_with("http://localhost:5173/reset-password?token=eyJ"));
    assert!(link(Some("https://a.example/")).starts_with("https://a.example//reset-password?token=eyJ"));

    let env = FASTAPI_USERS.env();
    env.add_user("ann@example.com", "ann's long password");
    let id = id_of(&env, FASTAPI_USERS, "ann@example.com");
    let reset = json(&env, &["ANN@example.com", "--purpose", "reset", "--expires-in", "15m"]);
    assert_eq!(reset.link, None);
    let claims = support::claims(&reset.token);
    assert_eq!(
        claims.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["sub", "password_fgpt", "aud", "exp"]
    );
    assert_eq!((&claims["sub"], &claims["aud"]), (&json!(id), &json!("fastapi-users:reset")));
    assert!((reset.expires_at - now - 900).abs() <= 2);
    // The fingerprint is the application's password helper's hash (Argon2id at pwdlib's
    // parameters) of the stored hash; that it verifies against it, and stops when the password
    // changes, verify_token.rs and interop_tokens.rs show.
    let fingerprint = claims["password_fgpt"].as_str().unwrap();
    assert!(fingerprint.starts_with("$argon2id$v=19$m=65536,t=3,p=4$"), "{fingerprint}");
    let verify = json(&env, &["ann@example.com", "--purpose", "verify"]);
    let claims = support::claims(&verify.token);
    assert_eq!(
        claims,
        json!({"sub": id, "email": "ann@example.com", "aud": "fastapi-users:verify",
               "exp": verify.expires_at})
    );
    assert!((verify.expires_at - now - 3600).abs() <= 2);
}
