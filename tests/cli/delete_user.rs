//! `delete-user`: confirmation, `--yes`, `--if-exists`, all or nothing, dry runs.

use super::TestEnv;

fn with_users() -> TestEnv {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    env.add_user("bob", "pw-for-tests");
    env
}

#[test]
fn refuses_without_yes_when_no_terminal_is_attached() {
    let env = with_users();
    let before = env.dump();
    env.run(&["delete-user", "bob"], "y\n")
        .code(2)
        .stdout("")
        .stderr("error: refusing to delete users without confirmation: no terminal to ask on; pass --yes\n");
    assert_eq!(env.dump(), before);
}

#[test]
fn deletes_with_yes_all_or_nothing() {
    let env = with_users();
    let before = env.dump();
    env.run(&["delete-user", "bob", "nobody", "--yes"], "")
        .code(3)
        .stderr("error: user 'nobody' does not exist\n");
    assert_eq!(env.dump(), before);
    env.run(&["delete-user", "bob", "-y"], "")
        .code(0)
        .stderr("deleted user 'bob'\n");
    assert_eq!(env.dump().len(), 1);
    env.run(&["verify-login", "bob", "--password-stdin"], "pw-for-tests")
        .code(1);
}

#[test]
fn if_exists_makes_unknown_users_a_no_op() {
    let env = with_users();
    env.run(&["delete-user", "bob", "ghost", "--yes", "--if-exists"], "")
        .code(0)
        .stderr("deleted user 'bob'\nuser 'ghost' does not exist; nothing to delete\n");
}

#[test]
fn dry_run_deletes_nothing_and_needs_no_confirmation() {
    let env = with_users();
    let before = env.dump();
    env.run(&["delete-user", "alice", "bob", "--dry-run"], "")
        .code(0)
        .stderr("would delete user 'alice'\nwould delete user 'bob'\n");
    assert_eq!(env.dump(), before);
}

#[test]
fn asks_on_a_terminal() {
    let env = with_users();
    let (success, shown) = env.on_terminal(&["delete-user", "bob"], &["n"]);
    assert!(!success, "{shown}");
    assert!(
        shown.contains("Delete user 'bob'? This cannot be undone. [y/N] "),
        "{shown}"
    );
    assert!(
        shown.contains("error: not confirmed; nothing was deleted"),
        "{shown}"
    );
    assert_eq!(env.dump().len(), 2);
    let (success, shown) = env.on_terminal(&["delete-user", "bob"], &["y"]);
    assert!(success, "{shown}");
    assert!(shown.contains("deleted user 'bob'"), "{shown}");
    assert_eq!(env.dump().len(), 1);
}
