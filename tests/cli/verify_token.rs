//! `verify-token`: the service's verdict on a token, and why. Each refusal reason of an access
//! token is checked against the real tutorial service (`tests/interop/app.py`): it refuses the
//! token, and verify-token names the reason. fastapi-users' and the template's own rules are
//! checked here without the applications (their user manager's and routes' code, read), and
//! against them in `interop_tokens.rs`.

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
    let (out, err) = (support::stdout(&assert), support::stderr(&assert));
    // Neither the token nor its signature is ever printed.
    let signature = token.rsplit('.').next().unwrap_or(token);
    for printed in [&out, &err] {
        assert!(
            signature.len() < 8 || !printed.contains(signature),
            "printed: {printed}"
        );
    }
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
    // In text: one line on stderr (no warning: it expires), nothing on stdout.
    let text = env
        .cmd()
        .env("SECRET_KEY", KEY)
        .arg("verify-token")
        .write_stdin(format!("Bearer {token}\n"))
        .assert()
        .code(0)
        .stdout("");
    let text = support::stderr(&text);
    assert!(
        text.starts_with("token accepted: access token for 'alice', expires at ")
            && text.ends_with(")\n")
            && text.lines().count() == 1,
        "{text}"
    );
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
fn a_token_without_exp_a_weak_key_and_its_far_future_times_are_told_apart() {
    let env = TestEnv::init();
    env.add_user("alice", "alice's long password");
    let judge = |token: &str, key: &str| {
        env.cmd()
            .env("SECRET_KEY", key)
            .arg("verify-token")
            .write_stdin(token.to_owned())
            .assert()
    };
    // PyJWT takes a token without exp for ever, and a short key with a warning.
    judge(&sign(Algorithm::HS256, &json!({"sub": "alice"}), KEY), KEY)
        .code(0)
        .stderr(
            "token accepted: access token for 'alice', no expiry\n\
             warning: the token has no exp: the service accepts it until its key changes\n",
        );
    let short = "short-key";
    judge(&sign(Algorithm::HS256, &alice(60), short), short)
        .code(0)
        .stderr(predicates::str::starts_with(
            "warning: the key is under 32 bytes: PyJWT takes it with a warning, and it may be guessed\n\
             token accepted: access token for 'alice', expires at ",
        ));
    // Times in milliseconds, an issuer's usual slip, and floats and strings as int() reads them.
    let far = json!({"sub": "alice", "exp": 1_900_000_000_000_i64});
    judge(&sign(Algorithm::HS256, &far, KEY), KEY)
        .code(0)
        .stderr(predicates::str::starts_with(
            "token accepted: access token for 'alice', expires at 1900000000000 (seconds since 1970) (in ",
        ));
    let early = json!({"sub": "alice", "exp": now() + 60, "nbf": 1_900_000_000_000_i64});
    judge(&sign(Algorithm::HS256, &early, KEY), KEY).code(1).stderr(
        "token refused: the token is not valid before 1900000000000 (seconds since 1970) (nbf)\n",
    );
    let float = json!({"sub": "alice", "exp": 4_102_444_800.5_f64});
    judge(&sign(Algorithm::HS256, &float, KEY), KEY)
        .code(0)
        .stderr(predicates::str::starts_with(
            "token accepted: access token for 'alice', expires at 2100-01-01T00:00:00Z (in ",
        ));
    let expired = json!({"sub": "alice", "exp": "1700000000"});
    judge(&sign(Algorithm::HS256, &expired, KEY), KEY)
        .code(1)
        .stderr("token refused: the token expired at 2023-11-14T22:13:20Z\n");
}

/// The scopes chapter's check, without its service: every scope a route requires must be in the
/// token's space-separated `scope`.
#[test]
fn required_scopes_must_all_be_granted() {
    let env = TestEnv::init();
    env.add_user("alice", "alice's long password");
    let reason = |token: &str, required: &[&str]| {
        let mut args = Vec::new();
        for scope in required {
            args.extend(["--require-scope", scope]);
        }
        judged(&env, token, &args).1["reason"].as_str().map(str::to_owned)
    };
    let me = env.issue_token("alice", &["--scope", "me"]);
    let both = env.issue_token("alice", &["--scope", "me", "--scope", "items"]);
    let none = env.issue_token("alice", &[]);
    assert_eq!(reason(&me, &["me"]), None);
    assert_eq!(reason(&both, &["items", "me"]), None);
    assert_eq!(reason(&me, &["me", "items"]).as_deref(), Some("missing_scope"));
    assert_eq!(reason(&none, &["me"]).as_deref(), Some("missing_scope"));
    // Without --require-scope, a token's scopes do not matter.
    assert_eq!(reason(&none, &[]), None);
    let (_, record) = judged(&env, &me, &["--require-scope", "admin", "--require-scope", "items"]);
    assert_eq!(record["detail"], "the token lacks the scope(s) admin, items");
    let listed = sign(Algorithm::HS256, &json!({"sub": "alice", "scope": ["me"]}), KEY);
    assert_eq!(reason(&listed, &["me"]).as_deref(), Some("claims"));
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
    run(&["--require-scope", "me items"], &token).code(5).stderr(
        "error: scope \"me items\" is not one OAuth2 scope: printable ASCII without spaces, \
         quotes or backslashes (RFC 6749 §3.3); give each scope on its own\n",
    );
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
    run(&["--token-file", "-"], &token).code(0);
    std::fs::write(env.path("bad.txt"), b"\xff\xfe\n").unwrap();
    run(&["--token-file", "bad.txt"], "")
        .code(5)
        .stderr("error: the token from token file bad.txt is not valid UTF-8 text\n");
}

/// fastapi-users' manager, without the application: its reset token dies with the password, its
/// verify token finds the user by email and wants `sub` to be that user's id, and verify checks
/// no status.
#[test]
fn fastapi_users_tokens_are_judged_as_its_user_manager_does() {
    use super::shapes::{FASTAPI_USERS, id_of};
    let env = FASTAPI_USERS.env();
    env.add_user("ann@example.com", "ann's long password");
    env.add_user("bob@example.com", "bob's long password");
    let ann = id_of(&env, FASTAPI_USERS, "ann@example.com");
    let bob = id_of(&env, FASTAPI_USERS, "bob@example.com");
    let reason = |token: &str, purpose: &str| {
        let (code, record) = judged(&env, token, &["--purpose", purpose]);
        assert_eq!(code, i32::from(record["accepted"] != true), "{record}");
        record["reason"].as_str().map(str::to_owned)
    };
    let reset = env.issue_token("ann@example.com", &["--purpose", "reset"]);
    assert_eq!(reason(&reset, "reset"), None);
    let verify = env.issue_token("ann@example.com", &["--purpose", "verify"]);
    assert_eq!(reason(&verify, "verify"), None);
    // Another purpose's token, and one for its audience but without what the purpose reads.
    assert_eq!(reason(&verify, "reset").as_deref(), Some("audience"));
    assert_eq!(reason(&reset, "access").as_deref(), Some("audience"));
    let exp = now() + 600;
    let bare = |aud: &str, extra: Value| {
        let mut claims = json!({"sub": ann, "aud": aud, "exp": exp});
        claims.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        sign(Algorithm::HS256, &claims, KEY)
    };
    assert_eq!(reason(&bare("fastapi-users:reset", json!({})), "reset").as_deref(), Some("claims"));
    let forged = bare("fastapi-users:reset", json!({"password_fgpt": "not a hash"}));
    assert_eq!(reason(&forged, "reset").as_deref(), Some("claims"));
    assert_eq!(reason(&bare("fastapi-users:verify", json!({})), "verify").as_deref(), Some("claims"));
    // Verify: the email names the user (case folded, as its get_by_email does); sub must match.
    let by_email = |sub: &str, email: &str| {
        sign(
            Algorithm::HS256,
            &json!({"sub": sub, "email": email, "aud": "fastapi-users:verify", "exp": exp}),
            KEY,
        )
    };
    assert_eq!(reason(&by_email(&ann, "ANN@example.com"), "verify"), None);
    assert_eq!(reason(&by_email(&bob, "ann@example.com"), "verify").as_deref(), Some("claims"));
    assert_eq!(reason(&by_email(&ann, "eve@example.com"), "verify").as_deref(), Some("unknown_user"));
    assert_eq!(reason(&by_email("7", "ann@example.com"), "verify").as_deref(), Some("claims"));
    // Access: sub is read as uuid.UUID reads it.
    let access = |sub: &str| {
        sign(Algorithm::HS256, &json!({"sub": sub, "aud": ["fastapi-users:auth"], "exp": exp}), KEY)
    };
    assert_eq!(reason(&access(&ann.to_uppercase().replace('-', "")), "access"), None);
    assert_eq!(reason(&access("ann@example.com"), "access").as_deref(), Some("claims"));
    let nobody = "00000000-0000-4000-8000-000000000000";
    assert_eq!(reason(&access(nobody), "access").as_deref(), Some("unknown_user"));
    // Scopes are the tutorial's, and for access tokens only.
    let refuse = |args: &[&str], message: &str| {
        env.cmd()
            .env("SECRET_KEY", KEY)
            .args(args)
            .write_stdin(reset.clone())
            .assert()
            .code(5)
            .stdout("")
            .stderr(format!("error: {message}\n"));
    };
    let no_scopes = "the fastapi-users service reads no scope claim; scopes are for services \
                     built on FastAPI's \"OAuth2 scopes\" chapter (the tutorial's table)";
    refuse(&["issue-token", "ann@example.com", "--scope", "me"], no_scopes);
    refuse(&["verify-token", "--require-scope", "me"], no_scopes);
    refuse(
        &["issue-token", "ann@example.com", "--purpose", "reset", "--scope", "me"],
        "scopes are for access tokens, not reset tokens",
    );
    // A verified user still gets access tokens; a verify token only while unverified.
    env.run(&["grant", "verified", "bob@example.com"], "").code(0);
    env.issue_token("bob@example.com", &[]);
    env.cmd()
        .env("SECRET_KEY", KEY)
        .args(["issue-token", "bob@example.com", "--purpose", "verify"])
        .assert()
        .code(4)
        .stderr("error: user 'bob@example.com' is already verified\n");
    // Disabled: reset and access refused; verify checks no status. Verified: verify refused.
    env.run(&["disable-user", "ann@example.com"], "").code(0);
    assert_eq!(reason(&reset, "reset").as_deref(), Some("inactive"));
    assert_eq!(reason(&access(&ann), "access").as_deref(), Some("inactive"));
    assert_eq!(reason(&verify, "verify"), None);
    env.run(&["grant", "verified", "ann@example.com"], "").code(0);
    assert_eq!(reason(&verify, "verify").as_deref(), Some("already_verified"));
    // The password changed: the reset token's fingerprint no longer verifies (checked first).
    env.run(&["set-password", "ann@example.com", "--password-stdin"], "ann's new password\n")
        .code(0);
    assert_eq!(reason(&reset, "reset").as_deref(), Some("password_changed"));
}

/// The template's reset token names the user by email, matched exactly as its
/// get_user_by_email does; its access token by id.
#[test]
fn template_tokens_are_judged_as_its_routes_do() {
    use super::shapes::{TEMPLATE, id_of};
    let env = TEMPLATE.env();
    env.add_user("ann@example.com", "ann's long password");
    let ann = id_of(&env, TEMPLATE, "ann@example.com");
    let exp = now() + 600;
    let token = |claims: Value| sign(Algorithm::HS256, &claims, KEY);
    let reason = |token: &str, purpose: &str| {
        judged(&env, token, &["--purpose", purpose]).1["reason"].as_str().map(str::to_owned)
    };
    let reset = |sub: &str| token(json!({"sub": sub, "exp": exp, "nbf": now()}));
    assert_eq!(reason(&reset("ann@example.com"), "reset"), None);
    assert_eq!(reason(&reset("ANN@example.com"), "reset").as_deref(), Some("unknown_user"));
    assert_eq!(reason(&reset(&ann), "reset").as_deref(), Some("unknown_user"));
    // Its own float exp: int() truncates.
    let float_exp = token(json!({"sub": "ann@example.com", "exp": f64::from(u32::try_from(exp).unwrap()) + 0.5}));
    assert_eq!(reason(&float_exp, "reset"), None);
    assert_eq!(reason(&token(json!({"sub": ann, "exp": exp})), "access"), None);
    assert_eq!(reason(&token(json!({"sub": "ann@example.com", "exp": exp})), "access").as_deref(), Some("claims"));
}
