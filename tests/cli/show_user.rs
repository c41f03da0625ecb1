//! `show-user`: every non-secret field and what the stored hash is.

use crate::support::{BCRYPT_SECRET, TestEnv};

#[test]
fn shows_fields_and_hash_parameters_never_the_hash() {
    let env = TestEnv::init();
    env.add_user_with("alice", &["--email", "a@example.com", "--disabled"], "pw");
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
hash profile: service
rehash:       current; no rehash
",
        );
    let out = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(!out.contains(&hash[30..]), "the hash was printed");
}

#[test]
fn says_which_hashes_a_service_would_rewrite() {
    let env = TestEnv::service_table();
    env.insert_raw(&format!(
        "INSERT INTO users (username, disabled, hashed_password) VALUES ('johndoe', NULL, '{BCRYPT_SECRET}');
         INSERT INTO users (username, disabled, hashed_password) VALUES ('broken', 0, '!DISABLED!');"
    ));
    env.run(&["show-user", "johndoe"], "").code(0).stdout(
        "\
id:           1
username:     johndoe
email:        -
full name:    -
status:       active
hash:         bcrypt $2b$ cost 12
hash profile: other
rehash:       a service using verify_and_update rehashes it at the next login
",
    );
    env.run(&["show-user", "broken", "--format", "json"], "").code(0).stdout(
        "{\"id\":2,\"username\":\"broken\",\"email\":null,\"full_name\":null,\"disabled\":false,\"hash\":null,\
         \"hash_problem\":\"the stored hash is not an argon2 or bcrypt hash (the service cannot identify it and answers 500)\"}\n",
    );
    env.run(&["show-user", "nobody"], "")
        .code(3)
        .stderr("error: user 'nobody' does not exist\n");
}
