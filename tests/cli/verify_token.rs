//! `verify-token`: the service's verdict on a token, and why. Every refusal reason is checked
//! against the real tutorial service (`tests/interop/app.py`): it refuses the token, and
//! verify-token names the reason.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::TestEnv;
use crate::support::service::{Reply, Service};
use crate::support::{self, KEY, unix_now};

/// A token signed as given: any algorithm, any claims, any key.
pub fn sign(alg: Algorithm, claims: &Value, key: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .unwrap()
}

/// `verify-token --format json` of `token` (on stdin) with `extra` options: exit code, record.
pub fn judged(env: &TestEnv, token: &str, extra: &[&str]) -> (i32, Value) {
    let assert = env
        .cmd()
        .env("SECRET_KEY", KEY)
        .args(["verify-token", "--format", "json"])
        .args(extra)
        .write_stdin(token)
        .assert();
    let code = assert.get_output().status.code().unwrap();
    let out = support::stdout(&assert);
    assert!(
        !out.contains(token.rsplit('.').next().unwrap_or(token)) || token.len() < 20,
        "the signature was printed: {out}"
    );
    (code, serde_json::from_str(&out).unwrap())
}

/// The tutorial service with `alice` (active) and `dave` (disabled).
fn tutorial() -> (TestEnv, Service) {
    let env = TestEnv::init();
    env.add_user("alice", "alice's long password");
    env.add_user_with("dave", &["--disabled"], "dave's long password");
    let service = Service::start(env.dir(), &env.service_url(), KEY);
    (env, service)
}

/// The service refuses `token` at `/users/me` with `status`, and verify-token exits 1 with
/// `reason`.
fn both_refuse(token: &str, status: u16, reason: &str) {
    let (env, service) = tutorial();
    let me: Reply = service.get_me(Some(token));
    assert_eq!(me.status, status, "{me:?}");
    let (code, record) = judged(&env, token, &[]);
    assert_eq!((code, record["reason"].as_str()), (1, Some(reason)), "{record}");
    assert_eq!(record["accepted"], false);
}

fn alice(exp_from_now: i64) -> Value {
    json!({"sub": "alice", "exp": now() + exp_from_now})
}

fn now() -> i64 {
    i64::try_from(unix_now()).unwrap()
}

#[test]
fn a_token_the_service_accepts_is_accepted_with_its_claims() {
    let (env, service) = tutorial();
    let token = env.issue_token("alice", &[]);
    assert_eq!(service.get_me(Some(&token)).status, 200);
    let (code, record) = judged(&env, &token, &[]);
    assert_eq!(code, 0, "{record}");
    assert_eq!(
        record,
        json!({"accepted": true, "reason": null, "detail": null, "purpose": "access",
               "user": "alice", "claims": support::claims(&token)})
    );
    // The service's own token, from its /token, too.
    let login = service.login("alice", "alice's long password");
    let own = login.body["access_token"].as_str().unwrap();
    assert_eq!(judged(&env, own, &[]).0, 0);
    // In text: one line on stderr, nothing on stdout.
    env.cmd()
        .env("SECRET_KEY", KEY)
        .arg("verify-token")
        .write_stdin(format!("Bearer {token}\n"))
        .assert()
        .code(0)
        .stdout("")
        .stderr(predicates::str::starts_with(
            "token accepted: access token for 'alice', expires at ",
        ));
}

#[test]
fn malformed_tokens_are_refused() {
    both_refuse("not-a-token", 401, "malformed");
}

#[test]
fn another_algorithm_is_refused() {
    both_refuse(&sign(Algorithm::HS512, &alice(60), KEY), 401, "algorithm");
}

#[test]
fn another_key_is_refused() {
    let other = "another key of at least thirty-two bytes";
    both_refuse(&sign(Algorithm::HS256, &alice(60), other), 401, "signature");
}

#[test]
fn an_expired_token_is_refused() {
    both_refuse(&sign(Algorithm::HS256, &alice(-1), KEY), 401, "expired");
}

#[test]
fn a_token_not_yet_valid_is_refused() {
    let claims = json!({"sub": "alice", "exp": now() + 600, "nbf": now() + 300});
    both_refuse(&sign(Algorithm::HS256, &claims, KEY), 401, "not_yet_valid");
    let claims = json!({"sub": "alice", "exp": now() + 600, "iat": now() + 300});
    both_refuse(&sign(Algorithm::HS256, &claims, KEY), 401, "not_yet_valid");
}

#[test]
fn an_audience_the_service_does_not_expect_is_refused() {
    let claims = json!({"sub": "alice", "exp": now() + 60, "aud": ["fastapi-users:auth"]});
    both_refuse(&sign(Algorithm::HS256, &claims, KEY), 401, "audience");
}

#[test]
fn a_subject_that_is_missing_or_not_text_is_refused() {
    let claims = json!({"sub": 1, "exp": now() + 60});
    both_refuse(&sign(Algorithm::HS256, &claims, KEY), 401, "claims");
    let claims = json!({"exp": now() + 60});
    both_refuse(&sign(Algorithm::HS256, &claims, KEY), 401, "claims");
}

#[test]
fn a_token_for_nobody_is_refused() {
    let claims = json!({"sub": "mallory", "exp": now() + 60});
    both_refuse(&sign(Algorithm::HS256, &claims, KEY), 401, "unknown_user");
}

#[test]
fn a_disabled_users_token_is_refused() {
    let claims = json!({"sub": "dave", "exp": now() + 60});
    both_refuse(&sign(Algorithm::HS256, &claims, KEY), 400, "inactive");
}

#[test]
fn what_cannot_be_judged_is_an_error_with_its_exit_code() {
    let env = TestEnv::init();
    env.add_user("alice", "alice's long password");
    let token = env.issue_token("alice", &[]);
    let run = |args: &[&str], stdin: &str| {
        env.cmd()
            .env("SECRET_KEY", KEY)
            .arg("verify-token")
            .args(args)
            .write_stdin(stdin.to_owned())
            .assert()
    };
    run(&[], "\n").code(5).stderr("error: the token is empty\n");
    run(&["--token-file", "missing.txt"], "").code(8).stderr(
        predicates::str::starts_with("error: cannot read token file missing.txt: "),
    );
    run(&["--purpose", "reset"], &token).code(5).stderr(
        "error: the tutorial table's service has no endpoint for reset tokens; the \
         fastapi-template and fastapi-users tables' services have\n",
    );
    run(&["--require-scope", "me items"], &token)
        .code(5)
        .stderr(predicates::str::contains("is not one OAuth2 scope"));
    env.cmd()
        .env_remove("SECRET_KEY")
        .arg("verify-token")
        .write_stdin(token.clone())
        .assert()
        .code(8)
        .stderr(
            "error: no signing key: set SECRET_KEY (the service's own) or pass --secret-key-file PATH\n",
        );
    // A file holds the token as well as stdin does.
    std::fs::write(env.path("token.txt"), format!("{token}\n")).unwrap();
    run(&["--token-file", "token.txt"], "").code(0);
}
