//! Secrets stay secret: a canary password and a canary signing key, fed through every source,
//! never show in a process's command line or environment, in output, in an error, or in any
//! file authctl writes (the database holds only the hash); and writes warn about a database
//! file others can read.

use std::io::Write;
use std::process::Stdio;

use super::TestEnv;

const CANARY: &str = "canary-5e1f0c77-pass";
const KEY_CANARY: &str = "key-canary-0b7d4e1a9c3f5e2d8a6b4c0e1f2a3b4c";

/// Runs authctl with stdin held open, looks at its /proc command line and environment while it
/// waits for the password, then sends `stdin`. Returns (exit code, stdout, stderr).
fn run_watched(env: &TestEnv, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = env
        .process(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Waiting for the password: reading its stdin pipe (or ended, refused before it read).
    crate::support::wait_until("authctl reading its password", || {
        crate::support::wchan(child.id()).contains("pipe_read") || child.try_wait().unwrap().is_some()
    });
    let proc = format!("/proc/{}", child.id());
    for what in ["cmdline", "environ"] {
        let seen = std::fs::read(format!("{proc}/{what}")).unwrap_or_default();
        let seen = String::from_utf8_lossy(&seen);
        assert!(
            !seen.contains(CANARY) && !seen.contains(KEY_CANARY),
            "{what}: {seen}"
        );
    }
    // A command that fails before reading closes its end: not this test's concern.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every file in the test's folder but the ones the test wrote the secret into itself.
fn assert_no_file_holds_a_canary(env: &TestEnv, except: &[&str]) {
    for entry in std::fs::read_dir(env.dir()).unwrap() {
        let path = entry.unwrap().path();
        if except.iter().any(|name| path.ends_with(name)) {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(CANARY) && !text.contains(KEY_CANARY),
            "{} holds a canary",
            path.display()
        );
    }
}

#[test]
fn a_canary_password_shows_nowhere_but_as_its_hash() {
    let env = TestEnv::init();
    std::fs::write(env.path("pw.txt"), format!("{CANARY}\n")).unwrap();
    let line = format!("{CANARY}\n");
    let headerless = format!("carol,{CANARY}\n");
    let swapped = format!("username,disabled,email,password\nivan,{CANARY},{CANARY},false\n");
    let in_array = format!("[{{\"username\": \"gina\", \"password\": [\"{CANARY}\"]}}]");
    let runs: [(&[&str], &str, i32); 13] = [
        (&["add-user", "alice", "--password-stdin"], &line, 0),
        (
            &[
                "add-user",
                "bob",
                "--password-file",
                "pw.txt",
                "--format",
                "json",
            ],
            "",
            0,
        ),
        (
            &[
                "verify-login",
                "alice",
                "--password-stdin",
                "--format",
                "json",
            ],
            &line,
            0,
        ),
        (&["verify-login", "bob", "--password-file", "pw.txt"], "", 0),
        (&["verify-login", "nobody", "--password-stdin"], &line, 1),
        (
            &["set-password", "alice", "--password-stdin", "--if-changed"],
            &line,
            0,
        ),
        // Refused after the password is read: the error must not quote it.
        (
            &[
                "set-password",
                "alice",
                "--password-stdin",
                "--hash-scheme",
                "bcrypt",
                "--min-password-length",
                "64",
            ],
            &line,
            5,
        ),
        // Read, then refused: bcrypt takes no NUL.
        (
            &[
                "add-user",
                "carol",
                "--password-stdin",
                "--hash-scheme",
                "bcrypt",
            ],
            &format!("{CANARY}\0x\n"),
            5,
        ),
        // A CSV without its header: the first line is data, never quoted.
        (&["import", "-"], &headerless, 5),
        // Columns mixed up, or a password where no string belongs: described, never quoted.
        (&["import", "-"], &swapped, 5),
        (&["import", "-", "--input-format", "json"], &in_array, 5),
        (
            &["import", "-", "--format", "json"],
            &format!("username,password\ndan,{CANARY}\n"),
            0,
        ),
        (
            &["import", "-"],
            &format!("username,password\nerin,{CANARY}\nerin,{CANARY}\n"),
            5,
        ),
    ];
    for (args, stdin, code) in runs {
        let (status, stdout, stderr) = run_watched(&env, args, stdin);
        assert_eq!(status, code, "{args:?}: {stderr}");
        assert!(!stdout.contains(CANARY), "{args:?} stdout: {stdout}");
        assert!(!stderr.contains(CANARY), "{args:?} stderr: {stderr}");
    }
    let dumped = env.dump().join("\n");
    assert!(!dumped.contains(CANARY));
    assert_eq!(env.dump().len(), 3);
    assert_no_file_holds_a_canary(&env, &["pw.txt"]);
    // A prompt neither echoes it nor leaves it anywhere.
    let prompts: [(&[&str], &[&str]); 3] = [
        (&["add-user", "frank"], &[CANARY, CANARY]),
        (&["set-password", "frank"], &[CANARY, CANARY]),
        (&["verify-login", "frank"], &[CANARY]),
    ];
    for (args, typed) in prompts {
        let (ok, shown) = env.on_terminal(args, typed);
        assert!(ok, "{args:?}: {shown}");
        assert!(!shown.contains(CANARY), "{shown}");
    }
    assert_no_file_holds_a_canary(&env, &["pw.txt"]);
}

#[test]
fn a_canary_signing_key_shows_nowhere_but_in_its_file() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    std::fs::write(env.path("secret.key"), format!("{KEY_CANARY}\n")).unwrap();
    let (status, stdout, stderr) = run_watched(
        &env,
        &[
            "issue-token",
            "alice",
            "--secret-key-file",
            "secret.key",
            "--format",
            "json",
        ],
        "",
    );
    assert_eq!(status, 0, "{stderr}");
    assert!(!stdout.contains(KEY_CANARY) && !stderr.contains(KEY_CANARY));
    // A refused key (too short) is described, never quoted.
    std::fs::write(env.path("short.key"), "key-canary-0b7d\n").unwrap();
    let (status, stdout, stderr) = run_watched(
        &env,
        &["issue-token", "alice", "--secret-key-file", "short.key"],
        "",
    );
    assert_eq!(status, 5, "{stderr}");
    assert!(
        !stdout.contains("key-canary") && !stderr.contains("key-canary"),
        "{stderr}"
    );
    // SECRET_KEY, the service's own variable, is read and never shown either.
    let assert = env
        .cmd()
        .env("SECRET_KEY", KEY_CANARY)
        .args(["issue-token", "alice", "--format", "json"])
        .assert()
        .code(0);
    let output = assert.get_output();
    let shown = [&output.stdout[..], &output.stderr[..]].concat();
    assert!(!String::from_utf8_lossy(&shown).contains(KEY_CANARY));
    assert_no_file_holds_a_canary(&env, &["secret.key", "short.key"]);
}

sqlite_only! {
    #[test]
    fn writes_warn_when_others_can_read_the_database() {
        let env = TestEnv::init();
        env.run(
            &["add-user", "alice", "--password-stdin", "-q"],
            "pw-for-tests\n",
        )
        .code(0)
        .stderr("");
        env.chmod(0o644);
        let db = env.location();
        env.run(&["disable-user", "alice", "-q"], "")
            .code(0)
            .stderr(format!(
                "warning: database {db} is readable by its group and others (mode 0644) and holds \
                 password hashes; restrict it with `chmod 600 {db}`\n"
            ));
        env.chmod(0o604);
        env.run(&["enable-user", "alice", "-q"], "")
            .code(0)
            .stderr(format!(
                "warning: database {db} is readable by others (mode 0604) and holds password \
                 hashes; restrict it with `chmod 600 {db}`\n"
            ));
        // Reading says nothing: the warning is for those who write.
        env.run(&["list-users", "--format", "csv"], "")
            .code(0)
            .stderr("");
        env.chmod(0o640);
        env.run(&["delete-user", "alice", "--yes", "-q"], "")
            .code(0)
            .stderr(format!(
                "warning: database {db} is readable by its group (mode 0640) and holds password \
                 hashes; restrict it with `chmod 600 {db}`\n"
            ));
    }
}
