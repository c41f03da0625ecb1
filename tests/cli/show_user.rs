//! `show-user`: every non-secret field and what the stored hash is.

use super::TestEnv;
use crate::support::{self, BCRYPT_SECRET};

#[test]
fn shows_fields_and_hash_parameters_never_the_hash() {
    let env = TestEnv::init();
    env.add_user_with(
        "alice",
        &["--email", "a@example.com", "--disabled"],
        "pw-for-tests",
    );
    let hash = env.hash_of("alice");
    let assert = env
        .run(&["show-user", "alice"], "")
        .code(0)
        .stderr("")
        .stdout(
            "\
id:           1
username:     alice
email:        a@example.com
full name:    -
status:       disabled
hash:         argon2id v=19 m=65536 t=3 p=4 (16-byte salt, 32-byte tag)
scheme:       argon2
verifies:     yes
hash profile: service
rehash:       current; no rehash
",
        );
    let out = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(!out.contains(&hash[30..]), "the hash was printed");
}

#[test]
fn says_what_each_kind_of_service_makes_of_a_hash() {
    let env = TestEnv::service_table();
    env.insert_raw(&format!(
        "INSERT INTO users (username, disabled, hashed_password) VALUES ('johndoe', NULL, '{BCRYPT_SECRET}');
         INSERT INTO users (username, disabled, hashed_password) VALUES ('broken', false, '!DISABLED!');"
    ));
    let head = "id:           1\nusername:     johndoe\nemail:        -\nfull name:    -\nstatus:       active\n\
                hash:         bcrypt $2b$ cost 12\n";
    // Detected: a table of bcrypt hashes is a passlib-era service's, which never rehashes.
    env.run(&["show-user", "johndoe"], "")
        .code(0)
        .stderr(support::note_bcrypt(
            "the 1 stored hash is bcrypt (highest cost 12)",
        ))
        .stdout(format!(
            "{head}scheme:       bcrypt\nverifies:     yes\nhash profile: service\n\
             rehash:       never: passlib-era services do not rehash\n"
        ));
    // pwdlib with both hashers verifies it and rewrites it as Argon2id at the next login.
    env.run(
        &["show-user", "johndoe", "--hash-scheme", "argon2+bcrypt"],
        "",
    )
    .code(0)
    .stderr("")
    .stdout(format!(
        "{head}scheme:       argon2+bcrypt\nverifies:     yes\nhash profile: other\n\
             rehash:       a service using verify_and_update rehashes it at the next login\n"
    ));
    // pwdlib's recommended hasher cannot identify it at all.
    env.cmd()
        .args(["show-user", "johndoe"])
        .env("AUTHCTL_HASH_SCHEME", "argon2")
        .assert()
        .code(0)
        .stdout(format!(
            "{head}scheme:       argon2\n\
             verifies:     no: the service's argon2 (pwdlib's recommended hasher, Argon2 only) cannot identify it; its login answers 500\n\
             hash profile: other\nrehash:       -\n"
        ));
    env.run(&["show-user", "johndoe", "--hash-scheme", "argon2", "--format", "json"], "")
        .code(0)
        .stdout(
            "{\"id\":1,\"username\":\"johndoe\",\"email\":null,\"full_name\":null,\"disabled\":false,\
             \"hash_scheme\":\"argon2\",\"hash\":{\"algorithm\":\"bcrypt\",\"prefix\":\"2b\",\"cost\":12,\
             \"hash_profile\":\"other\",\"service_can_verify\":false,\"needs_rehash\":null},\
             \"hash_problem\":\"the stored hash is bcrypt $2b$ cost 12, which the service's hash scheme argon2 \
             (pwdlib's recommended hasher, Argon2 only) cannot identify: its login answers 500\"}\n",
        );
    env.run(&["show-user", "broken", "--format", "json"], "").code(0).stdout(
        "{\"id\":2,\"username\":\"broken\",\"email\":null,\"full_name\":null,\"disabled\":false,\
         \"hash_scheme\":\"bcrypt\",\"hash\":null,\
         \"hash_problem\":\"the stored hash is not an argon2 or bcrypt hash (the service cannot identify it and answers 500)\"}\n",
    );
    env.run(&["show-user", "nobody"], "")
        .code(3)
        .stderr("error: user 'nobody' does not exist\n");
}
