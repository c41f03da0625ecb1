//! Which database: --db, --database-url, DATABASE_URL and ./users.db; locks; unusable files.

use std::time::Duration;

use super::TestEnv;
use crate::support::Engine;

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

sqlite_only! {
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

sqlite_only! {
    #[test]
    fn other_engines_are_refused_naming_what_is_supported() {
        let env = TestEnv::empty();
        env.bare()
            .env("DATABASE_URL", "mysql+pymysql://app:s3cret@db.internal/app")
            .arg("list-users")
            .assert()
            .code(7)
            .stderr("error: database mysql+pymysql://app:***@db.internal/app: database engine 'mysql' is not supported; \
                     authctl supports SQLite and PostgreSQL: a file path, sqlite:///relative.db, sqlite:////absolute.db, \
                     sqlite+aiosqlite:///./file.db, or postgresql://user@host:port/database (also postgres:// and \
                     postgresql+psycopg://, +psycopg2://, +asyncpg://)\n");
        env.bare()
            .args(["--database-url", "sqlite://", "list-users"])
            .assert()
            .code(5);
    }
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
        env.location()
    ));
    if env.engine() == Engine::Postgres {
        return;
    }
    std::fs::write(&env.db, vec![b'x'; 4096]).unwrap();
    env.run(&["list-users"], "").code(7).stderr(format!(
        "error: database {}: is not a SQLite database\n",
        env.location()
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
            "error: database {} is locked by another connection (waited 300 milliseconds); nothing was written, retry later or raise --busy-timeout\n",
            env.location()
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
    let mut children = [env
        .process(&["--busy-timeout", "10s", "disable-user", "alice"])
        .spawn()
        .unwrap()];
    env.await_lock_waiters(&mut children);
    drop(lock);
    let [child] = children;
    let status = child.wait_with_output().unwrap().status;
    assert!(status.success(), "{status:?}");
    assert_eq!(env.disabled_of("alice"), ("integer".to_owned(), Some(1)));
}

sqlite_only! {
    #[test]
    fn an_unexpected_database_failure_is_internal() {
        // A username stored as a blob: nothing the service writes, so nothing authctl
        // classifies; it must still end in a clear message and exit 70, not a panic.
        let env = TestEnv::empty();
        env.insert_raw(
            "CREATE TABLE users (id INTEGER, username VARCHAR, email VARCHAR, full_name VARCHAR, disabled BOOLEAN, hashed_password VARCHAR);
             INSERT INTO users VALUES (1, X'616c696365', NULL, NULL, 0, 'x');",
        );
        let assert = env.run(&["list-users"], "").code(70).stdout("");
        let stderr = crate::support::stderr(&assert);
        assert!(
            stderr.starts_with(&format!("error: database {}: ", env.location())),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
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

sqlite_only! {
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
        let add = |name: &str| {
            let mut cmd = env.bare_std();
            cmd.args(env.database_args()).args([
                "-q",
                "add-user",
                name,
                "--email",
                "same@example.com",
                "--password-stdin",
            ]);
            (cmd, "pw-for-tests\n")
        };
        // Both hash, then meet at the write lock.
        let results = env.race(vec![add("first"), add("second")]);
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

postgres_only! {
    /// A migration's `ALTER TABLE` holds ACCESS EXCLUSIVE, which keeps readers out too: every
    /// command gives up at --busy-timeout, its reads included, and writes nothing.
    #[test]
    fn a_migration_lock_held_past_the_busy_timeout_is_exit_6_for_reads_and_writes() {
        let env = TestEnv::init();
        env.add_user("alice", "pw-for-tests");
        let mut migration = postgres::Client::connect(&env.url(), postgres::NoTls).unwrap();
        migration
            .batch_execute("BEGIN; ALTER TABLE users ADD COLUMN nickname VARCHAR")
            .unwrap();
        let busy = format!(
            "error: database {} is locked by another connection (waited 1 second); nothing was written, \
             retry later or raise --busy-timeout\n",
            env.location()
        );
        for (args, stdin) in [
            (&["add-user", "bob", "--password-stdin"][..], "pw-for-bob-tests\n"),
            (&["list-users"], ""),
            (&["verify-login", "alice", "--password-stdin"], "pw-for-tests\n"),
            (&["disable-user", "alice"], ""),
        ] {
            let started = std::time::Instant::now();
            env.cmd()
                .args(["--busy-timeout", "1s"])
                .args(args)
                .write_stdin(stdin)
                // An unbounded wait would be killed here, and fail the test.
                .timeout(Duration::from_secs(10))
                .assert()
                .code(6)
                .stdout("")
                .stderr(busy.clone());
            let waited = started.elapsed();
            assert!(waited >= Duration::from_secs(1), "{args:?}: {waited:?}");
            assert!(waited < Duration::from_secs(3), "{args:?}: {waited:?}");
        }
        migration.batch_execute("ROLLBACK").unwrap();
        assert_eq!(env.user_count(), 1);
        assert_eq!(env.disabled_of("alice"), ("integer".to_owned(), Some(0)));
    }

    /// Each way of not getting in has its own reason and exit code, and names the URL without the
    /// password: a wrong password (8), a database that does not exist (7), no server (7).
    #[test]
    fn connection_failures_are_classified_without_the_password() {
        use crate::support::postgres::PASSWORD;
        if !crate::support::postgres::own_cluster("connection failures") {
            return;
        }
        let env = TestEnv::init();
        let url = env.url();
        let shown = env.location();
        let wrong = url.replace(&format!(":{PASSWORD}@"), ":wrong-secret-1@");
        env.bare()
            .args(["--database-url", &wrong, "list-users"])
            .assert()
            .code(8)
            .stdout("")
            .stderr(format!(
                "error: database {shown}: authentication failed: password authentication failed for user \"authctl\"\n"
            ));
        let missing = url.replace("/authctl_tests?", "/no_such_db?");
        env.bare()
            .args(["--database-url", &missing, "list-users"])
            .assert()
            .code(7)
            .stderr(format!(
                "error: database {}: database \"no_such_db\" does not exist on the server; create it first (createdb)\n",
                shown.replace("/authctl_tests?", "/no_such_db?")
            ));
        let port = url.split(['@', '/']).nth(3).unwrap().rsplit(':').next().unwrap();
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let closed_port = closed.local_addr().unwrap().port().to_string();
        drop(closed);
        let unreachable = url.replace(&format!(":{port}/"), &format!(":{closed_port}/"));
        let assert = env
            .bare()
            .args(["--database-url", &unreachable, "add-user", "bob", "--password-stdin"])
            .write_stdin("pw-for-tests\n")
            .assert()
            .code(7);
        let stderr = crate::support::stderr(&assert);
        assert!(
            stderr.starts_with(&format!(
                "error: database {}: the server cannot be reached: error connecting to server",
                shown.replace(&format!(":{port}/"), &format!(":{closed_port}/"))
            )),
            "{stderr}"
        );
        assert!(!stderr.contains(PASSWORD), "{stderr}");
    }

    /// As for psql: the password from PGPASSWORD, else from ~/.pgpass (ignored when others can
    /// read it, as libpq ignores it).
    #[test]
    fn the_password_comes_from_pgpassword_or_the_password_file() {
        use crate::support::postgres::PASSWORD;
        use std::os::unix::fs::PermissionsExt;
        if !crate::support::postgres::own_cluster("password sources") {
            return;
        }
        let env = TestEnv::init();
        env.add_user("alice", "pw-for-tests");
        let bare = env.url().replace(&format!(":{PASSWORD}@"), "@");
        env.bare()
            .args(["--database-url", &bare, "list-users", "--format", "csv"])
            .env("PGPASSWORD", PASSWORD)
            .assert()
            .code(0)
            .stdout("id,username,email,full_name,disabled\n1,alice,,,false\n");
        // Host and port from PGHOST and PGPORT when the URL has none.
        let (host_port, rest) = bare.split_once('@').unwrap().1.split_once('/').unwrap();
        let (host, port) = host_port.split_once(':').unwrap();
        env.bare()
            .args(["--database-url", &format!("postgresql://authctl@/{rest}")])
            .args(["list-users", "--format", "csv"])
            .env("PGPASSWORD", PASSWORD)
            .env("PGHOST", host)
            .env("PGPORT", port)
            .assert()
            .code(0)
            .stdout("id,username,email,full_name,disabled\n1,alice,,,false\n");
        let home = env.path("home");
        std::fs::create_dir(&home).unwrap();
        let port = bare.split(['@', '/']).nth(3).unwrap().rsplit(':').next().unwrap();
        let pgpass = home.join(".pgpass");
        std::fs::write(&pgpass, format!("# a comment\nother:*:*:*:nope\n127.0.0.1:{port}:*:authctl:{PASSWORD}\n")).unwrap();
        std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
        let with_home = || {
            let mut cmd = env.bare();
            cmd.args(["--database-url", &bare, "list-users", "--format", "csv"])
                .env("HOME", &home);
            cmd
        };
        with_home().assert().code(0).stdout("id,username,email,full_name,disabled\n1,alice,,,false\n");
        std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).unwrap();
        with_home().assert().code(8).stderr(format!(
            "error: database {}: the server asks for a password and none was given; put it in the \
             URL, PGPASSWORD or ~/.pgpass\n",
            env.location().replace(":***@", "@")
        ));
    }

    /// TLS when the URL asks for it, against the test server's certificate (made at its start by
    /// a CA of the test's own): verify-full with that CA connects; without it, the certificate is
    /// refused; a role the server admits only over TLS gets in with sslmode=require and is
    /// turned away without TLS.
    #[test]
    fn tls_is_used_and_verified_as_sslmode_says() {
        use crate::support::postgres::PASSWORD;
        if !crate::support::postgres::own_cluster("TLS") {
            return;
        }
        let Some(ca) = &crate::support::postgres::server().ca else {
            return;
        };
        let env = TestEnv::init();
        env.add_user("alice", "pw-for-tests");
        let csv = "id,username,email,full_name,disabled\n1,alice,,,false\n";
        let url = env.url().replace("sslmode=disable&", "");
        let list = |url: &str| {
            let mut cmd = env.bare();
            cmd.args(["--database-url", url, "list-users", "--format", "csv"])
                .env("HOME", env.dir());
            cmd
        };
        for host in ["127.0.0.1", "localhost"] {
            let verified = format!(
                "{}&sslmode=verify-full&sslrootcert={}",
                url.replace("@127.0.0.1:", &format!("@{host}:")),
                ca.display()
            );
            list(&verified).assert().code(0).stdout(csv.to_owned());
        }
        // As libpq: verifying needs a root certificate; the system's store is not the server's CA.
        list(&format!("{url}&sslmode=verify-full"))
            .assert()
            .code(8)
            .stderr(format!(
                "error: database {}&sslmode=verify-full: sslmode=verify-full needs the root \
                 certificate that signed the server's: give sslrootcert=FILE (or \
                 sslrootcert=system), PGSSLROOTCERT, or ~/.postgresql/root.crt\n",
                env.location().replace("sslmode=disable&", "")
            ));
        let unknown_ca = list(&format!("{url}&sslmode=verify-ca&sslrootcert=system"))
            .assert()
            .code(7);
        let stderr = crate::support::stderr(&unknown_ca);
        assert!(
            stderr.contains(": TLS failed: ") && stderr.contains("UnknownIssuer"),
            "{stderr}"
        );
        // verify-ca checks the chain only: a name the certificate does not hold is accepted.
        let other_name = format!(
            "{}&hostaddr=127.0.0.1&sslmode=verify-ca&sslrootcert={}",
            url.replace("@127.0.0.1:", "@db.example:"),
            ca.display()
        );
        list(&other_name).assert().code(0).stdout(csv.to_owned());
        let full = other_name.replace("verify-ca", "verify-full");
        let stderr = crate::support::stderr(&list(&full).assert().code(7));
        assert!(
            stderr.contains("TLS failed: ") && stderr.contains("not valid for name \"db.example\""),
            "{stderr}"
        );
        // `require` verifies the chain when a root certificate is there, and only then.
        let require = |root: &str| format!("{url}&sslmode=require&sslrootcert={root}");
        list(&require(&ca.display().to_string())).assert().code(0).stdout(csv.to_owned());
        list(&require("/nonexistent/root.crt")).assert().code(0).stdout(csv.to_owned());
        // The server's own certificate is no root of its chain.
        let leaf = ca.with_file_name("server.crt");
        let stderr = crate::support::stderr(&list(&require(&leaf.display().to_string())).assert().code(7));
        assert!(stderr.contains("TLS failed: ") && stderr.contains("UnknownIssuer"), "{stderr}");
        let tls_only = url.replace("//authctl:", "//tls_only:");
        list(&format!("{tls_only}&sslmode=require")).assert().code(0).stdout(csv.to_owned());
        let assert = list(&format!("{tls_only}&sslmode=disable")).assert().code(8);
        let stderr = crate::support::stderr(&assert);
        assert!(stderr.contains("authentication failed: pg_hba.conf rejects connection"), "{stderr}");
        assert!(!stderr.contains(PASSWORD), "{stderr}");
    }

    /// Every form of the service's URL reaches the same database through the binary: the
    /// driver forms SQLAlchemy takes, `postgres://`, `DATABASE_URL`, and a Unix socket directory
    /// as the host (percent-encoded, or as `host=`).
    #[test]
    fn every_url_form_of_the_service_reaches_the_same_database() {
        use crate::support::postgres::{PASSWORD, server};
        if !crate::support::postgres::own_cluster("URL forms") {
            return;
        }
        let env = TestEnv::init();
        env.add_user("alice", "pw-for-tests");
        let url = env.url();
        let rest = url.strip_prefix("postgresql://").unwrap();
        let (host_port, path) = rest.split_once('@').unwrap().1.split_once('/').unwrap();
        let port = host_port.rsplit_once(':').unwrap().1;
        let socket = server().socket_dir.as_ref().unwrap().display().to_string();
        let list = || {
            let mut cmd = env.bare();
            cmd.args(["list-users", "--format", "csv"]);
            cmd
        };
        let csv = "id,username,email,full_name,disabled\n1,alice,,,false\n";
        for form in [
            format!("postgres://{rest}"),
            format!("postgresql+psycopg://{rest}"),
            format!("postgresql+psycopg2://{rest}"),
            format!("postgresql+asyncpg://{}", rest.replace("sslmode=", "ssl=")),
            format!(
                "postgresql://authctl:{PASSWORD}@{}:{port}/{path}",
                socket.replace('/', "%2F")
            ),
            format!("postgresql://authctl:{PASSWORD}@/{path}&host={socket}&port={port}"),
        ] {
            list()
                .args(["--database-url", &form])
                .assert()
                .code(0)
                .stdout(csv.to_owned());
            list()
                .env("DATABASE_URL", &form)
                .assert()
                .code(0)
                .stdout(csv.to_owned());
        }
    }

    /// Each answer of the server is classified by its SQLSTATE, with its own exit code and words,
    /// and nothing is written. The answers are injected by a trigger, as the server would give
    /// them for a revoked grant, a full disk or a failover.
    #[test]
    fn server_errors_are_classified_by_their_sqlstate() {
        let env = TestEnv::init();
        let shown = env.location();
        let unusable = |reason: &str| (7, format!("error: database {shown}: {reason}\n"));
        let busy = (
            6,
            format!(
                "error: database {shown} is locked by another connection (waited 5 seconds); nothing \
                 was written, retry later or raise --busy-timeout\n"
            ),
        );
        let cases = [
            ("insufficient_privilege", unusable("permission denied: injected")),
            ("read_only_sql_transaction", unusable("is read-only (injected); nothing was written")),
            ("disk_full", unusable("the disk is full; nothing was written")),
            ("too_many_connections", unusable("the server refuses connections: injected")),
            ("cannot_connect_now", unusable("the server refuses connections: injected")),
            (
                "undefined_table",
                unusable(
                    "has no users table (it went while authctl was running); create it with \
                     `authctl init-db`",
                ),
            ),
            ("invalid_catalog_name", unusable("injected on the server; create it first (createdb)")),
            ("numeric_value_out_of_range", (5, "error: injected\n".to_owned())),
            ("lock_not_available", busy.clone()),
            ("deadlock_detected", busy),
            ("invalid_password", (8, format!("error: database {shown}: authentication failed: injected\n"))),
            // Anything else: the server's message and code, not the client's bare "db error".
            ("data_corrupted", (70, format!("error: database {shown}: injected (SQLSTATE XX001)\n"))),
        ];
        env.insert_raw(
            "CREATE FUNCTION fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
             CREATE TRIGGER fault BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION fault();",
        );
        for (code, (exit, stderr)) in cases {
            env.insert_raw(&format!(
                "CREATE OR REPLACE FUNCTION fault() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '{code}'; END $$;"
            ));
            env.run(
                &["add-user", "bob", "--password-stdin", "--hash-scheme", "argon2"],
                "bob's long password\n",
            )
            .code(exit)
            .stdout("")
            .stderr(stderr);
            assert_eq!(env.user_count(), 0, "{code}");
        }
    }

    /// Failures the server gives on its own: an id past the service's INTEGER column is the
    /// input's fault (5); a sequence at its end is unexpected (70) and says so in the server's
    /// words.
    #[test]
    fn an_id_or_a_sequence_out_of_range_is_reported_in_the_servers_words() {
        let env = TestEnv::init();
        env.run(&["import", "-"], "id,username,password\n3000000000,ann,ann's long password\n")
            .code(5)
            .stdout("")
            .stderr("error: integer out of range\n");
        env.insert_raw("SELECT setval('users_id_seq', 2147483647)");
        env.run(
            &["add-user", "bob", "--password-stdin", "--hash-scheme", "argon2"],
            "bob's long password\n",
        )
        .code(70)
        .stdout("")
        .stderr(format!(
            "error: database {}: nextval: reached maximum value of sequence \"users_id_seq\" \
             (2147483647) (SQLSTATE 2200H)\n",
            env.location()
        ));
        assert_eq!(env.user_count(), 0);
    }

    /// `sslmode=prefer` and `allow` go on in plain text when the server has no TLS, as libpq
    /// does; `require` stops. The server here answers no to TLS, then refuses the plain login.
    #[test]
    fn prefer_falls_back_to_plain_text_where_the_server_has_no_tls_and_require_does_not() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let mut stream = stream.unwrap();
                let mut ssl_request = [0; 8];
                if stream.read_exact(&mut ssl_request).is_err() || stream.write_all(b"N").is_err() {
                    continue;
                }
                let mut length = [0; 4];
                if stream.read_exact(&mut length).is_err() {
                    continue;
                }
                let mut startup = vec![0; u32::from_be_bytes(length) as usize - 4];
                stream.read_exact(&mut startup).unwrap();
                let fields = b"SFATAL\0C28000\0Mno entry for this login\0\0";
                let mut refusal = vec![b'E'];
                refusal.extend_from_slice(&(u32::try_from(fields.len()).unwrap() + 4).to_be_bytes());
                refusal.extend_from_slice(fields);
                stream.write_all(&refusal).unwrap();
            }
        });
        let env = TestEnv::empty();
        let run = |mode: &str| {
            let url = format!("postgresql://authctl:secret@127.0.0.1:{port}/db?sslmode={mode}");
            let shown = url.replace(":secret@", ":***@");
            let assert = env.bare().args(["--database-url", &url, "list-users"]).assert();
            (shown, assert)
        };
        for mode in ["prefer", "allow"] {
            let (shown, assert) = run(mode);
            assert.code(8).stdout("").stderr(format!(
                "error: database {shown}: authentication failed: no entry for this login\n"
            ));
        }
        let (shown, assert) = run("require");
        assert.code(7).stdout("").stderr(format!(
            "error: database {shown}: TLS failed: error performing TLS handshake: server does not \
             support TLS\n"
        ));
    }
}
