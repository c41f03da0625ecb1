//! `verify-login`: the service's login decision, on every kind of stored hash.

use super::TestEnv;
use crate::support::{self, ARGON2_SECRET, BCRYPT_SECRET, BCRYPT_SWORDFISH};

const REHASH_BCRYPT: &str = "note: the stored hash is bcrypt $2b$ cost 12, not the service's current argon2id v=19 m=65536 t=3 p=4 \
(16-byte salt, 32-byte tag); a service using pwdlib's verify_and_update rehashes it at the next login\n";

fn with_rows(rows: &[(&str, &str, &str)]) -> TestEnv {
    let env = TestEnv::service_table();
    for (username, disabled, hash) in rows {
        env.insert_raw(&format!(
            "INSERT INTO users (username, disabled, hashed_password) VALUES ('{username}', {disabled}, '{hash}');"
        ));
    }
    env
}

#[test]
fn accepts_the_right_password_and_refuses_the_rest_alike() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    env.run(
        &["verify-login", "alice", "--password-stdin"],
        "pw-for-tests\n",
    )
    .code(0)
    .stdout("")
    .stderr("login accepted for 'alice'\n");
    env.run(&["verify-login", "alice", "--password-stdin"], "PW\n")
        .code(1)
        .stdout("")
        .stderr("incorrect username or password\n");
    env.run(
        &["verify-login", "nobody", "--password-stdin"],
        "pw-for-tests\n",
    )
    .code(1)
    .stderr("incorrect username or password\n");
    // Exact, case-sensitive username match, as the service's query.
    env.run(
        &["verify-login", "Alice", "--password-stdin"],
        "pw-for-tests\n",
    )
    .code(1);
    env.run(&["-q", "verify-login", "alice", "--password-stdin"], "PW\n")
        .code(1)
        .stderr("");
}

#[test]
fn a_disabled_user_is_inactive_after_the_password_check() {
    let env = TestEnv::init();
    env.add_user_with("bob", &["--disabled"], "pw-for-tests");
    env.run(
        &["verify-login", "bob", "--password-stdin"],
        "pw-for-tests\n",
    )
    .code(1)
    .stderr("inactive user\n");
    env.run(&["verify-login", "bob", "--password-stdin"], "wrong\n")
        .code(1)
        .stderr("incorrect username or password\n");
}

#[test]
fn contract_test_vectors_verify() {
    let env = with_rows(&[
        ("johndoe", "false", BCRYPT_SECRET),
        ("pwdlib", "false", ARGON2_SECRET),
        ("blog", "NULL", BCRYPT_SWORDFISH),
    ]);
    // Both kinds in one table: a pwdlib service with both hashers, which rewrites bcrypt.
    let both = support::note_both_kinds("stored", "1 Argon2 hash", "2 bcrypt hashes");
    env.run(&["verify-login", "johndoe", "--password-stdin"], "secret\n")
        .code(0)
        .stderr(format!(
            "{both}login accepted for 'johndoe'\n{REHASH_BCRYPT}"
        ));
    env.run(&["verify-login", "pwdlib", "--password-stdin"], "secret\n")
        .code(0)
        .stderr(format!("{both}login accepted for 'pwdlib'\n"));
    env.run(&["verify-login", "blog", "--password-stdin"], "swordfish\n")
        .code(0)
        .stderr(format!("{both}login accepted for 'blog'\n{REHASH_BCRYPT}"));
    env.run(&["verify-login", "blog", "--password-stdin"], "secret\n")
        .code(1);
}

/// An argon2 hash of `password` with other variants and parameters than the service's.
fn argon2_hash(algorithm: argon2::Algorithm, m: u32, t: u32, p: u32, password: &str) -> String {
    use argon2::PasswordHasher;
    let params = argon2::Params::new(m, t, p, Some(32)).unwrap();
    argon2::Argon2::new(algorithm, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes())
        .unwrap()
        .to_string()
}

#[test]
fn other_argon2_variants_parameters_and_bcrypt_prefixes_verify() {
    let hash_i = argon2_hash(argon2::Algorithm::Argon2i, 8192, 2, 1, "secret");
    let hash_d = argon2_hash(argon2::Algorithm::Argon2d, 4096, 1, 2, "secret");
    let low_cost_id = argon2_hash(argon2::Algorithm::Argon2id, 19456, 2, 1, "secret");
    let bcrypt_y = BCRYPT_SECRET.replacen("$2b$", "$2y$", 1);
    let bcrypt_a = BCRYPT_SECRET.replacen("$2b$", "$2a$", 1);
    let env = with_rows(&[
        ("i", "false", &hash_i),
        ("d", "false", &hash_d),
        ("id", "false", &low_cost_id),
        ("y", "false", &bcrypt_y),
        ("a", "false", &bcrypt_a),
    ]);
    env.run(&["verify-login", "i", "--password-stdin"], "secret")
        .code(0)
        .stderr(format!(
            "{}login accepted for 'i'\nnote: the stored hash is argon2i v=19 m=8192 t=2 p=1 (16-byte salt, 32-byte tag), \
             not the service's current argon2id v=19 m=65536 t=3 p=4 (16-byte salt, 32-byte tag); \
             a service using pwdlib's verify_and_update rehashes it at the next login\n",
            support::note_both_kinds("stored", "3 Argon2 hashes", "2 bcrypt hashes")
        ));
    for user in ["d", "id", "y", "a"] {
        env.run(&["verify-login", user, "--password-stdin"], "secret")
            .code(0);
        env.run(&["verify-login", user, "--password-stdin"], "Secret")
            .code(1);
    }
}

#[test]
fn bad_stored_hashes_are_reported_not_attempted() {
    let absurd = "$argon2id$v=19$m=4294967295,t=3,p=4$wagCPXjifgvUFBzq4hqe3w$CYaIb8sB+wtD+Vu/P4uod1+Qof8h+1g7bbDlBID48Rc";
    let keyid = "$argon2id$v=19$m=65536,t=3,p=4,keyid=AAAAAA$wagCPXjifgvUFBzq4hqe3w$CYaIb8sB+wtD+Vu/P4uod1+Qof8h+1g7bbDlBID48Rc";
    let env = with_rows(&[
        ("absurd", "false", absurd),
        ("marker", "false", "!DISABLED!"),
        ("empty", "false", ""),
        (
            "truncated",
            "false",
            "$argon2id$v=19$m=65536,t=3,p=4$wagCPXjifgvUFBzq4hqe3w",
        ),
        ("keyid", "false", keyid),
        (
            "bcrypt31",
            "false",
            &BCRYPT_SECRET.replacen("$12$", "$31$", 1),
        ),
    ]);
    let expect = [
        (
            "absurd",
            "has absurd argon2 parameters m=4294967295 t=3 p=4 (limits: m<=1048576 KiB, t<=64, p<=255); not attempted",
        ),
        (
            "marker",
            "is not an argon2 or bcrypt hash (the service cannot identify it and answers 500)",
        ),
        (
            "empty",
            "is empty (the service cannot verify it and answers 500)",
        ),
        (
            "keyid",
            "has an argon2 parameter 'keyid' the service cannot verify",
        ),
        (
            "bcrypt31",
            "has an absurd bcrypt cost 31 (limit 18); not attempted",
        ),
    ];
    // Counted by prefix: three `$argon2` values and one `$2b$`.
    let both = support::note_both_kinds("stored", "3 Argon2 hashes", "1 bcrypt hash");
    for (user, reason) in expect {
        env.run(&["verify-login", user, "--password-stdin"], "secret")
            .code(5)
            .stdout("")
            .stderr(format!(
                "{both}error: the stored password hash of user '{user}' {reason}\n"
            ));
    }
    env.run(&["verify-login", "truncated", "--password-stdin"], "secret")
        .code(5);
}

#[test]
fn without_a_password_source_it_fails_at_once() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    env.run(&["verify-login", "alice"], "")
        .code(8)
        .stderr("error: no password given and standard input is not a terminal to ask on; use --password-stdin or --password-file PATH\n");
    env.run(&["verify-login", "alice", "--random-password"], "")
        .code(2);
}

#[test]
fn an_unknown_user_costs_one_hash_verification_like_a_wrong_password() {
    use std::time::{Duration, Instant};
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    env.insert_raw(
        "INSERT INTO users (username, disabled, hashed_password) VALUES ('broken', false, '!X');",
    );
    let fastest = |user: &str, code: i32| -> Duration {
        (0..3)
            .map(|_| {
                let started = Instant::now();
                env.run(&["verify-login", user, "--password-stdin"], "wrong")
                    .code(code);
                started.elapsed()
            })
            .min()
            .unwrap()
    };
    // Baseline in the same run: the same command when no hash is verified (refused first).
    let no_hash = fastest("broken", 5);
    let wrong_password = fastest("alice", 1);
    let unknown_user = fastest("nobody", 1);
    eprintln!(
        "no hash {no_hash:?}, wrong password {wrong_password:?}, unknown user {unknown_user:?}"
    );
    assert!(
        wrong_password > no_hash * 3,
        "a verification must dominate: {wrong_password:?} vs {no_hash:?}"
    );
    assert!(
        unknown_user * 2 > wrong_password && unknown_user < wrong_password * 2,
        "unknown user {unknown_user:?} vs wrong password {wrong_password:?}"
    );
}

#[test]
fn under_bcrypt_an_unknown_user_costs_a_verification_at_the_rows_cost() {
    use std::time::{Duration, Instant};
    // Cost 10 takes a quarter of the Argon2 dummy's time: a dummy of the wrong kind would show.
    let hash = support::bcrypt_hash("pw-for-tests", 10);
    let env = with_rows(&[("alice", "false", &hash)]);
    let fastest = |user: &str| -> Duration {
        (0..3)
            .map(|_| {
                let started = Instant::now();
                env.run(&["verify-login", user, "--password-stdin", "-q"], "wrong")
                    .code(1);
                started.elapsed()
            })
            .min()
            .unwrap()
    };
    let wrong_password = fastest("alice");
    let unknown_user = fastest("nobody");
    eprintln!("bcrypt cost 10: wrong password {wrong_password:?}, unknown user {unknown_user:?}");
    assert!(
        unknown_user * 2 > wrong_password && unknown_user < wrong_password * 2,
        "unknown user {unknown_user:?} vs wrong password {wrong_password:?}"
    );
}

#[test]
fn password_stdin_on_a_terminal_does_not_echo() {
    let env = TestEnv::init();
    env.add_user("alice", "typed at a terminal");
    let (success, shown) = env.on_terminal(
        &["verify-login", "alice", "--password-stdin"],
        &["typed at a terminal"],
    );
    assert!(success, "{shown}");
    assert!(shown.contains("Password for alice: "), "{shown}");
    assert!(shown.contains("login accepted for 'alice'"), "{shown}");
    assert!(!shown.contains("typed at a terminal"), "echoed: {shown}");
}
