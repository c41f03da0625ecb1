//! The hash-scheme proof: a passlib-era service (the 2020 tutorial and the blog: passlib bcrypt,
//! python-jose) accepts what authctl writes for it, and `verify-login` answers as each kind of
//! service does, down to the 500 of a hash its library cannot identify.

use serde_json::json;

use super::TestEnv;
use crate::support::service::{App, Reply, Service};
use crate::support::{self, ARGON2_SECRET, BCRYPT_SECRET, BCRYPT_SWORDFISH, KEY};

/// The service `app` on this test's database.
fn start(app: App, env: &TestEnv) -> Service {
    Service::start_app(
        app,
        env.dir(),
        &format!("sqlite:///{}", env.db.display()),
        KEY,
    )
}

fn assert_ok(reply: &Reply, username: &str) {
    assert_eq!(reply.status, 200, "{username}: {reply:?}");
    assert_eq!(reply.body["username"], username, "{reply:?}");
}

fn assert_refused(reply: &Reply) {
    assert_eq!(reply.status, 401, "{reply:?}");
    assert_eq!(
        reply.body,
        json!({"detail": "Incorrect username or password"})
    );
}

fn assert_inactive(reply: &Reply) {
    assert_eq!(reply.status, 400, "{reply:?}");
    assert_eq!(reply.body, json!({"detail": "Inactive user"}));
}

/// `verify-login`'s exit code for a login, with the options given.
fn verify(env: &TestEnv, username: &str, password: &str, options: &[&str]) -> Option<i32> {
    env.cmd()
        .args(["verify-login", username, "--password-stdin"])
        .args(options)
        .write_stdin(password)
        .assert()
        .get_output()
        .status
        .code()
}

/// What authctl says of a login and what the service does agree: 0 ↔ 200 at /users/me (after
/// a token), 1 ↔ 401 or 400, 9 ↔ 500.
fn assert_agree(
    env: &TestEnv,
    service: &Service,
    username: &str,
    password: &str,
    options: &[&str],
) {
    let authctl = verify(env, username, password, options);
    let reply = service.login_and_me(username, password);
    let expected = match reply.status {
        200 => Some(0),
        400 | 401 => Some(1),
        500 => Some(9),
        other => panic!("{username}: unexpected status {other}: {reply:?}"),
    };
    assert_eq!(
        authctl, expected,
        "{username} with {password:?} ({options:?}): authctl exit {authctl:?}, service {reply:?}"
    );
}

/// The blog's own setup: the service creates the table, johndoe is inserted by hand; then every
/// way authctl writes a password, with no option, gives users the passlib service logs in.
#[test]
fn passlib_service_accepts_what_authctl_writes_beside_the_blog_row() {
    let env = TestEnv::empty();
    let service = Service::start_app(App::Passlib, env.dir(), "sqlite:///./users.db", KEY);
    // As an operator told by authctl's warning would (the service made it with the umask's mode).
    env.chmod(0o600);
    env.insert_raw(&format!(
        "INSERT INTO users VALUES (1, 'johndoe', 'johndoe@example.com', 'John Doe', false, '{BCRYPT_SWORDFISH}');"
    ));
    assert_ok(&service.login_and_me("johndoe", "swordfish"), "johndoe");

    env.run(
        &["add-user", "alice", "--password-stdin"],
        "down the rabbit hole\n",
    )
    .code(0)
    .stderr(format!(
        "{}created user 'alice' (id 2)\n",
        support::note_bcrypt("the 1 stored hash is bcrypt (highest cost 12)")
    ));
    assert!(
        env.hash_of("alice").starts_with("$2b$12$"),
        "{}",
        env.hash_of("alice")
    );
    let random = support::stdout(
        &env.run(&["add-user", "bot", "--random-password", "-q"], "")
            .code(0),
    );
    env.cmd()
        .args(["import", "-", "--input-format", "jsonl", "-q"])
        .write_stdin(format!(
            "{}\n{}\n",
            json!({"username": "carol", "email": "carol@example.com", "password": "from-import-side"}),
            json!({"username": "legacy", "hashed_password": BCRYPT_SECRET}),
        ))
        .assert()
        .code(0);
    env.add_user("changed", "old password");
    env.run(
        &["set-password", "changed", "--password-stdin", "-q"],
        "new password\n",
    )
    .code(0);
    // 72 bytes is bcrypt's whole input: accepted, and stored so that passlib verifies it.
    let long = "p".repeat(72);
    env.add_user("long", &long);

    for (user, password) in [
        ("alice", "down the rabbit hole"),
        ("bot", random.trim_end()),
        ("carol", "from-import-side"),
        ("legacy", "secret"),
        ("changed", "new password"),
    ] {
        assert_ok(&service.login_and_me(user, password), user);
        assert_refused(&service.login(user, &format!("{password}x")));
    }
    assert_ok(&service.login_and_me("long", &long), "long");
    assert_refused(&service.login("long", &"p".repeat(71)));
    assert_refused(&service.login("changed", "old password"));

    // Tokens from issue-token pass python-jose; disabling refuses the user and the token at once.
    let token = env.issue_token("alice", &[]);
    assert_ok(&service.get_me(Some(&token)), "alice");
    env.run(&["disable-user", "alice"], "").code(0);
    assert_inactive(&service.login_and_me("alice", "down the rabbit hole"));
    assert_inactive(&service.get_me(Some(&token)));

    // verify-login answers as this service does, with no option: passlib with bcrypt 4 reads the
    // first 72 bytes of a longer password, so this one logs in too.
    let longer = format!("{long}and more");
    assert_ok(&service.login_and_me("long", &longer), "long");
    for (user, password) in [
        ("johndoe", "swordfish"),
        ("johndoe", "Swordfish"),
        ("alice", "down the rabbit hole"),
        ("nobody", "down the rabbit hole"),
        ("long", long.as_str()),
        ("long", longer.as_str()),
    ] {
        assert_agree(&env, &service, user, password, &[]);
    }
    // passlib raises on a NUL character: the service answers 500, verify-login exits 9.
    assert_agree(&env, &service, "carol", "from\0import", &[]);
    // A password bcrypt cannot take is refused, not truncated.
    env.run(
        &["set-password", "long", "--password-stdin"],
        &format!("{longer}\n"),
    )
    .code(5);

    // An Argon2 row, forced in, is a 500 for this service; verify-login says so once it is told
    // the scheme (the table now holds both kinds, which alone would mean a pwdlib service).
    env.run(
        &[
            "add-user",
            "argon",
            "--hash-scheme",
            "argon2",
            "--password-stdin",
        ],
        "pw-for-tests\n",
    )
    .code(0);
    let reply = service.login("argon", "pw-for-tests");
    assert_eq!(reply.status, 500, "{reply:?}");
    assert_agree(
        &env,
        &service,
        "argon",
        "pw-for-tests",
        &["--hash-scheme", "bcrypt"],
    );
    assert_agree(
        &env,
        &service,
        "johndoe",
        "swordfish",
        &["--hash-scheme", "bcrypt"],
    );
}

/// A passlib-era service started on a table made by init-db: `--hash-scheme bcrypt` (or the
/// environment variable) on the first user, detection after it; the test profile's cost 4 too.
#[test]
fn passlib_service_on_a_new_table_with_hash_scheme_bcrypt() {
    let env = TestEnv::init();
    env.run(
        &[
            "add-user",
            "first",
            "--hash-scheme",
            "bcrypt",
            "--password-stdin",
        ],
        "primary pass 1\n",
    )
    .code(0)
    .stderr("created user 'first' (id 1)\n");
    env.cmd()
        .args(["add-user", "second", "--password-stdin"])
        .env("AUTHCTL_HASH_SCHEME", "bcrypt")
        .write_stdin("runner-up pass 2\n")
        .assert()
        .code(0)
        .stderr("created user 'second' (id 2)\n");
    env.cmd()
        .args(["import", "-", "--hash-profile", "test", "-q"])
        .write_stdin("username,password\nfixture,fixture passphrase 2\n")
        .assert()
        .code(0);
    assert!(
        env.hash_of("fixture").starts_with("$2b$04$"),
        "{}",
        env.hash_of("fixture")
    );
    let service = start(App::Passlib, &env);
    for (user, password) in [
        ("first", "primary pass 1"),
        ("second", "runner-up pass 2"),
        ("fixture", "fixture passphrase 2"),
    ] {
        assert_ok(&service.login_and_me(user, password), user);
        assert_agree(&env, &service, user, password, &[]);
        assert_agree(&env, &service, user, "wrong", &[]);
    }
    let token = env.issue_token("fixture", &[]);
    assert_ok(&service.get_me(Some(&token)), "fixture");
}

/// The current tutorial's service (PasswordHash.recommended(), Argon2 only) answers 500 for a
/// bcrypt row; verify-login with its scheme exits 9 for it, and agrees on everything else.
#[test]
fn argon2_only_service_and_verify_login_agree_on_bcrypt_rows() {
    let env = TestEnv::service_table();
    env.insert_raw(&format!(
        "INSERT INTO users (username, disabled, hashed_password) VALUES ('blog', 0, '{BCRYPT_SWORDFISH}');
         INSERT INTO users (username, disabled, hashed_password) VALUES ('johndoe', NULL, '{ARGON2_SECRET}');
         INSERT INTO users (username, disabled, hashed_password) VALUES ('locked', 1, '{ARGON2_SECRET}');"
    ));
    let service = start(App::Argon2Only, &env);
    let reply = service.login("blog", "swordfish");
    assert_eq!(reply.status, 500, "{reply:?}");
    let argon2 = ["--hash-scheme", "argon2"];
    for (user, password) in [
        ("blog", "swordfish"),
        ("blog", "wrong"),
        ("johndoe", "secret"),
        ("johndoe", "Secret"),
        ("locked", "secret"),
        ("nobody", "secret"),
    ] {
        assert_agree(&env, &service, user, password, &argon2);
    }
    env.run(
        &["verify-login", "blog", "--password-stdin", "--hash-scheme", "argon2"],
        "swordfish",
    )
    .code(9)
    .stderr(
        "error: the stored password hash of user 'blog' is bcrypt $2b$ cost 12, which the service's hash \
         scheme argon2 (pwdlib's recommended hasher, Argon2 only) cannot identify: its login answers 500\n",
    );
    // An import of a bcrypt hash for this service is refused with its line, nothing written.
    let before = env.dump();
    env.cmd()
        .args(["import", "-", "--hash-scheme", "argon2"])
        .write_stdin(format!("username,hashed_password\nnew,{BCRYPT_SECRET}\n"))
        .assert()
        .code(5)
        .stderr(
            "error: 1 problem in the input; nothing was written:\n  line 2, field hashed_password: the hash is \
             bcrypt $2b$ cost 12, which the service's hash scheme argon2 (pwdlib's recommended hasher, Argon2 only) \
             cannot identify: its login answers 500\n",
        );
    assert_eq!(env.dump(), before);
}

/// Users of a passlib-era service moved with `export --include-hashes | import` into a new table
/// keep logging in there: the imported hashes decide the scheme, passwords imported beside them
/// are hashed with it.
#[test]
fn a_passlib_table_moves_with_export_and_import() {
    let old = TestEnv::service_table();
    old.insert_raw(&format!(
        "INSERT INTO users VALUES (1, 'johndoe', 'johndoe@example.com', 'John Doe', false, '{BCRYPT_SWORDFISH}');"
    ));
    old.add_user("alice", "down the rabbit hole");
    let exported = support::stdout(
        &old.run(
            &["export", "--include-hashes", "--format", "jsonl", "-q"],
            "",
        )
        .code(0),
    );
    let new = TestEnv::init();
    new.cmd()
        .args(["import", "-", "--input-format", "jsonl", "-q"])
        .write_stdin(format!(
            "{exported}{}\n",
            json!({"username": "carol", "password": "beside them"})
        ))
        .assert()
        .code(0);
    assert!(
        new.hash_of("carol").starts_with("$2b$12$"),
        "{}",
        new.hash_of("carol")
    );
    let service = start(App::Passlib, &new);
    for (user, password) in [
        ("johndoe", "swordfish"),
        ("alice", "down the rabbit hole"),
        ("carol", "beside them"),
    ] {
        assert_ok(&service.login_and_me(user, password), user);
    }
}

/// pwdlib with both hashers (the full-stack template's way) raises on a password over 72 bytes
/// against a bcrypt row (bcrypt 5): a 500, which verify-login reports as exit 9.
#[test]
fn pwdlib_raises_on_long_passwords_against_bcrypt_rows() {
    let long = "p".repeat(72);
    let env = TestEnv::service_table();
    env.insert_raw(&format!(
        "INSERT INTO users (username, disabled, hashed_password) VALUES ('legacy', 0, '{}'), ('argon', 0, '{ARGON2_SECRET}');",
        support::bcrypt_hash(&long, 4)
    ));
    let service = start(App::Pwdlib, &env);
    let longer = format!("{long}and more");
    for (user, password) in [
        ("legacy", long.as_str()),
        ("legacy", longer.as_str()),
        ("legacy", "short"),
        ("argon", "secret"),
        ("nobody", longer.as_str()),
    ] {
        assert_agree(&env, &service, user, password, &[]);
    }
    let reply = service.login("legacy", &longer);
    assert_eq!(reply.status, 500, "{reply:?}");
}
