//! `add-user`: password sources, the stored row, conflicts, validation, idempotency.

use std::fs;

use super::TestEnv;
use crate::support::{self, NOTE_NO_HASHES};

#[test]
fn adds_a_user_with_the_service_hash_parameters() {
    let env = TestEnv::init();
    env.run(
        &[
            "add-user",
            "alice",
            "--email",
            "alice@example.com",
            "--full-name",
            "Alice Liddell",
            "--password-stdin",
        ],
        "down the rabbit hole\n",
    )
    .code(0)
    .stdout("")
    .stderr(format!("{NOTE_NO_HASHES}created user 'alice' (id 1)\n"));
    assert_eq!(
        env.dump()[0].rsplit_once('|').unwrap().0,
        "1|alice|'alice@example.com'|'Alice Liddell'|0"
    );
    let hash = env.hash_of("alice");
    assert!(
        hash.starts_with("$argon2id$v=19$m=65536,t=3,p=4$"),
        "{hash}"
    );
    let parts: Vec<&str> = hash.split('$').collect();
    assert_eq!(parts[4].len(), 22, "16-byte salt");
    assert_eq!(parts[5].len(), 43, "32-byte tag");
    assert_eq!(env.disabled_of("alice"), ("integer".to_owned(), Some(0)));
    env.run(
        &["verify-login", "alice", "--password-stdin"],
        "down the rabbit hole\n",
    )
    .code(0);
}

#[test]
fn disabled_is_stored_as_integer_one() {
    let env = TestEnv::init();
    env.run(
        &["add-user", "bob", "--disabled", "--password-stdin"],
        "pw-for-tests\n",
    )
    .code(0)
    .stderr(format!(
        "{NOTE_NO_HASHES}created user 'bob' (id 1) (disabled)\n"
    ));
    assert_eq!(env.disabled_of("bob"), ("integer".to_owned(), Some(1)));
}

#[test]
fn works_on_the_service_table_and_writes_integer_booleans() {
    let env = TestEnv::service_table();
    env.run(&["add-user", "carol", "--password-stdin"], "pw-for-tests\n")
        .code(0);
    assert_eq!(env.disabled_of("carol"), ("integer".to_owned(), Some(0)));
    env.run(
        &["verify-login", "carol", "--password-stdin"],
        "pw-for-tests\n",
    )
    .code(0);
}

#[test]
fn stdin_loses_exactly_one_trailing_newline() {
    let env = TestEnv::init();
    env.run(
        &["add-user", "crlf", "--password-stdin"],
        "pw-for-tests\r\n",
    )
    .code(0);
    env.run(
        &["verify-login", "crlf", "--password-stdin"],
        "pw-for-tests",
    )
    .code(0);
    env.run(
        &["add-user", "spaces", "--password-stdin"],
        "  pass word \t\n",
    )
    .code(0);
    env.run(
        &["verify-login", "spaces", "--password-stdin"],
        "  pass word \t",
    )
    .code(0);
    env.run(
        &["verify-login", "spaces", "--password-stdin"],
        "pw-for-tests",
    )
    .code(1);
    env.run(&["add-user", "nonl", "--password-stdin"], "pw-for-tests")
        .code(0);
    env.run(
        &["verify-login", "nonl", "--password-stdin"],
        "pw-for-tests\n",
    )
    .code(0);
    env.run(&["add-user", "two", "--password-stdin"], "pw-for-tests\n\n")
        .code(5)
        .stderr("error: the password from standard input has more than one line; give exactly one line\n");
    env.run(
        &["add-user", "two", "--password-stdin"],
        "pw-for-tests\nsecond\n",
    )
    .code(5);
    assert_eq!(env.dump().len(), 3);
}

#[test]
fn passwords_are_utf8_bytes_without_normalisation() {
    let env = TestEnv::init();
    let nfc = "caf\u{e9} au lait";
    let nfd = "cafe\u{301} au lait";
    env.run(
        &["add-user", "amelie", "--password-stdin"],
        &format!("{nfc}\n"),
    )
    .code(0)
    .stderr(format!("{NOTE_NO_HASHES}created user 'amelie' (id 1)\n"));
    env.run(&["verify-login", "amelie", "--password-stdin"], nfc)
        .code(0);
    env.run(&["verify-login", "amelie", "--password-stdin"], nfd)
        .code(1);
    // Stored as typed, with a warning: another system may send the composed form.
    env.run(
        &["add-user", "zoe", "--password-stdin", "-q"],
        &format!("{nfd}\n"),
    )
    .code(0)
    .stderr(
        "warning: the password is not in Unicode NFC form; it is stored exactly as given, and the \
         same characters typed on another system may arrive as other bytes and not match\n",
    );
    env.run(&["verify-login", "zoe", "--password-stdin"], nfd)
        .code(0);
    env.run(&["verify-login", "zoe", "--password-stdin"], nfc)
        .code(1);
}

#[test]
fn reads_the_password_from_a_file() {
    let env = TestEnv::init();
    let file = env.path("pw.txt");
    fs::write(&file, "from a file\n").unwrap();
    env.cmd()
        .args(["add-user", "dave", "--password-file"])
        .arg(&file)
        .assert()
        .code(0);
    env.run(&["verify-login", "dave", "--password-stdin"], "from a file")
        .code(0);

    let missing = env.path("missing.txt");
    env.cmd()
        .args(["add-user", "erin", "--password-file"])
        .arg(&missing)
        .assert()
        .code(8)
        .stderr(format!(
            "error: cannot read password file {}: No such file or directory (os error 2)\n",
            missing.display()
        ));
}

#[test]
fn random_password_is_printed_once_and_works() {
    let env = TestEnv::init();
    let assert = env
        .cmd()
        .args(["add-user", "bot", "--random-password"])
        .assert()
        .code(0)
        .stderr(format!("{NOTE_NO_HASHES}created user 'bot' (id 1)\n"));
    let out = support::stdout(&assert);
    let password = out.strip_suffix('\n').unwrap();
    assert_eq!(password.len(), 24);
    assert!(password.bytes().all(|b| b.is_ascii_alphanumeric()));
    env.run(&["verify-login", "bot", "--password-stdin"], password)
        .code(0);
}

#[test]
fn without_a_terminal_or_a_source_it_fails_at_once() {
    let env = TestEnv::init();
    env.run(&["add-user", "frank"], "")
        .code(8)
        .stdout("")
        .stderr("error: no password given and standard input is not a terminal to ask on; use --password-stdin, --password-file PATH or --random-password\n");
    assert!(env.dump().is_empty());
}

#[test]
fn there_is_no_option_taking_a_password() {
    let env = TestEnv::init();
    for option in ["--password", "-p"] {
        env.run(&["add-user", "gina", option, "hunter2"], "")
            .code(2);
    }
    env.run(
        &["add-user", "gina", "--random-password", "--password-stdin"],
        "pw-for-tests\n",
    )
    .code(2);
}

#[test]
fn a_taken_username_is_a_conflict() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    let before = env.dump();
    env.run(&["add-user", "alice", "--password-stdin"], "another pass\n")
        .code(4)
        .stdout("")
        .stderr("error: username 'alice' already exists\n");
    assert_eq!(env.dump(), before);
    // The service matches usernames case-sensitively, but a person reading a list does not:
    // a name that differs only in case is a conflict unless the operator insists.
    env.run(&["add-user", "Alice", "--password-stdin"], "pw-for-tests\n")
        .code(4)
        .stderr(
            "error: username 'Alice' looks like existing user 'alice': they differ only in case; \
             pass --allow-look-alike to add it anyway\n",
        );
    assert_eq!(env.dump(), before);
    env.run(
        &[
            "add-user",
            "Alice",
            "--password-stdin",
            "--allow-look-alike",
        ],
        "pw-for-tests\n",
    )
    .code(0)
    .stderr(
        "warning: username 'Alice' looks like existing user 'alice': they differ only in case; \
         added as asked (--allow-look-alike)\ncreated user 'Alice' (id 2)\n",
    );
}

#[test]
fn a_taken_email_is_a_conflict_naming_it() {
    let env = TestEnv::init();
    env.run(
        &[
            "add-user",
            "alice",
            "--email",
            "a@example.com",
            "--password-stdin",
        ],
        "pw-for-tests\n",
    )
    .code(0);
    env.run(
        &[
            "add-user",
            "bob",
            "--email",
            "a@example.com",
            "--password-stdin",
        ],
        "pw-for-tests\n",
    )
    .code(4)
    .stderr("error: email 'a@example.com' is already used by user 'alice'\n");
}

#[test]
fn if_not_exists_makes_a_taken_username_a_no_op() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    let before = env.dump();
    // No password source at all: it is not needed, and must not be asked for.
    env.run(&["add-user", "alice", "--if-not-exists"], "")
        .code(0)
        .stdout("")
        .stderr("user 'alice' already exists; nothing changed\n");
    env.run(
        &["add-user", "alice", "--if-not-exists", "--random-password"],
        "",
    )
    .code(0)
    .stdout("");
    assert_eq!(env.dump(), before);
    env.run(
        &["add-user", "bob", "--if-not-exists", "--password-stdin"],
        "pw-for-tests\n",
    )
    .code(0)
    .stderr("created user 'bob' (id 2)\n");
}

#[test]
fn bad_values_are_refused() {
    let env = TestEnv::init();
    let cases: [(&[&str], &str, &str); 7] = [
        (
            &["add-user", "", "--password-stdin"],
            "pw-for-tests\n",
            "error: the username is empty\n",
        ),
        (
            &["add-user", " alice", "--password-stdin"],
            "pw-for-tests\n",
            "error: username \" alice\" starts or ends with whitespace\n",
        ),
        (
            &["add-user", "al\tice", "--password-stdin"],
            "pw-for-tests\n",
            "error: username \"al\\tice\" contains U+0009, a control character\n",
        ),
        (
            &[
                "add-user",
                "alice",
                "--email",
                "not-an-email",
                "--password-stdin",
            ],
            "pw-for-tests\n",
            "error: email \"not-an-email\" is not an address of the form name@domain\n",
        ),
        // Blank: nothing worth quoting.
        (
            &[
                "add-user",
                "alice",
                "--full-name",
                " \t",
                "--password-stdin",
            ],
            "pw-for-tests\n",
            "error: the full name is empty\n",
        ),
        (
            &["add-user", "alice", "--password-stdin"],
            "\n",
            "error: the password is empty\n",
        ),
        (
            &["add-user", "alice", "--password-stdin"],
            "",
            "error: the password is empty\n",
        ),
    ];
    for (args, stdin, stderr) in cases {
        env.run(args, stdin)
            .code(5)
            .stdout("")
            .stderr(stderr.to_owned());
    }
    env.cmd()
        .args(["add-user", "alice", "--password-stdin"])
        .write_stdin(vec![0xff, 0xfe, b'\n'])
        .assert()
        .code(5)
        .stderr("error: the password from standard input is not valid UTF-8; the service receives passwords as text\n");
    env.run(
        &["add-user", "alice", "--password-stdin"],
        &"x".repeat(5000),
    )
    .code(5)
    .stderr("error: the password from standard input is longer than 4096 bytes\n");
    assert!(env.dump().is_empty());
}

sqlite_only! {
    #[test]
    fn a_mistyped_path_is_not_created() {
        let env = TestEnv::init();
        let typo = env.path("user.db");
        env.bare()
            .arg("--db")
            .arg(&typo)
            .args(["add-user", "alice", "--password-stdin"])
            .write_stdin("pw-for-tests\n")
            .assert()
            .code(7)
            .stderr(format!(
                "error: database {}: no database at this path; check --db/DATABASE_URL, or create one with `authctl init-db`\n",
                typo.display()
            ));
        assert!(!typo.exists());
    }
}

#[test]
fn prompts_twice_on_a_terminal() {
    let env = TestEnv::init();
    let shown = env.add_user_on_terminal("tty-user", "typed secret");
    assert!(shown.contains("Password for tty-user: "), "{shown}");
    assert!(
        shown.contains("Retype the password for tty-user: "),
        "{shown}"
    );
    assert!(
        !shown.contains("typed secret"),
        "the password was echoed: {shown}"
    );
    env.run(
        &["verify-login", "tty-user", "--password-stdin"],
        "typed secret",
    )
    .code(0);
}

#[test]
fn upsert_creates_then_converges() {
    let env = TestEnv::init();
    let upsert = |extra: &[&str], stdin: &str| {
        let mut args = vec!["add-user", "alice", "--upsert"];
        args.extend_from_slice(extra);
        env.run(&args, stdin)
    };
    upsert(
        &["--email", "a@example.com", "--password-stdin"],
        "pw-for-tests\n",
    )
    .code(0)
    .stderr(format!("{NOTE_NO_HASHES}created user 'alice' (id 1)\n"));
    let before = env.dump();
    // Re-running the same command, with no password source at all: nothing to do, nothing asked.
    upsert(&["--email", "a@example.com"], "")
        .code(0)
        .stderr("user 'alice' already exists as given; nothing changed\n");
    assert_eq!(env.dump(), before);
    upsert(&["--full-name", "Alice", "--disabled"], "")
        .code(0)
        .stderr("updated user 'alice': full_name, disabled\n");
    env.run(&["list-users", "--format", "csv"], "")
        .stdout("id,username,email,full_name,disabled\n1,alice,a@example.com,Alice,true\n");
    upsert(&["--enabled"], "")
        .code(0)
        .stderr("updated user 'alice': disabled\n");
    // The password only with --update-password, and only when it differs.
    let hash = env.hash_of("alice");
    upsert(&["--update-password", "--password-stdin"], "pw-for-tests\n")
        .code(0)
        .stderr("user 'alice' already exists as given; nothing changed\n");
    assert_eq!(env.hash_of("alice"), hash);
    upsert(
        &["--update-password", "--password-stdin"],
        "brand new pass\n",
    )
    .code(0)
    .stderr("updated user 'alice': password\n");
    env.run(
        &["verify-login", "alice", "--password-stdin"],
        "brand new pass",
    )
    .code(0);
    env.run(
        &["add-user", "alice", "--update-password", "--password-stdin"],
        "x\n",
    )
    .code(2);
    env.run(&["add-user", "alice", "--upsert", "--if-not-exists"], "")
        .code(2);
}

#[test]
fn upsert_refuses_an_email_of_another_user() {
    let env = TestEnv::init();
    env.add_user_with("bob", &["--email", "b@example.com"], "pw-for-tests");
    env.add_user("alice", "pw-for-tests");
    env.run(
        &["add-user", "alice", "--upsert", "--email", "b@example.com"],
        "",
    )
    .code(4)
    .stderr("error: email 'b@example.com' is already used by user 'bob'\n");
}

#[test]
fn dry_run_adds_nothing() {
    let env = TestEnv::init();
    env.run(
        &["add-user", "alice", "--password-stdin", "--dry-run"],
        "pw-for-tests\n",
    )
    .code(0)
    .stdout("")
    .stderr(format!("{NOTE_NO_HASHES}would create user 'alice'\n"));
    env.run(&["add-user", "bob", "--random-password", "--dry-run"], "")
        .code(0)
        .stdout("")
        .stderr(format!("{NOTE_NO_HASHES}would create user 'bob'\n"));
    assert!(env.dump().is_empty());
}

#[test]
fn a_bcrypt_table_gets_bcrypt_at_the_cost_its_rows_use() {
    let env = TestEnv::service_table();
    env.insert_raw(&format!(
        "INSERT INTO users (username, disabled, hashed_password) VALUES ('a', false, '{}'), ('b', false, '{}');",
        support::bcrypt_hash("pw-for-tests", 5),
        support::bcrypt_hash("pw-for-tests", 6)
    ));
    env.run(
        &["add-user", "carol", "--password-stdin"],
        "blue kettle 7\n",
    )
    .code(0)
    .stderr(format!(
        "{}created user 'carol' (id 3)\n",
        support::note_bcrypt("all 2 stored hashes are bcrypt (highest cost 6)")
    ));
    assert!(
        env.hash_of("carol").starts_with("$2b$06$"),
        "{}",
        env.hash_of("carol")
    );
    env.run(
        &[
            "add-user",
            "dan",
            "--bcrypt-cost",
            "7",
            "--password-stdin",
            "-q",
        ],
        "dan the bcrypt man\n",
    )
    .code(0)
    .stderr("");
    assert!(
        env.hash_of("dan").starts_with("$2b$07$"),
        "{}",
        env.hash_of("dan")
    );
    env.run(
        &["verify-login", "dan", "--password-stdin", "-q"],
        "dan the bcrypt man",
    )
    .code(0);
    // Given, the scheme writes passlib's default cost; the test profile the cheapest.
    env.run(
        &[
            "set-password",
            "dan",
            "--hash-scheme",
            "bcrypt",
            "--password-stdin",
        ],
        "again and again\n",
    )
    .code(0);
    assert!(
        env.hash_of("dan").starts_with("$2b$12$"),
        "{}",
        env.hash_of("dan")
    );
    env.run(
        &[
            "set-password",
            "dan",
            "--hash-profile",
            "test",
            "--password-stdin",
            "-q",
        ],
        "again and again\n",
    )
    .code(0);
    assert!(
        env.hash_of("dan").starts_with("$2b$04$"),
        "{}",
        env.hash_of("dan")
    );
}

#[test]
fn bcrypt_refuses_passwords_it_would_not_hash_as_given() {
    let env = TestEnv::init();
    let bcrypt = [
        "add-user",
        "alice",
        "--hash-scheme",
        "bcrypt",
        "--password-stdin",
    ];
    env.run(&bcrypt, &format!("{}\n", "x".repeat(73)))
        .code(5)
        .stderr(
            "error: the password is over 72 bytes; bcrypt uses only the first 72 and the service's bcrypt may \
             refuse it\n",
        );
    // Bytes, not characters: 37 two-byte characters are 74 bytes.
    env.run(&bcrypt, &format!("{}\n", "é".repeat(37))).code(5);
    env.run(&bcrypt, "a\0b\n")
        .code(5)
        .stderr("error: the password contains a NUL character, which bcrypt cannot hash\n");
    assert!(env.dump().is_empty());
    env.run(&bcrypt, &format!("{}\n", "x".repeat(72))).code(0);
    // Argon2 takes any length.
    env.run(
        &[
            "add-user",
            "bob",
            "--hash-scheme",
            "argon2",
            "--hash-profile",
            "test",
            "--password-stdin",
            "-q",
        ],
        &format!("{}\n", "x".repeat(200)),
    )
    .code(0);
}

#[test]
fn a_bcrypt_cost_or_scheme_that_cannot_apply_is_a_usage_error() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    env.run(
        &["add-user", "bob", "--bcrypt-cost", "10", "--password-stdin"],
        "pw-for-tests\n",
    )
    .code(2)
    .stderr(
        "error: a bcrypt cost was given, but the service's hash scheme is argon2 (the 1 stored hash is \
         Argon2): it writes no bcrypt hashes\n",
    );
    env.run(
        &[
            "add-user",
            "bob",
            "--hash-scheme",
            "bcrypt",
            "--bcrypt-cost",
            "3",
            "--password-stdin",
        ],
        "pw-for-tests\n",
    )
    .code(2);
    env.cmd()
        .args(["add-user", "bob", "--password-stdin"])
        .env("AUTHCTL_HASH_SCHEME", "md5")
        .write_stdin("pw-for-tests\n")
        .assert()
        .code(2);
    assert_eq!(env.dump().len(), 1);
}

/// On the service's table without its unique email index, only authctl's own check keeps emails
/// unique: a taken email is a conflict before any password is asked for, in add-user and import.
#[test]
fn a_taken_email_is_refused_by_authctl_itself() {
    let env = TestEnv::service_table();
    env.insert_raw("DROP INDEX ix_users_email;");
    env.add_user_with(
        "alice",
        &["--email", "taken@example.com", "-q"],
        "pw-for-tests",
    );
    let before = env.dump();
    // No password source and no terminal: the conflict must come first (not exit 8).
    env.run(&["add-user", "bob", "--email", "taken@example.com"], "")
        .code(4)
        .stderr("error: email 'taken@example.com' is already used by user 'alice'\n");
    env.cmd()
        .args(["import", "-"])
        .write_stdin(
            "username,email,password\ncarol,carol@example.com,pw-for-tests\nbob,taken@example.com,pw-for-tests\n",
        )
        .assert()
        .code(4)
        .stderr(
            "error: 1 problem in the input; nothing was written:\n  \
             line 3, field email: email 'taken@example.com' is already used by user 'alice'\n",
        );
    assert_eq!(env.dump(), before);
}

/// The password stored is exactly the bytes given, checked by the argon2 crate itself rather
/// than by authctl's own reader (which would cancel out a trimming bug on both sides).
#[test]
fn trailing_spaces_and_tabs_are_part_of_the_password() {
    use argon2::password_hash::phc::PasswordHash;
    use argon2::{Argon2, PasswordVerifier};
    let env = TestEnv::init();
    env.run(
        &[
            "add-user",
            "alice",
            "--password-stdin",
            "--hash-profile",
            "test",
            "-q",
        ],
        "pass word \t\n",
    )
    .code(0);
    let stored = env.hash_of("alice");
    let parsed = PasswordHash::new(&stored).unwrap();
    assert!(
        Argon2::default()
            .verify_password(b"pass word \t", &parsed)
            .is_ok()
    );
    assert!(
        Argon2::default()
            .verify_password(b"pass word", &parsed)
            .is_err()
    );
    assert!(
        Argon2::default()
            .verify_password(b"pass word ", &parsed)
            .is_err()
    );
}
