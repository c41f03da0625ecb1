//! `import`: formats, every refused record listed, nothing half-written, re-runs, profiles.

use std::fmt::Write as _;
use std::fs;

use super::TestEnv;
use crate::support::{self, BCRYPT_SECRET, NOTE_NO_HASHES_IMPORT, TEST_PROFILE_WARNING};

fn import(env: &TestEnv, file: &str, content: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    fs::write(env.path(file), content).unwrap();
    env.cmd()
        .arg("import")
        .arg(env.path(file))
        .args(extra)
        .assert()
}

#[test]
fn imports_csv_json_and_json_lines() {
    let env = TestEnv::init();
    import(&env, "a.csv", "username,email,full_name,disabled,password\nalice,a@example.com,\"Liddell, Alice\",false,pw-a-tests\nbob,,,true,pw-b-tests\n", &[])
        .code(0)
        .stdout("")
        .stderr(format!("{NOTE_NO_HASHES_IMPORT}imported: 2 created, 0 updated, 0 unchanged, 0 skipped, 0 failed\n"));
    import(&env, "b.json", r#"[{"username": "carol", "password": "pw-c-tests", "disabled": false}, {"username": "dan", "email": null, "password": "pw-d-tests"}]"#, &[])
        .code(0);
    import(&env, "c.jsonl", "{\"username\": \"erin\", \"password\": \"pw-e-tests\"}\n\n{\"username\": \"frank\", \"password\": \"pw-f-tests\", \"disabled\": true}\n", &[])
        .code(0);
    env.run(&["list-users", "--format", "csv"], "").stdout(
        "id,username,email,full_name,disabled\n1,alice,a@example.com,\"Liddell, Alice\",false\n2,bob,,,true\n\
         3,carol,,,false\n4,dan,,,false\n5,erin,,,false\n6,frank,,,true\n",
    );
    env.run(&["verify-login", "alice", "--password-stdin"], "pw-a-tests")
        .code(0);
    env.run(&["verify-login", "erin", "--password-stdin"], "pw-e-tests")
        .code(0);
    assert!(
        env.hash_of("carol")
            .starts_with("$argon2id$v=19$m=65536,t=3,p=4$")
    );
    // Standard input, format by flag.
    env.cmd()
        .args(["import", "-", "--input-format", "jsonl"])
        .write_stdin("{\"username\": \"gina\", \"password\": \"pw-g-tests\"}\n")
        .assert()
        .code(0);
    env.run(
        &["verify-login", "gina", "--password-stdin", "-q"],
        "pw-g-tests",
    )
    .code(0);
    env.run(&["show-user", "gina", "--format", "json"], "")
        .code(0)
        .stdout(predicates::str::contains("\"id\":7,\"username\":\"gina\""));
}

#[test]
fn hashed_passwords_are_checked_and_stored_as_is() {
    let env = TestEnv::init();
    import(
        &env,
        "h.csv",
        &format!("username,hashed_password\njohndoe,{BCRYPT_SECRET}\n"),
        &[],
    )
    .code(0);
    assert_eq!(env.hash_of("johndoe"), BCRYPT_SECRET);
    env.run(&["verify-login", "johndoe", "--password-stdin"], "secret")
        .code(0);
    import(&env, "bad.csv", "username,hashed_password\nx,!DISABLED!\ny,\"$argon2id$v=19$m=4294967295,t=3,p=4$wagCPXjifgvUFBzq4hqe3w$CYaIb8sB+wtD+Vu/P4uod1+Qof8h+1g7bbDlBID48Rc\"\n", &[])
        .code(5)
        .stderr("error: 2 problems in the input; nothing was written:\n  \
                 line 2, field hashed_password: the hash is not an argon2 or bcrypt hash (the service cannot identify it and answers 500)\n  \
                 line 3, field hashed_password: the hash has absurd argon2 parameters m=4294967295 t=3 p=4 (limits: m<=1048576 KiB, t<=64, p<=255); not attempted\n");
}

#[test]
fn every_refused_record_is_listed_and_nothing_is_written() {
    let env = TestEnv::init();
    env.add_user("taken", "pw-for-tests");
    let before = env.dump();
    let content = "username,email,password,hashed_password,disabled,colour\n\
                   ok,ok@example.com,pw-for-tests,,false,\n\
                   ,nobody@example.com,pw-for-tests,,,\n \
                   padded,x,pw-for-tests,,,\n\
                   both,,pw-for-tests,$2b$12$x,,\n\
                   neither,,,,,\n\
                   weird,,pw-for-tests,,maybe,\n\
                   ok,,pw-for-tests,,,\n\
                   taken,ok@example.com,,,,\n\
                   short,,pw-for-tests\n";
    let known = "unknown field (known: id, username, email, full_name, disabled, password, hashed_password)";
    import(&env, "bad.csv", content, &[])
        .code(5)
        .stdout("")
        .stderr(format!(
            "error: 12 problems in the input; nothing was written:\n  \
             line 1, field colour: {known}\n  \
             line 3, field username: is missing\n  \
             line 4, field username: username \" padded\" starts or ends with whitespace\n  \
             line 4, field email: is not an address of the form name@domain\n  \
             line 5, field password: give password or hashed_password, not both\n  \
             line 6, field password: neither password nor hashed_password (see --missing-password)\n  \
             line 7, field disabled: is not true or false (or 1/0, yes/no)\n  \
             line 8, field username: 'ok' is also at line 2\n  \
             line 9, field email: 'ok@example.com' is also at line 2\n  \
             line 9, field password: neither password nor hashed_password (see --missing-password)\n  \
             line 9, field username: username 'taken' already exists\n  \
             line 10: CSV error: record 9 (line: 10, byte: 273): found record with 3 fields, but the previous record has 6 fields\n"
        ));
    assert_eq!(env.dump(), before);
}

#[test]
fn one_bad_record_among_thousands_is_named_and_nothing_is_written() {
    let env = TestEnv::init();
    let mut content = String::from("username,email,password\n");
    for i in 0..3000 {
        let email = if i == 1776 {
            "not-an-email".to_owned()
        } else {
            format!("user{i}@example.com")
        };
        writeln!(content, "user{i},{email},pass phrase {i}").unwrap();
    }
    import(&env, "many.csv", &content, &["--hash-profile", "test"])
        .code(5)
        .stderr(format!(
            "{TEST_PROFILE_WARNING}error: 1 problem in the input; nothing was written:\n  \
             line 1778, field email: is not an address of the form name@domain\n"
        ));
    assert!(env.dump().is_empty());
}

#[test]
fn taken_usernames_alone_are_a_conflict_and_re_runs_can_be_no_ops() {
    let env = TestEnv::init();
    let content = "username,email,full_name,password\nalice,a@example.com,Alice,pw-a-tests\nbob,,,pw-b-tests\n";
    import(&env, "team.csv", content, &[]).code(0);
    let before = env.dump();
    import(&env, "team.csv", content, &[]).code(4).stderr(
        "error: 2 problems in the input; nothing was written:\n  \
                 line 2, field username: username 'alice' already exists\n  \
                 line 3, field username: username 'bob' already exists\n",
    );
    import(&env, "team.csv", content, &["--on-conflict", "skip"])
        .code(0)
        .stderr("imported: 0 created, 0 updated, 0 unchanged, 2 skipped, 0 failed\n");
    import(&env, "team.csv", content, &["--on-conflict", "update"])
        .code(0)
        .stderr("imported: 0 created, 0 updated, 2 unchanged, 0 skipped, 0 failed\n");
    assert_eq!(
        env.dump(),
        before,
        "a re-run must change nothing, not even a hash"
    );
}

#[test]
fn update_brings_users_to_the_records() {
    let env = TestEnv::init();
    import(
        &env,
        "v1.csv",
        "username,email,full_name,password\nalice,a@example.com,Alice,pw-a-tests\nbob,,,pw-b-tests\n",
        &[],
    )
    .code(0);
    let bob_hash = env.hash_of("bob");
    import(
        &env,
        "v2.csv",
        "username,email,full_name,disabled,password\nalice,,Alice L,true,pw-a-tests\nbob,b@example.com,,false,new-b-pass\ncarol,,,false,pw-c-tests\n",
        &["--on-conflict", "update", "--format", "json"],
    )
    .code(0)
    .stdout("{\"created\":1,\"updated\":2,\"unchanged\":0,\"skipped\":0,\"failed\":0,\"dry_run\":false,\"hash_scheme\":\"argon2\"}\n");
    env.run(&["list-users", "--format", "csv"], "").stdout(
        "id,username,email,full_name,disabled\n1,alice,,Alice L,true\n2,bob,b@example.com,,false\n3,carol,,,false\n",
    );
    assert_ne!(env.hash_of("bob"), bob_hash);
    env.run(&["verify-login", "bob", "--password-stdin"], "new-b-pass")
        .code(0);
}

#[test]
fn missing_passwords_are_refused_unless_told_what_to_do() {
    let env = TestEnv::init();
    let content = "username\nnopass\n";
    import(&env, "n.csv", content, &[]).code(5);
    import(&env, "n.csv", content, &["--missing-password", "random"]).code(0);
    env.run(&["list-users", "--format", "csv"], "")
        .stdout("id,username,email,full_name,disabled\n1,nopass,,,false\n");
    assert!(
        env.hash_of("nopass")
            .starts_with("$argon2id$v=19$m=65536,t=3,p=4$")
    );
    import(
        &env,
        "d.csv",
        "username\nlocked\n",
        &["--missing-password", "disabled"],
    )
    .code(0);
    env.run(&["list-users", "--disabled", "--format", "csv"], "")
        .stdout("id,username,email,full_name,disabled\n2,locked,,,true\n");
    // An existing user's record without a password updates the other fields and keeps the
    // password: the random one is for new users only.
    env.add_user("kept", "pw-for-tests");
    let hash = env.hash_of("kept");
    import(
        &env,
        "u.csv",
        "username,email\nkept,kept@example.com\n",
        &["--missing-password", "random", "--on-conflict", "update"],
    )
    .code(0);
    assert_eq!(env.hash_of("kept"), hash);
    env.run(&["list-users", "--format", "csv"], "")
        .stdout(predicates::str::contains(
            "3,kept,kept@example.com,,false\n",
        ));
}

#[test]
fn dry_run_checks_everything_and_writes_nothing() {
    let env = TestEnv::init();
    import(&env, "a.csv", "username,password\nalice,pw-for-tests\n", &["--dry-run"])
        .code(0)
        .stderr(format!("{NOTE_NO_HASHES_IMPORT}dry run, nothing written: would have 1 created, 0 updated, 0 unchanged, 0 skipped, 0 failed\n"));
    assert!(env.dump().is_empty());
}

#[test]
fn ids_are_kept_and_checked() {
    let env = TestEnv::init();
    import(&env, "ids.jsonl", "{\"id\": 10, \"username\": \"alice\", \"password\": \"pw-for-tests\"}\n{\"id\": \"20\", \"username\": \"bob\", \"password\": \"pw-for-tests\"}\n", &["--hash-profile", "test"])
        .code(0);
    env.run(&["list-users", "--format", "csv"], "")
        .stdout("id,username,email,full_name,disabled\n10,alice,,,false\n20,bob,,,false\n");
    import(&env, "clash.jsonl", "{\"id\": 10, \"username\": \"carol\", \"password\": \"pw-for-tests\"}\n", &["--hash-profile", "test"])
        .code(5)
        .stderr(format!("{TEST_PROFILE_WARNING}error: 1 problem in the input; nothing was written:\n  line 1: id 10 is already used by user 'alice'\n"));
}

#[test]
fn test_profile_seeds_get_the_cheapest_hashes_and_are_visible() {
    let env = TestEnv::init();
    let mut content = String::from("username,password\n");
    for i in 0..2000 {
        writeln!(content, "ci{i},pass phrase {i}").unwrap();
    }
    import(&env, "ci.csv", &content, &["--hash-profile", "test"])
        .code(0)
        .stderr(format!("{TEST_PROFILE_WARNING}{NOTE_NO_HASHES_IMPORT}imported: 2000 created, 0 updated, 0 unchanged, 0 skipped, 0 failed\n"));
    assert!(
        env.hash_of("ci1999")
            .starts_with("$argon2id$v=19$m=8,t=1,p=1$")
    );
    env.run(
        &["verify-login", "ci1999", "--password-stdin"],
        "pass phrase 1999",
    )
    .code(0);
    env.add_user("real", "pw-for-tests");
    let assert = env
        .run(
            &["list-users", "--hash-profile", "test", "--format", "jsonl"],
            "",
        )
        .code(0);
    assert_eq!(support::stdout(&assert).lines().count(), 2000);
    env.run(
        &["list-users", "--hash-profile", "service", "--format", "csv"],
        "",
    )
    .stdout("id,username,email,full_name,disabled\n2001,real,,,false\n");
}

sqlite_only! {
    #[test]
    fn killed_during_the_write_the_table_is_as_it_was() {
        let env = TestEnv::init();
        env.add_user("before", "pw-for-tests");
        let before = env.dump();
        let mut content = String::from("username,email,password\n");
        for i in 0..60_000 {
            writeln!(content, "bulk{i},bulk{i}@example.com,pw-for-tests").unwrap();
        }
        fs::write(env.path("big.csv"), content).unwrap();
        let journal = env.path("users.db-journal");
        // The write transaction exists exactly while the rollback journal does: kill -9 then.
        let mut killed_in_write = false;
        for _attempt in 0..5 {
            let mut child = std::process::Command::new(support::bin())
                .arg("--db")
                .arg(&env.db)
                .args(["-q", "import", "big.csv", "--hash-profile", "test"])
                .current_dir(env.dir())
                .spawn()
                .unwrap();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            while !journal.exists() && std::time::Instant::now() < deadline && child.try_wait().unwrap().is_none()
            {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            let in_write = journal.exists();
            child.kill().unwrap();
            child.wait().unwrap();
            if in_write {
                killed_in_write = true;
                break;
            }
            // It finished before we saw the journal: undo and try again.
            env.insert_raw("DELETE FROM users WHERE username LIKE 'bulk%';");
        }
        assert!(
            killed_in_write,
            "never caught the import inside its write transaction"
        );
        // The next connection rolls the hot journal back.
        assert_eq!(env.dump(), before);
        assert_eq!(env.pragma("integrity_check"), "ok");
    }
}

#[test]
fn shows_a_progress_bar_on_a_terminal_only() {
    let env = TestEnv::init();
    let content = (0..6).fold(String::from("username,password\n"), |mut acc, i| {
        writeln!(acc, "tty{i},pass phrase {i}").unwrap();
        acc
    });
    fs::write(env.path("tty.csv"), content).unwrap();
    let (success, shown) = env.on_terminal(&["import", "tty.csv"], &[]);
    assert!(success, "{shown}");
    assert!(
        shown.contains("hashing"),
        "no progress bar on a terminal: {shown:?}"
    );
    assert!(shown.contains("/6"), "{shown:?}");
    assert!(shown.contains("imported: 6 created"), "{shown:?}");
}

#[test]
fn records_are_hashed_and_checked_for_the_service_scheme() {
    let env = TestEnv::init();
    env.run(
        &[
            "add-user",
            "johndoe",
            "--hash-scheme",
            "bcrypt",
            "--hash-profile",
            "test",
            "--password-stdin",
            "-q",
        ],
        "swordfish in the sea\n",
    )
    .code(0);
    let before = env.dump();
    let argon2 = support::ARGON2_SECRET;
    let long = "x".repeat(73);
    import(
        &env,
        "bad.csv",
        &format!("username,password,hashed_password\nok,fine and dandy,\nlong,{long},\nargon,,\"{argon2}\"\n"),
        &[],
    )
    .code(5)
    .stderr(
        "error: 2 problems in the input; nothing was written:\n  \
         line 3, field password: the password is over 72 bytes; bcrypt uses only the first 72 and the service's \
         bcrypt may refuse it\n  \
         line 4, field hashed_password: the hash is argon2id v=19 m=65536 t=3 p=4 (16-byte salt, 32-byte tag), \
         which the service's hash scheme bcrypt (passlib's bcrypt) cannot identify: its login answers 500 \
         (detected: the 1 stored hash is bcrypt (highest cost 4))\n",
    );
    assert_eq!(env.dump(), before);
    import(
        &env,
        "good.csv",
        &format!("username,password,hashed_password\nok,fine and dandy,\nlegacy,,{BCRYPT_SECRET}\n"),
        &["--format", "json", "-q"],
    )
    .code(0)
    .stdout("{\"created\":2,\"updated\":0,\"unchanged\":0,\"skipped\":0,\"failed\":0,\"dry_run\":false,\"hash_scheme\":\"bcrypt\"}\n");
    assert!(
        env.hash_of("ok").starts_with("$2b$04$"),
        "{}",
        env.hash_of("ok")
    );
    env.run(
        &["verify-login", "ok", "--password-stdin", "-q"],
        "fine and dandy",
    )
    .code(0);
}

#[test]
fn into_an_empty_table_the_imported_hashes_decide_the_scheme() {
    let env = TestEnv::init();
    import(
        &env,
        "blog.csv",
        &format!("username,hashed_password,password\njohndoe,{BCRYPT_SECRET},\nalice,,down the rabbit hole\n"),
        &["--hash-profile", "test"],
    )
    .code(0)
    .stderr(format!(
        "{TEST_PROFILE_WARNING}{}imported: 2 created, 0 updated, 0 unchanged, 0 skipped, 0 failed\n",
        support::note_bcrypt("the 1 imported hash is bcrypt (highest cost 12)")
    ));
    // The plain password got the scheme of the hashes it arrived with, at the test profile's cost.
    assert!(
        env.hash_of("alice").starts_with("$2b$04$"),
        "{}",
        env.hash_of("alice")
    );
}

/// A reader (the service) never sees part of an import: it sees the table before it, or all of
/// it after. (An import committing row by row shows every count in between.)
#[test]
fn a_reader_never_sees_part_of_an_import() {
    let env = TestEnv::init();
    let rows = 20_000;
    let mut content = String::from("username,password\n");
    for i in 0..rows {
        writeln!(content, "seen{i},pass phrase {i}").unwrap();
    }
    fs::write(env.path("seen.csv"), content).unwrap();
    let mut child = env
        .process(&["-q", "import", "seen.csv", "--hash-profile", "test"])
        .spawn()
        .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    while child.try_wait().unwrap().is_none() {
        seen.insert(env.user_count());
    }
    assert!(child.wait().unwrap().success());
    seen.insert(env.user_count());
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        [0, rows],
        "counts seen"
    );
}

#[test]
fn csv_headers_and_quotes_are_what_they_seem() {
    let env = TestEnv::init();
    // Field names are lower-case, as export writes them.
    import(
        &env,
        "u.csv",
        "Username,password\nalice,pw-for-tests\n",
        &[],
    )
    .code(5)
    .stderr(
        "error: the CSV header names 'Username'; field names are lower-case (id, username, \
             email, full_name, disabled, password, hashed_password)\n",
    );
    // An unclosed quote swallows the rest of the file into one password: refused.
    import(
        &env,
        "q.csv",
        "username,password\nbob,\"pw-for-tests\ncarol,other\n",
        &[],
    )
    .code(5)
    .stderr(
        "error: 1 problem in the input; nothing was written:\n  line 2, field password: \
             contains a line break, which no login form sends (an unclosed quote?)\n",
    );
    // An empty file is no records.
    import(&env, "e.csv", "", &["-q"]).code(0).stderr("");
    assert!(env.dump().is_empty());
}

/// Two imports of overlapping users at once (both hash while the table is locked, so their
/// writes meet): one is written whole, the other reports the conflict and writes nothing.
#[test]
fn two_imports_of_overlapping_users_at_once_leave_one_whole() {
    let env = TestEnv::init();
    for side in ["a", "b"] {
        let mut csv = String::from("username,password\n");
        for i in 0..50 {
            writeln!(csv, "shared{i},pass phrase {i}").unwrap();
            writeln!(csv, "{side}{i},pass phrase {i}").unwrap();
        }
        fs::write(env.path(&format!("{side}.csv")), csv).unwrap();
    }
    let import = |file: &str| {
        let args = [
            "import",
            file,
            "--hash-profile",
            "test",
            "--busy-timeout",
            "20s",
        ];
        (env.process(&args), "")
    };
    let results = env.race(vec![import("a.csv"), import("b.csv")]);
    assert_eq!(results[0].0, 0, "{results:?}");
    assert!(
        results[0]
            .1
            .ends_with("imported: 100 created, 0 updated, 0 unchanged, 0 skipped, 0 failed\n"),
        "{results:?}"
    );
    assert_eq!(results[1].0, 4, "{results:?}");
    assert!(
        results[1].1.contains("nothing was written")
            && results[1].1.contains("username 'shared0' already exists"),
        "{results:?}"
    );
    let names: Vec<String> = env
        .dump()
        .iter()
        .map(|row| row.split('|').nth(1).unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 100, "{names:?}");
    let winner = if names.contains(&"a0".to_owned()) {
        "a"
    } else {
        "b"
    };
    let loser = if winner == "a" { "b" } else { "a" };
    assert!(names.iter().all(|n| !n.starts_with(loser)), "{names:?}");
    assert_eq!(names.iter().filter(|n| n.starts_with(winner)).count(), 50);
}

/// A unique index of the table's own, which authctl's checks do not know (on `lower(email)`, as
/// some services add), refuses a record: a conflict (exit 4) naming the index and the record,
/// nothing written, and the same in a dry run. The record is the 3rd of 1,200, so an engine that
/// sends rows in batches meets it while applying a later one, or the last of two.
#[test]
fn a_unique_index_of_the_table_own_refuses_the_record_it_names() {
    let env = TestEnv::init();
    env.insert_raw("CREATE UNIQUE INDEX ix_users_email_lower ON users (lower(email));");
    env.add_user_with("bob", &["--email", "bob@example.com", "-q"], "pw-for-tests");
    let before = env.dump();
    let mut csv = String::from("username,email,password\n");
    for i in 0..1200 {
        if i == 2 {
            csv.push_str("robert,Bob@Example.com,pass phrase 2\n");
        } else {
            writeln!(csv, "user{i},user{i}@example.com,pass phrase {i}").unwrap();
        }
    }
    // And as the last of a few records, which an engine that batches sends only at the end.
    let few = "username,email,password\nann,ann@example.com,pass phrase a\nrobert,Bob@Example.com,pass phrase r\n";
    for (content, line) in [(csv.as_str(), 4), (few, 3)] {
        for dry_run in [&[][..], &["--dry-run"][..]] {
            import(
                &env,
                "lower.csv",
                content,
                &[&["--hash-profile", "test"], dry_run].concat(),
            )
            .code(4)
            .stdout("")
            .stderr(format!(
                "{TEST_PROFILE_WARNING}error: 1 problem in the input; nothing was written:\n  \
                     line {line}: user 'robert' conflicts with a stored user under the table's \
                     unique index ix_users_email_lower\n"
            ));
            assert_eq!(env.dump(), before);
        }
    }
    env.run(
        &[
            "add-user",
            "rob",
            "--email",
            "BOB@example.com",
            "--password-stdin",
        ],
        "pw-for-tests\n",
    )
    .code(4)
    .stderr(
        "error: user 'rob' conflicts with a stored user under the table's unique index \
         ix_users_email_lower\n",
    );
    assert_eq!(env.dump(), before);
    // An update the index refuses: the same conflict.
    env.add_user_with("ann", &["-q"], "pw-for-tests");
    let before = env.dump();
    env.run(
        &["add-user", "ann", "--upsert", "--email", "bOb@example.com"],
        "",
    )
    .code(4)
    .stderr(
        "error: user 'ann' conflicts with a stored user under the table's unique index \
             ix_users_email_lower\n",
    );
    assert_eq!(env.dump(), before);
}

postgres_only! {
    /// kill -9 at points spread over an import's own run time: the server rolls back what the
    /// dead client began, so the table holds none of the file or all of it, and the next write is
    /// not kept waiting by a lock the dead connection held.
    #[test]
    fn killed_at_any_point_an_import_is_all_or_nothing() {
        use std::time::Instant;
        let env = TestEnv::init();
        let rows = 3000;
        let mut csv = String::from("username,password\n");
        for i in 0..rows {
            writeln!(csv, "killed{i},pass phrase {i}").unwrap();
        }
        fs::write(env.path("kill.csv"), csv).unwrap();
        let args = ["-q", "import", "kill.csv", "--hash-profile", "test"];
        let started = Instant::now();
        assert!(env.process(&args).status().unwrap().success());
        let run_time = started.elapsed();
        env.insert_raw("DELETE FROM users");
        let mut counts = Vec::new();
        for step in 0..9 {
            let mut child = env.process(&args).spawn().unwrap();
            std::thread::sleep(run_time * step / 6);
            child.kill().unwrap();
            child.wait().unwrap();
            // The server may take a moment to see the connection gone: until its locks are.
            crate::support::wait_until("the killed import's locks to go", || {
                env.query_text(
                    "SELECT count(*) FROM pg_locks WHERE relation = to_regclass('users') \
                     AND pid <> pg_backend_pid()",
                )
                .as_deref()
                    == Some("0")
            });
            let count = env.user_count();
            assert!(count == 0 || count == rows, "step {step}: {count} users");
            counts.push(count);
            if count == rows {
                env.insert_raw("DELETE FROM users");
            }
        }
        eprintln!("run time {run_time:?}, counts after each kill {counts:?}");
        assert!(counts.contains(&0), "{counts:?}");
        env.run(
            &["--busy-timeout", "2s", "add-user", "after", "--password-stdin"],
            "pw-for-tests\n",
        )
        .code(0);
    }
}

/// The longest password the service takes (4096 bytes) is imported and logs in; one byte more
/// is refused with its line, and nothing is written.
#[test]
fn a_password_of_the_longest_length_is_taken_and_one_byte_more_is_not() {
    let env = TestEnv::init();
    let longest: String = (0..4096u32)
        .map(|i| char::from(b'a' + u8::try_from(i * 7 % 26).unwrap()))
        .collect();
    let content = format!("username,password\nlong,{longest}x\n");
    import(&env, "over.csv", &content, &[]).code(5).stderr(
        "error: 1 problem in the input; nothing was written:\n  line 2, field password: \
             the password is longer than 4096 bytes\n",
    );
    assert!(env.dump().is_empty());
    let content = format!("username,password\nlong,{longest}\n");
    import(
        &env,
        "longest.csv",
        &content,
        &["--hash-profile", "test", "-q"],
    )
    .code(0);
    env.run(&["verify-login", "long", "--password-stdin"], &longest)
        .code(0);
}

/// On the service's table logins match exactly: an import of `Ann` and `ann` beside a stored
/// `Ann` updates the one and creates the other (as allowed), never takes one for the other.
#[test]
fn logins_that_differ_in_case_are_different_users() {
    let env = TestEnv::init();
    env.add_user("Ann", "pw-Ann-12345");
    let content = "username,password\nAnn,pw-Ann-12345\nann,pw-ann-67890\n";
    import(
        &env,
        "case.csv",
        content,
        &[
            "--on-conflict",
            "update",
            "--allow-look-alike",
            "--hash-profile",
            "test",
        ],
    )
    .code(0)
    .stderr(format!(
        "{TEST_PROFILE_WARNING}warning: line 3: username 'ann' looks like existing user 'Ann': \
         they differ only in case; added as asked (--allow-look-alike)\n\
         imported: 1 created, 0 updated, 1 unchanged, 0 skipped, 0 failed\n"
    ));
    env.run(&["verify-login", "Ann", "--password-stdin"], "pw-Ann-12345")
        .code(0);
    env.run(&["verify-login", "ann", "--password-stdin"], "pw-ann-67890")
        .code(0);
}
