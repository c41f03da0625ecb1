//! `issue-token`: the token the service accepts, checked by decoding it here.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::TestEnv;
use crate::support::{self, KEY};

const EXAMPLE_KEY: &str = "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7";

fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

fn env_with_alice() -> TestEnv {
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    env
}

/// Decodes with the key's string bytes and returns the claims as JSON (all of them).
fn claims(token: &str, key: &[u8]) -> serde_json::Map<String, serde_json::Value> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.required_spec_claims = ["exp", "sub"].iter().map(|s| (*s).to_owned()).collect();
    let data = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
        token,
        &DecodingKey::from_secret(key),
        &validation,
    )
    .unwrap();
    assert_eq!(data.header.alg, Algorithm::HS256);
    assert_eq!(data.header.typ.as_deref(), Some("JWT"));
    data.claims
}

#[test]
fn prints_only_a_token_the_service_would_decode() {
    let env = env_with_alice();
    let before = now();
    let assert = env
        .cmd()
        .env("SECRET_KEY", KEY)
        .args(["issue-token", "alice"])
        .assert()
        .code(0)
        .stderr("issued a token for 'alice', valid for 30 minutes\n");
    let out = support::stdout(&assert);
    let token = out.strip_suffix('\n').unwrap();
    assert!(
        !token.contains('\n') && token.split('.').count() == 3,
        "{out:?}"
    );
    let claims = claims(token, KEY.as_bytes());
    // In the order the service's own PyJWT writes them: sub, then exp.
    assert_eq!(
        claims.keys().collect::<Vec<_>>(),
        ["sub", "exp"],
        "exactly sub and exp"
    );
    assert_eq!(claims["sub"], "alice");
    let exp = claims["exp"].as_i64().unwrap();
    assert!((before + 1800..=now() + 1800).contains(&exp), "exp {exp}");
    // The key is the string's bytes: the hex-decoded key must not verify it.
    let hex_decoded: Vec<u8> = (0..KEY.len() / 2)
        .map(|i| u8::from_str_radix(&KEY[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    assert!(
        jsonwebtoken::decode::<serde_json::Value>(
            token,
            &DecodingKey::from_secret(&hex_decoded),
            &Validation::new(Algorithm::HS256)
        )
        .is_err()
    );
}

#[test]
fn json_format_is_the_service_token_response_plus_expiry() {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Response {
        access_token: String,
        token_type: String,
        expires_at: i64,
    }
    let env = env_with_alice();
    let assert = env
        .cmd()
        .env("SECRET_KEY", KEY)
        .args([
            "issue-token",
            "alice",
            "--expires-in",
            "2h",
            "--format",
            "json",
        ])
        .assert()
        .code(0);
    let response: Response = serde_json::from_str(&support::stdout(&assert)).unwrap();
    assert_eq!(response.token_type, "bearer");
    let claims = claims(&response.access_token, KEY.as_bytes());
    assert_eq!(claims["exp"].as_i64().unwrap(), response.expires_at);
    assert!((response.expires_at - now() - 7200).abs() <= 2);
}

#[test]
fn reads_the_key_from_a_file_without_its_newline() {
    let env = env_with_alice();
    let file = env.path("secret_key");
    std::fs::write(&file, format!("{KEY}\n")).unwrap();
    let assert = env
        .cmd()
        .args(["issue-token", "alice", "--secret-key-file"])
        .arg(&file)
        .assert()
        .code(0);
    claims(support::stdout(&assert).trim_end(), KEY.as_bytes());
    // The password files' rules: one line only.
    std::fs::write(&file, format!("{KEY}\n{KEY}\n")).unwrap();
    env.cmd()
        .args(["issue-token", "alice", "--secret-key-file"])
        .arg(&file)
        .assert()
        .code(5)
        .stdout("")
        .stderr(format!(
            "error: the signing key from secret key file {} has more than one line; give exactly one line\n",
            file.display()
        ));
}

#[test]
fn refuses_weak_missing_and_example_keys() {
    let env = env_with_alice();
    env.run(&["issue-token", "alice"], "")
        .code(8)
        .stdout("")
        .stderr("error: no signing key: set SECRET_KEY (the service's own) or pass --secret-key-file PATH\n");
    env.cmd()
        .env("SECRET_KEY", "too-short-a-key")
        .args(["issue-token", "alice"])
        .assert()
        .code(5)
        .stdout("")
        .stderr("error: the signing key is 15 bytes long; HS256 needs at least 32 (make one with `openssl rand -hex 32`)\n");
    env.cmd()
        .env("SECRET_KEY", EXAMPLE_KEY)
        .args(["issue-token", "alice"])
        .assert()
        .code(5)
        .stdout("")
        .stderr("error: the signing key is the FastAPI tutorial's published example key, with which anyone can forge tokens; \
                 make a new one with `openssl rand -hex 32`, or pass --allow-example-key for a test service\n");
    let assert = env
        .cmd()
        .env("SECRET_KEY", EXAMPLE_KEY)
        .args(["-q", "issue-token", "alice", "--allow-example-key"])
        .assert()
        .code(0)
        .stderr("warning: signing with the FastAPI tutorial's published example key: anyone can forge tokens for this service\n");
    claims(support::stdout(&assert).trim_end(), EXAMPLE_KEY.as_bytes());
    let missing = env.path("nope");
    env.cmd()
        .args(["issue-token", "alice", "--secret-key-file"])
        .arg(&missing)
        .assert()
        .code(8);
}

#[test]
fn unknown_and_disabled_users_get_no_token() {
    let env = env_with_alice();
    env.cmd()
        .env("SECRET_KEY", KEY)
        .args(["issue-token", "bob"])
        .assert()
        .code(3)
        .stdout("")
        .stderr("error: user 'bob' does not exist\n");
    env.run(&["disable-user", "alice"], "").success();
    env.cmd()
        .env("SECRET_KEY", KEY)
        .args(["issue-token", "alice"])
        .assert()
        .code(1)
        .stdout("")
        .stderr("error: user 'alice' is disabled\n");
}

#[test]
fn lifetimes_are_checked() {
    let env = env_with_alice();
    let issue = |lifetime: &str| {
        env.cmd()
            .env("SECRET_KEY", KEY)
            .args(["issue-token", "alice", "--expires-in", lifetime])
            .assert()
    };
    issue("0s")
        .code(5)
        .stderr("error: token lifetime 0 seconds is out of range (1 second to 366 days)\n");
    issue("400days")
        .code(5)
        .stderr("error: token lifetime 400 days is out of range (1 second to 366 days)\n");
    issue("1500ms").code(5).stderr(
        "error: token lifetime 1 second 500 milliseconds is not a whole number of seconds (exp is in seconds)\n",
    );
    issue("soon").code(2);
    // Both ends of the range are allowed.
    issue("1s").code(0);
    issue("366days").code(0);
    let week = support::stdout(&issue("7days").code(0));
    let exp = claims(week.trim_end(), KEY.as_bytes())["exp"]
        .as_i64()
        .unwrap();
    assert!((exp - now() - 7 * 86_400).abs() <= 2, "exp {exp}");
}

#[test]
fn a_purpose_or_a_scope_the_service_has_no_use_for_is_refused() {
    let env = env_with_alice();
    let issue = |args: &[&str]| {
        env.cmd()
            .env("SECRET_KEY", KEY)
            .args(["issue-token", "alice"])
            .args(args)
            .assert()
    };
    for purpose in ["reset", "verify"] {
        let has = if purpose == "reset" {
            "fastapi-template and fastapi-users"
        } else {
            "fastapi-users"
        };
        issue(&["--purpose", purpose]).code(5).stdout("").stderr(format!(
            "error: the tutorial table's service has no endpoint for {purpose} tokens; the \
             {has} tables' services have\n"
        ));
    }
    issue(&["--scope", "me items"]).code(5).stdout("").stderr(
        "error: scope \"me items\" is not one OAuth2 scope: printable ASCII without spaces, \
         quotes or backslashes (RFC 6749 §3.3); give each scope on its own\n",
    );
    issue(&["--scope", ""]).code(5);
    issue(&["--format", "link"]).code(5).stdout("").stderr(
        "error: --format link: the tutorial service's access tokens have no link form of their \
         own (its email hook makes the link)\n",
    );
    // Scopes in the chapter's claim, in the order given; none: no claim at all.
    let token = env.issue_token("alice", &["--scope", "me", "--scope", "items:read"]);
    assert_eq!(claims(&token, KEY.as_bytes())["scope"], "me items:read");
    assert!(!claims(&env.issue_token("alice", &[]), KEY.as_bytes()).contains_key("scope"));
}

#[test]
fn a_key_may_come_from_another_variable_of_the_environment_or_the_env_file() {
    let env = env_with_alice();
    let other = "the other secret of thirty-two bytes or more";
    let assert = env
        .cmd()
        .env("SECRET_KEY", KEY)
        .env("RESET_SECRET", other)
        .args(["issue-token", "alice", "--secret-key-env", "RESET_SECRET"])
        .assert()
        .code(0);
    claims(support::stdout(&assert).trim_end(), other.as_bytes());
    std::fs::write(env.path(".env"), format!("RESET_SECRET=\"{other}\"\n")).unwrap();
    let assert = env
        .cmd()
        .args(["issue-token", "alice", "--secret-key-env", "RESET_SECRET"])
        .assert()
        .code(0)
        .stderr(
            "note: settings from .env: RESET_SECRET\n\
             issued a token for 'alice', valid for 30 minutes\n",
        );
    claims(support::stdout(&assert).trim_end(), other.as_bytes());
    // The environment wins over the file, as for every setting; then no note.
    env.cmd()
        .env("RESET_SECRET", KEY)
        .args(["issue-token", "alice", "--secret-key-env", "RESET_SECRET"])
        .assert()
        .code(0)
        .stderr("issued a token for 'alice', valid for 30 minutes\n");
    env.cmd()
        .args(["issue-token", "alice", "--secret-key-env", "NOT_SET_HERE"])
        .assert()
        .code(8)
        .stderr(predicates::str::ends_with(
            "error: no signing key: NOT_SET_HERE is not set (--secret-key-env), nor in the service's .env\n",
        ));
    env.cmd()
        .args(["issue-token", "alice", "--secret-key-env", "A", "--secret-key-file", "f"])
        .assert()
        .code(2);
}
