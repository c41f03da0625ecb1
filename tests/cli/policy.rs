//! What authctl refuses to write though the service would take it: names with invisible
//! characters, usernames that look like existing ones, weak passwords; and the options that
//! insist.

use super::TestEnv;
use crate::support::TEST_PROFILE_WARNING;

#[test]
fn invisible_characters_in_names_are_refused_naming_the_code_point() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    let before = env.dump();
    let refused = [
        (
            vec!["add-user", "adm\u{202e}nimda"],
            "error: username \"adm\\u{202e}nimda\" contains U+202E, an invisible formatting \
             character (bidirectional control or zero-width)\n",
        ),
        (
            vec!["add-user", "ali\u{200b}ce"],
            "error: username \"ali\\u{200b}ce\" contains U+200B, an invisible formatting \
             character (bidirectional control or zero-width)\n",
        ),
        (
            vec!["add-user", "bob", "--email", "bob\u{2066}@example.com"],
            "error: email \"bob\\u{2066}@example.com\" contains U+2066, an invisible formatting \
             character (bidirectional control or zero-width)\n",
        ),
        (
            vec!["add-user", "bob", "--full-name", "Bob\u{feff}"],
            "error: full name \"Bob\\u{feff}\" contains U+FEFF, an invisible formatting \
             character (bidirectional control or zero-width)\n",
        ),
    ];
    for (mut args, stderr) in refused {
        args.push("--password-stdin");
        env.run(&args, "pw-for-tests\n")
            .code(5)
            .stdout("")
            .stderr(stderr);
    }
    env.run(
        &["import", "-"],
        "username,password\nev\u{202d}e,pw-for-tests\n",
    )
    .code(5)
    .stderr(
        "error: 1 problem in the input; nothing was written:\n  line 2, field username: \
             username \"ev\\u{202d}e\" contains U+202D, an invisible formatting character \
             (bidirectional control or zero-width)\n",
    );
    assert_eq!(env.dump(), before);
}

#[test]
fn a_look_alike_username_is_a_conflict_unless_the_operator_insists() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    env.add_user("ok", "pw-for-tests");
    let before = env.dump();
    // Refused before the password is read: nothing on stdin, and still exit 4.
    env.run(&["add-user", "\u{430}lice", "--password-stdin"], "")
        .code(4)
        .stdout("")
        .stderr(
            "error: username '\u{430}lice' looks like existing user 'alice': the same under \
             Unicode's confusable mapping (it has U+0430); pass --allow-look-alike to add it \
             anyway\n",
        );
    env.run(
        &["add-user", "OK", "--password-stdin", "--format", "json"],
        "",
    )
    .code(4)
    .stderr(
        "{\"error\":{\"kind\":\"conflict\",\"exit_code\":4,\"message\":\"username 'OK' looks \
             like existing user 'ok': they differ only in case; pass --allow-look-alike to add \
             it anyway\"}}\n",
    );
    env.run(&["add-user", "a1ice", "--password-stdin"], "")
        .code(4)
        .stderr(
            "error: username 'a1ice' looks like existing user 'alice': the same under Unicode's \
             confusable mapping; pass --allow-look-alike to add it anyway\n",
        );
    env.run(&["add-user", "aIice", "--password-stdin"], "")
        .code(4)
        .stderr(
            "error: username 'aIice' looks like existing user 'alice': the same under Unicode's \
             confusable mapping; pass --allow-look-alike to add it anyway\n",
        );
    assert_eq!(env.dump(), before);
    // Different names are not look-alikes; an upsert of the existing name is not new.
    env.add_user("alicia", "pw-for-tests");
    env.add_user_with(
        "alice",
        &["--upsert", "--full-name", "Alice"],
        "pw-for-tests",
    );
    env.run(
        &[
            "add-user",
            "\u{430}lice",
            "--password-stdin",
            "--allow-look-alike",
            "-q",
        ],
        "pw-for-tests\n",
    )
    .code(0)
    .stderr(
        "warning: username '\u{430}lice' looks like existing user 'alice': the same under \
         Unicode's confusable mapping (it has U+0430); added as asked (--allow-look-alike)\n",
    );
    assert_eq!(env.dump().len(), 4);
    // Of two stored look-alikes the first read is named, by add-user as by import.
    let refusal = "username 'aIice' looks like existing user 'alice': the same under Unicode's \
                   confusable mapping";
    env.run(&["add-user", "aIice", "--password-stdin"], "")
        .code(4)
        .stderr(format!(
            "error: {refusal}; pass --allow-look-alike to add it anyway\n"
        ));
    env.run(&["import", "-"], "username,password\naIice,pw-for-tests\n")
        .code(4)
        .stderr(format!(
            "error: 1 problem in the input; nothing was written:\n  line 2, field username: \
             {refusal} (see --allow-look-alike)\n"
        ));
}

#[test]
fn an_import_lists_look_alikes_of_the_table_and_of_its_own_records() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    let before = env.dump();
    let csv = "username,password\nALICE,pw-for-tests\nbob,pw-for-tests\ncarol,pw-for-tests\nBob,pw-for-tests\n";
    env.run(&["import", "-"], csv).code(4).stderr(
        "error: 2 problems in the input; nothing was written:\n  \
             line 2, field username: username 'ALICE' looks like existing user 'alice': they \
             differ only in case (see --allow-look-alike)\n  \
             line 5, field username: 'Bob' looks like 'bob' at line 3: they differ only in case \
             (see --allow-look-alike)\n",
    );
    assert_eq!(env.dump(), before);
    env.run(
        &[
            "import",
            "-",
            "--allow-look-alike",
            "--hash-profile",
            "test",
            "-q",
        ],
        csv,
    )
    .code(0)
    .stderr(format!(
        "{TEST_PROFILE_WARNING}warning: line 2: username 'ALICE' looks like existing user 'alice': they differ \
             only in case; added as asked (--allow-look-alike)\n\
             warning: line 5: username 'Bob' looks like existing user 'bob': they differ only \
             in case; added as asked (--allow-look-alike)\n",
    ));
    assert_eq!(env.dump().len(), 5);
}

#[test]
fn weak_passwords_are_refused_saying_why_and_never_quoting_them() {
    let env = TestEnv::init();
    let weak = [
        ("alice", "1234567", "it is shorter than 8 characters"),
        (
            "alice",
            "12345678",
            "it is in the list of commonly used passwords",
        ),
        (
            "alice",
            "Sunshine1",
            "it is in the list of commonly used passwords",
        ),
        ("alice", "alice-ALICE-7", "it is mostly the username"),
        ("alice", "liddell-99", "it is mostly the email address"),
    ];
    for (user, password, why) in weak {
        let args = [
            "add-user",
            user,
            "--email",
            "liddell@example.com",
            "--password-stdin",
            "-q",
        ];
        let assert = env.run(&args, &format!("{password}\n")).code(5).stdout("");
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert_eq!(
            stderr,
            format!(
                "error: the password for '{user}' is too weak: {why}; choose a longer or less \
                 common one, or pass --allow-weak-password for a throwaway test account\n"
            )
        );
        assert!(!stderr.contains(password));
    }
    assert!(env.dump().is_empty());
    env.run(
        &["add-user", "alice", "--password-stdin"],
        "alice in the garden\n",
    )
    .code(0);
}

#[test]
fn the_policy_can_be_raised_lowered_or_overridden() {
    let env = TestEnv::init();
    env.run(
        &[
            "add-user",
            "long",
            "--password-stdin",
            "--min-password-length",
            "16",
            "-q",
        ],
        "fifteen chars!!\n",
    )
    .code(5)
    .stderr(
        "error: the password for 'long' is too weak: it is shorter than 16 characters; choose a \
         longer or less common one, or pass --allow-weak-password for a throwaway test account\n",
    );
    env.cmd()
        .env("AUTHCTL_MIN_PASSWORD_LENGTH", "4")
        .args(["add-user", "short", "--password-stdin", "-q"])
        .write_stdin("zq7k\n")
        .assert()
        .code(0)
        .stderr("");
    env.run(
        &[
            "add-user",
            "fixture",
            "--password-stdin",
            "--allow-weak-password",
            "-q",
        ],
        "pw\n",
    )
    .code(0)
    .stderr(
        "warning: the password is weak (it is shorter than 8 characters); stored as asked \
         (--allow-weak-password)\n",
    );
    env.run(&["verify-login", "fixture", "--password-stdin"], "pw")
        .code(0);
    env.run(
        &[
            "set-password",
            "fixture",
            "--password-stdin",
            "--allow-weak-password",
            "-q",
        ],
        "pw2\n",
    )
    .code(0)
    .stderr(
        "warning: the password is weak (it is shorter than 8 characters); stored as asked \
         (--allow-weak-password)\n",
    );
    // A generated password always passes, however high the minimum.
    let out = env
        .run(
            &[
                "add-user",
                "bot",
                "--random-password",
                "--min-password-length",
                "40",
                "-q",
            ],
            "",
        )
        .code(0)
        .stderr("");
    let generated = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(generated.trim_end().len(), 40);
    env.run(
        &["set-password", "bot", "--password-stdin", "-q"],
        "password\n",
    )
    .code(5)
    .stderr(
        "error: the password for 'bot' is too weak: it is in the list of commonly used \
             passwords; choose a longer or less common one, or pass --allow-weak-password for a \
             throwaway test account\n",
    );
    env.run(
        &[
            "add-user",
            "x",
            "--min-password-length",
            "0",
            "--random-password",
        ],
        "",
    )
    .code(2);
}

#[test]
fn records_that_set_no_password_are_not_judged() {
    let env = TestEnv::init();
    env.add_user("ann", "pw-for-tests");
    // ann exists and is skipped: her record's weak password is never stored, so not refused.
    env.run(
        &["import", "-", "--on-conflict", "skip", "-q"],
        "username,password\nann,short\n",
    )
    .code(0)
    .stderr("");
    env.run(&["verify-login", "ann", "--password-stdin"], "pw-for-tests")
        .code(0);
    // The same name as written and case-folded: aIice (capital i) and alice in one file.
    env.run(
        &["import", "-"],
        "username,password\nalice,pw-for-tests\naIice,pw-for-tests\n",
    )
    .code(4)
    .stderr(
        "error: 1 problem in the input; nothing was written:\n  line 3, field username: 'aIice' \
         looks like 'alice' at line 2: the same under Unicode's confusable mapping (see \
         --allow-look-alike)\n",
    );
}

#[test]
fn an_import_lists_every_weak_password_with_its_line() {
    let env = TestEnv::init();
    let csv =
        "username,email,password\nann,,short\nben,,pw-for-tests\ncat,cat@example.com,qwertyuiop\n";
    env.run(&["import", "-"], csv).code(5).stderr(
        "error: 2 problems in the input; nothing was written:\n  \
             line 2, field password: too weak: it is shorter than 8 characters (see \
             --allow-weak-password)\n  \
             line 4, field password: too weak: it is in the list of commonly used passwords \
             (see --allow-weak-password)\n",
    );
    assert!(env.dump().is_empty());
    env.run(
        &[
            "import",
            "-",
            "--allow-weak-password",
            "--hash-profile",
            "test",
            "-q",
        ],
        csv,
    )
    .code(0)
    .stderr(format!(
        "{TEST_PROFILE_WARNING}warning: line 2: the password is weak (it is shorter than 8 characters); stored as \
         asked (--allow-weak-password)\n\
         warning: line 4: the password is weak (it is in the list of commonly used passwords); \
         stored as asked (--allow-weak-password)\n",
    ));
    env.run(&["verify-login", "ann", "--password-stdin"], "short")
        .code(0);
}

#[test]
fn at_the_prompt_a_mistyped_or_weak_password_is_asked_again() {
    let env = TestEnv::init();
    let (ok, shown) = env.on_terminal(
        &["add-user", "alice"],
        &[
            "first try",
            "first typo",
            "12345678",
            "12345678",
            "typed twice",
            "typed twice",
        ],
    );
    assert!(ok, "{shown}");
    assert!(
        shown.contains("the two passwords do not match; try again"),
        "{shown}"
    );
    assert!(
        shown.contains("the password for 'alice' is too weak: it is in the list of commonly used passwords; try again"),
        "{shown}"
    );
    assert!(!shown.contains("12345678"), "{shown}");
    env.run(
        &["verify-login", "alice", "--password-stdin"],
        "typed twice",
    )
    .code(0);
    // Four times wrong: the last reason, exit 5, nothing written.
    let (ok, shown) = env.on_terminal(
        &["add-user", "bob"],
        &[
            "a one", "b one", "a two", "b two", "a 3", "b 3", "a 4", "b 4",
        ],
    );
    assert!(!ok);
    assert_eq!(shown.matches("try again").count(), 3, "{shown:?}");
    assert!(
        shown.ends_with("error: the two passwords do not match\r\n"),
        "{shown:?}"
    );
    assert_eq!(env.dump().len(), 1);
}

#[test]
fn an_import_warns_about_each_password_not_in_nfc() {
    let env = TestEnv::init();
    let csv = "username,password\nzoe,cafe\u{301} au lait\nann,caf\u{e9} au lait\n";
    env.run(&["import", "-", "--hash-profile", "test", "-q"], csv)
        .code(0)
        .stderr(format!(
            "{TEST_PROFILE_WARNING}warning: line 2: the password is not in Unicode NFC form; it \
             is stored exactly as given, and the same characters typed on another system may \
             arrive as other bytes and not match\n"
        ));
    env.run(
        &["verify-login", "zoe", "--password-stdin"],
        "cafe\u{301} au lait",
    )
    .code(0);
}
