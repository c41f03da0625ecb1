//! `check`: a read-only report of what would go wrong, exact lines, exit codes.

use super::TestEnv;
use crate::support::{ARGON2_SECRET, Engine};

#[test]
fn a_sound_database_reports_nothing_and_exits_0() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    env.add_user("bob", "pw-for-tests");
    env.run(&["check"], "").code(0).stdout("").stderr(format!(
        "checked 2 users in database {} (hash scheme argon2): nothing to report\n",
        env.location()
    ));
}

#[test]
fn problems_and_warnings_are_a_table_problems_first_and_nothing_changes() {
    let env = TestEnv::service_table();
    env.insert_raw(&format!(
        "INSERT INTO users (username, email, disabled, hashed_password) VALUES \
         ('alice', NULL, false, '{ARGON2_SECRET}'), \
         ('Alice', NULL, false, '{ARGON2_SECRET}'), \
         ('carol', NULL, NULL, 'not a hash'), \
         ('dan', NULL, 'yes', NULL), \
         ('ev\u{202e}e', NULL, false, '{ARGON2_SECRET}'), \
         ('fixture', NULL, false, '$argon2id$v=19$m=8,t=1,p=1$wagCPXjifgvUFBzq4hqe3w$CYaIb8sB+wtD+Vu/P4uod1+Qof8h+1g7bbDlBID48Rc'), \
         ('old', NULL, false, '$argon2id$v=19$m=19456,t=2,p=1$wagCPXjifgvUFBzq4hqe3w$CYaIb8sB+wtD+Vu/P4uod1+Qof8h+1g7bbDlBID48Rc');"
    ));
    let before = (env.schema(), env.dump());
    // PostgreSQL's boolean column reads 'yes' as true: no odd value to warn about there.
    let (odd_dan, warnings) = match env.engine() {
        Engine::Sqlite => (
            "warning   odd_disabled       dan          disabled holds text 'yes', which the \
             service reads as disabled; set it with disable-user or enable-user\n",
            6,
        ),
        Engine::Postgres => ("", 5),
    };
    env.run(&["check"], "")
        .code(1)
        .stdout(format!(
            "SEVERITY  CODE               USER         MESSAGE\n\
             problem   unverifiable_hash  carol        the stored password hash is not an argon2 \
             or bcrypt hash (the service cannot identify it and answers 500)\n\
             problem   no_hash            dan          the stored password hash is empty (the \
             service cannot verify it and answers 500)\n\
             warning   odd_disabled       carol        disabled is NULL, which the service reads \
             as active; set it with disable-user or enable-user\n\
             warning   look_alike         Alice        looks like user 'alice': they differ only \
             in case\n\
             {odd_dan}\
             warning   name               ev\\u{{202e}}e  username \"ev\\u{{202e}}e\" contains U+202E, \
             an invisible formatting character (bidirectional control or zero-width)\n\
             warning   rehash             old          the service will rehash this argon2id v=19 \
             m=19456 t=2 p=1 (16-byte salt, 32-byte tag) at the next login (not its current \
             parameters)\n\
             warning   test_profile_hash  fixture      test-profile hash (cheap to brute-force) in \
             a table of real ones; give the user a new password with set-password\n",
        ))
        .stderr(format!(
            "checked 7 users in database {} (hash scheme argon2): 2 problems, {warnings} warnings\n",
            env.location()
        ));
    assert_eq!((env.schema(), env.dump()), before);
}

#[test]
fn warnings_alone_fail_only_with_strict() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    env.add_user_with("Alice", &["--allow-look-alike"], "pw-for-tests");
    env.run(&["check", "-q"], "")
        .code(0)
        .stdout(
            "SEVERITY  CODE        USER   MESSAGE\n\
             warning   look_alike  Alice  looks like user 'alice': they differ only in case\n",
        )
        .stderr("");
    env.run(&["check", "--strict", "-q"], "").code(1);
    // A fixture table of nothing but test-profile hashes is said once, not per user.
    let fixtures = TestEnv::init();
    fixtures
        .run(
            &["import", "-", "--hash-profile", "test", "-q"],
            "username,password\nci1,pw-for-tests\nci2,pw-for-tests\n",
        )
        .code(0);
    fixtures.run(&["check", "-q"], "").code(0).stdout(
        "SEVERITY  CODE               USER  MESSAGE\n\
         warning   test_profile_hash  -     all 2 stored hashes are test-profile (cheap to \
         brute-force): fine for a test fixture, never for real accounts\n",
    );
}

sqlite_only! {
    #[test]
    fn a_damaged_file_and_a_file_others_can_read_are_reported() {
        let env = TestEnv::init();
        env.add_user("alice", "pw-for-tests");
        env.damage_index("ix_users_full_name");
        env.chmod(0o644);
        let db = env.location();
        env.run(&["check", "-q"], "").code(1).stdout(format!(
            "SEVERITY  CODE       USER  MESSAGE\n\
             problem   integrity  -     the database is damaged: row 1 missing from index \
             ix_users_full_name\n\
             warning   file_mode  -     database {db} is readable by its group and others (mode \
             0644) and holds password hashes; restrict it with `chmod 600 {db}`\n"
        ));
    }
}

/// The service's column allows NULL: such a row can never log in, and must not stop a listing.
#[test]
fn a_row_without_a_username_is_listed_and_reported() {
    let env = TestEnv::service_table();
    env.insert_raw(&format!(
        "INSERT INTO users (username, disabled, hashed_password) VALUES \
         (NULL, false, '{ARGON2_SECRET}'), ('bob', false, '{ARGON2_SECRET}');"
    ));
    env.insert_raw("UPDATE users SET email = 'nobody@example.com' WHERE username IS NULL;");
    env.run(&["list-users", "--format", "csv"], "")
        .code(0)
        .stdout(
            "id,username,email,full_name,disabled\n1,,nobody@example.com,,false\n2,bob,,,false\n",
        );
    env.run(
        &[
            "add-user",
            "carol",
            "--email",
            "nobody@example.com",
            "--password-stdin",
        ],
        "",
    )
    .code(4)
    .stderr("error: email 'nobody@example.com' is already used by user ''\n");
    env.run(&["check", "-q"], "").code(0).stdout(
        "SEVERITY  CODE  USER  MESSAGE\n\
         warning   name  ''    the username is empty\n",
    );
}

sqlite_only! {
    #[test]
    fn an_unusable_database_is_an_error_not_a_report() {
        let env = TestEnv::empty();
        env.run(&["check"], "").code(7).stdout("");
        std::fs::write(&env.db, "not a database at all, just text\n").unwrap();
        env.run(&["check"], "").code(7).stdout("").stderr(format!(
            "error: database {}: is not a SQLite database\n",
            env.location()
        ));
    }
}
