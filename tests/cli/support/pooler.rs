//! The suite's transaction pooler: PgBouncer from the distribution's packages (`.ci/run`
//! installs it), in `pool_mode = transaction` with two server connections per database, in
//! front of the suite's own cluster, as Neon, Supabase and most Kubernetes deployments put one
//! in front of the service's database. Started on first use; it stops, and its directory goes,
//! when the test process ends (as the cluster does: its keeper waits for the end of a pipe).
//!
//! Two clients in a row on one pool share server connections, so whatever one leaves on a
//! connection (a session setting, a prepared statement, a cursor) the next one meets.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Mutex, OnceLock};

use super::postgres::{PASSWORD, free_port, keep_until_exit, server, wait_until_up};

/// The database name through which the pooler serves `STATEMENT_TARGET` in statement mode.
pub const STATEMENT_MODE: &str = "statement_mode";
/// The server database behind [`STATEMENT_MODE`].
const STATEMENT_TARGET: &str = "authctl_statement_mode";
/// Server connections per database and user: fewer than the clients the tests run at once.
pub const POOL_SIZE: usize = 2;

pub struct Pooler {
    port: u16,
    /// The server's address part (`authctl:password@127.0.0.1:port`), for its URLs.
    _keeper: Mutex<Child>,
}

impl Pooler {
    /// The URL of `database` through the pooler (plain text: PgBouncer here has no TLS).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgresql://authctl:{PASSWORD}@127.0.0.1:{}/{database}?sslmode=disable",
            self.port
        )
    }

    /// The URL of the statement-mode pool, and the server database behind it.
    pub fn statement_mode(&self) -> (String, String) {
        let base = server().url.rsplit_once('/').unwrap().0.to_owned();
        (
            self.url(STATEMENT_MODE),
            format!("{base}/{STATEMENT_TARGET}"),
        )
    }
}

/// The pooler, started on first use. Panics with the reason when it cannot start.
pub fn pooler() -> &'static Pooler {
    static POOLER: OnceLock<Result<Pooler, String>> = OnceLock::new();
    match POOLER.get_or_init(start) {
        Ok(pooler) => pooler,
        Err(message) => panic!("{message}"),
    }
}

fn program() -> Result<PathBuf, String> {
    ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "the pooler tests need PgBouncer (Debian: apt-get install pgbouncer; `.ci/run` \
             installs it)"
                .to_owned()
        })
}

fn start() -> Result<Pooler, String> {
    let program = program()?;
    let server = server();
    let (address, _) = server
        .url
        .rsplit_once('@')
        .and_then(|(_, rest)| rest.split_once('/'))
        .ok_or("the test server's URL has no host")?;
    let (host, server_port) = address.split_once(':').ok_or("no port")?;
    let mut admin = super::postgres::connect_to(&server.url, None);
    admin
        .batch_execute(&format!("CREATE DATABASE {STATEMENT_TARGET}"))
        .map_err(|e| format!("{e:?}"))?;
    let dir = tempfile::Builder::new()
        .prefix("authctl-pgbouncer-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    let port = free_port()?;
    let config = format!(
        "[databases]\n\
         {STATEMENT_MODE} = host={host} port={server_port} dbname={STATEMENT_TARGET} pool_mode=statement\n\
         * = host={host} port={server_port}\n\
         [pgbouncer]\n\
         listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
         auth_type = scram-sha-256\nauth_file = {dir}/userlist.txt\n\
         pool_mode = transaction\ndefault_pool_size = {POOL_SIZE}\nmax_client_conn = 200\n\
         logfile = {dir}/pgbouncer.log\n",
        dir = dir.display()
    );
    std::fs::write(dir.join("pgbouncer.ini"), config).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("userlist.txt"),
        format!("\"authctl\" \"{PASSWORD}\"\n"),
    )
    .map_err(|e| e.to_string())?;
    let _ = Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(&dir)
        .status();
    let keeper = keep(&program, &dir)?;
    let pooler = Pooler {
        port,
        _keeper: Mutex::new(keeper),
    };
    wait_until_up(&pooler.url("postgres")).map_err(|e| {
        let log = std::fs::read_to_string(dir.join("pgbouncer.log")).unwrap_or_default();
        format!("PgBouncer: {e}\n{log}")
    })?;
    Ok(pooler)
}

/// Starts PgBouncer (which refuses to run as root) until the test process ends.
fn keep(program: &Path, dir: &Path) -> Result<Child, String> {
    let pgbouncer = format!(
        "'{}' '{}/pgbouncer.ini' >/dev/null 2>&1",
        program.display(),
        dir.display()
    );
    keep_until_exit(&pgbouncer, dir, "pgbouncer")
}

/// What each of the pool's server connections holds now, as the next client would meet it:
/// `default_transaction_read_only`, `lock_timeout`, prepared statements and open cursors, as
/// `"off 0 0 0"` for a clean one. All [`POOL_SIZE`] are looked at (their backends' pids, the
/// second of each pair, differ): as many clients as connections, each inside a transaction until
/// all have looked, so no two share one.
pub fn server_connections(url: &str) -> Vec<(String, String)> {
    let mut clients: Vec<postgres::Client> = (0..POOL_SIZE)
        .map(|_| postgres::Client::connect(url, postgres::NoTls).unwrap())
        .collect();
    let mut seen = Vec::new();
    for client in &mut clients {
        client.batch_execute("BEGIN").unwrap();
        // The simple protocol: the look itself must leave no prepared statement behind.
        let rows = client
            .simple_query(
                "SELECT current_setting('default_transaction_read_only') || ' ' || \
                 current_setting('lock_timeout') || ' ' || \
                 (SELECT count(*) FROM pg_prepared_statements) || ' ' || \
                 (SELECT count(*) FROM pg_cursors), pg_backend_pid()::text",
            )
            .unwrap();
        let row = rows
            .iter()
            .find_map(|m| match m {
                postgres::SimpleQueryMessage::Row(row) => Some((
                    row.get(0).unwrap().to_owned(),
                    row.get(1).unwrap().to_owned(),
                )),
                _ => None,
            })
            .unwrap();
        seen.push(row);
    }
    for client in &mut clients {
        client.batch_execute("COMMIT").unwrap();
    }
    let pids: std::collections::BTreeSet<&String> = seen.iter().map(|(_, pid)| pid).collect();
    assert_eq!(pids.len(), POOL_SIZE, "{seen:?}");
    seen
}
