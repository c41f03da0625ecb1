//! The proof for the other two shapes: a real fastapi-users application (its SQLAlchemy
//! example, `tests/interop/fastapi_users`) on both engines, and the full-stack template's
//! backend (`tests/interop/fastapi_template`) on PostgreSQL, its engine, log in the users
//! authctl adds and imports, accept its tokens, refuse the users it disables, and show the
//! rights it grants.

use serde_json::json;

use super::shapes::{FASTAPI_USERS, Shape, id_of};
use crate::support::service::{App, Reply, Service};
use super::TestEnv;
use crate::support::KEY;

/// The application's `DATABASE_URL`: the plain URL (each app names its own driver).
fn app_url(env: &TestEnv) -> String {
    env.database_url()
}

fn token_of(reply: &Reply) -> String {
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body["token_type"], "bearer");
    reply.body["access_token"].as_str().unwrap().to_owned()
}

/// The users of one test: `ann` added, `bob` imported, their ids as authctl lists them.
fn users(env: &TestEnv, shape: Shape) -> (String, String) {
    env.add_user(&shape.login("ann"), "ann's long password");
    let csv = format!(
        "email,password\n{},bob's long password\n",
        shape.login("bob")
    );
    env.run(&["import", "-", "--input-format", "csv"], &csv)
        .code(0);
    (
        id_of(env, shape, &shape.login("ann")),
        id_of(env, shape, &shape.login("bob")),
    )
}

#[test]
fn fastapi_users_accepts_what_authctl_writes() {
    let env = FASTAPI_USERS.env();
    let (ann_id, bob_id) = users(&env, FASTAPI_USERS);
    let service = Service::start_app(App::FastapiUsers, env.dir(), &app_url(&env), KEY);
    // Its login matches the email ignoring case, as authctl's look-ups do.
    let token = token_of(&service.login("ANN@example.com", "ann's long password"));
    let me = service.get_me(Some(&token));
    assert_eq!(me.status, 200, "{me:?}");
    assert_eq!(
        me.body,
        json!({"id": ann_id, "email": "ann@example.com", "is_active": true,
               "is_superuser": false, "is_verified": false})
    );
    let bob_token = token_of(&service.login("bob@example.com", "bob's long password"));
    let wrong = service.login("bob@example.com", "not bob's password");
    assert_eq!(
        (wrong.status, wrong.body),
        (400, json!({"detail": "LOGIN_BAD_CREDENTIALS"}))
    );
    // A token from issue-token is one it issued itself: sub, aud, signature.
    let issued = env.issue_token("bob@example.com", &[]);
    let me = service.get_me(Some(&issued));
    assert_eq!((me.status, me.body["id"].clone()), (200, json!(bob_id)));
    // Rights: the superuser-only route refuses ann until authctl grants it.
    let route = format!("/users/{bob_id}");
    let refused = service.get(&route, Some(&token));
    assert_eq!(
        (refused.status, refused.body),
        (403, json!({"detail": "Forbidden"}))
    );
    env.run(&["grant", "superuser", "ann@example.com"], "")
        .code(0);
    let allowed = service.get(&route, Some(&token));
    assert_eq!(allowed.status, 200, "{allowed:?}");
    assert_eq!(allowed.body["email"], "bob@example.com");
    // An internationalised address is stored as its model stores it: the application reads it
    // back (its schema re-validates the email) and its own registration finds the account.
    env.run(&["add-user", "Eve@Bücher.DE", "--random-password"], "")
        .code(0);
    let eve = id_of(&env, FASTAPI_USERS, "Eve@bücher.de");
    let read = service.get(&format!("/users/{eve}"), Some(&token));
    assert_eq!(
        (read.status, read.body["email"].clone()),
        (200, json!("Eve@bücher.de"))
    );
    let register = json!({"email": "Eve@BÜCHER.de", "password": "eve's other password"});
    let again = service.post_json("/auth/register", &token, &register);
    assert_eq!(
        (again.status, again.body),
        (400, json!({"detail": "REGISTER_USER_ALREADY_EXISTS"}))
    );
    // Disabled: no login, and tokens already out stop working.
    env.run(&["disable-user", "bob@example.com"], "").code(0);
    let login = service.login("bob@example.com", "bob's long password");
    assert_eq!(
        (login.status, login.body),
        (400, json!({"detail": "LOGIN_BAD_CREDENTIALS"}))
    );
    for token in [&bob_token, &issued] {
        let me = service.get_me(Some(token));
        assert_eq!(
            (me.status, me.body),
            (401, json!({"detail": "Unauthorized"}))
        );
    }
    // An application that requires verification refuses ann until authctl verifies her.
    drop(service);
    let strict = Service::start_with(
        App::FastapiUsers,
        env.dir(),
        &app_url(&env),
        KEY,
        &[("REQUIRE_VERIFIED", "1")],
    );
    let login = strict.login("ann@example.com", "ann's long password");
    assert_eq!(
        (login.status, login.body),
        (400, json!({"detail": "LOGIN_USER_NOT_VERIFIED"}))
    );
    env.run(
        &[
            "verify-login",
            "ann@example.com",
            "--password-stdin",
            "--require-verified",
        ],
        "ann's long password\n",
    )
    .code(1);
    env.run(&["grant", "verified", "ann@example.com"], "")
        .code(0);
    token_of(&strict.login("ann@example.com", "ann's long password"));
}

postgres_only! {
    use super::shapes::TEMPLATE;

    /// The template's backend on PostgreSQL (its settings take no other engine).
    #[test]
    fn the_full_stack_template_accepts_what_authctl_writes() {
        let env = TEMPLATE.env();
        env.add_user_with(
            "admin@example.com",
            &["--superuser", "--full-name", "Ada Admin"],
            "the admin's long password",
        );
        let admin_id = id_of(&env, TEMPLATE, "admin@example.com");
        let (ann_id, _) = users(&env, TEMPLATE);
        let service = Service::start_app(App::FastapiTemplate, env.dir(), &app_url(&env), KEY);
        let admin = token_of(&service.login("admin@example.com", "the admin's long password"));
        let me = service.get_me(Some(&admin));
        assert_eq!(me.status, 200, "{me:?}");
        assert_eq!(me.body["id"], json!(admin_id));
        assert_eq!(me.body["full_name"], "Ada Admin");
        assert_eq!(me.body["is_superuser"], true);
        // created_at, which has no SQL default, was filled as the application fills it.
        assert!(me.body["created_at"].as_str().is_some_and(|t| t.starts_with("20")), "{me:?}");
        // The superuser route: the admin sees the three users, ann is refused.
        let all = service.get("/api/v1/users/", Some(&admin));
        assert_eq!((all.status, all.body["count"].clone()), (200, json!(3)), "{all:?}");
        let ann = token_of(&service.login("ann@example.com", "ann's long password"));
        let refused = service.get("/api/v1/users/", Some(&ann));
        assert_eq!(
            (refused.status, refused.body),
            (403, json!({"detail": "The user doesn't have enough privileges"}))
        );
        // Its login matches the email exactly.
        let login = service.login("ANN@example.com", "ann's long password");
        assert_eq!(
            (login.status, login.body),
            (400, json!({"detail": "Incorrect email or password"}))
        );
        // A token from issue-token: sub is the id, 8 days.
        let issued = env.issue_token("ann@example.com", &[]);
        let me = service.get_me(Some(&issued));
        assert_eq!((me.status, me.body["id"].clone()), (200, json!(ann_id)));
        // Ann's items go with her.
        let item = service.post_json("/api/v1/items/", &ann, &json!({"title": "ann's"}));
        assert_eq!(item.status, 200, "{item:?}");
        let deleted = env
            .run(&["delete-user", "ann@example.com", "--yes"], "")
            .code(0);
        assert_eq!(
            crate::support::stderr(&deleted),
            "deleted user 'ann@example.com' (1 row(s) of item with it)\n"
        );
        let items = service.get("/api/v1/items/", Some(&admin));
        assert_eq!((items.status, items.body["count"].clone()), (200, json!(0)), "{items:?}");
        let gone = service.get_me(Some(&issued));
        assert_eq!((gone.status, gone.body), (404, json!({"detail": "User not found"})));
        // Disabled: the template's own words, at login and for tokens already out.
        env.run(&["disable-user", "admin@example.com"], "").code(0);
        let login = service.login("admin@example.com", "the admin's long password");
        assert_eq!((login.status, login.body), (400, json!({"detail": "Inactive user"})));
        let me = service.get_me(Some(&admin));
        assert_eq!((me.status, me.body), (400, json!({"detail": "Inactive user"})));
    }

    /// What authctl writes the template's own routes read back: its user listing (whose
    /// response model re-validates every email) answers 200 with every row authctl wrote, a
    /// special-use address never reaches it, and the template's own signup with another spelling
    /// of an address authctl added finds that account instead of making a second one.
    #[test]
    fn the_templates_own_routes_read_every_row_authctl_writes() {
        let env = TEMPLATE.env();
        env.add_user_with("admin@example.com", &["--superuser"], "the admin's long password");
        env.run(&["add-user", "Carol@Example.COM", "--random-password"], "").code(0);
        let csv = "email,full_name,password\n Dan@EXAMPLE.org,Dan,dan's long password\n";
        env.run(&["import", "-", "--input-format", "csv"], csv).code(0);
        env.run(&["add-user", "ops@svc.local", "--random-password"], "").code(5);
        let csv = "email,password\nci@localhost,ci's long password\n";
        env.run(&["import", "-", "--input-format", "csv"], csv).code(5);
        let service = Service::start_app(App::FastapiTemplate, env.dir(), &app_url(&env), KEY);
        let admin = token_of(&service.login("admin@example.com", "the admin's long password"));
        let all = service.get("/api/v1/users/", Some(&admin));
        assert_eq!(all.status, 200, "{all:?}");
        let mut emails: Vec<String> = all.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["email"].as_str().unwrap().to_owned())
            .collect();
        emails.sort();
        assert_eq!(emails, ["Carol@example.com", "Dan@example.org", "admin@example.com"]);
        let signup = json!({"email": "Carol@EXAMPLE.com", "password": "carol's other password"});
        let again = service.post_json("/api/v1/users/signup", &admin, &signup);
        assert_eq!(
            (again.status, again.body),
            (400, json!({"detail": "The user with this email already exists in the system"}))
        );
        token_of(&service.login("Dan@example.org", "dan's long password"));
    }
}
