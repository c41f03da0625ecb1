//! Faults: each ends with a clear message, a documented exit code, the table as it was and
//! `PRAGMA integrity_check` ok. kill -9 at spread points of every write, in both journal modes;
//! a full disk; a read-only file and directory, as an unprivileged user; damaged files.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use super::TestEnv;
use crate::support::{TEST_PROFILE_WARNING, bin};

/// How many kills per command and journal mode, spread evenly over the command's run time.
const KILLS: u32 = 8;

/// A table of 300 users (test-profile hashes), in the given journal mode.
fn seeded(wal: bool) -> TestEnv {
    use std::fmt::Write as _;
    let env = TestEnv::init();
    if wal {
        assert_eq!(env.pragma("journal_mode = WAL"), "wal");
    }
    let mut csv = String::from("username,email,password\n");
    for i in 1..=300 {
        writeln!(csv, "user{i},user{i}@example.com,pw-for-tests").unwrap();
    }
    env.run(&["import", "-", "--hash-profile", "test", "-q"], &csv)
        .code(0);
    env
}

/// The writes to interrupt: (name, arguments, stdin).
fn writes() -> Vec<(&'static str, Vec<String>, String)> {
    use std::fmt::Write as _;
    let many: Vec<String> = (1..=150).map(|i| format!("user{i}")).collect();
    let mut csv = String::from("username,password\n");
    for i in 1..=300 {
        writeln!(csv, "new{i},pw-for-tests").unwrap();
    }
    let args = |fixed: &[&str], more: &[String]| {
        let mut all: Vec<String> = fixed.iter().map(|s| (*s).to_owned()).collect();
        all.extend_from_slice(more);
        all
    };
    let test = ["--hash-profile", "test"];
    vec![
        (
            "add-user",
            args(&["add-user", "newbie", "--password-stdin"], &[]),
            "pw-for-tests\n".into(),
        ),
        (
            "set-password",
            args(&["set-password", "user7", "--password-stdin"], &[]),
            "another pass\n".into(),
        ),
        (
            "disable-user",
            args(&["disable-user"], &many),
            String::new(),
        ),
        (
            "delete-user",
            args(&["delete-user", "--yes"], &many),
            String::new(),
        ),
        ("import", args(&["import", "-"], &[]), csv),
    ]
    .into_iter()
    .map(|(name, mut argv, stdin)| {
        if matches!(name, "add-user" | "set-password" | "import") {
            argv.extend(test.iter().map(|s| (*s).to_owned()));
        }
        (name, argv, stdin)
    })
    .collect()
}

/// Every row, its hash as `same` or `new` against `before` (a rerun salts differently), once
/// SQLite's own check passes.
fn state(env: &TestEnv, before: &[String]) -> Vec<String> {
    assert_eq!(env.pragma("integrity_check"), "ok");
    env.dump()
        .into_iter()
        .map(|row| {
            let (fields, _) = row.rsplit_once('|').unwrap();
            let hash = if before.contains(&row) { "same" } else { "new" };
            format!("{fields}|{hash}")
        })
        .collect()
}

fn spawn(env: &TestEnv, args: &[String], stdin: &str) -> std::process::Child {
    use std::io::Write;
    let mut child = env
        .process(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Written at once: the kill points are in authctl, not in a wait for input.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child
}

#[test]
fn killed_at_any_point_a_write_leaves_the_table_as_before_or_as_after() {
    let mut total_after = 0;
    for wal in [false, true] {
        for (name, args, stdin) in writes() {
            let env = seeded(wal);
            let raw = env.dump();
            let before = state(&env, &raw);
            let started = Instant::now();
            assert!(
                spawn(&env, &args, &stdin).wait().unwrap().success(),
                "{name}"
            );
            let took = started.elapsed();
            let after = state(&env, &raw);
            assert!(before != after, "{name} changed nothing");
            let mut seen = [0_u32; 2];
            for k in 0..=KILLS {
                // Spread over the run and past it: some kills land after the commit.
                let at = took * k / KILLS * 3 / 2;
                let env = seeded(wal);
                let raw = env.dump();
                let mut child = spawn(&env, &args, &stdin);
                std::thread::sleep(at);
                let _ = child.kill();
                let _ = child.wait();
                let now = state(&env, &raw);
                assert!(
                    now == before || now == after,
                    "{name} (wal: {wal}) killed after {at:?}: the table is neither as before nor as after"
                );
                seen[usize::from(now == after)] += 1;
            }
            // The first kill (at once) lands before the commit.
            assert!(seen[0] > 0, "{name} (wal: {wal}): {seen:?}");
            total_after += seen[1];
            eprintln!(
                "{name} (wal: {wal}, {took:?}): {} before, {} after",
                seen[0], seen[1]
            );
        }
    }
    // And some after it: the kills did not all come too early to matter.
    assert!(total_after > 0);
}

/// A small filesystem of its own (tmpfs), unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: &Path, kib: u32) -> Self {
        std::fs::create_dir_all(at).unwrap();
        let status = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={kib}k,mode=0755"),
                "tmpfs",
            ])
            .arg(at)
            .status()
            .expect("mount (util-linux) is needed for the disk-full test");
        assert!(
            status.success(),
            "mounting a tmpfs needs root, which CI has"
        );
        SmallDisk(at.to_owned())
    }

    /// Fills the disk with a file, leaving about `free` bytes.
    fn fill(&self, free: u64) -> PathBuf {
        use std::io::Write;
        let filler = self.0.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0_u8; 4096];
        while file.write_all(&chunk).is_ok() {}
        drop(file);
        let size = std::fs::metadata(&filler).unwrap().len();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&filler)
            .unwrap();
        file.set_len(size.saturating_sub(free)).unwrap();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_fails_the_write_and_changes_nothing() {
    use std::fmt::Write as _;
    let outer = TestEnv::empty();
    let disk = SmallDisk::mount(&outer.path("disk"), 2048);
    let env = TestEnv::empty_in(&outer.path("disk"));
    env.run(&["init-db", "-q"], "").code(0);
    env.add_user("alice", "pw-for-tests");
    let before = (env.schema(), env.dump());
    let filler = disk.fill(8 * 1024);
    let mut csv = String::from("username,email,full_name,password\n");
    for i in 0..500 {
        writeln!(
            csv,
            "user{i},user{i}@example.com,A long full name for user {i},pw-for-tests"
        )
        .unwrap();
    }
    let db = env.db.display();
    env.run(&["import", "-", "--hash-profile", "test", "-q"], &csv)
        .code(7)
        .stdout("")
        .stderr(format!(
            "{TEST_PROFILE_WARNING}error: database {db}: the disk is full; nothing was written\n"
        ));
    assert_eq!((env.schema(), env.dump()), before);
    assert_eq!(env.pragma("integrity_check"), "ok");
    // Room again: the same import goes through.
    std::fs::remove_file(filler).unwrap();
    env.run(&["import", "-", "--hash-profile", "test", "-q"], &csv)
        .code(0);
    assert_eq!(env.dump().len(), 501);
}

/// authctl as an unprivileged user: root reads and writes any file whatever its mode.
fn as_nobody(env: &TestEnv, args: &[&str], stdin: &str) -> (i32, String) {
    use std::io::Write;
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let mut command = if root {
        let mut command = Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        command.arg(bin());
        command
    } else {
        Command::new(bin())
    };
    let mut child = command
        .arg("--db")
        .arg(&env.db)
        .args(args)
        .env_remove("DATABASE_URL")
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chown_to_nobody(path: &Path) {
    std::os::unix::fs::chown(path, Some(65534), Some(65534)).unwrap();
}

#[test]
fn a_read_only_file_or_directory_is_refused_and_changes_nothing() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    chmod(env.dir(), 0o755);
    let db = env.db.display().to_string();
    let before = (env.schema(), env.dump());
    // The file is root's, 0644: readable, not writable.
    chmod(&env.db, 0o644);
    let (code, stderr) = as_nobody(&env, &["add-user", "bob", "--password-stdin"], "");
    assert_eq!(
        (code, stderr.as_str()),
        (
            7,
            format!("error: database {db}: is read-only; nothing was written\n").as_str()
        )
    );
    let (code, _) = as_nobody(&env, &["list-users"], "");
    assert_eq!(code, 0);
    // The file is nobody's, the directory root's: SQLite cannot make its journal beside it.
    chown_to_nobody(&env.db);
    chmod(&env.db, 0o600);
    let (code, stderr) = as_nobody(&env, &["disable-user", "alice"], "");
    assert_eq!(
        (code, stderr.as_str()),
        (
            7,
            format!(
                "error: database {db}: its directory is not writable, so SQLite cannot create \
                 its journal there; nothing was written\n"
            )
            .as_str()
        )
    );
    assert_eq!((env.schema(), env.dump()), before);
    assert_eq!(env.pragma("integrity_check"), "ok");
}

/// What SQLite says only when it opens or reads: a file this user cannot read at all, and an
/// interrupted write's journal that a reader cannot roll back because it cannot write the file.
#[test]
fn a_file_that_cannot_be_read_or_rolled_back_is_refused_and_left_alone() {
    let mut env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    chmod(env.dir(), 0o755);
    let db = env.db.display().to_string();
    chmod(&env.db, 0o600);
    let (code, stderr) = as_nobody(&env, &["list-users"], "");
    assert_eq!(
        (code, stderr),
        (7, format!("error: database {db}: cannot be opened\n"))
    );
    // A copy of the file and its journal taken in the middle of a write: a hot journal.
    let conn = env.sql();
    conn.execute_batch(
        "PRAGMA cache_size = 1; BEGIN IMMEDIATE; UPDATE users SET full_name = 'half'; \
         CREATE TABLE filler (x); INSERT INTO filler VALUES (randomblob(200000));",
    )
    .unwrap();
    let journal = PathBuf::from(format!("{db}-journal"));
    assert!(journal.exists(), "the write spilled no journal");
    let copy = env.path("interrupted.db");
    std::fs::copy(&env.db, &copy).unwrap();
    std::fs::copy(&journal, env.path("interrupted.db-journal")).unwrap();
    drop(conn);
    chmod(&copy, 0o644);
    env.db = copy;
    let (code, stderr) = as_nobody(&env, &["list-users"], "");
    let copy = env.db.display();
    assert_eq!(
        (code, stderr),
        (
            7,
            format!("error: database {copy}: is read-only; nothing was written\n")
        )
    );
    assert!(env.path("interrupted.db-journal").exists());
}

/// A directory this user cannot write or enter is named as the reason, not taken for a missing
/// directory or a missing database.
#[test]
fn a_directory_that_cannot_be_written_or_entered_is_the_reason_given() {
    let mut env = TestEnv::init();
    chmod(env.dir(), 0o755);
    env.db = env.path("new.db");
    let new = env.db.display().to_string();
    let (code, stderr) = as_nobody(&env, &["init-db"], "");
    assert_eq!(
        (code, stderr),
        (
            7,
            format!("error: database {new}: cannot be created: Permission denied (os error 13)\n")
        )
    );
    assert!(!env.db.exists());
    env.db = env.path("users.db");
    let db = env.db.display().to_string();
    chmod(env.dir(), 0o700);
    let (code, stderr) = as_nobody(&env, &["list-users"], "");
    assert_eq!(
        (code, stderr),
        (
            7,
            format!("error: database {db}: cannot be read: Permission denied (os error 13)\n")
        )
    );
}

#[test]
fn damaged_or_wrong_files_are_unusable_and_left_as_they_are() {
    let real = TestEnv::init();
    real.add_user("alice", "pw-for-tests");
    let bytes = std::fs::read(&real.db).unwrap();
    let mut bad_header = bytes.clone();
    bad_header[..16].copy_from_slice(b"not sqlite at al");
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "empty",
            Vec::new(),
            "has no users table; create it with `authctl init-db`",
        ),
        (
            "text",
            b"username,password\nalice,secret\n".to_vec(),
            "is not a SQLite database",
        ),
        (
            "truncated",
            bytes[..bytes.len() / 2].to_vec(),
            "is corrupt (database disk image is malformed)",
        ),
        ("bad header", bad_header, "is not a SQLite database"),
    ];
    for (what, content, reason) in cases {
        let env = TestEnv::empty();
        std::fs::write(&env.db, &content).unwrap();
        for args in [
            &["list-users"][..],
            &["add-user", "bob", "--password-stdin"],
            &["check"],
        ] {
            env.run(args, "pw-for-tests\n")
                .code(7)
                .stdout("")
                .stderr(format!("error: database {}: {reason}\n", env.db.display()));
            assert_eq!(std::fs::read(&env.db).unwrap(), content, "{what}: {args:?}");
        }
    }
    let env = TestEnv::empty();
    std::fs::create_dir(&env.db).unwrap();
    env.run(&["list-users"], "").code(7).stderr(format!(
        "error: database {}: is not a file\n",
        env.db.display()
    ));
}

#[test]
fn extra_columns_are_left_alone() {
    let env = TestEnv::service_table();
    env.insert_raw("ALTER TABLE users ADD COLUMN created_at TEXT DEFAULT CURRENT_TIMESTAMP;");
    env.add_user("alice", "pw-for-tests");
    env.run(&["disable-user", "alice", "-q"], "").code(0);
    env.run(&["list-users", "--format", "csv"], "")
        .code(0)
        .stdout("id,username,email,full_name,disabled\n1,alice,,,true\n");
    env.run(
        &["verify-login", "alice", "--password-stdin"],
        "pw-for-tests",
    )
    .code(1);
    env.run(&["check", "-q"], "").code(0);
    let stamp = env
        .sql()
        .query_row("SELECT created_at FROM users", [], |r| {
            r.get::<_, Option<String>>(0)
        })
        .unwrap();
    assert!(stamp.is_some());
}
