//! The other tokens, proven against the applications that take them: fastapi-users' own
//! reset-password and verify routers, the full-stack template's reset endpoint (PostgreSQL, its
//! engine), and a service of the tutorial's "OAuth2 scopes" chapter. verify-token agrees with
//! each on what it accepts and why it refuses.

use serde_json::json;

use super::TestEnv;
use super::shapes::{FASTAPI_USERS, id_of};
use super::verify_token::judged;
use crate::support::service::{App, Reply, Service};
use crate::support::{self, KEY};

const RESET_SECRET: &str = "the reset secret, not the login's, 32+ bytes";
const VERIFY_SECRET: &str = "the verification secret, 32 or more bytes";

/// `issue-token` with more environment, its stdout.
fn issued(env: &TestEnv, args: &[&str], vars: &[(&str, &str)]) -> String {
    let assert = env
        .cmd()
        .env("SECRET_KEY", KEY)
        .envs(vars.iter().copied())
        .arg("issue-token")
        .args(args)
        .assert()
        .code(0);
    support::stdout(&assert).trim_end().to_owned()
}

/// [`judged`] with the secrets of this file's fastapi-users application in the environment.
fn judged_with(env: &TestEnv, token: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["--secret-key-file", "secret.txt"];
    args.extend_from_slice(extra);
    judged(env, token, &args)
}

/// `issue-token`'s arguments for ann's token of `purpose`, its key from the variable `secret`.
fn purpose_args<'a>(purpose: &'a str, secret: &'a str) -> [&'a str; 5] {
    ["ann@example.com", "--purpose", purpose, "--secret-key-env", secret]
}

fn reset(service: &Service, token: &str, password: &str) -> Reply {
    service.post(
        "/auth/reset-password",
        None,
        &json!({"token": token, "password": password}),
    )
}

#[test]
fn fastapi_users_resets_and_verifies_with_the_tokens_authctl_issues() {
    let env = FASTAPI_USERS.env();
    env.add_user("ann@example.com", "ann's long password");
    let ann = id_of(&env, FASTAPI_USERS, "ann@example.com");
    let secrets = [
        ("RESET_PASSWORD_TOKEN_SECRET", RESET_SECRET),
        ("VERIFICATION_TOKEN_SECRET", VERIFY_SECRET),
    ];
    let service = Service::start_with(
        App::FastapiUsers,
        env.dir(),
        &env.database_url(),
        KEY,
        &secrets,
    );
    let reset_args = purpose_args("reset", "RESET_PASSWORD_TOKEN_SECRET");
    let token = issued(&env, &reset_args, &secrets);
    std::fs::write(env.path("secret.txt"), RESET_SECRET).unwrap();
    let (code, record) = judged_with(&env, &token, &["--purpose", "reset"]);
    assert_eq!((code, &record["user"]), (0, &json!("ann@example.com")), "{record}");
    assert_eq!(record["claims"]["sub"], json!(ann));
    assert_eq!(record["claims"]["aud"], "fastapi-users:reset");
    // An access token is not a reset token, for the application and for verify-token.
    let access = env.issue_token("ann@example.com", &[]);
    let refused = reset(&service, &access, "ann's new password");
    assert_eq!(
        (refused.status, refused.body),
        (400, json!({"detail": "RESET_PASSWORD_BAD_TOKEN"}))
    );
    std::fs::write(env.path("secret.txt"), KEY).unwrap();
    assert_eq!(judged_with(&env, &access, &["--purpose", "reset"]).1["reason"], "audience");
    // The reset works: the new password logs in, the old one no longer does.
    let done = reset(&service, &token, "ann's new password");
    assert_eq!((done.status, done.body), (200, serde_json::Value::Null));
    assert_eq!(service.login("ann@example.com", "ann's new password").status, 200);
    assert_eq!(service.login("ann@example.com", "ann's long password").status, 400);
    assert!(service.log().contains(&format!("hook on_after_reset_password: user {ann}")));
    // The same token again: the password changed, so its fingerprint no longer verifies.
    let again = reset(&service, &token, "ann's third password");
    assert_eq!(
        (again.status, again.body),
        (400, json!({"detail": "RESET_PASSWORD_BAD_TOKEN"}))
    );
    std::fs::write(env.path("secret.txt"), RESET_SECRET).unwrap();
    let (code, record) = judged_with(&env, &token, &["--purpose", "reset"]);
    assert_eq!((code, &record["reason"]), (1, &json!("password_changed")), "{record}");
    // Verification through the application's own route, hooks and all.
    let verify_args = purpose_args("verify", "VERIFICATION_TOKEN_SECRET");
    let token = issued(&env, &verify_args, &secrets);
    std::fs::write(env.path("secret.txt"), VERIFY_SECRET).unwrap();
    assert_eq!(judged_with(&env, &token, &["--purpose", "verify"]).0, 0);
    let verified = service.post("/auth/verify", None, &json!({"token": token}));
    assert_eq!(verified.status, 200, "{verified:?}");
    assert_eq!(verified.body["is_verified"], true);
    assert!(service.log().contains(&format!("hook on_after_verify: user {ann}")));
    let again = service.post("/auth/verify", None, &json!({"token": token}));
    assert_eq!(
        (again.status, again.body),
        (400, json!({"detail": "VERIFY_USER_ALREADY_VERIFIED"}))
    );
    let (code, record) = judged_with(&env, &token, &["--purpose", "verify"]);
    assert_eq!((code, &record["reason"]), (1, &json!("already_verified")), "{record}");
    env.cmd()
        .env("VERIFICATION_TOKEN_SECRET", VERIFY_SECRET)
        .arg("issue-token")
        .args(verify_args)
        .assert()
        .code(4)
        .stderr("error: user 'ann@example.com' is already verified\n");
}

#[test]
fn fastapi_users_refuses_reset_tokens_signed_with_another_secret_as_verify_token_does() {
    let env = FASTAPI_USERS.env();
    env.add_user("ann@example.com", "ann's long password");
    let secrets = [("RESET_PASSWORD_TOKEN_SECRET", RESET_SECRET)];
    let service = Service::start_with(
        App::FastapiUsers,
        env.dir(),
        &env.database_url(),
        KEY,
        &secrets,
    );
    // Signed with SECRET_KEY: the application's reset secret differs.
    let token = env.issue_token("ann@example.com", &["--purpose", "reset"]);
    let refused = reset(&service, &token, "ann's new password");
    assert_eq!(refused.status, 400, "{refused:?}");
    std::fs::write(env.path("secret.txt"), RESET_SECRET).unwrap();
    let (code, record) = judged_with(&env, &token, &["--purpose", "reset"]);
    assert_eq!((code, &record["reason"]), (1, &json!("signature")), "{record}");
    // A disabled user gets none, and the application would refuse one.
    env.run(&["disable-user", "ann@example.com"], "").code(0);
    env.cmd()
        .env("SECRET_KEY", KEY)
        .args(["issue-token", "ann@example.com", "--purpose", "reset"])
        .assert()
        .code(1)
        .stderr("error: user 'ann@example.com' is disabled\n");
}

/// The scopes chapter's service: a token with `me` reads `/users/me/`, not `/users/me/items/`.
#[test]
fn a_scopes_service_honours_the_scopes_authctl_grants() {
    let env = TestEnv::init();
    env.add_user("alice", "alice's long password");
    let service = Service::start_app(App::Scopes, env.dir(), &env.service_url(), KEY);
    let me_only = env.issue_token("alice", &["--scope", "me"]);
    assert_eq!(support::claims(&me_only)["scope"], "me");
    let me = service.get("/users/me/", Some(&me_only));
    assert_eq!((me.status, me.body["username"].clone()), (200, json!("alice")), "{me:?}");
    let items = service.get("/users/me/items/", Some(&me_only));
    assert_eq!(
        (items.status, items.body),
        (401, json!({"detail": "Not enough permissions"}))
    );
    assert_eq!(items.www_authenticate.as_deref(), Some("Bearer scope=\"items me\""));
    let (code, record) = judged(&env, &me_only, &["--require-scope", "me", "--require-scope", "items"]);
    assert_eq!((code, &record["reason"]), (1, &json!("missing_scope")), "{record}");
    assert_eq!(record["detail"], "the token lacks the scope(s) items");
    assert_eq!(judged(&env, &me_only, &["--require-scope", "me"]).0, 0);
    // Both scopes: both routes, and the same claim as the service's own /token writes.
    let both = env.issue_token("alice", &["--scope", "me", "--scope", "items"]);
    assert_eq!(service.get("/users/me/items/", Some(&both)).status, 200);
    let own = service.login_with_scope("alice", "alice's long password", "me items");
    let own = own.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(support::claims(&own)["scope"], support::claims(&both)["scope"]);
    // No scope at all: the service's /users/me/ requires `me`.
    let none = env.issue_token("alice", &[]);
    assert_eq!(service.get("/users/me/", Some(&none)).status, 401);
    assert_eq!(judged(&env, &none, &["--require-scope", "me"]).1["reason"], "missing_scope");
    assert_eq!(service.get("/status/", Some(&none)).status, 200);
}

postgres_only! {
    use super::shapes::TEMPLATE;

    /// The template's reset endpoint takes the reset token authctl issues, once the link's
    /// token is pulled out of it; verify-token agrees before and after.
    #[test]
    fn the_full_stack_template_resets_with_the_link_authctl_prints() {
        let env = TEMPLATE.env();
        env.add_user("ann@example.com", "ann's long password");
        env.add_user("bob@example.com", "bob's long password");
        let service = Service::start_app(App::FastapiTemplate, env.dir(), &env.database_url(), KEY);
        let frontend = [("FRONTEND_HOST", "https://app.example.com")];
        let link = issued(&env, &["ann@example.com", "--purpose", "reset", "--format", "link"], &frontend);
        let token = link
            .strip_prefix("https://app.example.com/reset-password?token=")
            .unwrap_or_else(|| panic!("{link}"));
        let claims = support::claims(token);
        assert_eq!(claims["sub"], "ann@example.com");
        let exp = claims["exp"].as_i64().unwrap();
        assert_eq!(exp - claims["nbf"].as_i64().unwrap(), 48 * 3600);
        assert_eq!(judged(&env, token, &["--purpose", "reset"]).0, 0);
        // The application's own token has the same claims but its float exp.
        let own = service.post("/api/v1/password-recovery-token/ann@example.com", None, &json!({}));
        assert_eq!(own.status, 200, "{own:?}");
        let own = own.body["token"].as_str().unwrap();
        let own_claims = support::claims(own);
        assert_eq!(own_claims.as_object().unwrap().keys().collect::<Vec<_>>(), ["exp", "nbf", "sub"]);
        assert_eq!(judged(&env, own, &["--purpose", "reset"]).0, 0);
        // An access token is not a reset token: its sub is an id, not an email (the template
        // answers an unknown email as a bad token).
        let access = env.issue_token("ann@example.com", &[]);
        let body = |token: &str| json!({"token": token, "new_password": "ann's new password"});
        let refused = service.post("/api/v1/reset-password/", None, &body(&access));
        assert_eq!((refused.status, refused.body), (400, json!({"detail": "Invalid token"})));
        assert_eq!(judged(&env, &access, &["--purpose", "reset"]).1["reason"], "unknown_user");
        let done = service.post("/api/v1/reset-password/", None, &body(token));
        assert_eq!(
            (done.status, done.body),
            (200, json!({"message": "Password updated successfully"}))
        );
        assert_eq!(service.login("ann@example.com", "ann's new password").status, 200);
        // The template keeps no record of a used token: it resets again until it expires, and
        // verify-token says so too.
        assert_eq!(judged(&env, token, &["--purpose", "reset"]).0, 0);
        let again = json!({"token": token, "new_password": "ann's third password"});
        assert_eq!(service.post("/api/v1/reset-password/", None, &again).status, 200);
        // A disabled user's reset token is refused by both.
        let bob = issued(&env, &["bob@example.com", "--purpose", "reset"], &[]);
        env.run(&["disable-user", "bob@example.com"], "").code(0);
        let refused = service.post("/api/v1/reset-password/", None, &body(&bob));
        assert_eq!((refused.status, refused.body), (400, json!({"detail": "Inactive user"})));
        assert_eq!(judged(&env, &bob, &["--purpose", "reset"]).1["reason"], "inactive");
        // The lifetime follows the application's setting.
        let hours = [("EMAIL_RESET_TOKEN_EXPIRE_HOURS", "2")];
        let short = issued(&env, &["ann@example.com", "--purpose", "reset"], &hours);
        let claims = support::claims(&short);
        assert_eq!(claims["exp"].as_i64().unwrap() - claims["nbf"].as_i64().unwrap(), 7200);
    }
}
