//! `export`: formats, hashes only on request, atomic private files, the round trip.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use super::TestEnv;
use crate::support::{self, BCRYPT_SECRET};

fn with_users() -> TestEnv {
    let env = TestEnv::init();
    env.add_user_with(
        "alice",
        &["--email", "a@example.com", "--full-name", "Alice, L"],
        "pw-for-tests",
    );
    env.add_user_with("bob", &["--disabled"], "pw-for-tests");
    env.insert_raw(&format!(
        "INSERT INTO users (id, username, hashed_password) VALUES (7, 'legacy', '{BCRYPT_SECRET}');"
    ));
    env
}

#[test]
fn writes_the_import_fields_without_hashes() {
    let env = with_users();
    let assert = env
        .run(&["export"], "")
        .code(0)
        .stdout("id,username,email,full_name,disabled\n1,alice,a@example.com,\"Alice, L\",false\n2,bob,,,true\n7,legacy,,,false\n")
        .stderr("exported 3 users to standard output\n");
    assert!(!support::stdout(&assert).contains("argon2"));
    env.run(&["export", "--format", "json", "-q"], "").code(0).stdout(
        "[\n  {\"id\":1,\"username\":\"alice\",\"email\":\"a@example.com\",\"full_name\":\"Alice, L\",\"disabled\":false},\n  \
         {\"id\":2,\"username\":\"bob\",\"email\":null,\"full_name\":null,\"disabled\":true},\n  \
         {\"id\":7,\"username\":\"legacy\",\"email\":null,\"full_name\":null,\"disabled\":false}\n]\n",
    );
}

#[test]
fn files_are_private_atomic_and_not_overwritten_without_force() {
    let env = with_users();
    let file = env.path("users.jsonl");
    env.cmd()
        .arg("export")
        .arg(&file)
        .arg("--include-hashes")
        .assert()
        .code(0)
        .stdout("")
        .stderr(format!(
            "exported 3 users with their password hashes to {}\n",
            file.display()
        ));
    let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    let text = fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert!(text.contains(BCRYPT_SECRET), "{text}");
    fs::write(&file, "keep me").unwrap();
    env.cmd()
        .arg("export")
        .arg(&file)
        .assert()
        .code(5)
        .stderr(format!(
            "error: {} exists; pass --force to replace it\n",
            file.display()
        ));
    assert_eq!(fs::read_to_string(&file).unwrap(), "keep me");
    env.cmd()
        .arg("export")
        .arg(&file)
        .arg("--force")
        .assert()
        .code(0);
    assert!(fs::read_to_string(&file).unwrap().starts_with("{\"id\":1,"));
    let leftovers: Vec<_> = fs::read_dir(env.dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".authctl-export-")
        })
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn export_then_import_reproduces_the_table_exactly() {
    for format in ["csv", "json", "jsonl"] {
        let env = with_users();
        let assert = env
            .run(&["export", "--include-hashes", "--format", format], "")
            .code(0);
        let exported = support::stdout(&assert);
        let copy = TestEnv::init();
        copy.cmd()
            .args(["import", "-", "--input-format", format])
            .write_stdin(exported)
            .assert()
            .code(0)
            .stderr(format!(
                "{}imported: 3 created, 0 updated, 0 unchanged, 0 skipped, 0 failed\n",
                support::note_both_kinds("imported", "2 Argon2 hashes", "1 bcrypt hash")
            ));
        assert_eq!(copy.dump(), env.dump(), "{format}");
        copy.run(&["verify-login", "legacy", "--password-stdin"], "secret")
            .code(0);
    }
}
