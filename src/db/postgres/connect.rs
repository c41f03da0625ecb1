//! Connecting as libpq connects: each of the URL's servers in turn, with the TLS `sslmode` asks
//! for, until one is reached that `target_session_attrs` will take.

use std::path::Path;

use postgres::config::Host;
use postgres::{Client, SimpleQueryMessage};

use super::target::{Endpoint, Resolved, SessionAttrs, SslMode};
use super::tls;
use crate::db::engine::{Classify, Context};
use crate::error::{Error, Result};

/// What a server is, as `target_session_attrs` asks.
#[derive(Debug, Clone, Copy)]
struct ServerState {
    standby: bool,
    read_only: bool,
}

enum Verdict {
    Take,
    /// Taken if no server is better (`prefer-standby` and a primary).
    Keep,
    Pass,
}

impl SessionAttrs {
    fn judge(self, state: ServerState) -> Verdict {
        let take = match self {
            SessionAttrs::Any => true,
            SessionAttrs::ReadWrite => !state.read_only,
            SessionAttrs::ReadOnly => state.read_only,
            SessionAttrs::Primary => !state.standby,
            SessionAttrs::Standby | SessionAttrs::PreferStandby => state.standby,
        };
        match (take, self) {
            (true, _) => Verdict::Take,
            (false, SessionAttrs::PreferStandby) => Verdict::Keep,
            (false, _) => Verdict::Pass,
        }
    }

    /// What the wanted server is, for the refusal.
    fn wanted(self) -> &'static str {
        match self {
            SessionAttrs::ReadWrite => "accepts writes",
            SessionAttrs::ReadOnly => "is read-only",
            SessionAttrs::Primary => "is a primary",
            SessionAttrs::Any | SessionAttrs::Standby | SessionAttrs::PreferStandby => {
                "is a standby"
            }
        }
    }
}

impl ServerState {
    fn of(client: &mut Client, ctx: &Context) -> Result<Self> {
        // The simple protocol, outside any transaction: it sets nothing and names nothing, so
        // a pooled server connection goes back as it came.
        let messages = client
            .simple_query(
                "SELECT pg_catalog.pg_is_in_recovery()::text, \
                 pg_catalog.current_setting('transaction_read_only')",
            )
            .map_err(|e| ctx.classify(e))?;
        let row = messages.iter().find_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some((row.get(0), row.get(1))),
            _ => None,
        });
        Ok(ServerState {
            standby: matches!(row, Some((Some("true"), _))),
            read_only: matches!(row, Some((_, Some("on")))),
        })
    }

    fn describe(self) -> &'static str {
        match (self.standby, self.read_only) {
            (true, _) => "is a standby",
            (false, true) => "is a read-only primary",
            (false, false) => "is a primary that accepts writes",
        }
    }
}

/// The first of the servers that will do; else why none would.
pub(super) fn connect(resolved: &Resolved, ctx: &Context) -> Result<Client> {
    let tls = match resolved.tls.mode {
        SslMode::Disable => None,
        _ => Some(tls::client_config(&resolved.tls).map_err(|reason| {
            Error::Environment(format!("database {}: {reason}", ctx.location))
        })?),
    };
    let mut kept = None;
    let mut reached = false;
    let mut last_error = None;
    let mut notes = Vec::new();
    for endpoint in &resolved.endpoints {
        let mut client = match connect_one(resolved, endpoint, tls.as_ref(), ctx) {
            Ok(client) => client,
            Err(e) => {
                notes.push(match &e {
                    Error::Unusable { reason, .. } => format!("{endpoint}: {reason}"),
                    other => format!("{endpoint}: {}", other.kind().name()),
                });
                last_error = Some(e);
                continue;
            }
        };
        if resolved.session == SessionAttrs::Any {
            return Ok(client);
        }
        reached = true;
        let state = ServerState::of(&mut client, ctx)?;
        match resolved.session.judge(state) {
            Verdict::Take => return Ok(client),
            Verdict::Keep => kept = kept.or(Some(client)),
            Verdict::Pass => notes.push(format!("{endpoint} {}", state.describe())),
        }
    }
    if let Some(client) = kept {
        return Ok(client);
    }
    match last_error {
        // No server was reached: the last one's reason, as for a single server.
        Some(e) if !reached => Err(e),
        _ => Err(Error::unusable(
            &ctx.location,
            format!(
                "no server of the URL {} (target_session_attrs={}): {}",
                resolved.session.wanted(),
                resolved.session.name(),
                notes.join("; ")
            ),
        )),
    }
}

fn connect_one(
    resolved: &Resolved,
    endpoint: &Endpoint,
    tls: Option<&rustls::ClientConfig>,
    ctx: &Context,
) -> Result<Client> {
    use postgres::config::SslMode as ClientMode;
    let mut config = resolved.config.clone();
    match &endpoint.host {
        Host::Tcp(name) => config.host(name),
        Host::Unix(dir) => config.host_path(dir),
    };
    config.port(endpoint.port);
    if let Some(addr) = endpoint.hostaddr {
        config.hostaddr(addr);
    }
    if config.get_password().is_none()
        && let Some(file) = &resolved.passfile
        && let Some(password) = password_from_file(file, &config, endpoint)
    {
        config.password(password);
    }
    let Some(tls) = tls else {
        config.ssl_mode(ClientMode::Disable);
        return config.connect(postgres::NoTls).map_err(|e| ctx.classify(e));
    };
    config.ssl_mode(match resolved.tls.mode {
        SslMode::Allow | SslMode::Prefer => ClientMode::Prefer,
        _ => ClientMode::Require,
    });
    config
        .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls.clone()))
        .map_err(|e| ctx.classify(e))
}

/// The password of the first matching line of the password file, as libpq reads it: fields
/// `host:port:database:user:password`, `*` matching anything, `\` escaping `:` and `\`. Like
/// libpq, a file others can read is ignored.
fn password_from_file(
    path: &Path,
    config: &postgres::Config,
    endpoint: &Endpoint,
) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let host = match &endpoint.host {
        Host::Tcp(name) => name.clone(),
        Host::Unix(_) => "localhost".to_owned(),
    };
    let port = endpoint.port.to_string();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgpass_lines_are_split_as_libpq_does() {
        assert_eq!(
            pgpass_fields(r"db:*:app:u:pa\:ss\\word:with:colons"),
            ["db", "*", "app", "u", r"pa:ss\word:with:colons"]
        );
    }

    #[test]
    fn each_session_attribute_takes_the_servers_libpq_takes() {
        let primary = ServerState {
            standby: false,
            read_only: false,
        };
        let read_only_primary = ServerState {
            standby: false,
            read_only: true,
        };
        let standby = ServerState {
            standby: true,
            read_only: true,
        };
        let taken = |attrs: SessionAttrs| {
            [primary, read_only_primary, standby].map(|s| match attrs.judge(s) {
                Verdict::Take => 'T',
                Verdict::Keep => 'K',
                Verdict::Pass => '-',
            })
        };
        assert_eq!(taken(SessionAttrs::Any), ['T', 'T', 'T']);
        assert_eq!(taken(SessionAttrs::ReadWrite), ['T', '-', '-']);
        assert_eq!(taken(SessionAttrs::ReadOnly), ['-', 'T', 'T']);
        assert_eq!(taken(SessionAttrs::Primary), ['T', 'T', '-']);
        assert_eq!(taken(SessionAttrs::Standby), ['-', '-', 'T']);
        assert_eq!(taken(SessionAttrs::PreferStandby), ['K', 'K', 'T']);
    }
}
