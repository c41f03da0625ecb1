//! Which PostgreSQL server and database: the service's SQLAlchemy URL, completed as libpq (and
//! so psql) completes it from `PG*` variables and `~/.pgpass`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use postgres::Client;

use super::{Errors, tls};
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

/// What connecting needs: the client's configuration, complete, and the TLS wanted.
pub struct Resolved {
    pub config: postgres::Config,
    pub ssl_mode: SslMode,
    pub root_cert: Option<PathBuf>,
}

/// Query options the service's drivers take that the client does not: handled here.
const OWN_OPTIONS: [&str; 3] = ["sslmode", "ssl", "sslrootcert"];

impl Target {
    /// `url` is a `postgresql://`, `postgres://` or `postgresql+driver://` URL; the scheme's
    /// engine part has been checked by the caller. Checks the form only; nothing is read from
    /// the environment until [`Target::resolve`].
    pub fn parse(url: &str) -> Result<Self> {
        let target = Target {
            url: url.to_owned(),
            shown: without_password(url),
        };
        target.split()?;
        Ok(target)
    }

    /// The client's URL (scheme `postgresql`, our own options taken out) and our options.
    fn split(&self) -> Result<(postgres::Config, Vec<(String, String)>)> {
        let rest = self.url.split_once("://").map_or("", |(_, rest)| rest);
        let (base, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut own = Vec::new();
        let mut passed = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if OWN_OPTIONS.contains(&key) {
                own.push((key.to_owned(), percent_decode(value)));
            } else {
                passed.push(pair);
            }
        }
        let mut client_url = format!("postgresql://{base}");
        if !passed.is_empty() {
            client_url.push('?');
            client_url.push_str(&passed.join("&"));
        }
        // NOTE: the client's messages quote option names and never values, so no password.
        let config = postgres::Config::from_str(&client_url).map_err(|e| {
            Error::invalid(format!("database URL '{}' is not valid: {e}", self.shown))
        })?;
        for (key, value) in &own {
            if key != "sslrootcert" {
                SslMode::from_str(value)
                    .map_err(|e| Error::invalid(format!("database URL '{}': {e}", self.shown)))?;
            }
        }
        Ok((config, own))
    }

    /// The configuration as psql would complete it: `PGHOST`, `PGPORT`, `PGUSER`,
    /// `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`, and the password from the URL, else
    /// `PGPASSWORD`, else the password file (`PGPASSFILE`, default `~/.pgpass`).
    pub fn resolve(&self) -> Result<Resolved> {
        let (mut config, own) = self.split()?;
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if config.get_hosts().is_empty() {
            match var("PGHOST") {
                Some(hosts) => hosts.split(',').for_each(|h| add_host(&mut config, h)),
                None => add_host(&mut config, default_socket_dir()),
            }
        }
        if config.get_ports().is_empty()
            && let Some(port) = var("PGPORT").and_then(|p| p.parse().ok())
        {
            config.port(port);
        }
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
        if config.get_dbname().is_none() {
            let dbname = var("PGDATABASE").or_else(|| config.get_user().map(str::to_owned));
            config.dbname(&dbname.unwrap_or_default());
        }
        if config.get_password().is_none()
            && let Some(password) = var("PGPASSWORD").or_else(|| password_from_file(&config))
        {
            config.password(password);
        }
        if config.get_connect_timeout().is_none() {
            // An unreachable host must be an error, not a hang.
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("authctl");
        }
        let own_value = |key: &str| own.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let mode = own_value("sslmode")
            .or_else(|| own_value("ssl"))
            .or_else(|| var("PGSSLMODE"))
            .map_or(Ok(SslMode::Prefer), |m| SslMode::from_str(&m))?;
        let root_cert = own_value("sslrootcert")
            .or_else(|| var("PGSSLROOTCERT"))
            .map(PathBuf::from)
            .or_else(|| {
                let default = home()?.join(".postgresql/root.crt");
                default.is_file().then_some(default)
            });
        Ok(Resolved {
            config,
            ssl_mode: mode,
            root_cert,
        })
    }
}

/// Connects with the TLS `sslmode` asks for, as libpq does (see [`tls::client_config`]).
pub(super) fn connect(resolved: Resolved, errors: &Errors) -> Result<Client> {
    use postgres::config::SslMode as ClientMode;
    let Resolved {
        mut config,
        ssl_mode,
        root_cert,
    } = resolved;
    if ssl_mode == SslMode::Disable {
        config.ssl_mode(ClientMode::Disable);
        return config
            .connect(postgres::NoTls)
            .map_err(|e| errors.classify(e));
    }
    let tls = tls::client_config(ssl_mode, root_cert.as_deref())
        .map_err(|reason| Error::Environment(format!("database {}: {reason}", errors.location)))?;
    config.ssl_mode(match ssl_mode {
        SslMode::Allow | SslMode::Prefer => ClientMode::Prefer,
        _ => ClientMode::Require,
    });
    config
        .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
        .map_err(|e| errors.classify(e))
}

fn add_host(config: &mut postgres::Config, host: &str) {
    if host.starts_with('/') {
        config.host_path(host);
    } else {
        config.host(host);
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

/// The password of the first matching line of the password file, as libpq reads it: fields
/// `host:port:database:user:password`, `*` matching anything, `\` escaping `:` and `\`. Like
/// libpq, a file others can read is ignored.
fn password_from_file(config: &postgres::Config) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| Some(home()?.join(".pgpass")))?;
    let meta = std::fs::metadata(&path).ok()?;
    if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(name)) => name.clone(),
        _ => "localhost".to_owned(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let wanted = [
        host.as_str(),
        port.as_str(),
        config.get_dbname().unwrap_or_default(),
        config.get_user().unwrap_or_default(),
    ];
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .map(pgpass_fields)
        .find(|fields| {
            fields.len() == 5
                && fields[..4]
                    .iter()
                    .zip(wanted)
                    .all(|(field, want)| field == "*" || field == want)
        })
        .map(|mut fields| fields.swap_remove(4))
}

fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields
                .last_mut()
                .map(|f| f.extend(chars.next()))
                .unwrap_or_default(),
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().map(|f| f.push(c)).unwrap_or_default(),
        }
    }
    fields
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

/// The URL with the password of its user part and of a `password=` option replaced by `***`.
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
                    Some(("password", _)) => "password=***".to_owned(),
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
            without_password("postgresql://db/app?user=app&password=hunter2"),
            "postgresql://db/app?user=app&password=***"
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
        assert_eq!(resolved.ssl_mode, SslMode::VerifyFull);
        assert_eq!(resolved.config.get_ports(), [6543]);
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

    #[test]
    fn pgpass_lines_are_split_as_libpq_does() {
        assert_eq!(
            pgpass_fields(r"db:*:app:u:pa\:ss\\word:with:colons"),
            ["db", "*", "app", "u", r"pa:ss\word:with:colons"]
        );
    }
}
