//! Reaching the server as libpq and SQLAlchemy do in production: several hosts tried in order,
//! `target_session_attrs` choosing between a primary and its hot standby, client certificates.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::TestEnv;
use crate::support::postgres::{PASSWORD, free_port, own_cluster, server};
use crate::support::standby::standby;
use crate::support::stderr;

const CSV: &str = "id,username,email,full_name,disabled\n1,alice,,,false\n";

/// A TCP port nothing listens on.
fn closed_port() -> u16 {
    free_port().unwrap()
}

/// `host:port` of the test's own URL.
fn primary(env: &TestEnv) -> String {
    let url = env.url();
    url.split(['@', '/']).nth(3).unwrap().to_owned()
}

fn add_bob(env: &TestEnv, url: &str) -> assert_cmd::assert::Assert {
    env.bare()
        .args(["--database-url", url, "add-user", "bob", "--password-stdin"])
        .write_stdin("pw-for-tests\n")
        .assert()
}

fn list(env: &TestEnv, url: &str) -> assert_cmd::assert::Assert {
    env.bare()
        .args(["--database-url", url, "list-users", "--format", "csv"])
        .env("HOME", env.dir())
        .assert()
}

/// The first server that answers is used; SQLAlchemy's `?host=A:PORT&host=B:PORT` is the same
/// list. When none answers, the last one's reason is given.
#[test]
fn several_hosts_are_tried_in_order() {
    if !own_cluster("several hosts") {
        return;
    }
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    let url = env.url();
    let here = primary(&env);
    let down = format!("127.0.0.1:{}", closed_port());
    let listed = url.replacen(&here, &format!("{down},{here}"), 1);
    list(&env, &listed).code(0).stdout(CSV);
    let (_, path) = url.split_once(&format!("{here}/")).unwrap();
    let sqlalchemy =
        format!("postgresql+psycopg://authctl:{PASSWORD}@/{path}&host={down}&host={here}");
    list(&env, &sqlalchemy).code(0).stdout(CSV);
    let balanced = format!(
        "{}&load_balance_hosts=random",
        url.replacen(&here, &format!("{here},{here}"), 1)
    );
    list(&env, &balanced).code(0).stdout(CSV);
    // An empty PGUSER is no user, as for libpq: the login name is used.
    let no_user = url.replacen(&format!("authctl:{PASSWORD}@"), "", 1);
    env.bare()
        .args(["--database-url", &no_user, "list-users", "--format", "csv"])
        .env("PGUSER", "")
        .env("USER", "authctl")
        .env("PGPASSWORD", PASSWORD)
        .assert()
        .code(0)
        .stdout(CSV);
    let none = url.replacen(&here, &format!("{down},{down}"), 1);
    let stderr = stderr(&list(&env, &none).code(7));
    assert!(
        stderr.contains(": the server cannot be reached: error connecting to server"),
        "{stderr}"
    );
    assert!(!stderr.contains(PASSWORD), "{stderr}");
}

/// Each `target_session_attrs` value takes the server libpq would take from a standby and its
/// primary, in either order; `add-user` tells which one it got (the standby refuses writes).
#[test]
fn target_session_attrs_chooses_between_a_primary_and_its_standby() {
    if !own_cluster("target_session_attrs") {
        return;
    }
    let standby = standby();
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    standby.catch_up();
    let url = env.url();
    let here = primary(&env);
    let replica = format!("127.0.0.1:{}", standby.port);
    let down = format!("127.0.0.1:{}", closed_port());
    let with = |hosts: &str, attrs: &str| {
        format!(
            "{}&target_session_attrs={attrs}",
            url.replacen(&here, hosts, 1)
        )
    };
    let standby_first = format!("{replica},{here}");
    let primary_first = format!("{here},{replica}");
    let on_standby = |url: &str| {
        let stderr = stderr(&add_bob(&env, url).code(7));
        assert!(stderr.contains("read-only"), "{url}: {stderr}");
    };
    on_standby(&with(&standby_first, "any"));
    on_standby(&with(&primary_first, "read-only"));
    on_standby(&with(&primary_first, "standby"));
    on_standby(&with(&primary_first, "prefer-standby"));
    list(&env, &with(&primary_first, "standby"))
        .code(0)
        .stdout(CSV);
    add_bob(&env, &with(&standby_first, "read-write")).code(0);
    env.cmd()
        .args(["delete-user", "bob", "--yes"])
        .assert()
        .code(0);
    add_bob(&env, &with(&standby_first, "primary")).code(0);
    env.cmd()
        .args(["delete-user", "bob", "--yes"])
        .assert()
        .code(0);
    // No standby among the servers: prefer-standby takes the primary.
    add_bob(&env, &with(&format!("{down},{here}"), "prefer-standby")).code(0);
    env.cmd()
        .args(["delete-user", "bob", "--yes"])
        .assert()
        .code(0);
    // From the environment, as libpq reads PGTARGETSESSIONATTRS.
    env.bare()
        .args(["--database-url", &url.replacen(&here, &standby_first, 1)])
        .args(["add-user", "bob", "--password-stdin"])
        .env("PGTARGETSESSIONATTRS", "primary")
        .write_stdin("pw-for-tests\n")
        .assert()
        .code(0);
    let only_primary = with(&here, "standby");
    add_bob(&env, &only_primary)
        .code(7)
        .stdout("")
        .stderr(format!(
            "error: database {}: no server of the URL is a standby (target_session_attrs=standby): \
         {here} is a primary that accepts writes\n",
            shown(&only_primary)
        ));
    let nothing_writable = with(&format!("{replica},{down}"), "read-write");
    let stderr = stderr(&add_bob(&env, &nothing_writable).code(7));
    assert!(
        stderr.contains(&format!(
            ": no server of the URL accepts writes (target_session_attrs=read-write): {replica} \
             is a standby; {down}: the server cannot be reached: "
        )),
        "{stderr}"
    );
    assert_eq!(env.user_count(), 2);
}

/// The client certificate is presented as libpq presents it: from sslcert/sslkey, from
/// PGSSLCERT/PGSSLKEY, or from ~/.postgresql; a key others can read, an encrypted key and
/// `sslpassword` are refused before anything is sent.
#[test]
fn client_certificates_are_presented_as_libpq_presents_them() {
    if !own_cluster("client certificates") {
        return;
    }
    let ca = server().ca.clone().unwrap();
    let env = TestEnv::init();
    env.add_user("alice", "pw-for-tests");
    let home = env.path("home");
    let dot = home.join(".postgresql");
    std::fs::create_dir_all(&dot).unwrap();
    let (cert, key) = (dot.join("postgresql.crt"), dot.join("postgresql.key"));
    std::fs::copy(ca.with_file_name("client.crt"), &cert).unwrap();
    std::fs::copy(ca.with_file_name("client.key"), &key).unwrap();
    chmod(&key, 0o600);
    let url = env
        .url()
        .replace(&format!("//authctl:{PASSWORD}@"), "//cert_only@")
        .replace("sslmode=disable&", "sslmode=require&");
    let files = format!("{url}&sslcert={}&sslkey={}", cert.display(), key.display());
    list(&env, &files).code(0).stdout(CSV);
    let with_home = || {
        let mut cmd = env.bare();
        cmd.args(["--database-url", &url, "list-users", "--format", "csv"]);
        cmd.env("HOME", &home);
        cmd
    };
    with_home().assert().code(0).stdout(CSV);
    env.bare()
        .args(["--database-url", &url, "list-users", "--format", "csv"])
        .env("HOME", env.dir())
        .env("PGSSLCERT", &cert)
        .env("PGSSLKEY", &key)
        .assert()
        .code(0)
        .stdout(CSV);
    // Without one the server turns the role away.
    let stderr_of = |assert| stderr(&assert);
    let refused = stderr_of(list(&env, &url).code(8));
    assert!(refused.contains("authentication failed: "), "{refused}");
    let shown = shown(&url);
    // As libpq: a key root owns may be readable by its group (0640), one the user owns not.
    chmod(&key, 0o640);
    let root_owned = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&key).unwrap()) == 0;
    with_home().assert().code(if root_owned { 0 } else { 8 });
    chmod(&key, 0o644);
    with_home().assert().code(8).stdout("").stderr(format!(
        "error: database {shown}: the client key {} can be read by others (mode 644): as libpq, \
         authctl wants 0600 or less (0640 if root owns it); chmod 600 it\n",
        key.display()
    ));
    chmod(&key, 0o600);
    encrypt(&key);
    with_home().assert().code(8).stdout("").stderr(format!(
        "error: database {shown}: the client key {} is encrypted, and authctl takes no \
         sslpassword: decrypt it (openssl pkey -in KEY -out KEY.plain) and keep it mode 0600\n",
        key.display()
    ));
    let stderr = stderr_of(list(&env, &format!("{url}&sslpassword=k3y-phrase")).code(5));
    assert!(
        stderr.contains("option 'sslpassword' is not supported"),
        "{stderr}"
    );
    assert!(!stderr.contains("k3y-phrase"), "{stderr}");
    std::fs::remove_file(&key).unwrap();
    with_home().assert().code(8).stderr(format!(
        "error: database {shown}: cannot read the client key {}: No such file or directory (os \
         error 2)\n",
        key.display()
    ));
}

/// The URL as messages show it: no password.
fn shown(url: &str) -> String {
    url.replace(&format!(":{PASSWORD}@"), ":***@")
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The key rewritten under a passphrase, as `openssl pkey -aes256` writes it.
fn encrypt(key: &Path) {
    let encrypted = key.with_extension("encrypted");
    let out = std::process::Command::new("openssl")
        .args(["pkey", "-aes256", "-passout", "pass:k3y-phrase", "-in"])
        .arg(key)
        .arg("-out")
        .arg(&encrypted)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    std::fs::rename(&encrypted, key).unwrap();
    chmod(key, 0o600);
}
