//! Which PostgreSQL server and database: the service's SQLAlchemy URL, completed as libpq (and
//! so psql) completes it from `PG*` variables and `~/.pgpass`.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use postgres::config::Host;

use crate::error::{Error, Result};

/// How hard to insist on TLS: libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// libpq tries without TLS first; here it is [`SslMode::Prefer`] (TLS if the server has it).
    Allow,
    Prefer,
    /// TLS, the certificate not verified (unless a root certificate is given, as libpq does).
    Require,
    /// TLS with the certificate verified against the root certificate, not the host name.
    VerifyCa,
    /// TLS with the certificate and the host name verified.
    VerifyFull,
}

impl SslMode {
    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl FromStr for SslMode {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self> {
        Ok(match value {
            "disable" | "false" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" | "true" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => {
                return Err(Error::invalid(format!(
                    "sslmode '{value}' is not one of disable, allow, prefer, require, verify-ca, verify-full"
                )));
            }
        })
    }
}

/// A PostgreSQL database as a URL names it. The URL may hold a password: never shown, and not
/// in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL as given, driver part and all.
    url: String,
    /// The URL for messages, without any password.
    shown: String,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Target").field(&self.shown).finish()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

/// Which of the URL's servers will do: libpq's `target_session_attrs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionAttrs {
    Any,
    ReadWrite,
    ReadOnly,
    Primary,
    Standby,
    /// A standby if any of the servers is one, else any server.
    PreferStandby,
}

impl SessionAttrs {
    pub fn name(self) -> &'static str {
        match self {
            SessionAttrs::Any => "any",
            SessionAttrs::ReadWrite => "read-write",
            SessionAttrs::ReadOnly => "read-only",
            SessionAttrs::Primary => "primary",
            SessionAttrs::Standby => "standby",
            SessionAttrs::PreferStandby => "prefer-standby",
        }
    }
}

impl FromStr for SessionAttrs {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self> {
        Ok(match value {
            "any" => SessionAttrs::Any,
            "read-write" => SessionAttrs::ReadWrite,
            "read-only" => SessionAttrs::ReadOnly,
            "primary" => SessionAttrs::Primary,
            "standby" => SessionAttrs::Standby,
            "prefer-standby" => SessionAttrs::PreferStandby,
            _ => {
                return Err(Error::invalid(format!(
                    "target_session_attrs '{value}' is not one of any, read-write, read-only, \
                     primary, standby, prefer-standby"
                )));
            }
        })
    }
}

/// One server to try: the host, port and address libpq pairs at one position of its lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: Host,
    pub port: u16,
    pub hostaddr: Option<IpAddr>,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Host::Unix(dir) => write!(f, "{}/.s.PGSQL.{}", dir.display(), self.port),
            Host::Tcp(name) if name.contains(':') => write!(f, "[{name}]:{}", self.port),
            Host::Tcp(name) => write!(f, "{name}:{}", self.port),
        }
    }
}

/// The TLS files and choices of a URL, as libpq reads them.
pub struct Tls {
    pub mode: SslMode,
    pub root_cert: Option<PathBuf>,
    /// The client's certificate and its key, when the certificate file is there.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// Whether the host name goes in the handshake (`sslsni`).
    pub sni: bool,
}

/// What connecting needs: the client's configuration without its servers, the servers in the
/// order to try them, which of them will do, and the TLS wanted.
pub struct Resolved {
    pub config: postgres::Config,
    pub endpoints: Vec<Endpoint>,
    pub session: SessionAttrs,
    /// The password file to look each server up in, when no password is given otherwise.
    pub passfile: Option<PathBuf>,
    pub tls: Tls,
}

/// Options the client parses itself: passed on as written.
const CLIENT_OPTIONS: [&str; 13] = [
    "user",
    "password",
    "dbname",
    "options",
    "application_name",
    "connect_timeout",
    "tcp_user_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "channel_binding",
    "sslnegotiation",
];

/// Options authctl reads itself (`ssl` is asyncpg's name for `sslmode`).
const OWN_OPTIONS: [&str; 16] = [
    "host",
    "port",
    "hostaddr",
    "sslmode",
    "ssl",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslsni",
    "target_session_attrs",
    "load_balance_hosts",
    "passfile",
    "fallback_application_name",
    "gssencmode",
    "client_encoding",
    // asyncpg's statement cache, through SQLAlchemy: the client's own business, not the server's.
    "prepared_statement_cache_size",
];

/// libpq options authctl cannot honour, with the reason: refused rather than ignored.
fn unsupported(key: &str) -> Option<&'static str> {
    Some(match key {
        "sslpassword" => {
            "encrypted client keys are not read: give sslkey a decrypted key (openssl pkey -in \
             KEY -out KEY.plain) that only its owner can read"
        }
        "service" => {
            "connection services (pg_service.conf) are not read: write the host, port and \
             database into the URL"
        }
        "sslcrl" | "sslcrldir" => "certificate revocation lists are not checked",
        "krbsrvname" | "gsslib" => "Kerberos (GSSAPI) authentication is not supported",
        "requirepeer"
        | "require_auth"
        | "sslcertmode"
        | "ssl_min_protocol_version"
        | "ssl_max_protocol_version"
        | "sslcompression"
        | "replication"
        | "requiressl" => "authctl does not support it",
        _ => return None,
    })
}

/// The URL taken apart: what the client parses, and the rest, decoded.
struct Parts {
    /// `postgresql://USER:PASSWORD@/DATABASE?client options`, no servers.
    client_url: String,
    hosts: Vec<String>,
    ports: Vec<String>,
    hostaddrs: Vec<String>,
    own: Vec<(String, String)>,
}

impl Parts {
    fn own(&self, key: &str) -> Option<&str> {
        self.own
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl Target {
    /// `url` is a `postgresql://`, `postgres://` or `postgresql+driver://` URL; the scheme's
    /// engine part has been checked by the caller. Checks the form only; nothing is read from
    /// the environment until [`Target::resolve`].
    pub fn parse(url: &str) -> Result<Self> {
        let target = Target {
            url: url.to_owned(),
            shown: without_password(url),
        };
        target.client_config(&target.parts()?)?;
        Ok(target)
    }

    fn refused(&self, reason: impl fmt::Display) -> Error {
        Error::invalid(format!("database URL '{}': {reason}", self.shown))
    }

    /// Servers and authctl's own options out of the URL; the rest left for the client.
    fn parts(&self) -> Result<Parts> {
        let rest = self.url.split_once("://").map_or("", |(_, rest)| rest);
        let (base, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = base.split_at(base.find('/').unwrap_or(base.len()));
        let (userinfo, host_list) = match authority.rsplit_once('@') {
            Some((userinfo, hosts)) => (Some(userinfo), hosts),
            None => (None, authority),
        };
        let mut parts = Parts {
            client_url: String::new(),
            hosts: Vec::new(),
            ports: Vec::new(),
            hostaddrs: Vec::new(),
            own: Vec::new(),
        };
        for item in host_list.split(',').filter(|h| !h.is_empty()) {
            // Split before decoding: a socket directory is written `%2Frun%2Fpostgresql:5432`.
            let (host, port) = split_host_port(item);
            parts.hosts.push(percent_decode(&host));
            parts.ports.push(port.unwrap_or_default());
        }
        let mut passed = Vec::new();
        let (mut query_hosts, mut query_ports) = (Vec::new(), None);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value);
            match key {
                _ if CLIENT_OPTIONS.contains(&key) => passed.push(pair),
                // SQLAlchemy writes several hosts as `host=A:5432&host=B:5432`.
                "host" => query_hosts.extend(value.split(',').map(split_host_port)),
                "port" => query_ports = Some(list(&value)),
                "hostaddr" => parts.hostaddrs = list(&value),
                _ if OWN_OPTIONS.contains(&key) => parts.own.push((key.to_owned(), value)),
                _ => {
                    return Err(self.refused(match unsupported(key) {
                        Some(reason) => format!("option '{key}' is not supported: {reason}"),
                        None => format!("'{key}' is not a libpq connection option"),
                    }));
                }
            }
        }
        if !query_hosts.is_empty() {
            let with_ports = query_hosts.iter().any(|(_, port)| port.is_some());
            if with_ports && query_ports.is_some() {
                return Err(self.refused(
                    "the hosts' ports are given twice, in host=HOST:PORT and in port=; give one",
                ));
            }
            if with_ports {
                parts.ports = query_hosts
                    .iter()
                    .map(|(_, p)| p.clone().unwrap_or_default())
                    .collect();
            }
            parts.hosts = query_hosts.into_iter().map(|(host, _)| host).collect();
        }
        if let Some(ports) = query_ports {
            parts.ports = ports;
        }
        parts.client_url = format!(
            "postgresql://{}/{}",
            userinfo.map(|u| format!("{u}@")).unwrap_or_default(),
            path.trim_start_matches('/')
        );
        if !passed.is_empty() {
            parts.client_url.push('?');
            parts.client_url.push_str(&passed.join("&"));
        }
        Ok(parts)
    }

    /// The client's configuration, and every value of authctl's own options checked.
    fn client_config(&self, parts: &Parts) -> Result<postgres::Config> {
        // NOTE: the client's messages quote option names and never values, so no password.
        let config = postgres::Config::from_str(&parts.client_url).map_err(|e| {
            // The option's name is in the cause: "invalid value for option `port`".
            let cause = std::error::Error::source(&e).map_or(String::new(), |c| format!(": {c}"));
            self.refused(format!("not valid: {e}{cause}"))
        })?;
        for (key, value) in &parts.own {
            let valid = match key.as_str() {
                "sslmode" | "ssl" => SslMode::from_str(value).map(|_| ()),
                "target_session_attrs" => SessionAttrs::from_str(value).map(|_| ()),
                "load_balance_hosts" => one_of(key, value, &["disable", "random"]),
                "sslsni" => one_of(key, value, &["0", "1"]),
                // No GSSAPI here: libpq's `prefer` then goes on without it, as `disable` does.
                "gssencmode" => one_of(key, value, &["disable", "prefer"]),
                "client_encoding" => {
                    one_of(key, &value.to_ascii_uppercase(), &["UTF8", "UTF-8", "AUTO"])
                }
                _ => Ok(()),
            };
            valid.map_err(|e| self.refused(e))?;
        }
        Ok(config)
    }

    /// The configuration as psql would complete it: `PGHOST`, `PGHOSTADDR`, `PGPORT`,
    /// `PGUSER`, `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`,
    /// `PGTARGETSESSIONATTRS`, and the password from the URL, else `PGPASSWORD`, else the
    /// password file (`passfile`, `PGPASSFILE`, default `~/.pgpass`).
    pub fn resolve(&self) -> Result<Resolved> {
        let mut parts = self.parts()?;
        let mut config = self.client_config(&parts)?;
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if parts.hosts.is_empty() && parts.hostaddrs.is_empty() {
            match (var("PGHOST"), var("PGHOSTADDR")) {
                (None, None) => parts.hosts.push(default_socket_dir().to_owned()),
                (hosts, addrs) => {
                    parts.hosts = hosts.as_deref().map(list).unwrap_or_default();
                    parts.hostaddrs = addrs.as_deref().map(list).unwrap_or_default();
                }
            }
        }
        if parts.ports.iter().all(String::is_empty)
            && let Some(ports) = var("PGPORT")
        {
            parts.ports = list(&ports);
        }
        let endpoints = self.endpoints(&parts)?;
        self.complete(&mut config, &parts)?;
        let own = |key: &str| parts.own(key).map(str::to_owned);
        let passfile = if config.get_password().is_some() {
            None
        } else if let Some(password) = var("PGPASSWORD") {
            config.password(password);
            None
        } else {
            own("passfile")
                .or_else(|| var("PGPASSFILE"))
                .map(PathBuf::from)
                .or_else(|| Some(home()?.join(".pgpass")))
        };
        let session = own("target_session_attrs")
            .or_else(|| var("PGTARGETSESSIONATTRS"))
            .map_or(Ok(SessionAttrs::Any), |s| SessionAttrs::from_str(&s))
            .map_err(|e| self.refused(e))?;
        Ok(Resolved {
            config,
            endpoints,
            session,
            passfile,
            tls: self.tls(&parts)?,
        })
    }

    /// User, database, timeout and name, completed as libpq completes them.
    fn complete(&self, config: &mut postgres::Config, parts: &Parts) -> Result<()> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if config.get_user().is_none() {
            let user = var("PGUSER")
                .or_else(|| var("USER"))
                .or_else(|| var("LOGNAME"));
            let Some(user) = user else {
                return Err(Error::Environment(format!(
                    "database {}: the URL names no user; give one in the URL or set PGUSER",
                    self.shown
                )));
            };
            config.user(&user);
        }
        if config.get_dbname().is_none_or(str::is_empty) {
            let dbname = var("PGDATABASE").or_else(|| config.get_user().map(str::to_owned));
            config.dbname(&dbname.unwrap_or_default());
        }
        if config.get_connect_timeout().is_none() {
            // An unreachable host must be an error, not a hang.
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name(parts.own("fallback_application_name").unwrap_or("authctl"));
        }
        Ok(())
    }

    /// The servers in the order to try them: libpq's host, hostaddr and port lists paired.
    fn endpoints(&self, parts: &Parts) -> Result<Vec<Endpoint>> {
        let count = parts.hosts.len().max(parts.hostaddrs.len());
        if !parts.hosts.is_empty()
            && !parts.hostaddrs.is_empty()
            && parts.hosts.len() != parts.hostaddrs.len()
        {
            return Err(self.refused(format!(
                "could not match {} host addresses (hostaddr) to {} hosts",
                parts.hostaddrs.len(),
                parts.hosts.len()
            )));
        }
        if parts.ports.len() > 1 && parts.ports.len() != count {
            return Err(self.refused(format!(
                "could not match {} port numbers to {count} hosts",
                parts.ports.len()
            )));
        }
        let mut endpoints = (0..count)
            .map(|i| self.endpoint(parts, i))
            .collect::<Result<Vec<_>>>()?;
        if parts.own("load_balance_hosts") == Some("random") {
            shuffle(&mut endpoints);
        }
        Ok(endpoints)
    }

    fn endpoint(&self, parts: &Parts, i: usize) -> Result<Endpoint> {
        let hostaddr = match parts.hostaddrs.get(i) {
            Some(addr) => Some(
                addr.parse::<IpAddr>()
                    .map_err(|_| self.refused(format!("hostaddr '{addr}' is not an IP address")))?,
            ),
            None => None,
        };
        let host = match parts.hosts.get(i) {
            Some(dir) if dir.starts_with('/') => Host::Unix(PathBuf::from(dir)),
            Some(name) => Host::Tcp(name.clone()),
            None => Host::Tcp(hostaddr.map(|a| a.to_string()).unwrap_or_default()),
        };
        let port = parts
            .ports
            .get(i)
            .or(parts.ports.first())
            .map_or("", String::as_str);
        let port = if port.is_empty() {
            5432
        } else {
            port.parse()
                .map_err(|_| self.refused(format!("port '{port}' is not a port number")))?
        };
        Ok(Endpoint {
            host,
            port,
            hostaddr,
        })
    }

    fn tls(&self, parts: &Parts) -> Result<Tls> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let own = |key: &str| parts.own(key).map(str::to_owned);
        let mode = own("sslmode")
            .or_else(|| own("ssl"))
            .or_else(|| var("PGSSLMODE"))
            .map_or(Ok(SslMode::Prefer), |m| SslMode::from_str(&m))?;
        let in_home = |name: &str| home().map(|h| h.join(".postgresql").join(name));
        let root_cert = own("sslrootcert")
            .or_else(|| var("PGSSLROOTCERT"))
            .map(PathBuf::from)
            .or_else(|| in_home("root.crt").filter(|p| p.is_file()));
        // As libpq: a certificate file that is not there means no client certificate.
        let cert = own("sslcert")
            .or_else(|| var("PGSSLCERT"))
            .map(PathBuf::from)
            .or_else(|| in_home("postgresql.crt"))
            .filter(|p| p.exists());
        let key = own("sslkey")
            .or_else(|| var("PGSSLKEY"))
            .map(PathBuf::from)
            .or_else(|| in_home("postgresql.key"));
        let client_cert = match (cert, key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (Some(cert), None) => {
                return Err(Error::Environment(format!(
                    "database {}: the client certificate {} has no key: give sslkey=FILE",
                    self.shown,
                    cert.display()
                )));
            }
            (None, _) => None,
        };
        Ok(Tls {
            mode,
            root_cert,
            client_cert,
            sni: parts.own("sslsni") != Some("0"),
        })
    }
}

/// `HOST:PORT`, `[V6]:PORT`, a bare IPv6 address or a socket directory, split.
fn split_host_port(item: &str) -> (String, Option<String>) {
    if item.starts_with('/') {
        return (item.to_owned(), None);
    }
    if let Some(rest) = item.strip_prefix('[')
        && let Some((host, tail)) = rest.split_once(']')
    {
        let port = tail.strip_prefix(':').map(str::to_owned);
        return (host.to_owned(), port);
    }
    match item.split_once(':') {
        Some((host, port)) if !port.contains(':') => (host.to_owned(), Some(port.to_owned())),
        _ => (item.to_owned(), None),
    }
}

/// A libpq list value: comma-separated, items kept even when empty (`port=,5433`).
fn list(value: &str) -> Vec<String> {
    value.split(',').map(str::to_owned).collect()
}

fn one_of(key: &str, value: &str, allowed: &[&str]) -> Result<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{key} '{value}' is not one of {}",
            allowed.join(", ")
        )))
    }
}

/// `load_balance_hosts=random`: the order shuffled, as libpq 16 does, so clients spread.
fn shuffle(endpoints: &mut [Endpoint]) {
    for i in (1..endpoints.len()).rev() {
        let mut bytes = [0; 8];
        // Without randomness the order stays as written: still a working order.
        if getrandom::fill(&mut bytes).is_err() {
            return;
        }
        let j = usize::try_from(u64::from_le_bytes(bytes) % (i as u64 + 1)).unwrap_or(0);
        endpoints.swap(i, j);
    }
}

/// Where Debian's and most distributions' libpq look for the server's socket.
fn default_socket_dir() -> &'static str {
    if Path::new("/var/run/postgresql").is_dir() {
        "/var/run/postgresql"
    } else {
        "/tmp"
    }
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

/// `%XX` escapes decoded (for the options authctl reads itself).
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The URL with the password of its user part and of `password=` and `sslpassword=` options
/// replaced by `***`.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{user}:***@{host}")
        }
        _ => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key @ ("password" | "sslpassword"), _)) => format!("{key}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_shown() {
        assert_eq!(
            without_password("postgresql+psycopg://app:hunter2@db:5432/app?sslmode=require"),
            "postgresql+psycopg://app:***@db:5432/app?sslmode=require"
        );
        assert_eq!(
            without_password("postgresql://db/app?user=app&password=hunter2&sslpassword=k3y"),
            "postgresql://db/app?user=app&password=***&sslpassword=***"
        );
        assert_eq!(
            without_password("postgres://app@db/app"),
            "postgres://app@db/app"
        );
        let target = Target::parse("postgresql://app:hunter2@db/app").unwrap();
        assert!(!format!("{target:?} {target}").contains("hunter2"));
    }

    #[test]
    fn driver_options_are_read_and_the_rest_passed_on() {
        let target =
            Target::parse("postgresql+asyncpg://u:p@h:6543/d?ssl=verify-full&application_name=x")
                .unwrap();
        let resolved = target.resolve().unwrap();
        assert_eq!(resolved.tls.mode, SslMode::VerifyFull);
        assert_eq!(resolved.endpoints, [tcp("h", 6543)]);
        assert_eq!(resolved.config.get_dbname(), Some("d"));
        assert_eq!(resolved.config.get_password(), Some(&b"p"[..]));
        assert_eq!(resolved.config.get_application_name(), Some("x"));
        assert!(Target::parse("postgresql://h/d?sslmode=sometimes").is_err());
        let unknown = Target::parse("postgresql://u:secret@h/d?bogus=1").unwrap_err();
        assert!(!unknown.to_string().contains("secret"), "{unknown}");
    }

    #[test]
    fn sslmodes_are_libpq_names() {
        for mode in [
            SslMode::Disable,
            SslMode::Allow,
            SslMode::Prefer,
            SslMode::Require,
            SslMode::VerifyCa,
            SslMode::VerifyFull,
        ] {
            assert_eq!(SslMode::from_str(mode.name()).unwrap(), mode);
        }
        assert_eq!(SslMode::from_str("true").unwrap(), SslMode::Require);
        assert_eq!(SslMode::from_str("false").unwrap(), SslMode::Disable);
        let target = Target::parse("postgresql://app:pw@db/app").unwrap();
        assert_eq!(
            format!("{target:?}"),
            r#"Target("postgresql://app:***@db/app")"#
        );
    }

    #[test]
    fn option_values_are_percent_decoded() {
        assert_eq!(percent_decode("%2Ftmp%2fcerts/ca.crt"), "/tmp/certs/ca.crt");
        assert_eq!(percent_decode("a%3Db%zz%4"), "a=b%zz%4");
        assert_eq!(percent_decode("plain"), "plain");
    }

    #[test]
    fn the_default_socket_is_libpq_s() {
        let dir = default_socket_dir();
        assert!(["/var/run/postgresql", "/tmp"].contains(&dir), "{dir}");
        assert!(Path::new(dir).is_dir());
    }

    fn tcp(host: &str, port: u16) -> Endpoint {
        Endpoint {
            host: Host::Tcp(host.to_owned()),
            port,
            hostaddr: None,
        }
    }

    fn endpoints(url: &str) -> Vec<Endpoint> {
        Target::parse(url).unwrap().resolve().unwrap().endpoints
    }

    #[test]
    fn several_hosts_are_paired_with_their_ports_as_libpq_and_sqlalchemy_write_them() {
        let both = [tcp("a", 5432), tcp("b", 5433)];
        assert_eq!(endpoints("postgresql://u@a,b:5433/d"), both);
        assert_eq!(endpoints("postgresql://u@a:5432,b:5433/d"), both);
        assert_eq!(
            endpoints("postgresql+psycopg://u@/d?host=a:5432&host=b:5433"),
            both
        );
        assert_eq!(endpoints("postgresql://u@/d?host=a,b&port=5432,5433"), both);
        assert_eq!(
            endpoints("postgresql://u@/d?host=a,b&port=5433"),
            [tcp("a", 5433), tcp("b", 5433)]
        );
        assert_eq!(
            endpoints("postgresql://u@[::1]:6000,[fe80::1]/d"),
            [tcp("::1", 6000), tcp("fe80::1", 5432)]
        );
        // As libpq: the query's hosts replace the address's, whose port stays.
        assert_eq!(
            endpoints("postgresql://u@x:6000/d?host=a"),
            [tcp("a", 6000)]
        );
        let socket = endpoints("postgresql://u@%2Frun%2Fpg,b/d");
        assert_eq!(socket[0].host, Host::Unix(PathBuf::from("/run/pg")));
        assert_eq!(socket[0].to_string(), "/run/pg/.s.PGSQL.5432");
        assert_eq!(socket[1].to_string(), "b:5432");
        let addr = endpoints("postgresql://u@db.example/d?hostaddr=10.0.0.1");
        assert_eq!(addr[0].hostaddr, Some("10.0.0.1".parse().unwrap()));
        // Addresses alone name the servers, as in libpq.
        let addrs = endpoints("postgresql://u@/d?hostaddr=10.0.0.1,10.0.0.2");
        assert_eq!(addrs.len(), 2);
        assert_eq!(addrs[1].to_string(), "10.0.0.2:5432");
        assert_eq!(
            endpoints("postgresql://u@[::1]:6000/d")[0].to_string(),
            "[::1]:6000"
        );
        let refused = |url: &str| {
            Target::parse(url)
                .unwrap()
                .resolve()
                .err()
                .unwrap()
                .to_string()
        };
        assert_eq!(
            refused("postgresql://u@a,b/d?port=1,2,3"),
            "database URL 'postgresql://u@a,b/d?port=1,2,3': could not match 3 port numbers to 2 hosts"
        );
        assert!(
            refused("postgresql://u@a/d?port=http").contains("port 'http' is not a port number")
        );
        assert!(
            refused("postgresql://u@a,b/d?hostaddr=10.0.0.1")
                .contains("could not match 1 host addresses (hostaddr) to 2 hosts")
        );
        assert!(
            refused("postgresql://u@a/d?hostaddr=db")
                .contains("hostaddr 'db' is not an IP address")
        );
        let twice = Target::parse("postgresql://u@/d?host=a:1&port=2").unwrap_err();
        assert!(twice.to_string().contains("given twice"), "{twice}");
    }

    #[test]
    fn load_balancing_shuffles_the_order_and_keeps_every_server() {
        let url = "postgresql://u@a,b,c,d,e,f/d?load_balance_hosts=random";
        let orders: std::collections::HashSet<Vec<String>> = (0..40)
            .map(|_| endpoints(url).iter().map(ToString::to_string).collect())
            .collect();
        assert!(orders.len() > 1, "{orders:?}");
        for mut order in orders {
            order.sort();
            assert_eq!(
                order,
                ["a:5432", "b:5432", "c:5432", "d:5432", "e:5432", "f:5432"]
            );
        }
    }

    #[test]
    fn every_libpq_option_is_honoured_or_refused_by_name() {
        for value in [
            "any",
            "read-write",
            "read-only",
            "primary",
            "standby",
            "prefer-standby",
        ] {
            let url = format!("postgresql://u@h/d?target_session_attrs={value}");
            let resolved = Target::parse(&url).unwrap().resolve().unwrap();
            assert_eq!(resolved.session.name(), value);
        }
        let message = |url: &str| Target::parse(url).unwrap_err().to_string();
        assert_eq!(
            message("postgresql://u:secret@h/d?target_session_attrs=master"),
            "database URL 'postgresql://u:***@h/d?target_session_attrs=master': target_session_attrs \
             'master' is not one of any, read-write, read-only, primary, standby, prefer-standby"
        );
        assert_eq!(
            message("postgresql://u@h/d?sslpassword=x"),
            "database URL 'postgresql://u@h/d?sslpassword=***': option 'sslpassword' is not \
             supported: encrypted client keys are not read: give sslkey a decrypted key (openssl \
             pkey -in KEY -out KEY.plain) that only its owner can read"
        );
        assert_eq!(
            message("postgresql://u@h/d?bogus=1"),
            "database URL 'postgresql://u@h/d?bogus=1': 'bogus' is not a libpq connection option"
        );
        assert!(message("postgresql://u@h/d?service=prod").contains("pg_service.conf"));
        for (option, reason) in [
            ("sslcrl", "revocation lists"),
            ("sslcrldir", "revocation lists"),
            ("krbsrvname", "Kerberos"),
            ("gsslib", "Kerberos"),
            ("require_auth", "does not support it"),
            ("ssl_min_protocol_version", "does not support it"),
            ("requiressl", "does not support it"),
        ] {
            let refused = message(&format!("postgresql://u@h/d?{option}=1"));
            assert!(
                refused.contains(&format!("option '{option}' is not supported: "))
                    && refused.contains(reason),
                "{refused}"
            );
        }
        assert!(
            message("postgresql://u@h/d?load_balance_hosts=round-robin")
                .contains("load_balance_hosts 'round-robin' is not one of disable, random")
        );
        assert!(message("postgresql://u@h/d?sslsni=yes").contains("sslsni 'yes'"));
        assert!(message("postgresql://u@h/d?gssencmode=require").contains("gssencmode 'require'"));
        assert!(
            message("postgresql://u@h/d?client_encoding=LATIN1")
                .contains("client_encoding 'LATIN1' is not one of UTF8, UTF-8, AUTO")
        );
        assert!(
            message("postgresql://u@h/d?connect_timeout=soon")
                .contains("invalid value for option `connect_timeout`")
        );
        for accepted in [
            "sslsni=0",
            "gssencmode=prefer",
            "client_encoding=utf8",
            "load_balance_hosts=disable",
            "fallback_application_name=x",
            "passfile=/p",
            "sslcert=/c&sslkey=/k",
            "prepared_statement_cache_size=0",
            "keepalives=1&channel_binding=prefer",
        ] {
            Target::parse(&format!("postgresql://u@h/d?{accepted}")).unwrap();
        }
        let resolved =
            Target::parse("postgresql://u@h/d?fallback_application_name=deploy&sslsni=0")
                .unwrap()
                .resolve()
                .unwrap();
        assert_eq!(resolved.config.get_application_name(), Some("deploy"));
        assert!(!resolved.tls.sni);
    }
}
