//! Behind a transaction pooler (PgBouncer, `pool_mode = transaction`, two server connections):
//! every command works, many at once, and leaves the pooled connections as it found them, so
//! the service that shares them goes on working.

use std::process::Stdio;

use serde_json::json;

use super::TestEnv;
use crate::support::pooler::{self, POOL_SIZE};
use crate::support::postgres::own_cluster;
use crate::support::service::{App, Service};
use crate::support::{ARGON2_SECRET, KEY, TEST_PROFILE_WARNING, stdout};

/// A server connection as it came: writes allowed, no lock timeout, no prepared statement,
/// no cursor.
const CLEAN: &str = "off 0 0 0";

fn assert_connections_clean(env: &TestEnv, after: &str) {
    let seen = pooler::server_connections(&env.url());
    let states: Vec<&str> = seen.iter().map(|(state, _)| state.as_str()).collect();
    assert_eq!(states, [CLEAN; POOL_SIZE], "after {after}: {seen:?}");
}

/// A write of the service's own, through the pooler: as many as there are server connections,
/// each in its own transaction, so one lands on every connection authctl used.
fn the_service_writes(env: &TestEnv, n: usize) {
    let mut client = postgres::Client::connect(&env.url(), postgres::NoTls).unwrap();
    for i in 0..POOL_SIZE {
        client
            .batch_execute(&format!(
                "INSERT INTO users (username, disabled, hashed_password) \
                 VALUES ('service{n}_{i}', false, '{ARGON2_SECRET}')"
            ))
            .unwrap_or_else(|e| panic!("the service's write {i}: {e:?}"));
    }
}

/// A pooled database with its table and one user, alice (password `pw-for-alice-tests`).
fn pooled_with_alice() -> TestEnv {
    let env = TestEnv::pooled();
    env.run(&["-q", "init-db"], "").code(0);
    env.run(
        &[
            "-q",
            "add-user",
            "alice",
            "--password-stdin",
            "--hash-profile",
            "test",
        ],
        "pw-for-alice-tests\n",
    )
    .code(0);
    env
}

#[test]
fn every_command_works_through_the_pooler_and_leaves_its_connections_as_they_were() {
    if !own_cluster("every_command_works_through_the_pooler") {
        return;
    }
    let env = TestEnv::pooled();
    let steps: Vec<(&str, Vec<&str>, &str)> = vec![
        ("init-db", vec!["init-db"], ""),
        (
            "add-user",
            vec![
                "add-user",
                "alice",
                "--password-stdin",
                "--email",
                "a@example.com",
            ],
            "correct horse battery\n",
        ),
        (
            "import",
            vec!["import", "-", "--hash-profile", "test"],
            "username,password\nbob,pw-for-bob-tests\ncarol,pw-for-carol-tests\n",
        ),
        ("list-users", vec!["list-users", "--format", "csv"], ""),
        ("show-user", vec!["show-user", "alice"], ""),
        (
            "verify-login",
            vec!["verify-login", "alice", "--password-stdin"],
            "correct horse battery\n",
        ),
        ("issue-token", vec!["issue-token", "alice"], ""),
        (
            "set-password",
            vec![
                "set-password",
                "bob",
                "--password-stdin",
                "--hash-profile",
                "test",
            ],
            "a new pass for bob\n",
        ),
        ("disable-user", vec!["disable-user", "carol"], ""),
        ("enable-user", vec!["enable-user", "carol"], ""),
        ("export", vec!["export", "--format", "jsonl"], ""),
        ("check", vec!["check"], ""),
        ("delete-user", vec!["delete-user", "carol", "--yes"], ""),
    ];
    for (n, (name, args, stdin)) in steps.into_iter().enumerate() {
        env.cmd()
            .env("SECRET_KEY", KEY)
            .args(&args)
            .write_stdin(stdin)
            .assert()
            .code(0);
        assert_connections_clean(&env, name);
        the_service_writes(&env, n);
    }
    let listed = env.run(&["list-users", "--format", "csv"], "").code(0);
    // The service's rows and authctl's take ids from the one sequence, in turn; carol (7) went.
    let listed = stdout(&listed);
    let rows: Vec<&str> = listed
        .lines()
        .filter(|line| !line.contains(",service"))
        .collect();
    assert_eq!(
        rows,
        [
            "id,username,email,full_name,disabled",
            "3,alice,a@example.com,,false",
            "6,bob,,,false"
        ]
    );
    env.run(
        &["verify-login", "bob", "--password-stdin"],
        "a new pass for bob\n",
    )
    .code(0);
    assert_eq!(
        env.query_text("SELECT count(*) FROM users WHERE username = 'carol'")
            .as_deref(),
        Some("0")
    );
}

#[test]
fn six_of_each_command_at_once_through_two_server_connections() {
    if !own_cluster("six_of_each_command_at_once") {
        return;
    }
    let env = pooled_with_alice();
    let mut children = Vec::new();
    for i in 0..6 {
        let user = format!("user{i}");
        for (args, stdin) in [
            (
                vec!["verify-login", "alice", "--password-stdin"],
                "pw-for-alice-tests\n".to_owned(),
            ),
            (vec!["list-users", "--format", "json"], String::new()),
            (
                vec![
                    "add-user",
                    user.as_str(),
                    "--password-stdin",
                    "--hash-profile",
                    "test",
                ],
                format!("pw-for-{user}-tests\n"),
            ),
        ] {
            let mut child = env
                .process(&args)
                .arg("-q")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
            children.push((args.join(" "), child));
        }
    }
    for (what, child) in children {
        let out = child.wait_with_output().unwrap();
        let warned = if what.starts_with("add-user") {
            TEST_PROFILE_WARNING
        } else {
            ""
        };
        assert_eq!(
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned()
            ),
            (Some(0), warned.to_owned()),
            "{what}"
        );
    }
    assert_eq!(env.user_count(), 7);
    assert_connections_clean(&env, "eighteen commands at once");
    // And once more each, alone, on connections all of those used.
    env.run(
        &["verify-login", "user5", "--password-stdin"],
        "pw-for-user5-tests\n",
    )
    .code(0);
    env.run(&["-q", "add-user", "late", "--random-password"], "")
        .code(0);
}

#[test]
fn after_read_only_commands_the_next_clients_write_succeeds() {
    if !own_cluster("after_read_only_commands_the_next_clients_write_succeeds") {
        return;
    }
    let env = pooled_with_alice();
    for (n, args) in [
        &["list-users"][..],
        &["show-user", "alice"],
        &["export"],
        &["check"],
    ]
    .into_iter()
    .enumerate()
    {
        env.run(args, "").code(0);
        the_service_writes(&env, n);
        assert_connections_clean(&env, args[0]);
    }
    env.run(
        &["verify-login", "alice", "--password-stdin"],
        "pw-for-alice-tests\n",
    )
    .code(0);
    the_service_writes(&env, 9);
    let mut client = postgres::Client::connect(&env.url(), postgres::NoTls).unwrap();
    let shown = client
        .simple_query("SHOW default_transaction_read_only")
        .unwrap();
    assert!(matches!(
        &shown[..],
        [postgres::SimpleQueryMessage::RowDescription(_), postgres::SimpleQueryMessage::Row(row), ..]
            if row.get(0) == Some("off")
    ));
    // authctl's own write after its reads: not mistaken for a standby.
    env.run(&["-q", "add-user", "bob", "--random-password"], "")
        .code(0);
    assert_eq!(env.user_count(), 2 + 5 * i64::try_from(POOL_SIZE).unwrap());
}

#[test]
fn a_pooler_in_statement_mode_is_refused_and_nothing_is_written() {
    if !own_cluster("a_pooler_in_statement_mode_is_refused") {
        return;
    }
    let (url, direct) = pooler::pooler().statement_mode();
    let shown = url.replace(crate::support::postgres::PASSWORD, "***");
    let refusal = format!(
        "error: database {shown}: closed the connection as a transaction began: a pooler in \
         statement mode (PgBouncer's pool_mode = statement) allows no transactions, and authctl \
         reads and writes only in them; use a pool in transaction or session mode, or the \
         server itself; nothing was written\n"
    );
    let env = TestEnv::empty();
    for (args, stdin) in [
        (&["init-db"][..], ""),
        (
            &["add-user", "zed", "--password-stdin"],
            "pw-for-zed-tests\n",
        ),
        (&["list-users"], ""),
        (
            &["verify-login", "zed", "--password-stdin"],
            "pw-for-zed-tests\n",
        ),
    ] {
        env.bare()
            .args(["--database-url", &url])
            .args(args)
            .write_stdin(stdin)
            .assert()
            .code(7)
            .stdout("")
            .stderr(refusal.clone());
    }
    let mut client = postgres::Client::connect(&direct, postgres::NoTls).unwrap();
    let tables = client
        .simple_query("SELECT count(*)::text FROM pg_tables WHERE tablename = 'users'")
        .unwrap();
    assert!(matches!(
        &tables[..],
        [postgres::SimpleQueryMessage::RowDescription(_), postgres::SimpleQueryMessage::Row(row), ..]
            if row.get(0) == Some("0")
    ));
}

#[test]
fn the_service_behind_the_pooler_logs_in_users_authctl_added_through_it() {
    if !own_cluster("the_service_behind_the_pooler_logs_in_users") {
        return;
    }
    let env = TestEnv::pooled();
    env.run(&["-q", "init-db"], "").code(0);
    let service = Service::start_with(
        App::Pwdlib,
        env.dir(),
        &env.service_url(),
        KEY,
        &[("POOLER", "transaction")],
    );
    for i in 0..4 {
        env.run(
            &["-q", "add-user", &format!("user{i}"), "--password-stdin"],
            &format!("pw-for-user{i}-tests\n"),
        )
        .code(0);
        // Between authctl's commands the service's own sessions take the same connections.
        let reply = service.login_and_me(&format!("user{i}"), &format!("pw-for-user{i}-tests"));
        assert_eq!(reply.status, 200, "{reply:?}\n{}", service.log());
        assert_eq!(reply.body["username"], json!(format!("user{i}")));
        env.run(&["list-users"], "").code(0);
    }
    let token = env.issue_token("user3", &[]);
    let reply = service.get_me(Some(&token));
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_connections_clean(&env, "the service and authctl in turn");
}
