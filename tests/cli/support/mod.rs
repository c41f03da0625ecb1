//! The test environment: a temporary directory, a database path in it, and the real binary.

use assert_cmd::Command;
use assert_cmd::assert::Assert;
use rusqlite::Connection;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

pub mod pooler;
pub mod postgres;
pub mod service;
pub mod standby;

pub use authctl::db::SERVICE_DDL;

/// The contract's public test vectors.
pub const BCRYPT_SECRET: &str = "$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW";
pub const ARGON2_SECRET: &str = "$argon2id$v=19$m=65536,t=3,p=4$wagCPXjifgvUFBzq4hqe3w$CYaIb8sB+wtD+Vu/P4uod1+Qof8h+1g7bbDlBID48Rc";
pub const BCRYPT_SWORDFISH: &str = "$2b$12$dQD2AD2Y.Aa8F3IliHPfk.yNESW7FZe3RmeT38K661sg/vds404ga";

/// What a command that writes a hash says on a table that holds none yet (the scheme detected).
pub const NOTE_NO_HASHES: &str = "note: hash scheme argon2 (pwdlib's recommended hasher, Argon2 only), \
     detected: no stored password hashes to go by; for a passlib-era service (bcrypt only) give \
     --hash-scheme bcrypt or AUTHCTL_HASH_SCHEME=bcrypt\n";

/// The same for `import`, when neither the table nor the input holds a hash.
pub const NOTE_NO_HASHES_IMPORT: &str = "note: hash scheme argon2 (pwdlib's recommended hasher, Argon2 only), \
     detected: no stored or imported password hashes to go by; for a passlib-era service (bcrypt \
     only) give --hash-scheme bcrypt or AUTHCTL_HASH_SCHEME=bcrypt\n";

/// What a command says when the table holds both kinds of hash.
pub fn note_both_kinds(whose: &str, argon2: &str, bcrypt: &str) -> String {
    format!(
        "note: hash scheme argon2+bcrypt (pwdlib with Argon2 and bcrypt), detected: the {whose} hashes \
         are {argon2} and {bcrypt}; --hash-scheme or AUTHCTL_HASH_SCHEME overrides it (for a \
         passlib-era service, bcrypt only, give bcrypt: its Argon2 rows cannot log in until \
         set-password gives them bcrypt hashes)\n"
    )
}

/// What a command says when every stored hash is bcrypt.
pub fn note_bcrypt(detected: &str) -> String {
    format!(
        "note: hash scheme bcrypt (passlib's bcrypt), detected: {detected}; \
         --hash-scheme or AUTHCTL_HASH_SCHEME overrides it\n"
    )
}

/// What `--hash-profile test` warns, with its newline.
pub const TEST_PROFILE_WARNING: &str = "warning: --hash-profile test: these hashes take microseconds to brute-force; use them for test fixtures only\n";

/// A key long enough for HS256 that is not the tutorial's.
pub const KEY: &str = "5f1c0ae4b3d2e8a7c6b9f0e1d2c3b4a5968778695a4b3c2d1e0f";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_authctl")
}

/// The DDL the service's `create_all` emits on PostgreSQL (SQLAlchemy 2, the service's model).
pub const SERVICE_DDL_POSTGRES: &str = "CREATE TABLE users (id SERIAL NOT NULL, username VARCHAR, \
     email VARCHAR, full_name VARCHAR, disabled BOOLEAN, hashed_password VARCHAR, PRIMARY KEY (id));
    CREATE INDEX ix_users_id ON users (id);
    CREATE UNIQUE INDEX ix_users_username ON users (username);
    CREATE UNIQUE INDEX ix_users_email ON users (email);
    CREATE INDEX ix_users_full_name ON users (full_name);";

/// The database engine a test body runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The engine a root of the suite compiles its subjects for, as a type: `sqlite.rs` names
/// `TestEnv<Sqlite>`, `postgres.rs` `TestEnv<Postgres>`, so a helper of one engine used by a body
/// compiled for the other does not compile, and a helper called from a spawned thread gets the
/// test's engine.
pub trait OnEngine {
    const ENGINE: Engine;
}

/// The embedded default: a database file.
pub enum Sqlite {}

/// A schema of the test's own on the suite's PostgreSQL server.
pub enum Postgres {}

impl OnEngine for Sqlite {
    const ENGINE: Engine = Engine::Sqlite;
}

impl OnEngine for Postgres {
    const ENGINE: Engine = Engine::Postgres;
}

/// One test's world: a temp dir (the working directory of every command) and a database: a path
/// (SQLite), or a schema of its own on the test server (PostgreSQL).
pub struct TestEnv<E: OnEngine> {
    dir: TempDir,
    pub db: PathBuf,
    pg: Option<Pg>,
    engine: PhantomData<E>,
}

/// A test's own schema on the PostgreSQL test server, and the URL that selects it.
struct Pg {
    schema: String,
    url: String,
    /// The database on the server itself, for the test's own look (not through a pooler).
    direct: String,
}

impl<E: OnEngine> TestEnv<E> {
    /// No database yet (on PostgreSQL: an empty schema, no table).
    pub fn empty() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("authctl-")
            .tempdir()
            .unwrap();
        Self::in_dir(dir)
    }

    /// No database yet, in a new folder under `parent` (another filesystem).
    pub fn empty_in(parent: &Path) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("authctl-")
            .tempdir_in(parent)
            .unwrap();
        Self::in_dir(dir)
    }

    fn in_dir(dir: TempDir) -> Self {
        let db = dir.path().join("users.db");
        let pg = (E::ENGINE == Engine::Postgres).then(|| {
            let (schema, url) = postgres::new_schema();
            Pg {
                schema,
                url,
                direct: postgres::server().url.clone(),
            }
        });
        TestEnv {
            dir,
            db,
            pg,
            engine: PhantomData,
        }
    }

    /// The test's engine: its type's, whatever thread asks.
    #[allow(clippy::unused_self)] // Asked of the env a body holds, which names the engine.
    pub fn engine(&self) -> Engine {
        E::ENGINE
    }

    /// The options that name this test's database.
    pub fn database_args(&self) -> Vec<std::ffi::OsString> {
        match &self.pg {
            Some(pg) => vec!["--database-url".into(), pg.url.clone().into()],
            None => vec!["--db".into(), self.db.clone().into()],
        }
    }

    /// The database as authctl's messages name it: the path, or the URL without its password.
    pub fn location(&self) -> String {
        match &self.pg {
            Some(pg) => {
                let (before, after) = pg.url.split_once('@').unwrap();
                let user = before.rsplit_once(':').unwrap().0;
                format!("{user}:***@{after}")
            }
            None => self.db.display().to_string(),
        }
    }

    /// The test's database as a URL: the PostgreSQL one as authctl is given it, or
    /// `sqlite:///` and the path.
    pub fn database_url(&self) -> String {
        match &self.pg {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite:///{}", self.db.display()),
        }
    }

    /// The service's `DATABASE_URL` for this test's database (SQLAlchemy's form: on PostgreSQL
    /// with the psycopg driver).
    pub fn service_url(&self) -> String {
        match &self.pg {
            Some(pg) => pg.url.replacen("postgresql://", "postgresql+psycopg://", 1),
            None => format!("sqlite:///{}", self.db.display()),
        }
    }

    fn pg_client(&self) -> Option<::postgres::Client> {
        let pg = self.pg.as_ref()?;
        Some(postgres::connect_to(&pg.direct, Some(&pg.schema)))
    }

    /// A database made by `authctl init-db`.
    pub fn init() -> Self {
        let env = Self::empty();
        env.cmd().arg("init-db").assert().success();
        env
    }

    /// A database made by the service's `create_all` (its exact DDL), with no rows.
    pub fn service_table() -> Self {
        let env = Self::empty();
        match env.engine() {
            Engine::Postgres => env.insert_raw(SERVICE_DDL_POSTGRES),
            Engine::Sqlite => {
                Connection::open(&env.db)
                    .unwrap()
                    .execute_batch(SERVICE_DDL)
                    .unwrap();
                env.chmod(0o600);
            }
        }
        env
    }

    /// The DDL the service's `create_all` emits on this test's engine.
    pub fn service_ddl(&self) -> &'static str {
        match self.engine() {
            Engine::Sqlite => SERVICE_DDL,
            Engine::Postgres => SERVICE_DDL_POSTGRES,
        }
    }

    /// Sets the database file's mode (on PostgreSQL, where there is no file: nothing).
    pub fn chmod(&self, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        if self.engine() == Engine::Postgres {
            return;
        }
        std::fs::set_permissions(&self.db, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// [`TestEnv::bare`] as a plain process, for tests that spawn, watch and kill it.
    pub fn bare_std(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(bin());
        cmd.current_dir(self.dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("SECRET_KEY")
            .env_remove("AUTHCTL_HASH_SCHEME")
            .env_remove("AUTHCTL_TABLE_SHAPE")
            .env_remove("AUTHCTL_ENV_FILE")
            .env_remove("ACCESS_TOKEN_EXPIRE_MINUTES")
            .env_remove("EMAIL_RESET_TOKEN_EXPIRE_HOURS")
            .env_remove("FRONTEND_HOST")
            .env_remove("RUST_BACKTRACE");
        for var in [
            "PGHOST",
            "PGPORT",
            "PGUSER",
            "PGPASSWORD",
            "PGDATABASE",
            "PGSSLMODE",
            "PGHOSTADDR",
            "PGPASSFILE",
            "PGSSLROOTCERT",
            "PGSSLCERT",
            "PGSSLKEY",
            "PGTARGETSESSIONATTRS",
            "POSTGRES_SERVER",
            "POSTGRES_PORT",
            "POSTGRES_USER",
            "POSTGRES_PASSWORD",
            "POSTGRES_DB",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }

    /// [`TestEnv::cmd`] as a plain process with these arguments and stdin piped.
    pub fn process<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> std::process::Command {
        let mut cmd = self.bare_std();
        cmd.args(self.database_args())
            .args(args)
            .stdin(std::process::Stdio::piped());
        cmd
    }

    /// The binary, run in the temp dir, with a clean environment and no database option.
    pub fn bare(&self) -> Command {
        Command::from_std(self.bare_std())
    }

    /// The binary with `--db` set to this test's database.
    pub fn cmd(&self) -> Command {
        let mut cmd = self.bare();
        cmd.args(self.database_args());
        cmd
    }

    /// A token from `issue-token` for `login` (with `extra` options), signed with [`KEY`].
    pub fn issue_token(&self, login: &str, extra: &[&str]) -> String {
        let assert = self
            .cmd()
            .env("SECRET_KEY", KEY)
            .args(["issue-token", login])
            .args(extra)
            .assert()
            .code(0);
        stdout(&assert).trim_end().to_owned()
    }

    /// Runs a subcommand with arguments and the given stdin.
    pub fn run(&self, args: &[&str], stdin: &str) -> Assert {
        self.cmd().args(args).write_stdin(stdin).assert()
    }

    /// Adds a user through the binary, password from stdin.
    pub fn add_user(&self, username: &str, password: &str) {
        self.add_user_with(username, &[], password);
    }

    /// Adds a user with more `add-user` options (`--email`, `--disabled`…), password from stdin.
    pub fn add_user_with(&self, username: &str, options: &[&str], password: &str) {
        self.cmd()
            .args(["add-user", username, "--password-stdin"])
            .args(options)
            .write_stdin(format!("{password}\n"))
            .assert()
            .success();
    }

    /// Adds a user by typing the password twice at the prompt. Returns what the terminal showed.
    pub fn add_user_on_terminal(&self, username: &str, password: &str) -> String {
        let (success, shown) = self.on_terminal(&["add-user", username], &[password, password]);
        assert!(success, "{shown}");
        shown
    }

    /// Runs authctl under a pseudo-terminal made by util-linux `script` (rpassword reads it as
    /// /dev/tty, and stdin is a terminal), typing each line once a prompt is up, as a person
    /// would. Returns whether it succeeded and what the terminal showed.
    pub fn on_terminal(&self, args: &[&str], lines: &[&str]) -> (bool, String) {
        use std::io::{Read, Write};
        use std::process::Stdio;
        let database = self
            .database_args()
            .iter()
            .map(|a| format!("'{}'", a.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(" ");
        let command = format!(
            "{} {database} {}",
            bin(),
            args.iter()
                .map(|a| format!("'{a}'"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let child = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .current_dir(self.dir())
            .env_remove("DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("util-linux `script` is needed for the terminal tests");
        // Whatever happens (a wait that fails the test), the terminal session does not outlive it.
        let mut child = Reaped(child);
        let child = &mut child.0;
        let shown = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let reader = {
            let (shown, mut stdout) = (shown.clone(), child.stdout.take().unwrap());
            std::thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                while let Ok(n @ 1..) = stdout.read(&mut buffer) {
                    shown.lock().unwrap().extend_from_slice(&buffer[..n]);
                }
            })
        };
        // A prompt is up once the terminal shows more since the last line was typed, ending in a
        // line not yet ended (the prompt), and authctl is blocked reading the terminal: rpassword
        // turns echo off before it reads, so a password typed then is never echoed.
        let mut typed_at = 0;
        let mut prompt_or_exit = |child: &mut std::process::Child| {
            wait_until("a prompt", || {
                let prompt = {
                    let shown = shown.lock().unwrap();
                    shown.len() > typed_at && !shown.ends_with(b"\n")
                };
                let asking = prompt && reading_a_terminal(child.id());
                asking || child.try_wait().unwrap().is_some()
            });
            typed_at = shown.lock().unwrap().len();
        };
        let mut stdin = child.stdin.take().unwrap();
        for line in lines {
            prompt_or_exit(child);
            stdin.write_all(format!("{line}\n").as_bytes()).unwrap();
        }
        // The last line read: authctl ends, or asks again (for a line this test does not give).
        prompt_or_exit(child);
        drop(stdin);
        wait_until("the terminal session to end", || {
            child.try_wait().unwrap().is_some()
        });
        let status = child.wait().unwrap();
        reader.join().unwrap();
        let shown = shown.lock().unwrap();
        (
            status.success(),
            String::from_utf8_lossy(&shown).into_owned(),
        )
    }

    /// Inserts a row directly, as an operator with the sqlite3 shell would.
    pub fn insert_raw(&self, sql: &str) {
        match self.pg_client() {
            Some(mut client) => client.batch_execute(sql).unwrap(),
            None => self.file().execute_batch(sql).unwrap(),
        }
    }

    /// One value of a query, as text (NULL as `None`), on either engine.
    pub fn query_text(&self, sql: &str) -> Option<String> {
        match self.pg_client() {
            Some(mut client) => {
                let messages = client.simple_query(sql).unwrap();
                messages.iter().find_map(|m| match m {
                    ::postgres::SimpleQueryMessage::Row(row) => Some(row.get(0).map(str::to_owned)),
                    _ => None,
                })?
            }
            None => self
                .file()
                .query_row(sql, [], |row| row.get::<_, rusqlite::types::Value>(0))
                .map(|value| match value {
                    rusqlite::types::Value::Null => None,
                    rusqlite::types::Value::Integer(n) => Some(n.to_string()),
                    rusqlite::types::Value::Text(t) => Some(t),
                    other => Some(format!("{other:?}")),
                })
                .unwrap(),
        }
    }

    /// A connection to the database file, for the helpers' SQLite arms.
    fn file(&self) -> Connection {
        Connection::open(&self.db).unwrap()
    }

    /// What a write says of a database file others can read, with its newline: the mode a
    /// service's umask gives (0644). Nothing on PostgreSQL, which has no file.
    pub fn readable_warning(&self) -> String {
        match self.engine() {
            Engine::Sqlite => {
                let db = self.location();
                format!(
                    "warning: database {db} is readable by its group and others (mode 0644) and \
                     holds password hashes; restrict it with `chmod 600 {db}`\n"
                )
            }
            Engine::Postgres => String::new(),
        }
    }

    /// Runs `commands` (each with its stdin) at once while the write lock is held, so that they
    /// all get ready and meet at the lock; then releases it. Returns each one's exit code and
    /// stderr, sorted (the winners first).
    pub fn race(&self, commands: Vec<(std::process::Command, &str)>) -> Vec<(i32, String)> {
        use std::io::Write;
        use std::process::Stdio;
        let lock = self.hold_write_lock();
        let mut children = commands
            .into_iter()
            .map(|(mut cmd, stdin)| {
                let mut child = cmd
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(stdin.as_bytes())
                    .unwrap();
                child
            })
            .collect::<Vec<_>>();
        self.await_lock_waiters(&mut children);
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
        results
    }

    /// Waits until each of `children` waits for the write lock of the users table (or has ended):
    /// on PostgreSQL a lock on the table not granted yet, one per child; on SQLite the child
    /// asleep in SQLite's busy handler (its only sleep), seen once.
    pub fn await_lock_waiters(&self, children: &mut [std::process::Child]) {
        let mut seen = vec![false; children.len()];
        wait_until("authctl waiting for the write lock", || {
            // Each child counted once: ended, or (SQLite) seen waiting.
            let (mut ended, mut ready) = (0, 0);
            for (child, seen) in children.iter_mut().zip(&mut seen) {
                let gone = child.try_wait().unwrap().is_some();
                if !gone && !*seen && self.pg.is_none() {
                    *seen = wchan(child.id()) == "hrtimer_nanosleep";
                }
                ended += usize::from(gone);
                ready += usize::from(gone || *seen);
            }
            if self.pg.is_none() {
                return ready >= children.len();
            }
            let waiting: usize = self
                .query_text(
                    "SELECT count(*) FROM pg_locks \
                     WHERE relation = to_regclass('users') AND NOT granted",
                )
                .unwrap()
                .parse()
                .unwrap();
            ended + waiting >= children.len()
        });
    }

    /// Takes the database's write lock, as a service in the middle of a write holds it, until
    /// the returned guard is dropped. On PostgreSQL: the lock an INSERT holds (ROW EXCLUSIVE),
    /// which lets readers in and keeps authctl's writes waiting.
    pub fn hold_write_lock(&self) -> WriteLock {
        self.hold_write_lock_on("users")
    }

    /// [`TestEnv::hold_write_lock`] on another shape's table (`user`).
    pub fn hold_write_lock_on(&self, table: &str) -> WriteLock {
        if let Some(mut client) = self.pg_client() {
            client
                .batch_execute(&format!(
                    "BEGIN; LOCK TABLE \"{table}\" IN ROW EXCLUSIVE MODE"
                ))
                .unwrap();
            return WriteLock::Postgres(client);
        }
        let conn = self.file();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        WriteLock::Sqlite(conn)
    }

    /// How many users the table holds, as another connection (the service) sees it now.
    pub fn user_count(&self) -> i64 {
        self.query_text("SELECT count(*) FROM users")
            .unwrap()
            .parse()
            .unwrap()
    }

    /// The stored hash of a user.
    pub fn hash_of(&self, username: &str) -> String {
        let name = username.replace('\'', "''");
        self.query_text(&format!(
            "SELECT hashed_password FROM users WHERE username = '{name}'"
        ))
        .unwrap()
    }

    /// `disabled` as stored: its SQLite type and value. On PostgreSQL, a boolean reads as the
    /// SQLite `integer` 0 or 1 the service's model writes there.
    pub fn disabled_of(&self, username: &str) -> (String, Option<i64>) {
        if self.pg.is_some() {
            let name = username.replace('\'', "''");
            let value = self.query_text(&format!(
                "SELECT disabled::int::text FROM users WHERE username = '{name}'"
            ));
            let kind = if value.is_some() { "integer" } else { "null" };
            return (kind.to_owned(), value.map(|v| v.parse().unwrap()));
        }
        self.file()
            .query_row(
                "SELECT typeof(disabled), disabled FROM users WHERE username = ?1",
                [username],
                |row| Ok((row.get(0)?, row.get(1).ok())),
            )
            .unwrap()
    }

    /// The whole table as text, to show nothing changed.
    pub fn dump(&self) -> Vec<String> {
        if let Some(mut client) = self.pg_client() {
            let rows = client
                .query(
                    "SELECT concat_ws('|', id, username, quote_nullable(email), \
                     quote_nullable(full_name), coalesce(disabled::int::text, 'NULL'), \
                     coalesce(hashed_password, '')) FROM users ORDER BY id",
                    &[],
                )
                .unwrap();
            return rows.iter().map(|row| row.get(0)).collect();
        }
        let conn = self.file();
        let mut stmt = conn
            .prepare(
                "SELECT id, username, quote(email), quote(full_name), quote(disabled), hashed_password \
                 FROM users ORDER BY id",
            )
            .unwrap();
        stmt.query_map([], |row| {
            Ok(format!(
                "{}|{}|{}|{}|{}|{}",
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, Option<String>>(5)?.unwrap_or_default()
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }

    /// The table's definition: SQLite's `CREATE` statements; on PostgreSQL its columns, indexes,
    /// constraints and comment from the catalogue.
    pub fn schema(&self) -> Vec<String> {
        if let Some(mut client) = self.pg_client() {
            let rows = client
                .query(
                    "SELECT format('%s %s %s %s', column_name, data_type, is_nullable, column_default) \
                     FROM information_schema.columns WHERE table_schema = current_schema() \
                     UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() \
                     UNION ALL SELECT pg_get_constraintdef(oid) FROM pg_constraint \
                       WHERE conrelid = to_regclass('users') \
                     UNION ALL SELECT coalesce(obj_description(to_regclass('users'), 'pg_class'), '') \
                     ORDER BY 1",
                    &[],
                )
                .unwrap();
            return rows.iter().map(|row| row.get(0)).collect();
        }
        let conn = self.file();
        let mut stmt = conn
            .prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
            .unwrap();
        stmt.query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }
}

/// What only a database file has.
impl TestEnv<Sqlite> {
    /// A SQLite connection to the test's database file.
    pub fn sql(&self) -> Connection {
        self.file()
    }

    /// A PRAGMA's value as text (`journal_mode`, `user_version`, `integrity_check`).
    pub fn pragma(&self, name: &str) -> String {
        self.file()
            .query_row(&format!("PRAGMA {name}"), [], |row| {
                row.get::<_, rusqlite::types::Value>(0)
            })
            .map(|value| match value {
                rusqlite::types::Value::Integer(n) => n.to_string(),
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            })
            .unwrap()
    }

    /// Damages the file as a bad disk or a careless tool can: one byte of the last entry of
    /// index `index` (a one-row table's: it ends the page) changed. SQLite reads the table on;
    /// its integrity_check finds the row missing from the index.
    pub fn damage_index(&self, index: &str) {
        let (root, page_size): (i64, i64) = {
            let conn = self.file();
            let root = conn
                .query_row(
                    "SELECT rootpage FROM sqlite_master WHERE name = ?1",
                    [index],
                    |r| r.get(0),
                )
                .unwrap();
            (
                root,
                conn.query_row("PRAGMA page_size", [], |r| r.get(0))
                    .unwrap(),
            )
        };
        let mut bytes = std::fs::read(&self.db).unwrap();
        let last = usize::try_from(root * page_size - 1).unwrap();
        bytes[last] ^= 0x01;
        std::fs::write(&self.db, bytes).unwrap();
    }
}

/// What only a PostgreSQL test has.
impl TestEnv<Postgres> {
    /// A database of its own on the suite's cluster, with no table, that authctl reaches
    /// through the suite's PgBouncer in transaction mode ([`pooler::Pooler`]).
    pub fn pooled() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("authctl-")
            .tempdir()
            .unwrap();
        let db = dir.path().join("users.db");
        let (database, direct) = postgres::new_database();
        let pg = Pg {
            schema: "public".to_owned(),
            url: pooler::pooler().url(&database),
            direct,
        };
        TestEnv {
            dir,
            db,
            pg: Some(pg),
            engine: PhantomData,
        }
    }

    /// The URL authctl is given for this test's PostgreSQL schema, password included.
    pub fn url(&self) -> String {
        self.pg.as_ref().expect("a PostgreSQL test").url.clone()
    }
}

/// The claims of a token signed with [`KEY`], its expiry not checked.
pub fn claims(token: &str) -> serde_json::Value {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    validation.validate_aud = false;
    jsonwebtoken::decode(
        token,
        &DecodingKey::from_secret(KEY.as_bytes()),
        &validation,
    )
    .unwrap()
    .claims
}

/// Seconds since the epoch, as a token's `exp` counts them.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Polls `done` every 10 ms until it holds; after a minute, the test fails naming `what`.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "waited a minute for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// A child process killed and reaped when dropped, so that a failed wait leaves nothing running.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Whether a process below `pid` (authctl, under `script`) is blocked reading a terminal.
fn reading_a_terminal(pid: u32) -> bool {
    let parent_of = |p: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
        // After the command name in parentheses: state, then the parent's pid.
        stat.rsplit_once(") ")?.1.split(' ').nth(1)?.parse().ok()
    };
    let below = |mut p: u32| {
        while let Some(parent) = parent_of(p).filter(|&parent| parent > 1) {
            if parent == pid {
                return true;
            }
            p = parent;
        }
        false
    };
    let on_a_terminal = |p: u32| {
        std::fs::read_dir(format!("/proc/{p}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|fd| {
                std::fs::read_link(fd.path()).is_ok_and(|target| {
                    target.starts_with("/dev/pts") || target.starts_with("/dev/tty")
                })
            })
    };
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .any(|p| below(p) && wchan(p) == "wait_woken" && on_a_terminal(p))
}

/// Where the kernel has process `pid` waiting: `hrtimer_nanosleep` asleep, `anon_pipe_read` (or
/// `pipe_read`) reading a pipe, `wait_woken` reading a terminal; empty once it is gone.
pub fn wchan(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default()
}

/// A bcrypt hash of `password` at `cost`, as a passlib-era service stores it (fixed salt).
pub fn bcrypt_hash(password: &str, cost: u32) -> String {
    bcrypt::hash_with_salt(password, cost, [42; 16])
        .unwrap()
        .format_for_version(bcrypt::Version::TwoB)
}

/// A write lock held by another connection; released when dropped.
#[allow(dead_code)]
pub enum WriteLock {
    Sqlite(Connection),
    Postgres(::postgres::Client),
}

/// The stdout of a finished command, as text.
pub fn stdout(assert: &Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).unwrap()
}

pub fn stderr(assert: &Assert) -> String {
    String::from_utf8(assert.get_output().stderr.clone()).unwrap()
}
