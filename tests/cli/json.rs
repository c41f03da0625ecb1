//! The machine contract: every `--format json` shape, parsed with unknown fields refused.

use serde::Deserialize;

use super::TestEnv;
use crate::support::{self, NOTE_NO_HASHES};

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct User {
    id: i64,
    username: String,
    email: Option<String>,
    full_name: Option<String>,
    disabled: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionLine {
    action: String,
    changed: bool,
    dry_run: bool,
    fields: Vec<String>,
    username: String,
    user: Option<User>,
    generated_password: Option<String>,
    hash_scheme: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorBody {
    kind: String,
    exit_code: u8,
    message: String,
    records: Option<Vec<Record>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    location: String,
    field: Option<String>,
    message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorOutput {
    error: ErrorBody,
}

fn actions(assert: &assert_cmd::assert::Assert) -> Vec<ActionLine> {
    support::stdout(assert)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn error(assert: &assert_cmd::assert::Assert) -> ErrorBody {
    let stderr = support::stderr(assert);
    serde_json::from_str::<ErrorOutput>(stderr.trim_end())
        .unwrap()
        .error
}

#[test]
fn writes_print_one_action_per_user() {
    let env = TestEnv::init();
    let created = actions(
        &env.run(
            &["add-user", "alice", "--random-password", "--format", "json"],
            "",
        )
        .code(0)
        .stderr(NOTE_NO_HASHES),
    );
    assert_eq!(created.len(), 1);
    let a = &created[0];
    assert_eq!(
        (a.action.as_str(), a.changed, a.dry_run),
        ("created", true, false)
    );
    assert_eq!(a.username, "alice");
    assert_eq!(a.user.as_ref().unwrap().id, 1);
    assert_eq!(a.hash_scheme.as_deref(), Some("argon2"));
    let password = a.generated_password.clone().unwrap();
    env.run(&["verify-login", "alice", "--password-stdin"], &password)
        .code(0);

    let updated = actions(
        &env.run(
            &[
                "add-user",
                "alice",
                "--upsert",
                "--email",
                "a@x.org",
                "--disabled",
                "--format",
                "json",
            ],
            "",
        )
        .code(0),
    );
    assert_eq!(updated[0].action, "updated");
    assert_eq!(updated[0].fields, ["email", "disabled"]);
    assert!(updated[0].generated_password.is_none());
    assert!(updated[0].hash_scheme.is_none(), "no password was stored");
    // A password read and hashed but not stored (it verifies already) names no scheme either.
    let kept = actions(
        &env.run(
            &[
                "add-user",
                "alice",
                "--upsert",
                "--update-password",
                "--password-stdin",
                "--format",
                "json",
            ],
            &format!("{password}\n"),
        )
        .code(0),
    );
    assert_eq!(
        (kept[0].action.as_str(), kept[0].changed),
        ("unchanged", false)
    );
    assert!(kept[0].hash_scheme.is_none(), "the stored hash was kept");

    let toggled = actions(
        &env.run(&["enable-user", "alice", "alice", "--format", "json"], "")
            .code(0),
    );
    assert_eq!(toggled.len(), 1);
    assert_eq!(toggled[0].action, "enabled");
    let same = actions(
        &env.run(&["enable-user", "alice", "--format", "json"], "")
            .code(0),
    );
    assert_eq!(
        (same[0].action.as_str(), same[0].changed),
        ("unchanged", false)
    );
    let disabled = actions(
        &env.run(
            &["disable-user", "alice", "--format", "json", "--dry-run"],
            "",
        )
        .code(0),
    );
    assert_eq!(
        (disabled[0].action.as_str(), disabled[0].dry_run),
        ("disabled", true)
    );

    let changed = actions(
        &env.run(
            &[
                "set-password",
                "alice",
                "--password-stdin",
                "--format",
                "json",
            ],
            "pw-for-tests\n",
        )
        .code(0),
    );
    assert_eq!(changed[0].action, "password_changed");
    assert_eq!(changed[0].fields, ["password"]);
    assert_eq!(changed[0].hash_scheme.as_deref(), Some("argon2"));

    let deleted = actions(
        &env.run(
            &[
                "delete-user",
                "alice",
                "ghost",
                "--yes",
                "--if-exists",
                "--format",
                "json",
            ],
            "",
        )
        .code(0),
    );
    assert_eq!(deleted[0].action, "deleted");
    assert_eq!(
        (deleted[1].action.as_str(), deleted[1].username.as_str()),
        ("absent", "ghost")
    );
    assert!(deleted[1].user.is_none());
}

#[test]
fn reads_have_their_documented_shapes() {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Init {
        action: String,
        changed: bool,
        database: String,
        table: String,
        table_shape: String,
        missing_unique_indexes: Vec<String>,
        dry_run: bool,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Verify {
        username: String,
        accepted: bool,
        reason: Option<String>,
        needs_rehash: Option<bool>,
        hash_scheme: String,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct HashFields {
        algorithm: String,
        version: Option<u32>,
        m: Option<u32>,
        t: Option<u32>,
        p: Option<u32>,
        salt_len: Option<usize>,
        tag_len: Option<usize>,
        prefix: Option<String>,
        cost: Option<u32>,
        hash_profile: String,
        service_can_verify: bool,
        needs_rehash: Option<bool>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Show {
        id: i64,
        username: String,
        email: Option<String>,
        full_name: Option<String>,
        disabled: bool,
        hash_scheme: String,
        hash: Option<HashFields>,
        hash_problem: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Summary {
        created: usize,
        updated: usize,
        unchanged: usize,
        skipped: usize,
        failed: usize,
        dry_run: bool,
        hash_scheme: String,
    }

    let env = TestEnv::empty();
    let init: Init = serde_json::from_str(&support::stdout(
        &env.run(&["init-db", "--format", "json"], "").code(0),
    ))
    .unwrap();
    assert_eq!(
        (init.action.as_str(), init.table.as_str()),
        ("created", "created")
    );
    let init: Init = serde_json::from_str(&support::stdout(
        &env.run(&["init-db", "--format", "json"], "").code(0),
    ))
    .unwrap();
    assert_eq!((init.action.as_str(), init.changed), ("unchanged", false));

    env.add_user("alice", "pw-for-tests");
    let ok: Verify = serde_json::from_str(&support::stdout(
        &env.run(
            &[
                "verify-login",
                "alice",
                "--password-stdin",
                "--format",
                "json",
            ],
            "pw-for-tests",
        )
        .code(0),
    ))
    .unwrap();
    assert_eq!(
        (
            ok.username.as_str(),
            ok.accepted,
            ok.reason,
            ok.needs_rehash,
            ok.hash_scheme.as_str()
        ),
        ("alice", true, None, Some(false), "argon2")
    );
    let no: Verify = serde_json::from_str(&support::stdout(
        &env.run(
            &[
                "verify-login",
                "ghost",
                "--password-stdin",
                "--format",
                "json",
            ],
            "pw-for-tests",
        )
        .code(1),
    ))
    .unwrap();
    assert_eq!(
        (no.accepted, no.reason.as_deref(), no.needs_rehash),
        (false, Some("incorrect username or password"), None)
    );

    let show: Show = serde_json::from_str(&support::stdout(
        &env.run(&["show-user", "alice", "--format", "json"], "")
            .code(0),
    ))
    .unwrap();
    let hash = show.hash.unwrap();
    assert_eq!(
        (hash.algorithm.as_str(), hash.m, hash.t, hash.p),
        ("argon2id", Some(65536), Some(3), Some(4))
    );
    assert_eq!(
        (
            hash.hash_profile.as_str(),
            hash.service_can_verify,
            hash.needs_rehash,
            show.hash_scheme.as_str()
        ),
        ("service", true, Some(false), "argon2")
    );

    let summary: Summary = serde_json::from_str(&support::stdout(
        &env.cmd()
            .args(["import", "-", "--format", "json", "--hash-profile", "test"])
            .write_stdin("username,password\nbob,pw-for-tests\n")
            .assert()
            .code(0),
    ))
    .unwrap();
    assert_eq!(
        (summary.created, summary.hash_scheme.as_str()),
        (1, "argon2")
    );
}

#[test]
fn errors_are_json_on_stderr_with_kind_and_exit_code() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    let cases: [(&[&str], &str, u8, &str); 5] = [
        (
            &["add-user", "alice", "--password-stdin", "--format", "json"],
            "pw-for-tests\n",
            4,
            "conflict",
        ),
        (
            &["disable-user", "ghost", "--format", "json"],
            "",
            3,
            "not_found",
        ),
        (
            &["add-user", " bad", "--password-stdin", "--format", "json"],
            "pw-for-tests\n",
            5,
            "invalid_input",
        ),
        (
            &["add-user", "carol", "--format", "json"],
            "",
            8,
            "environment",
        ),
        (
            &["delete-user", "alice", "--format", "json"],
            "",
            2,
            "usage",
        ),
    ];
    for (args, stdin, code, kind) in cases {
        let assert = env.run(args, stdin).code(i32::from(code)).stdout("");
        let body = error(&assert);
        assert_eq!(
            (body.kind.as_str(), body.exit_code),
            (kind, code),
            "{args:?}"
        );
        assert!(!body.message.is_empty());
    }
    let assert = env
        .cmd()
        .args(["import", "-", "--format", "json"])
        .write_stdin("username,password\nalice,pw-for-tests\n,pw-for-tests\n")
        .assert()
        .code(5);
    let body = error(&assert);
    let records = body.records.unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(
        (records[0].location.as_str(), records[0].field.as_deref()),
        ("line 2", Some("username"))
    );
    assert_eq!(records[1].message, "is missing");
    let assert = env
        .bare()
        .args(["--db", "missing.db", "list-users", "--format", "json"])
        .assert()
        .code(7);
    assert_eq!(error(&assert).kind, "database_unusable");
}

#[test]
fn a_hash_the_service_cannot_verify_is_a_json_error_with_exit_9() {
    let env = TestEnv::service_table();
    env.insert_raw(&format!(
        "INSERT INTO users (username, hashed_password) VALUES ('johndoe', '{}');",
        support::BCRYPT_SECRET
    ));
    let assert = env
        .run(
            &[
                "verify-login",
                "johndoe",
                "--password-stdin",
                "--hash-scheme",
                "argon2",
                "--format",
                "json",
            ],
            "secret",
        )
        .code(9)
        .stdout("");
    let body = error(&assert);
    assert_eq!(
        (body.kind.as_str(), body.exit_code),
        ("unverifiable_hash", 9)
    );
    assert!(body.message.contains("cannot identify"), "{}", body.message);
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckReport {
    database: String,
    table_shape: String,
    users: u64,
    hash_scheme: String,
    problems: usize,
    warnings: usize,
    findings: Vec<CheckFinding>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct CheckFinding {
    severity: String,
    code: String,
    username: Option<String>,
    message: String,
}

#[test]
fn check_reports_one_object_with_every_finding() {
    let env = TestEnv::service_table();
    env.insert_raw(
        "INSERT INTO users (username, disabled, hashed_password) VALUES ('alice', false, 'x');",
    );
    let assert = env.run(&["check", "--format", "json"], "").code(1);
    let report: CheckReport = serde_json::from_str(&support::stdout(&assert)).unwrap();
    assert_eq!(report.database, env.location());
    assert_eq!(report.table_shape, "tutorial");
    assert_eq!((report.users, report.problems, report.warnings), (1, 1, 0));
    assert_eq!(report.hash_scheme, "argon2");
    assert_eq!(
        report.findings,
        [CheckFinding {
            severity: "problem".into(),
            code: "unverifiable_hash".into(),
            username: Some("alice".into()),
            message: "the stored password hash is not an argon2 or bcrypt hash (the service \
                      cannot identify it and answers 500)"
                .into(),
        }]
    );
}

/// `verify-token --format json`: the verdict, its reason, the user and the claims, nothing else.
#[test]
fn a_token_judgement_has_its_documented_shape() {
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Judgement {
        accepted: bool,
        reason: Option<String>,
        detail: Option<String>,
        purpose: String,
        user: Option<String>,
        claims: Option<serde_json::Map<String, serde_json::Value>>,
    }
    let env = TestEnv::init();
    env.add_user("alice", "alice's long password");
    let token = env.issue_token("alice", &[]);
    let judge = |token: &str| -> (i32, Judgement) {
        let assert = env
            .cmd()
            .env("SECRET_KEY", support::KEY)
            .args(["verify-token", "--format", "json"])
            .write_stdin(token.to_owned())
            .assert();
        let code = assert.get_output().status.code().unwrap();
        (code, serde_json::from_str(&support::stdout(&assert)).unwrap())
    };
    let (code, accepted) = judge(&token);
    assert_eq!(code, 0);
    assert!(accepted.accepted && accepted.reason.is_none() && accepted.detail.is_none());
    assert_eq!((accepted.purpose.as_str(), accepted.user.as_deref()), ("access", Some("alice")));
    assert_eq!(accepted.claims.unwrap()["sub"], "alice");
    // Tampered: refused, and no claims from a token whose signature does not hold.
    let (code, refused) = judge(&format!("{token}x"));
    assert_eq!(code, 1);
    assert!(!refused.accepted);
    assert_eq!(refused.reason.as_deref(), Some("signature"));
    assert_eq!(
        refused.detail.as_deref(),
        Some("the signature does not match: signed with another key")
    );
    assert!(refused.claims.is_none() && refused.user.is_none());
}
