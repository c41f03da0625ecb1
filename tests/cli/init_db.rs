//! `init-db`: creates the file and the table once, adopts the service's table, refuses others.

use super::TestEnv;
use crate::support::Engine;

sqlite_only! {
    #[test]
    fn creates_a_private_database_with_the_service_schema() {
        let env = TestEnv::empty();
        env.cmd()
            .arg("init-db")
            .assert()
            .code(0)
            .stdout("")
            .stderr(format!(
                "created database {} with table users\n",
                env.location()
            ));
        let permissions = std::fs::metadata(&env.db).unwrap().permissions();
        let mode = std::os::unix::fs::PermissionsExt::mode(&permissions);
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
        let schema = env.schema().join("\n");
        for index in [
            "CREATE UNIQUE INDEX ix_users_username ON users (username)",
            "CREATE UNIQUE INDEX ix_users_email ON users (email)",
            "CREATE INDEX ix_users_id ON users (id)",
            "CREATE INDEX ix_users_full_name ON users (full_name)",
        ] {
            assert!(schema.contains(index), "{index} missing from\n{schema}");
        }
        assert_eq!(env.pragma("user_version"), "1");
    }
}

#[test]
fn is_idempotent() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    let before = (env.schema(), env.dump());
    env.cmd().arg("init-db").assert().code(0).stderr(format!(
        "database {} already has the users table; nothing changed\n",
        env.location()
    ));
    assert_eq!((env.schema(), env.dump()), before);
}

#[test]
fn adopts_the_table_the_service_made_without_changing_it() {
    let env = TestEnv::service_table();
    env.insert_raw(&format!(
        "INSERT INTO users VALUES (1, 'johndoe', 'johndoe@example.com', 'John Doe', NULL, '{}');",
        crate::support::BCRYPT_SWORDFISH
    ));
    let before = (env.schema(), env.dump());
    env.cmd().arg("init-db").assert().code(0).stderr(format!(
        "database {} has a users table the service made; it is compatible and was left unchanged\n",
        env.location()
    ));
    assert_eq!((env.schema(), env.dump()), before);
}

#[test]
fn warns_when_the_service_table_lacks_a_unique_index() {
    let env = TestEnv::empty();
    env.insert_raw(&env.service_ddl().replace(
        "CREATE UNIQUE INDEX ix_users_email",
        "CREATE INDEX ix_users_email",
    ));
    env.chmod(0o600);
    env.cmd().arg("init-db").assert().code(0).stderr(format!(
        "database {} has a users table the service made; it is compatible and was left unchanged\n\
         warning: the users table has no unique index on email; the service's model declares one, so duplicates are possible\n",
        env.location()
    ));
}

#[test]
fn creates_the_table_in_an_existing_database_of_the_service() {
    let env = TestEnv::empty();
    env.insert_raw("CREATE TABLE items (id INTEGER PRIMARY KEY, title VARCHAR);");
    // The service made the file with the umask's mode: the hashes about to go in are exposed.
    let db = env.location();
    let warning = env.readable_warning();
    env.cmd()
        .arg("init-db")
        .assert()
        .code(0)
        .stderr(format!("created table users in database {db}\n{warning}"));
    env.chmod(0o600);
    env.add_user("alice", "pw-for-tests");
}

#[test]
fn refuses_a_users_table_missing_a_column() {
    let env = TestEnv::empty();
    env.insert_raw("CREATE TABLE users (id INTEGER PRIMARY KEY, username VARCHAR, email VARCHAR, full_name VARCHAR, disabled BOOLEAN);");
    env.cmd().arg("init-db").assert().code(7).stdout("").stderr(format!(
        "error: database {}: table users has no column 'hashed_password'; it is not the login service's users table \
         (expected columns: id, username, email, full_name, disabled, hashed_password)\n",
        env.location()
    ));
}

sqlite_only! {
    #[test]
    fn refuses_a_file_that_is_not_sqlite() {
        let env = TestEnv::empty();
        std::fs::write(&env.db, "name,password\nalice,hunter2\n".repeat(100)).unwrap();
        env.cmd().arg("init-db").assert().code(7).stderr(format!(
            "error: database {}: is not a SQLite database\n",
            env.location()
        ));
        assert!(
            std::fs::read_to_string(&env.db)
                .unwrap()
                .starts_with("name,password")
        );
    }
}

sqlite_only! {
    #[test]
    fn does_not_create_missing_directories() {
        let env = TestEnv::empty();
        let db = env.path("no/such/dir/users.db");
        env.bare()
            .arg("--db")
            .arg(&db)
            .arg("init-db")
            .assert()
            .code(7)
            .stderr(format!(
                "error: database {}: cannot be created: its directory does not exist\n",
                db.display()
            ));
        assert!(!env.path("no").exists());
    }
}

#[test]
fn dry_run_creates_and_changes_nothing() {
    let env = TestEnv::empty();
    env.cmd()
        .args(["init-db", "--dry-run"])
        .assert()
        .code(0)
        .stderr(match env.engine() {
            Engine::Sqlite => format!(
                "would create database {} with table users\n",
                env.location()
            ),
            Engine::Postgres => {
                format!("would create table users in database {}\n", env.location())
            }
        });
    assert!(!env.db.exists(), "a dry run created the file");
    assert!(
        env.schema().iter().all(|line| !line.contains("ix_users")),
        "{:?}",
        env.schema()
    );
    env.insert_raw("CREATE TABLE items (id INTEGER PRIMARY KEY);");
    let before = env.schema();
    env.cmd()
        .args(["init-db", "--dry-run"])
        .assert()
        .code(0)
        .stderr(format!(
            "would create table users in database {}\n",
            env.location()
        ));
    assert_eq!(env.schema(), before);
    let missing_dir = env.path("nope/users.db");
    env.bare()
        .arg("--db")
        .arg(&missing_dir)
        .args(["init-db", "--dry-run"])
        .assert()
        .code(7);
}

postgres_only! {
    /// The table the service's model makes on PostgreSQL (SERIAL id, the same indexes), stricter
    /// only where the service cannot notice, and marked with authctl's schema version.
    #[test]
    fn creates_the_service_table_on_postgresql() {
        let env = TestEnv::empty();
        env.cmd().arg("init-db").assert().code(0).stdout("").stderr(format!(
            "created table users in database {}\n",
            env.location()
        ));
        let schema = env.schema();
        for expected in [
            "CREATE UNIQUE INDEX ix_users_username ON t",
            "CREATE UNIQUE INDEX ix_users_email ON t",
            "CREATE INDEX ix_users_id ON t",
            "CREATE INDEX ix_users_full_name ON t",
            "authctl schema 1",
            "disabled boolean NO false",
            "id integer NO nextval(",
            "username character varying NO ",
            "email character varying YES ",
            "CHECK (((username)::text <> ''::text))",
        ] {
            assert!(
                schema.iter().any(|line| line.starts_with(expected)),
                "{expected} missing from {schema:#?}"
            );
        }
        env.cmd().arg("init-db").assert().code(0).stderr(format!(
            "database {} already has the users table; nothing changed\n",
            env.location()
        ));
    }
}

/// What Alembic leaves in a database it migrated: its table, holding the head revision.
const ALEMBIC_VERSION: &str = "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, \
     CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)); \
     INSERT INTO alembic_version VALUES ('1a31ce608336');";

/// What `init-db` says in a database that Alembic manages and that lacks `table`.
fn managed_by_alembic(env: &TestEnv, table: &str) -> String {
    format!(
        "error: database {}: is managed by Alembic (it has an alembic_version table), so its \
         tables come from the application's migrations, which stop at a table made outside them; \
         run `alembic upgrade head` to make its table {table} (authctl then administers it as it \
         is), or give --no-migrations if this database never runs them\n",
        env.location()
    )
}

#[test]
fn creates_no_table_where_alembic_manages_the_schema_unless_told_it_never_runs() {
    for shape in ["tutorial", "fastapi-users"] {
        let env = TestEnv::empty();
        env.insert_raw(ALEMBIC_VERSION);
        let before = env.schema();
        let table = if shape == "tutorial" {
            "users"
        } else {
            "\"user\" (fastapi-users)"
        };
        for dry_run in [&[][..], &["--dry-run"]] {
            env.cmd()
                .args(["init-db", "--table-shape", shape])
                .args(dry_run)
                .assert()
                .code(7)
                .stdout("")
                .stderr(managed_by_alembic(&env, table));
        }
        assert_eq!(env.schema(), before, "{shape}");
        env.run(
            &["-q", "init-db", "--table-shape", shape, "--no-migrations"],
            "",
        )
        .code(0);
        env.add_user(
            if shape == "tutorial" {
                "alice"
            } else {
                "alice@example.com"
            },
            "pw-for-tests",
        );
    }
}

#[test]
fn the_template_table_comes_from_its_migrations_even_on_an_empty_database() {
    let env = TestEnv::empty();
    let before = (env.engine() == Engine::Postgres).then(|| env.schema());
    let refusal = format!(
        "error: database {}: has no table \"user\" (fastapi-template) yet, and the full-stack \
         template makes it with its Alembic migrations (the backend's prestart.sh runs `alembic \
         upgrade head`), which stop with DuplicateTable at one made outside them; run them to \
         make it (authctl then administers it as it is), or give --no-migrations if this \
         database never runs them (a test fixture)\n",
        env.location()
    );
    for dry_run in [&[][..], &["--dry-run"]] {
        env.cmd()
            .args(["init-db", "--table-shape", "fastapi-template"])
            .args(dry_run)
            .assert()
            .code(7)
            .stdout("")
            .stderr(refusal.clone());
    }
    // Nothing is left of the refusal: no file on SQLite, no table on PostgreSQL.
    if env.engine() == Engine::Sqlite {
        assert!(!env.db.exists());
    } else {
        assert_eq!(Some(env.schema()), before);
    }
    env.run(
        &[
            "init-db",
            "--table-shape",
            "fastapi-template",
            "--no-migrations",
            "-q",
        ],
        "",
    )
    .code(0);
    env.add_user("ann@example.com", "pw-for-tests");
}

#[test]
fn a_table_the_migrations_made_is_administered_as_it_is() {
    let env = TestEnv::service_table();
    env.insert_raw(ALEMBIC_VERSION);
    let before = env.schema();
    env.cmd().arg("init-db").assert().code(0).stderr(format!(
        "database {} has a users table the service made; it is compatible and was left unchanged\n",
        env.location()
    ));
    assert_eq!(env.schema(), before);
    env.add_user("alice", "pw-for-tests");
    env.run(
        &["verify-login", "alice", "--password-stdin"],
        "pw-for-tests\n",
    )
    .code(0);
}
