//! Which database: --db, --database-url, DATABASE_URL and ./users.db; locks; unusable files.

use std::time::Duration;

use crate::support::{TestEnv, bin};

#[test]
fn database_url_accepts_the_service_sqlalchemy_urls() {
    let env = TestEnv::empty();
    std::fs::create_dir(env.path("data")).unwrap();
    // Relative URLs are relative to the working directory, as for the service.
    env.bare()
        .env("DATABASE_URL", "sqlite:///./data/app.db")
        .arg("init-db")
        .assert()
        .code(0)
        .stderr("created database ./data/app.db with table users\n");
    assert!(env.path("data/app.db").exists());
    env.bare()
        .args([
            "--database-url",
            "sqlite+aiosqlite:///./data/app.db",
            "add-user",
            "alice",
            "--password-stdin",
        ])
        .write_stdin("pw-for-tests\n")
        .assert()
        .code(0);
    let absolute = format!("sqlite:///{}", env.path("data/app.db").display());
    assert!(absolute.starts_with("sqlite:////"));
    env.bare()
        .env("DATABASE_URL", &absolute)
        .args(["list-users", "--format", "csv"])
        .assert()
        .code(0)
        .stdout("id,username,email,full_name,disabled\n1,alice,,,false\n");
    env.bare()
        .env(
            "DATABASE_URL",
            "sqlite:///data/app.db?check_same_thread=false",
        )
        .args(["list-users", "--format", "jsonl"])
        .assert()
        .code(0)
        .stdout(
            "{\"id\":1,\"username\":\"alice\",\"email\":null,\"full_name\":null,\"disabled\":false}\n",
        );
}

#[test]
fn options_take_precedence_over_the_environment_and_may_follow_the_subcommand() {
    let env = TestEnv::init();
    env.bare()
        .env("DATABASE_URL", "postgresql://ignored/db")
        .args(["list-users", "--format", "csv", "--db"])
        .arg(&env.db)
        .assert()
        .code(0);
    env.bare()
        .args([
            "--db",
            "a.db",
            "--database-url",
            "sqlite:///b.db",
            "list-users",
        ])
        .assert()
        .code(2);
}

#[test]
fn defaults_to_users_db_in_the_working_directory() {
    let env = TestEnv::empty();
    env.bare()
        .arg("init-db")
        .assert()
        .code(0)
        .stderr("created database users.db with table users\n");
    assert!(env.path("users.db").exists());
}

#[test]
fn other_engines_are_refused_naming_what_is_supported() {
    let env = TestEnv::empty();
    env.bare()
        .env("DATABASE_URL", "postgresql://app:s3cret@db.internal/app")
        .arg("list-users")
        .assert()
        .code(7)
        .stderr("error: database postgresql://app:***@db.internal/app: database engine 'postgresql' is not supported; \
                 authctl supports SQLite: a file path, sqlite:///relative.db, sqlite:////absolute.db or sqlite+aiosqlite:///./file.db\n");
    env.bare()
        .args(["--database-url", "sqlite://", "list-users"])
        .assert()
        .code(5);
}

#[test]
fn every_command_refuses_a_missing_database_without_creating_it() {
    let env = TestEnv::empty();
    let commands: [&[&str]; 6] = [
        &["add-user", "a", "--password-stdin"],
        &["disable-user", "a"],
        &["enable-user", "a"],
        &["list-users"],
        &["verify-login", "a", "--password-stdin"],
        &["issue-token", "a"],
    ];
    for args in commands {
        env.cmd()
            .env("SECRET_KEY", crate::support::KEY)
            .args(args)
            .write_stdin("pw-for-tests\n")
            .assert()
            .code(7)
            .stdout("");
        assert!(!env.db.exists(), "{args:?} created the database");
    }
}

#[test]
fn a_database_without_the_users_table_is_unusable() {
    let env = TestEnv::empty();
    env.insert_raw("CREATE TABLE items (id INTEGER PRIMARY KEY);");
    env.run(&["list-users"], "").code(7).stderr(format!(
        "error: database {}: has no users table; create it with `authctl init-db`\n",
        env.db.display()
    ));
    std::fs::write(&env.db, vec![b'x'; 4096]).unwrap();
    env.run(&["list-users"], "").code(7).stderr(format!(
        "error: database {}: is not a SQLite database\n",
        env.db.display()
    ));
    env.bare()
        .arg("--db")
        .arg(env.dir())
        .arg("list-users")
        .assert()
        .code(7);
}

#[test]
fn a_lock_held_past_the_busy_timeout_is_exit_6_and_writes_nothing() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    let lock = env.hold_write_lock();
    let started = std::time::Instant::now();
    env.run(&["--busy-timeout", "300ms", "disable-user", "alice"], "")
        .code(6)
        .stdout("")
        .stderr(format!(
            "error: database {} is locked by another connection (waited 300ms); nothing was written, retry later or raise --busy-timeout\n",
            env.db.display()
        ));
    // Measured from outside, both ways: the wait is the one asked for, not a fixed one.
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    drop(lock);
    assert_eq!(env.disabled_of("alice"), ("integer".to_owned(), Some(0)));
}

#[test]
fn a_lock_released_within_the_timeout_is_waited_for() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    let lock = env.hold_write_lock();
    let child = std::process::Command::new(bin())
        .args(["--busy-timeout", "10s", "--db"])
        .arg(&env.db)
        .args(["disable-user", "alice"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    drop(lock);
    let status = child.wait_with_output().unwrap().status;
    assert!(status.success(), "{status:?}");
    assert_eq!(env.disabled_of("alice"), ("integer".to_owned(), Some(1)));
}

#[test]
fn an_unexpected_database_failure_is_internal() {
    // A users table whose id column holds text: no shape the service makes, so nothing
    // authctl classifies; it must still end in a clear message and exit 70, not a panic.
    let env = TestEnv::empty();
    env.insert_raw(
        "CREATE TABLE users (id TEXT, username VARCHAR, email VARCHAR, full_name VARCHAR, disabled BOOLEAN, hashed_password VARCHAR);
         INSERT INTO users VALUES ('one', 'alice', NULL, NULL, 0, 'x');",
    );
    let assert = env.run(&["list-users"], "").code(70).stdout("");
    let stderr = crate::support::stderr(&assert);
    assert!(
        stderr.starts_with(&format!("error: database {}: ", env.db.display())),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn usage_errors_are_exit_2() {
    let env = TestEnv::init();
    env.bare().assert().code(2);
    env.run(&["no-such-command"], "").code(2);
    env.run(&["--busy-timeout", "forever", "list-users"], "")
        .code(2);
    env.run(&["list-users", "--format", "xml"], "").code(2);
    env.bare().arg("--help").assert().code(0);
    env.bare()
        .arg("--version")
        .assert()
        .code(0)
        .stdout(format!("authctl {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn a_service_database_in_wal_mode_works_for_every_command() {
    let env = TestEnv::init();
    assert_eq!(env.pragma("journal_mode=WAL"), "wal");
    env.add_user("alice", "pw-for-tests");
    env.run(
        &["verify-login", "alice", "--password-stdin"],
        "pw-for-tests",
    )
    .code(0);
    env.run(&["disable-user", "-q", "alice"], "").code(0);
    env.run(&["list-users", "--format", "csv"], "")
        .code(0)
        .stdout("id,username,email,full_name,disabled\n1,alice,,,true\n");
    env.cmd()
        .env("SECRET_KEY", crate::support::KEY)
        .args(["issue-token", "alice"])
        .assert()
        .code(1);
    assert_eq!(
        env.pragma("journal_mode"),
        "wal",
        "authctl must not change the service's journal mode"
    );
}

/// The write transaction's contract (db::Store::write): between its look-ups and its commit no
/// other writer changes what it looked at. Two adds of the same email race on a table without the
/// unique email index, so only the domain's check under the lock keeps the email unique: both
/// pass the look-up before the lock (they hash at the same time), then the loser must wait for
/// the winner, see its row, and report the conflict (exit 4), not fail busy or store a duplicate.
#[test]
fn racing_writers_see_each_other_under_the_write_lock() {
    for round in 0..3 {
        let env = TestEnv::service_table();
        env.insert_raw("DROP INDEX ix_users_email;");
        let spawn = |name: &str| {
            std::process::Command::new(bin())
                .args(["--db"])
                .arg(&env.db)
                .args([
                    "-q",
                    "add-user",
                    name,
                    "--email",
                    "same@example.com",
                    "--password-stdin",
                ])
                .env_remove("AUTHCTL_HASH_SCHEME")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        // Held while both hash and reach their transactions, so that the two overlap.
        let lock = env.hold_write_lock();
        let mut children = [spawn("first"), spawn("second")];
        for child in &mut children {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"pw-for-tests\n")
                .unwrap();
        }
        std::thread::sleep(Duration::from_millis(1500));
        drop(lock);
        let mut results: Vec<(i32, String)> = children
            .into_iter()
            .map(|child| {
                let out = child.wait_with_output().unwrap();
                (
                    out.status.code().unwrap(),
                    String::from_utf8(out.stderr).unwrap(),
                )
            })
            .collect();
        results.sort();
        let winner = if env.dump()[0].contains("|first|") {
            "first"
        } else {
            "second"
        };
        assert_eq!(env.dump().len(), 1, "round {round}: {:?}", env.dump());
        assert_eq!(results[0].0, 0, "round {round}: {results:?}");
        assert_eq!(
            results[1],
            (
                4,
                format!("error: email 'same@example.com' is already used by user '{winner}'\n")
            ),
            "round {round}"
        );
    }
}
