//! `disable-user` and `enable-user`: idempotent, all or nothing, integer booleans.

use super::TestEnv;
use crate::support::BCRYPT_SWORDFISH;

const NOTE: &str = "note: tokens already issued are refused at once by a service that checks `disabled` on each request \
(the tutorial's /users/me does); a service that does not accepts them until they expire\n";

#[test]
fn disables_and_enables_idempotently() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    env.run(&["disable-user", "alice"], "")
        .code(0)
        .stdout("")
        .stderr(format!("disabled user 'alice'\n{NOTE}"));
    assert_eq!(env.disabled_of("alice"), ("integer".to_owned(), Some(1)));
    env.run(&["disable-user", "alice"], "")
        .code(0)
        .stderr("user 'alice' is already disabled; nothing changed\n");
    env.run(
        &["verify-login", "alice", "--password-stdin"],
        "pw-for-tests",
    )
    .code(1);
    env.run(&["enable-user", "alice", "--dry-run"], "")
        .code(0)
        .stderr("would enable user 'alice'\n");
    assert_eq!(env.disabled_of("alice"), ("integer".to_owned(), Some(1)));
    env.run(&["enable-user", "alice"], "")
        .code(0)
        .stderr("enabled user 'alice'\n");
    assert_eq!(env.disabled_of("alice"), ("integer".to_owned(), Some(0)));
    env.run(&["enable-user", "alice"], "")
        .code(0)
        .stderr("user 'alice' is already active; nothing changed\n");
    env.run(
        &["verify-login", "alice", "--password-stdin"],
        "pw-for-tests",
    )
    .code(0);
}

#[test]
fn several_users_in_one_transaction_all_or_nothing() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    env.add_user("bob", "pw-for-tests");
    let before = env.dump();
    env.run(&["disable-user", "alice", "nobody", "bob"], "")
        .code(3)
        .stdout("")
        .stderr("error: user 'nobody' does not exist\n");
    assert_eq!(
        env.dump(),
        before,
        "nothing may change when one name is unknown"
    );
    env.run(&["disable-user", "alice", "bob", "alice"], "")
        .code(0)
        .stderr(format!(
            "disabled user 'alice'\ndisabled user 'bob'\n{NOTE}"
        ));
    env.run(&["enable-user", "bob", "ghost"], "").code(3);
    assert_eq!(env.disabled_of("bob"), ("integer".to_owned(), Some(1)));
}

#[test]
fn quiet_silences_status_and_note() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    env.run(&["-q", "disable-user", "alice"], "")
        .code(0)
        .stderr("");
    env.run(&["enable-user", "alice", "--quiet"], "")
        .code(0)
        .stderr("");
}

#[test]
fn hand_inserted_rows_with_null_disabled_are_active() {
    let env = TestEnv::service_table();
    env.insert_raw(&format!(
        "INSERT INTO users (username, hashed_password) VALUES ('johndoe', '{BCRYPT_SWORDFISH}');"
    ));
    env.run(&["enable-user", "johndoe"], "")
        .code(0)
        .stderr("user 'johndoe' is already active; nothing changed\n");
    env.run(&["disable-user", "johndoe"], "").code(0);
    assert_eq!(env.disabled_of("johndoe"), ("integer".to_owned(), Some(1)));
}

sqlite_only! {
    #[test]
    fn text_booleans_are_rewritten_as_integers() {
        let env = TestEnv::service_table();
        // The old way: `false` typed as a string in the sqlite3 shell. SQLAlchemy reads it as True.
        env.insert_raw(&format!(
            "INSERT INTO users VALUES (1, 'johndoe', NULL, NULL, 'false', '{BCRYPT_SWORDFISH}');"
        ));
        // A table of bcrypt hashes is a passlib-era service's, which never rehashes.
        env.run(
            &["verify-login", "johndoe", "--password-stdin"],
            "swordfish",
        )
        .code(1)
        .stderr(format!(
            "{}inactive user\n",
            crate::support::note_bcrypt("the 1 stored hash is bcrypt (highest cost 12)")
        ));
        env.run(&["enable-user", "johndoe"], "")
            .code(0)
            .stderr("enabled user 'johndoe'\n");
        assert_eq!(env.disabled_of("johndoe"), ("integer".to_owned(), Some(0)));
    }
}

#[test]
fn needs_at_least_one_name() {
    let env = TestEnv::init();
    env.run(&["disable-user"], "").code(2);
    env.run(&["enable-user"], "").code(2);
}
