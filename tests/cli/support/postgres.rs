//! The PostgreSQL server the tests run against: the one `AUTHCTL_TEST_POSTGRES_URL` names (a
//! database in which the tests may create schemas), else a throw-away cluster started on first
//! use in a temporary directory, as an unprivileged user, on 127.0.0.1. The cluster stops and its
//! directory goes when the test process ends, however it ends: its keeper waits for the end of a
//! pipe only this process holds.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The test role's password (a throw-away cluster's; an existing server's comes in its URL).
pub const PASSWORD: &str = "authctl-test-password";
const DATABASE: &str = "authctl_tests";

pub struct Server {
    /// `postgresql://user:password@host:port/database`, without options.
    pub url: String,
    /// The CA that signed the server's certificate (a throw-away cluster only).
    pub ca: Option<PathBuf>,
    /// The directory of the server's Unix socket (a throw-away cluster only).
    pub socket_dir: Option<PathBuf>,
    /// Keeps the cluster alive: its stdin is the pipe whose end stops it.
    _keeper: Option<Mutex<Child>>,
}

/// The server, started on first use. Panics with the reason when there is none.
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    match SERVER.get_or_init(|| match std::env::var("AUTHCTL_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Ok(Server {
            url,
            ca: None,
            socket_dir: None,
            _keeper: None,
        }),
        _ => start(),
    }) {
        Ok(server) => server,
        Err(message) => panic!("{message}"),
    }
}

/// Whether the server is the suite's own cluster, whose roles, password, address and certificate
/// the connection tests know. Against an existing server they say so and test nothing.
pub fn own_cluster(test: &str) -> bool {
    let own = server().ca.is_some();
    if !own {
        eprintln!(
            "{test}: needs the suite's own PostgreSQL cluster; not run against an existing server"
        );
    }
    own
}

/// A new empty schema for one test, and the URL whose `search_path` is it.
pub fn new_schema() -> (String, String) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let server = server();
    let schema = format!(
        "t{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut client = connect(&server.url);
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .unwrap();
    // Plain connections: TLS has tests of its own, and costs each command a handshake.
    let join = if server.url.contains('?') { '&' } else { '?' };
    let url = format!(
        "{}{join}sslmode=disable&options=-csearch_path%3D{schema}",
        server.url
    );
    (schema, url)
}

/// A new empty database of one test's own on the test server (a pooler's tests need one: a
/// pooler takes no `search_path` option). Returns its name and URL.
pub fn new_database() -> (String, String) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "d{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let url = &server().url;
    let mut client = connect(url);
    // One statement each: CREATE DATABASE runs in no transaction, implicit ones included.
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let base = url.rsplit_once('/').unwrap().0;
    (name.clone(), format!("{base}/{name}"))
}

/// A client of the database at `url`, in `schema` when given.
pub fn connect_to(url: &str, schema: Option<&str>) -> postgres::Client {
    let mut client = connect(url);
    if let Some(schema) = schema {
        client
            .batch_execute(&format!("SET search_path = {schema}"))
            .unwrap();
    }
    client
}

fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("the test PostgreSQL server at {url}: {e:?}"))
}

/// The directory of the newest installed PostgreSQL's programs (Debian's layout, else `PATH`).
pub(super) fn bin_dir() -> Result<PathBuf, String> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok())
    });
    if let Some(bin) = versions.pop() {
        return Ok(bin);
    }
    Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        .ok_or_else(|| {
            "no PostgreSQL server programs found (Debian: apt-get install postgresql; `.ci/run` \
             installs it) and AUTHCTL_TEST_POSTGRES_URL is not set"
                .to_owned()
        })
}

/// Makes `dir` the server user's (see [`as_server_user`]); as another user, it already is.
pub(super) fn hand_to_server_user(dir: &Path) {
    let mut cmd = Command::new("chown");
    cmd.args(["-R", "65534:65534"]).arg(dir);
    run(cmd, "chown").ok();
}

/// The server refuses to run as root: root hands the cluster to `nobody`.
pub(super) fn as_server_user(program: &Path) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"));
    if root {
        let mut cmd = Command::new("setpriv");
        cmd.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--reset-env",
        ]);
        cmd.arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

pub(super) fn run(mut cmd: Command, what: &str) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn start() -> Result<Server, String> {
    let bin = bin_dir()?;
    let dir = tempfile::Builder::new()
        .prefix("authctl-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    let data = dir.join("data");
    std::fs::write(dir.join("pwfile"), PASSWORD).map_err(|e| e.to_string())?;
    let ca = make_certificates(&dir)?;
    hand_to_server_user(&dir);
    let mut initdb = as_server_user(&bin.join("initdb"));
    initdb
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            "authctl",
            "--auth=scram-sha-256",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ])
        .arg(format!("--pwfile={}", dir.join("pwfile").display()));
    run(initdb, "initdb")?;
    let port = free_port()?;
    let mut conf = std::fs::OpenOptions::new()
        .append(true)
        .open(data.join("postgresql.conf"))
        .map_err(|e| e.to_string())?;
    writeln!(
        conf,
        "listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{}'\n\
         fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n\
         ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\nssl_ca_file = '{}'",
        dir.display(),
        dir.join("server.crt").display(),
        dir.join("server.key").display(),
        ca.display(),
    )
    .map_err(|e| e.to_string())?;
    // Only TLS connections for the role `tls_only`; only a client certificate for `cert_only`.
    let hba = format!(
        "hostssl all tls_only 127.0.0.1/32 scram-sha-256\nhost all tls_only 127.0.0.1/32 reject\n\
         hostssl all cert_only 127.0.0.1/32 cert\nhost all cert_only 127.0.0.1/32 reject\n{}",
        std::fs::read_to_string(data.join("pg_hba.conf")).map_err(|e| e.to_string())?
    );
    std::fs::write(data.join("pg_hba.conf"), hba).map_err(|e| e.to_string())?;
    let keeper = keep(&bin, &data, &dir)?;
    let url = format!("postgresql://authctl:{PASSWORD}@127.0.0.1:{port}");
    wait_until_up(&format!("{url}/postgres"))?;
    let mut admin = connect(&format!("{url}/postgres"));
    for statement in [
        format!("CREATE DATABASE {DATABASE}"),
        format!("CREATE ROLE tls_only LOGIN SUPERUSER PASSWORD '{PASSWORD}'"),
        "CREATE ROLE cert_only LOGIN SUPERUSER".to_owned(),
    ] {
        admin
            .batch_execute(&statement)
            .map_err(|e| format!("{statement}: {e:?}"))?;
    }
    Ok(Server {
        url: format!("{url}/{DATABASE}"),
        ca: Some(ca),
        socket_dir: Some(dir),
        _keeper: Some(Mutex::new(keeper)),
    })
}

/// Starts the server under a shell that stops it (and removes its directory) when its stdin,
/// held by this process only, closes.
fn keep(bin: &Path, data: &Path, dir: &Path) -> Result<Child, String> {
    let server = format!(
        "'{postgres}' -D '{data}' >'{dir}/log' 2>&1",
        postgres = bin.join("postgres").display(),
        data = data.display(),
        dir = dir.display()
    );
    keep_until_exit(&server, dir, "postgres")
}

/// Runs `server` (a shell command line) as the server user under a shell that interrupts it
/// and removes `dir` when its stdin, held by this process only, closes.
pub(super) fn keep_until_exit(server: &str, dir: &Path, what: &str) -> Result<Child, String> {
    let script = format!(
        "{server} & pid=$!; cat >/dev/null; kill -INT $pid; wait $pid; rm -rf '{}'",
        dir.display()
    );
    let mut cmd = as_server_user(Path::new("/bin/sh"));
    cmd.args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.spawn().map_err(|e| format!("starting {what}: {e}"))
}

/// Waits until a client can connect to `url` (at most 30 s).
pub(super) fn wait_until_up(url: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match postgres::Client::connect(url, postgres::NoTls) {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() > deadline => {
                return Err(format!("the test PostgreSQL server did not start: {e}"));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

pub fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// A CA, a server certificate it signed (for `localhost` and 127.0.0.1) and a client
/// certificate for the role `cert_only`, made with the `openssl` command. Returns the CA's
/// certificate; the others are beside it.
fn make_certificates(dir: &Path) -> Result<PathBuf, String> {
    let openssl = |args: &[&str], what: &str| {
        let mut cmd = Command::new("openssl");
        cmd.args(args).current_dir(dir);
        run(cmd, what)
    };
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=authctl test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ],
        "making the test CA",
    )?;
    // A key and a certificate for `name` (`/CN=cn`), signed by the CA, with `extra` arguments.
    let signed = |name: &str, cn: &str, extra: &[&str]| {
        let (key, csr, crt) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
        );
        let subject = format!("/CN={cn}");
        openssl(
            &[
                "req", "-newkey", "rsa:2048", "-nodes", "-subj", &subject, "-keyout", &key, "-out",
                &csr,
            ],
            &format!("making the {name} key"),
        )?;
        let sign = [
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
        ];
        let out = ["-out", crt.as_str()];
        openssl(
            &[&sign[..], extra, &out[..]].concat(),
            &format!("signing the {name} certificate"),
        )
    };
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .map_err(|e| e.to_string())?;
    signed("server", "localhost", &["-extfile", "san.ext"])?;
    // The role `cert_only`'s certificate (a v1 one, as PostgreSQL's own recipe makes them).
    signed("client", "cert_only", &[])?;
    std::fs::set_permissions(
        dir.join("server.key"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .map_err(|e| e.to_string())?;
    Ok(dir.join("ca.crt"))
}
