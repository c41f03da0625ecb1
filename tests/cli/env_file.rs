//! The service's `.env`: read as pydantic-settings reads it, below the options and the
//! environment; the template's POSTGRES_* settings; its token lifetime.

use std::fs;

use super::TestEnv;
use crate::support::{self, Engine, KEY};

/// A `.env` in the working directory names the database, and a note says which settings came
/// from it; `-q` silences the note.
#[test]
fn a_dot_env_in_the_working_directory_is_read_and_named() {
    let env = TestEnv::empty();
    fs::write(
        env.path(".env"),
        format!("DATABASE_URL={}\n", env.database_url()),
    )
    .unwrap();
    let created = match env.engine() {
        Engine::Sqlite => format!("created database {} with table users", env.location()),
        Engine::Postgres => format!("created table users in database {}", env.location()),
    };
    env.bare().arg("init-db").assert().code(0).stderr(format!(
        "note: settings from .env (--env-file names another): DATABASE_URL\n{created}\n"
    ));
    env.bare()
        .args(["-q", "list-users", "--format", "csv"])
        .assert()
        .code(0)
        .stdout("id,username,email,full_name,disabled\n")
        .stderr("");
}

/// Nothing in the `.env` that authctl reads: no note, and its other variables are not taken.
#[test]
fn a_dot_env_without_authctl_s_settings_says_nothing() {
    let env = TestEnv::init();
    fs::write(env.path(".env"), "PGPASSWORD=not-taken\nPROJECT_NAME=app\n").unwrap();
    env.cmd()
        .args(["list-users", "--format", "csv"])
        .assert()
        .code(0)
        .stderr("");
}

sqlite_only! {
    /// The option beats the environment, which beats the file, as pydantic-settings orders the
    /// last two.
    #[test]
    fn options_beat_the_environment_which_beats_the_file() {
        let env = TestEnv::empty();
        fs::write(env.path(".env"), "DATABASE_URL=sqlite:///from-file.db\n").unwrap();
        env.bare()
            .env("DATABASE_URL", "sqlite:///from-env.db")
            .args(["-q", "init-db"])
            .assert()
            .code(0);
        assert!(env.path("from-env.db").exists());
        env.bare()
            .env("DATABASE_URL", "sqlite:///from-env.db")
            .args(["-q", "--db", "from-option.db", "init-db"])
            .assert()
            .code(0);
        assert!(env.path("from-option.db").exists());
        assert!(!env.path("from-file.db").exists());
        env.bare().args(["-q", "init-db"]).assert().code(0);
        assert!(env.path("from-file.db").exists());
    }

    /// A variable set but empty in the environment is unset, as authctl has always read
    /// DATABASE_URL: the file's value stands.
    #[test]
    fn an_empty_variable_leaves_the_file_s_value() {
        let env = TestEnv::empty();
        fs::write(
            env.path(".env"),
            format!("DATABASE_URL=sqlite:///from-file.db\nSECRET_KEY={KEY}\n"),
        )
        .unwrap();
        env.bare()
            .env("DATABASE_URL", "")
            .args(["-q", "init-db"])
            .assert()
            .code(0);
        assert!(env.path("from-file.db").exists());
        env.bare()
            .args(["-q", "add-user", "alice", "--password-stdin"])
            .write_stdin("pw-for-tests\n")
            .assert()
            .code(0);
        let token = env
            .bare()
            .env("SECRET_KEY", "")
            .args(["-q", "issue-token", "alice"])
            .assert()
            .code(0);
        assert_eq!(
            support::claims(support::stdout(&token).trim_end())["sub"],
            "alice"
        );
    }

    /// authctl's own variables from the file are the options' defaults: the shape of a new
    /// table, the password policy's length; the environment still wins.
    #[test]
    fn authctl_s_own_variables_in_the_file_are_defaults() {
        let env = TestEnv::empty();
        fs::write(
            env.path(".env"),
            "DATABASE_URL=sqlite:///app.db\nAUTHCTL_TABLE_SHAPE=fastapi-users\n\
             AUTHCTL_MIN_PASSWORD_LENGTH=30\n",
        )
        .unwrap();
        env.bare()
            .args(["-q", "init-db", "--no-migrations"])
            .assert()
            .code(0);
        let add = |extra: &[&str], envs: &[(&str, &str)]| {
            let mut cmd = env.bare();
            cmd.args(["-q", "add-user", "ann@example.com", "--password-stdin"])
                .args(extra)
                .write_stdin("a fine pass phrase\n");
            for (k, v) in envs {
                cmd.env(k, v);
            }
            cmd.assert()
        };
        add(&[], &[]).code(5);
        add(&[], &[("AUTHCTL_MIN_PASSWORD_LENGTH", "8")]).code(0);
        let shown = env
            .bare()
            .args(["list-users", "--format", "csv"])
            .assert()
            .code(0);
        assert!(
            support::stdout(&shown).starts_with("id,email,disabled,is_superuser,is_verified\n"),
            "{}",
            support::stdout(&shown)
        );
    }

    /// Quotes, comments, `export`, and `${VAR}` from the environment or an earlier line, as
    /// python-dotenv reads them; single quotes keep `$` as it is.
    #[test]
    fn quoting_comments_and_interpolation_are_python_dotenv_s() {
        let env = TestEnv::empty();
        fs::write(
            env.path(".env"),
            "# the service's settings\n\
             NAME='app'\n\
             export DATABASE_URL=\"sqlite:///${NAME}-${STAGE}.db\"  # composed\n\
             SECRET_KEY='${NOT_EXPANDED}-5f1c0ae4b3d2e8a7c6b9f0e1d2c3b4a5'\n",
        )
        .unwrap();
        env.bare()
            .env("STAGE", "staging")
            .args(["-q", "init-db"])
            .assert()
            .code(0);
        assert!(env.path("app-staging.db").exists());
        let db = env.path("app-staging.db");
        let add = env
            .bare()
            .arg("--db")
            .arg(&db)
            .args(["-q", "add-user", "alice", "--password-stdin"])
            .write_stdin("pw-for-tests\n")
            .assert();
        add.code(0);
        let token = env
            .bare()
            .env("STAGE", "staging")
            .args(["-q", "issue-token", "alice"])
            .assert()
            .code(0);
        let token = support::stdout(&token);
        let key = "${NOT_EXPANDED}-5f1c0ae4b3d2e8a7c6b9f0e1d2c3b4a5";
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<serde_json::Value>(
            token.trim_end(),
            &jsonwebtoken::DecodingKey::from_secret(key.as_bytes()),
            &validation,
        )
        .unwrap();
    }

    /// `--env-file` (or AUTHCTL_ENV_FILE) names a file elsewhere; a relative path in it is the
    /// working directory's, as the service resolves it.
    #[test]
    fn a_named_file_is_read_from_anywhere_and_must_be_there() {
        let env = TestEnv::empty();
        let config = tempfile::tempdir().unwrap();
        let file = config.path().join("app.env");
        fs::write(&file, "DATABASE_URL=sqlite:///./here.db\n").unwrap();
        env.bare()
            .arg("--env-file")
            .arg(&file)
            .arg("init-db")
            .assert()
            .code(0)
            .stderr("created database ./here.db with table users\n");
        assert!(env.path("here.db").exists());
        env.bare()
            .env("AUTHCTL_ENV_FILE", &file)
            .args(["-q", "list-users"])
            .assert()
            .code(0);
        // A named file that is not there is exit 8, even where ./.env would do.
        fs::write(env.path(".env"), "DATABASE_URL=sqlite:///./here.db\n").unwrap();
        env.bare()
            .args(["--env-file", "missing.env", "list-users"])
            .assert()
            .code(8)
            .stdout("")
            .stderr(
                "error: cannot read the settings file missing.env: No such file or directory (os error 2)\n",
            );
    }

    /// A line that cannot be read is exit 8, named by its number: its text may hold a secret.
    #[test]
    fn a_malformed_file_is_refused_without_quoting_it() {
        let env = TestEnv::init();
        fs::write(
            env.path(".env"),
            "DATABASE_URL=sqlite:///users.db\nSECRET_KEY=\"canary-0b7d4e1a unterminated\n",
        )
        .unwrap();
        let assert = env.bare().arg("list-users").assert().code(8).stdout("");
        let stderr = support::stderr(&assert);
        assert_eq!(
            stderr,
            "error: the settings file .env cannot be read as a .env file at line 2\n"
        );
    }
}

/// `ACCESS_TOKEN_EXPIRE_MINUTES` (the template shortens its 8 days with it) is issue-token's
/// default lifetime; `--expires-in` wins; a value that is not minutes is exit 8.
#[test]
fn the_service_s_token_lifetime_is_the_default() {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    fs::write(env.path(".env"), "ACCESS_TOKEN_EXPIRE_MINUTES=90\n").unwrap();
    let issue = |extra: &[&str]| {
        let assert = env
            .cmd()
            .env("SECRET_KEY", KEY)
            .args(["issue-token", "alice", "--format", "json"])
            .args(extra)
            .assert();
        let out = support::stdout(&assert.code(0));
        let response: serde_json::Value = serde_json::from_str(&out).unwrap();
        let claims = support::claims(response["access_token"].as_str().unwrap());
        claims["exp"].as_u64().unwrap() - support::unix_now()
    };
    let lifetime = issue(&[]);
    assert!((5398..=5400).contains(&lifetime), "{lifetime}");
    let lifetime = issue(&["--expires-in", "10m"]);
    assert!((598..=600).contains(&lifetime), "{lifetime}");
    env.cmd()
        .env("SECRET_KEY", KEY)
        .env("ACCESS_TOKEN_EXPIRE_MINUTES", "an hour")
        .args(["issue-token", "alice"])
        .assert()
        .code(8)
        .stdout("")
        .stderr("error: ACCESS_TOKEN_EXPIRE_MINUTES is 'an hour', not a whole number of minutes\n");
}

postgres_only! {
    /// A template project from before 0.11.1 names its database with POSTGRES_*: authctl
    /// composes the same URL, and shows it with `***` for the password.
    #[test]
    fn the_template_s_postgres_settings_name_the_database() {
        let env = TestEnv::empty();
        let (database, direct) = crate::support::postgres::new_database();
        let rest = direct.strip_prefix("postgresql://").unwrap();
        let (login, rest) = rest.split_once('@').unwrap();
        let (user, password) = login.split_once(':').unwrap();
        let (host, port) = rest.split('/').next().unwrap().split_once(':').unwrap();
        fs::write(
            env.path(".env"),
            format!(
                "POSTGRES_SERVER={host}\nPOSTGRES_PORT={port}\nPOSTGRES_USER={user}\n\
                 POSTGRES_PASSWORD={password}\nPOSTGRES_DB={database}\n"
            ),
        )
        .unwrap();
        env.bare()
            .args(["init-db"])
            .assert()
            .code(0)
            .stderr(format!(
                "note: settings from .env (--env-file names another): POSTGRES_SERVER, \
                 POSTGRES_PORT, POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB\n\
                 created table users in database postgresql://{user}:***@{host}:{port}/{database}\n"
            ));
        // A wrong password: refused by the server, the password never shown.
        let assert = env
            .bare()
            .env("POSTGRES_PASSWORD", "wrong-canary-password")
            .args(["-q", "list-users"])
            .assert()
            .code(8);
        let stderr = support::stderr(&assert);
        assert!(stderr.contains(":***@"), "{stderr}");
        assert!(!stderr.contains("wrong-canary-password"), "{stderr}");
        // Without POSTGRES_USER the template cannot name it either.
        fs::write(env.path(".env"), format!("POSTGRES_SERVER={host}\n")).unwrap();
        env.bare()
            .args(["-q", "list-users"])
            .assert()
            .code(8)
            .stderr(
                "error: POSTGRES_SERVER is set but POSTGRES_USER is not: the template's settings \
                 need both to name the database (or set DATABASE_URL)\n",
            );
    }
}
