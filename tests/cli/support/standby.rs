//! A hot standby of the suite's own cluster, streaming from it: `pg_basebackup -R` of the
//! running cluster, started on its own port on first use. Like the cluster, it stops and its
//! directory goes when the test process ends.

use std::path::Path;
use std::process::Child;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::postgres::{
    PASSWORD, as_server_user, bin_dir, free_port, hand_to_server_user, keep_until_exit, run,
    server, wait_until_up,
};

pub struct Standby {
    pub port: u16,
    _keeper: Mutex<Child>,
}

/// The standby, started on first use. Panics with the reason when it cannot be.
pub fn standby() -> &'static Standby {
    static STANDBY: OnceLock<Result<Standby, String>> = OnceLock::new();
    match STANDBY.get_or_init(start) {
        Ok(standby) => standby,
        Err(message) => panic!("{message}"),
    }
}

impl Standby {
    /// Waits until the standby has replayed everything the primary has written so far: up to
    /// the insert position, as the cluster commits asynchronously (synchronous_commit = off) and
    /// the write position may lag the last commit.
    pub fn catch_up(&self) {
        let mut primary = postgres::Client::connect(&server().url, postgres::NoTls).unwrap();
        let lsn: String = primary
            .query_one("SELECT pg_current_wal_insert_lsn()::text", &[])
            .unwrap()
            .get(0);
        let url = format!(
            "postgresql://authctl:{PASSWORD}@127.0.0.1:{}/postgres",
            self.port
        );
        let mut standby = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !standby
            .query_one(
                "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn",
                &[&lsn],
            )
            .unwrap()
            .get::<_, bool>(0)
        {
            assert!(Instant::now() < deadline, "the standby did not reach {lsn}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn start() -> Result<Standby, String> {
    let primary = server()
        .url
        .rsplit_once('/')
        .map(|(base, _)| format!("{base}/postgres"))
        .ok_or("the test server's URL has no database")?;
    let bin = bin_dir()?;
    let dir = tempfile::Builder::new()
        .prefix("authctl-standby-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    hand_to_server_user(&dir);
    let data = dir.join("data");
    let mut backup = as_server_user(&bin.join("pg_basebackup"));
    backup.arg("-D").arg(&data).args([
        "-R",
        "--no-sync",
        "--checkpoint=fast",
        "-X",
        "stream",
        "-d",
        &primary,
    ]);
    run(backup, "pg_basebackup")?;
    let port = free_port()?;
    let command = format!(
        "'{postgres}' -D '{data}' -p {port} -k '{dir}' >'{dir}/log' 2>&1",
        postgres = bin.join("postgres").display(),
        data = data.display(),
        dir = dir.display()
    );
    let keeper = keep_until_exit(&command, Path::new(&dir), "the standby")?;
    wait_until_up(&format!(
        "postgresql://authctl:{PASSWORD}@127.0.0.1:{port}/postgres"
    ))?;
    Ok(Standby {
        port,
        _keeper: Mutex::new(keeper),
    })
}
