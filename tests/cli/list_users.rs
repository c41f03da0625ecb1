//! `list-users`: the table for people, the machine formats and their field set, filters.

use serde::Deserialize;

use super::TestEnv;
use crate::support::{self, BCRYPT_SWORDFISH};

/// The `--format json|jsonl` record: the machine contract. Unknown fields fail the test.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Record {
    id: i64,
    username: String,
    email: Option<String>,
    full_name: Option<String>,
    disabled: bool,
}

fn three_users() -> TestEnv {
    let env = TestEnv::init();
    env.add_user_with(
        "alice",
        &[
            "--email",
            "alice@example.com",
            "--full-name",
            "Alice Liddell",
        ],
        "pw-for-tests",
    );
    env.add_user_with("bob", &["--disabled"], "pw-for-tests");
    env.add_user_with("carol", &["--full-name", "Carol, \"C\""], "pw-for-tests");
    env
}

#[test]
fn prints_a_table_for_people() {
    let env = three_users();
    env.run(&["list-users"], "").code(0).stderr("").stdout(
        "\
┌────┬──────────┬───────────────────┬───────────────┬──────────┐
│ ID ┆ USERNAME ┆ EMAIL             ┆ FULL NAME     ┆ STATUS   │
╞════╪══════════╪═══════════════════╪═══════════════╪══════════╡
│ 1  ┆ alice    ┆ alice@example.com ┆ Alice Liddell ┆ active   │
│ 2  ┆ bob      ┆                   ┆               ┆ disabled │
│ 3  ┆ carol    ┆                   ┆ Carol, \"C\"    ┆ active   │
└────┴──────────┴───────────────────┴───────────────┴──────────┘
",
    );
}

#[test]
fn json_has_the_documented_fields_and_no_hash() {
    let env = three_users();
    let assert = env.run(&["list-users", "--format", "json"], "").code(0);
    let out = support::stdout(&assert);
    let records: Vec<Record> = serde_json::from_str(&out).unwrap();
    assert_eq!(
        records[0],
        Record {
            id: 1,
            username: "alice".into(),
            email: Some("alice@example.com".into()),
            full_name: Some("Alice Liddell".into()),
            disabled: false
        }
    );
    assert_eq!(records.len(), 3);
    assert!(records[1].disabled);
    assert_eq!(records[1].email, None);
    assert!(!out.contains("argon2"), "{out}");
}

#[test]
fn jsonl_streams_one_object_per_line() {
    let env = three_users();
    let assert = env.run(&["list-users", "--format", "jsonl"], "").code(0);
    let out = support::stdout(&assert);
    let records: Vec<Record> = out
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(
        records
            .iter()
            .map(|r| r.username.as_str())
            .collect::<Vec<_>>(),
        ["alice", "bob", "carol"]
    );
}

#[test]
fn csv_has_a_header_and_quotes_properly() {
    let env = three_users();
    env.run(&["list-users", "--format", "csv"], "")
        .code(0)
        .stdout(
            "\
id,username,email,full_name,disabled
1,alice,alice@example.com,Alice Liddell,false
2,bob,,,true
3,carol,,\"Carol, \"\"C\"\"\",false
",
        );
}

#[test]
fn filters_by_status() {
    let env = three_users();
    env.run(&["list-users", "--active", "--format", "csv"], "").code(0).stdout(
        "id,username,email,full_name,disabled\n1,alice,alice@example.com,Alice Liddell,false\n3,carol,,\"Carol, \"\"C\"\"\",false\n",
    );
    env.run(&["list-users", "--disabled", "--format", "jsonl"], "")
        .code(0)
        .stdout(
            "{\"id\":2,\"username\":\"bob\",\"email\":null,\"full_name\":null,\"disabled\":true}\n",
        );
    env.run(&["list-users", "--active", "--disabled"], "")
        .code(2);
}

#[test]
fn empty_tables_still_show_their_shape() {
    let env = TestEnv::init();
    env.run(&["list-users", "--format", "json"], "")
        .code(0)
        .stdout("[]\n");
    env.run(&["list-users", "--format", "jsonl"], "")
        .code(0)
        .stdout("");
    env.run(&["list-users", "--format", "csv"], "")
        .code(0)
        .stdout("id,username,email,full_name,disabled\n");
    env.run(&["list-users"], "").code(0).stderr("no users\n");
}

sqlite_only! {
    #[test]
    fn reads_null_and_text_disabled_as_the_service_does() {
        let env = TestEnv::service_table();
        env.insert_raw(&format!(
            "INSERT INTO users VALUES (1, 'johndoe', 'johndoe@example.com', 'John Doe', NULL, '{BCRYPT_SWORDFISH}');
             INSERT INTO users VALUES (2, 'janedoe', NULL, NULL, 'false', '{BCRYPT_SWORDFISH}');"
        ));
        env.run(&["list-users", "--format", "csv"], "")
            .code(0)
            .stdout("id,username,email,full_name,disabled\n1,johndoe,johndoe@example.com,John Doe,false\n2,janedoe,,,true\n")
            .stderr("warning: user 'janedoe' has disabled stored as text 'false', which the service reads as disabled; \
                     `authctl enable-user` or `disable-user` stores it as 0 or 1\n");
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let env = TestEnv::init();
    let values: Vec<String> = (0..20_000)
        .map(|i| format!("('user{i}', 'x', false)"))
        .collect();
    env.insert_raw(&format!(
        "INSERT INTO users (username, hashed_password, disabled) VALUES {};",
        values.join(",")
    ));
    let pipe = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; '{}' {} list-users --format csv | head -n 2",
            support::bin(),
            env.database_args()
                .iter()
                .map(|a| format!("'{}'", a.to_string_lossy()))
                .collect::<Vec<_>>()
                .join(" ")
        ))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&pipe.stdout),
        "id,username,email,full_name,disabled\n1,user0,,,false\n"
    );
    assert_eq!(String::from_utf8_lossy(&pipe.stderr), "");
    assert!(pipe.status.success(), "authctl exited {:?}", pipe.status);
}

#[test]
fn hash_profile_follows_the_service_scheme() {
    let env = TestEnv::service_table();
    let cheap = support::bcrypt_hash("pw-for-tests", 4);
    env.insert_raw(&format!(
        "INSERT INTO users (username, hashed_password) VALUES ('johndoe', '{BCRYPT_SWORDFISH}'), ('fixture', '{cheap}');"
    ));
    let names = |args: &[&str]| {
        let mut all = vec!["list-users", "--format", "csv", "-q"];
        all.extend_from_slice(args);
        support::stdout(&env.run(&all, "").code(0))
    };
    // A passlib-era table: its cost-12 hashes are what the service writes.
    assert_eq!(
        names(&["--hash-profile", "service"]),
        "id,username,email,full_name,disabled\n1,johndoe,,,false\n"
    );
    assert_eq!(
        names(&["--hash-profile", "test"]),
        "id,username,email,full_name,disabled\n2,fixture,,,false\n"
    );
    // For a pwdlib service, no bcrypt hash is the service's own.
    assert_eq!(
        names(&[
            "--hash-profile",
            "service",
            "--hash-scheme",
            "argon2+bcrypt"
        ]),
        "id,username,email,full_name,disabled\n"
    );
}

#[test]
fn a_long_table_streams_in_a_plain_aligned_layout() {
    use std::fmt::Write as _;
    let env = TestEnv::init();
    let mut csv = String::from("username,email,password\n");
    for i in 1..=1500 {
        writeln!(csv, "user{i},user{i}@example.com,pw-for-tests").unwrap();
    }
    env.cmd()
        .args(["import", "-", "--hash-profile", "test", "-q"])
        .write_stdin(csv)
        .assert()
        .code(0);
    env.run(&["disable-user", "user1500", "-q"], "").code(0);
    let out = support::stdout(&env.run(&["list-users"], "").code(0).stderr(""));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1501, "a header and one line per user");
    // Widths from the first rows held: "user1001@example.com" is the widest email among them.
    assert_eq!(
        lines[0],
        "ID    USERNAME  EMAIL                 FULL NAME  STATUS"
    );
    assert_eq!(
        lines[1],
        "1     user1     user1@example.com                active"
    );
    assert_eq!(
        lines[1500],
        "1500  user1500  user1500@example.com             disabled"
    );
}

#[test]
fn hash_profiles_tell_the_service_own_test_and_other_hashes_apart() {
    use argon2::PasswordHasher;
    let low = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(19_456, 2, 1, Some(32)).unwrap(),
    )
    .hash_password(b"pw-for-tests")
    .unwrap()
    .to_string();
    let names = |env: &TestEnv, args: &[&str]| {
        let mut all = vec!["list-users", "--format", "jsonl", "-q"];
        all.extend_from_slice(args);
        let out = support::stdout(&env.run(&all, "").code(0));
        out.lines()
            .map(|line| serde_json::from_str::<Record>(line).unwrap().username)
            .collect::<Vec<_>>()
    };
    // Argon2: the service's parameters, the test profile's, and pwdlib's older defaults.
    let env = TestEnv::init();
    env.add_user("service", "pw-for-tests");
    env.run(
        &[
            "add-user",
            "fixture",
            "--hash-profile",
            "test",
            "--password-stdin",
            "-q",
        ],
        "pw-for-tests\n",
    )
    .code(0);
    env.insert_raw(&format!(
        "INSERT INTO users (username, disabled, hashed_password) VALUES ('low', false, '{low}');"
    ));
    assert_eq!(names(&env, &["--hash-profile", "service"]), ["service"]);
    assert_eq!(names(&env, &["--hash-profile", "test"]), ["fixture"]);
    assert_eq!(names(&env, &["--hash-profile", "other"]), ["low"]);
    // bcrypt, for a passlib-era table at cost 12: cost 4 is the test profile's, cost 10 another.
    let env = TestEnv::service_table();
    env.insert_raw(&format!(
        "INSERT INTO users (username, hashed_password) VALUES ('johndoe', '{BCRYPT_SWORDFISH}'), \
         ('fixture', '{}'), ('ten', '{}');",
        support::bcrypt_hash("pw-for-tests", 4),
        support::bcrypt_hash("pw-for-tests", 10)
    ));
    let bcrypt = [
        "--hash-scheme",
        "bcrypt",
        "--bcrypt-cost",
        "12",
        "--hash-profile",
    ];
    assert_eq!(
        names(&env, &[&bcrypt[..], &["service"]].concat()),
        ["johndoe"]
    );
    assert_eq!(names(&env, &[&bcrypt[..], &["test"]].concat()), ["fixture"]);
    assert_eq!(names(&env, &[&bcrypt[..], &["other"]].concat()), ["ten"]);
}
