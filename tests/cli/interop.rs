//! The proof: a real FastAPI login service (tests/interop/app.py, packages pinned from PyPI)
//! accepts the databases, users, hashes and tokens the authctl binary makes, and agrees with it.


use serde_json::{Value, json};

use crate::support::service::{Reply, Service, helper, spawn_helper};
use super::TestEnv;
use crate::support::{self, ARGON2_SECRET, BCRYPT_SECRET, BCRYPT_SWORDFISH, KEY};

fn start(env: &TestEnv) -> Service {
    Service::start(env.dir(), &env.service_url(), KEY)
}

fn assert_refused_credentials(reply: &Reply) {
    assert_eq!(reply.status, 401, "{reply:?}");
    assert_eq!(
        reply.body,
        json!({"detail": "Incorrect username or password"})
    );
    assert_eq!(reply.www_authenticate.as_deref(), Some("Bearer"));
}

fn assert_invalid_token(reply: &Reply) {
    assert_eq!(reply.status, 401, "{reply:?}");
    assert_eq!(
        reply.body,
        json!({"detail": "Could not validate credentials"})
    );
    assert_eq!(reply.www_authenticate.as_deref(), Some("Bearer"));
}

fn assert_inactive(reply: &Reply) {
    assert_eq!(reply.status, 400, "{reply:?}");
    assert_eq!(reply.body, json!({"detail": "Inactive user"}));
}

/// Proof 1a: the service adopts a database made by `authctl init-db` as it is.
#[test]
fn service_uses_a_database_made_by_init_db() {
    let env = TestEnv::init();
    env.add_user_with(
        "alice",
        &[
            "--email",
            "alice@example.com",
            "--full-name",
            "Alice Liddell",
        ],
        "down the rabbit hole",
    );
    let schema = env.schema();
    let service = start(&env);
    assert_eq!(
        env.schema(),
        schema,
        "the service's create_all changed authctl's table"
    );
    let login = service.login("alice", "down the rabbit hole");
    assert_eq!(login.status, 200, "{login:?}");
    assert_eq!(login.body["token_type"], "bearer");
    let me = service.get_me(login.body["access_token"].as_str());
    assert_eq!(me.status, 200, "{me:?}");
    assert_eq!(
        me.body,
        json!({"username": "alice", "email": "alice@example.com", "full_name": "Alice Liddell", "disabled": false})
    );
}

/// Proof 1b: every authctl command works on the table the service's `create_all` made.
#[test]
fn authctl_uses_a_database_made_by_create_all() {
    let env = TestEnv::empty();
    // The service's own relative URL, resolved in the working directory as it does.
    let service = Service::start(env.dir(), &env.service_url(), KEY);
    let schema = env.schema();
    assert!(
        schema.iter().any(|line| line.contains("ix_users_email")),
        "the service did not create its table: {schema:?}"
    );
    // The service made the file with the umask's mode, which authctl points out.
    let db = env.location();
    let warning = env.readable_warning();
    env.cmd().arg("init-db").assert().code(0).stderr(format!(
        "database {db} has a users table the service made; it is compatible and was left \
         unchanged\n{warning}"
    ));
    env.chmod(0o600);
    env.run(
        &[
            "add-user",
            "bob",
            "--email",
            "bob@example.com",
            "--password-stdin",
        ],
        "bob the builder\n",
    )
    .code(0);
    env.run(&["list-users", "--format", "csv"], "")
        .code(0)
        .stdout("id,username,email,full_name,disabled\n1,bob,bob@example.com,,false\n");
    env.run(
        &["verify-login", "bob", "--password-stdin"],
        "bob the builder",
    )
    .code(0);
    assert_eq!(service.login_and_me("bob", "bob the builder").status, 200);
    env.run(&["disable-user", "bob"], "").code(0);
    assert_inactive(&service.login_and_me("bob", "bob the builder"));
    env.run(&["enable-user", "bob"], "").code(0);
    let token = env.issue_token("bob", &[]);
    assert_eq!(service.get_me(Some(&token)).status, 200);
    assert_eq!(env.schema(), schema, "authctl changed the service's table");
}

/// Proof 2: users added with each password source log in; refusals and disabling are the service's.
#[test]
fn users_from_every_password_source_log_in() {
    let env = TestEnv::init();
    env.run(
        &["add-user", "from-stdin-side", "--password-stdin"],
        "stdin pass\r\n",
    )
    .code(0);
    let file = env.path("password.txt");
    std::fs::write(&file, "file pass\n").unwrap();
    env.cmd()
        .args(["add-user", "from-file-side", "--password-file"])
        .arg(&file)
        .assert()
        .code(0);
    let random = support::stdout(
        &env.run(&["add-user", "random", "--random-password"], "")
            .code(0),
    );
    env.add_user_on_terminal("from-prompt-side", "prompt pass");
    let service = start(&env);
    for (user, password) in [
        ("from-stdin-side", "stdin pass"),
        ("from-file-side", "file pass"),
        ("random", random.trim_end()),
        ("from-prompt-side", "prompt pass"),
    ] {
        let me = service.login_and_me(user, password);
        assert_eq!(me.status, 200, "{user}: {me:?}");
        assert_eq!(me.body["username"], user);
        assert_refused_credentials(&service.login(user, &format!("{password}x")));
    }
    assert_refused_credentials(&service.login("nobody", "stdin pass"));

    env.run(&["disable-user", "from-stdin-side"], "").code(0);
    assert_inactive(&service.login_and_me("from-stdin-side", "stdin pass"));
    env.run(&["enable-user", "from-stdin-side"], "").code(0);
    assert_eq!(
        service.login_and_me("from-stdin-side", "stdin pass").status,
        200
    );
}

/// Proof 3: pwdlib would never rewrite a hash authctl wrote.
#[test]
fn pwdlib_does_not_want_to_rehash_authctl_hashes() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    env.run(&["add-user", "bob", "--disabled", "--random-password"], "")
        .code(0);
    env.run(
        &["add-user", "carol", "--password-stdin"],
        "ünïcødé pässwörd\n",
    )
    .code(0);
    let hashes: Vec<String> = ["alice", "bob", "carol"]
        .iter()
        .map(|u| env.hash_of(u))
        .collect();
    // A control that the check can say yes: a hash with the argon2 crate's own defaults.
    let mut checked = hashes.clone();
    checked.push("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZWU".to_owned());
    let answer = helper(&json!({"op": "needs_rehash", "hashes": checked}));
    assert_eq!(
        answer["needs_rehash"],
        json!([false, false, false, true]),
        "{hashes:?}"
    );
}

/// Proof 4: `verify-login` and the service give the same answer on the same rows.
#[test]
fn verify_login_agrees_with_the_service() {
    let hash = |request: Value| helper(&request)["hash"].as_str().unwrap().to_owned();
    let cafe_nfc = "caf\u{e9}";
    let rows: Vec<(&str, &str, String, &str)> = vec![
        // (username, disabled, hash, right password)
        (
            "pwdlib-default",
            "false",
            hash(json!({"op": "hash", "scheme": "argon2", "password": "secret"})),
            "secret",
        ),
        (
            "pwdlib-low",
            "NULL",
            hash(
                json!({"op": "hash", "scheme": "argon2", "m": 19456, "t": 2, "p": 1, "password": "pässwörd"}),
            ),
            "pässwörd",
        ),
        (
            "argon2i",
            "false",
            hash(
                json!({"op": "hash", "scheme": "argon2", "type": "i", "m": 8192, "t": 2, "p": 1, "password": "密码🔑"}),
            ),
            "密码🔑",
        ),
        (
            "argon2d",
            "NULL",
            hash(
                json!({"op": "hash", "scheme": "argon2", "type": "d", "m": 4096, "t": 1, "p": 2, "password": cafe_nfc}),
            ),
            cafe_nfc,
        ),
        (
            "bcrypt-2b",
            "false",
            hash(json!({"op": "hash", "scheme": "bcrypt", "rounds": 4, "password": "secret"})),
            "secret",
        ),
        (
            "bcrypt-2a",
            "NULL",
            hash(
                json!({"op": "hash", "scheme": "bcrypt", "rounds": 5, "prefix": "2a", "password": "Grüße"}),
            ),
            "Grüße",
        ),
        ("johndoe", "false", BCRYPT_SECRET.to_owned(), "secret"),
        ("johndoe-pwdlib", "NULL", ARGON2_SECRET.to_owned(), "secret"),
        ("blog", "NULL", BCRYPT_SWORDFISH.to_owned(), "swordfish"),
        (
            "disabled",
            "true",
            hash(json!({"op": "hash", "scheme": "argon2", "password": "secret"})),
            "secret",
        ),
    ];
    let env = TestEnv::service_table();
    for (user, disabled, hash, _) in &rows {
        env.insert_raw(&format!(
            "INSERT INTO users (username, disabled, hashed_password) VALUES ('{user}', {disabled}, '{hash}');"
        ));
    }
    let service = start(&env);
    let mut compared = 0;
    for (user, _, _, right) in &rows {
        let nfd = right.replace('\u{e9}', "e\u{301}");
        let mut candidates = vec![
            (*right).to_owned(),
            format!("{right}!"),
            right.to_uppercase(),
        ];
        if nfd != *right {
            candidates.push(nfd);
        }
        for password in candidates {
            let authctl = env
                .run(&["verify-login", user, "--password-stdin"], &password)
                .get_output()
                .status
                .code();
            let service_accepts = service.login_and_me(user, &password).status == 200;
            assert_eq!(
                authctl == Some(0),
                service_accepts,
                "{user} with {password:?}: authctl exit {authctl:?}, service accepts: {service_accepts}"
            );
            assert!(matches!(authctl, Some(0 | 1)), "{user}: exit {authctl:?}");
            compared += 1;
        }
    }
    assert!(compared >= 31, "{compared}");
    // The disabled row: both refuse it, with the service's own word.
    env.run(&["verify-login", "disabled", "--password-stdin"], "secret")
        .code(1)
        .stderr(format!(
            "{}inactive user\n",
            support::note_both_kinds("stored", "6 Argon2 hashes", "4 bcrypt hashes")
        ));
    assert_inactive(&service.login_and_me("disabled", "secret"));
}

/// Proof 5: authctl's tokens are accepted, and refused exactly as the service's own are.
#[test]
fn tokens_are_accepted_and_refused_like_the_service_own() {
    let env = TestEnv::init();
    for user in ["alice", "bob", "carol"] {
        env.add_user(user, "pw-for-tests");
    }
    let service = start(&env);

    let token = env.issue_token("alice", &[]);
    let me = service.get_me(Some(&token));
    assert_eq!(me.status, 200, "{me:?}");
    assert_eq!(me.body["username"], "alice");

    // Signed with another key: refused.
    let other = env
        .cmd()
        .env("SECRET_KEY", "another-key-another-key-another-key")
        .args(["issue-token", "alice"])
        .assert()
        .code(0);
    assert_invalid_token(&service.get_me(Some(support::stdout(&other).trim_end())));

    // Expired: refused, as the service's own token with an exp in the past is.
    let short = env.issue_token("alice", &["--expires-in", "1s"]);
    let own_expired = helper(
        &json!({"op": "token", "secret": KEY, "claims": {"sub": "alice", "exp": 1_000_000_000}}),
    );
    // Until the clock is past its `exp` (PyJWT refuses `exp <= now`), with a second to spare.
    let exp = support::claims(&short)["exp"].as_u64().unwrap();
    support::wait_until("the token's expiry", || support::unix_now() > exp);
    assert_invalid_token(&service.get_me(Some(&short)));
    assert_invalid_token(&service.get_me(own_expired["token"].as_str()));

    // The user deleted (in SQL) after issue: both refused alike.
    let ours = env.issue_token("bob", &[]);
    let theirs = service.login("bob", "pw-for-tests").body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    env.insert_raw("DELETE FROM users WHERE username = 'bob';");
    assert_invalid_token(&service.get_me(Some(&ours)));
    assert_invalid_token(&service.get_me(Some(&theirs)));

    // The user disabled after issue: both refused alike, at once.
    let ours = env.issue_token("carol", &[]);
    let theirs = service.login("carol", "pw-for-tests").body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(service.get_me(Some(&ours)).status, 200);
    env.run(&["disable-user", "carol"], "").code(0);
    assert_inactive(&service.get_me(Some(&ours)));
    assert_inactive(&service.get_me(Some(&theirs)));
}

/// Proof 6: authctl writes while the service serves a stream of logins; nothing fails, every
/// change shows at the next login.
#[test]
fn authctl_and_a_busy_service_share_the_file() {
    let env = TestEnv::init();
    env.add_user("steady", "a steady passphrase");
    let service = start(&env);
    let requests = 300;
    let mut load = spawn_helper(&json!({
        "op": "load", "url": service.url, "username": "steady", "password": "a steady passphrase",
        "requests": requests,
    }));

    let mut rounds = 0;
    while rounds < 4 || load.try_wait().unwrap().is_none() {
        let user = format!("user{rounds}");
        env.run(&["add-user", &user, "--password-stdin"], "pw-for-tests\n")
            .code(0);
        assert_eq!(
            service.login_and_me(&user, "pw-for-tests").status,
            200,
            "{user} after add-user"
        );
        env.run(&["disable-user", &user], "").code(0);
        assert_inactive(&service.login_and_me(&user, "pw-for-tests"));
        env.run(&["enable-user", &user], "").code(0);
        assert_eq!(
            service.login_and_me(&user, "pw-for-tests").status,
            200,
            "{user} after enable-user"
        );
        rounds += 1;
        assert!(rounds < 200, "the load never finished");
    }
    let output = load.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["errors"], json!([]), "{report}\n{}", service.log());
    assert_eq!(report["status"], json!({"200": requests}), "{report}");
    assert!(
        !service.log().contains("database is locked"),
        "{}",
        service.log()
    );
    eprintln!(
        "interop load: {requests} logins while authctl ran {rounds} add/disable/enable rounds"
    );
}

/// Issue 4's proof: users from every kind of import record, and a password changed by
/// `set-password`, log in through the service.
#[test]
fn imported_users_and_changed_passwords_log_in() {
    let hash = |request: Value| helper(&request)["hash"].as_str().unwrap().to_owned();
    let bcrypt = hash(
        json!({"op": "hash", "scheme": "bcrypt", "rounds": 4, "password": "from-bcrypt-side"}),
    );
    let argon2 = hash(json!({"op": "hash", "scheme": "argon2", "password": "from-pwdlib-side"}));
    let env = TestEnv::init();
    let records = [
        json!({"username": "plain", "email": "plain@example.com", "password": "from-plain-side"}),
        json!({"username": "bcrypt", "hashed_password": bcrypt}),
        json!({"username": "argon2", "hashed_password": argon2, "full_name": "Pwd Lib"}),
        json!({"username": "locked", "disabled": true, "password": "from-locked-side"}),
    ];
    let jsonl = records
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    env.cmd()
        .args(["import", "-", "--input-format", "jsonl"])
        .write_stdin(jsonl)
        .assert()
        .code(0);
    env.cmd()
        .args(["import", "-", "--hash-profile", "test"])
        .write_stdin("username,password\nfixture,from-fixture-side\n")
        .assert()
        .code(0);
    env.cmd()
        .args(["import", "-", "--missing-password", "disabled"])
        .write_stdin("username\nnopass\n")
        .assert()
        .code(0);
    env.add_user("changed", "old password");
    env.run(
        &["set-password", "changed", "--password-stdin"],
        "new password\n",
    )
    .code(0);

    let service = start(&env);
    for (user, password) in [
        ("plain", "from-plain-side"),
        ("bcrypt", "from-bcrypt-side"),
        ("argon2", "from-pwdlib-side"),
        ("fixture", "from-fixture-side"),
        ("changed", "new password"),
    ] {
        let me = service.login_and_me(user, password);
        assert_eq!(me.status, 200, "{user}: {me:?}");
        assert_eq!(me.body["username"], user);
    }
    assert_eq!(
        service.login_and_me("argon2", "from-pwdlib-side").body["full_name"],
        "Pwd Lib"
    );
    assert_inactive(&service.login_and_me("locked", "from-locked-side"));
    assert_refused_credentials(&service.login("changed", "old password"));
    assert_refused_credentials(&service.login("nopass", "nopass"));
    // The test profile's hashes verify, and pwdlib would rehash them (as it should).
    let fixture_hash = env.hash_of("fixture");
    let answer =
        helper(&json!({"op": "needs_rehash", "hashes": [fixture_hash, env.hash_of("plain")]}));
    assert_eq!(answer["needs_rehash"], json!([true, false]));
}

/// The service's own inserts after authctl's: an import that brought ids moves the id sequence
/// past them (PostgreSQL's SERIAL would otherwise hand out an id already taken), and ids authctl
/// took from the sequence but did not use are given back, so the service's next id follows on.
#[test]
fn the_service_inserts_after_imports_with_and_without_ids() {
    let env = TestEnv::service_table();
    let insert = |username: &str| {
        helper(&json!({
            "op": "insert",
            "database_url": env.service_url(),
            "username": username,
            "hash": ARGON2_SECRET,
        }))["id"]
            .as_i64()
            .unwrap()
    };
    let five = (1..=5).fold(String::from("username,password\n"), |mut csv, i| {
        use std::fmt::Write;
        writeln!(csv, "user{i},pass phrase {i}").unwrap();
        csv
    });
    std::fs::write(env.path("five.csv"), five).unwrap();
    env.run(&["-q", "import", "five.csv", "--hash-profile", "test"], "")
        .code(0);
    assert_eq!(insert("sixth"), 6);
    std::fs::write(
        env.path("ids.csv"),
        "id,username,password\n10,ten,pass phrase 10\n20,twenty,pass phrase 20\n",
    )
    .unwrap();
    env.run(&["-q", "import", "ids.csv", "--hash-profile", "test"], "")
        .code(0);
    assert_eq!(insert("after-ids"), 21);
    env.add_user("added", "pw-for-tests");
    assert_eq!(insert("after-add"), 23);
    env.run(&["show-user", "added", "--format", "json"], "")
        .code(0)
        .stdout(predicates::str::contains("{\"id\":22,"));
}
