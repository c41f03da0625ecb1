//! `set-password`: sources, `--if-changed`, dry runs, profiles, unknown users.

use super::TestEnv;
use crate::support::{self};

#[test]
fn replaces_the_password() {
    let env = TestEnv::init();
    env.add_user("alice", "previous pass");
    env.run(
        &["set-password", "alice", "--password-stdin"],
        "brand new pass\n",
    )
    .code(0)
    .stdout("")
    .stderr("changed the password of user 'alice'\n");
    env.run(
        &["verify-login", "alice", "--password-stdin"],
        "previous pass",
    )
    .code(1);
    env.run(
        &["verify-login", "alice", "--password-stdin"],
        "brand new pass",
    )
    .code(0);
    assert!(
        env.hash_of("alice")
            .starts_with("$argon2id$v=19$m=65536,t=3,p=4$")
    );
}

#[test]
fn if_changed_writes_nothing_when_the_password_verifies() {
    let env = TestEnv::init();
    env.add_user("alice", "same as before");
    let before = env.hash_of("alice");
    env.run(
        &["set-password", "alice", "--password-stdin", "--if-changed"],
        "same as before\n",
    )
    .code(0)
    .stderr("user 'alice' already has this password; nothing changed\n");
    assert_eq!(env.hash_of("alice"), before);
    env.run(
        &["set-password", "alice", "--password-stdin", "--if-changed"],
        "another pass\n",
    )
    .code(0)
    .stderr("changed the password of user 'alice'\n");
    assert_ne!(env.hash_of("alice"), before);
}

#[test]
fn dry_run_changes_nothing() {
    let env = TestEnv::init();
    env.add_user("alice", "previous pass");
    let before = env.hash_of("alice");
    env.run(
        &["set-password", "alice", "--password-stdin", "--dry-run"],
        "brand new pass\n",
    )
    .code(0)
    .stderr("would change the password of user 'alice'\n");
    assert_eq!(env.hash_of("alice"), before);
}

#[test]
fn random_password_is_printed_once() {
    let env = TestEnv::init();
    env.add_user("bot", "previous pass");
    let assert = env
        .run(&["set-password", "bot", "--random-password"], "")
        .code(0);
    let password = support::stdout(&assert);
    assert_eq!(password.trim_end().len(), 24);
    env.run(
        &["verify-login", "bot", "--password-stdin"],
        password.trim_end(),
    )
    .code(0);
    env.run(
        &["set-password", "bot", "--random-password", "--if-changed"],
        "",
    )
    .code(2);
}

#[test]
fn unknown_users_are_refused_before_any_password_is_read() {
    let env = TestEnv::init();
    env.run(&["set-password", "nobody"], "")
        .code(3)
        .stderr("error: user 'nobody' does not exist\n");
    env.add_user("alice", "pw-for-tests");
    env.run(&["set-password", "alice"], "").code(8);
}

#[test]
fn test_profile_is_cheap_and_warned_about() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    env.run(&["set-password", "alice", "--password-stdin", "--hash-profile", "test"], "fixture pass\n")
        .code(0)
        .stderr("warning: --hash-profile test: these hashes take microseconds to brute-force; use them for test fixtures only\n\
                 changed the password of user 'alice'\n");
    assert!(
        env.hash_of("alice")
            .starts_with("$argon2id$v=19$m=8,t=1,p=1$")
    );
    env.run(
        &["verify-login", "alice", "--password-stdin"],
        "fixture pass",
    )
    .code(0);
    let assert = env.run(&["show-user", "alice"], "").code(0);
    let shown = support::stdout(&assert);
    assert!(
        shown.contains("hash:         argon2id v=19 m=8 t=1 p=1 (16-byte salt, 32-byte tag)\nscheme:       argon2\nverifies:     yes\nhash profile: test\n"),
        "{shown}"
    );
}
