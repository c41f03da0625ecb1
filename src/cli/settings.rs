//! The service's own settings: the process environment first, then its `.env` file, read as
//! pydantic-settings reads it (python-dotenv: quotes, comments, `export`, `${VAR}` from the
//! environment or earlier lines). Command-line options win over both, as the commands apply
//! them. The variables authctl reads are [`TAKEN`]; another is read only when an option names
//! it (`--secret-key-env`).

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::shape::LifetimeSetting;

/// The variables authctl reads, and so the only ones it takes from a `.env` unless an option
/// names another. (Not libpq's `PG*`: the service's settings do not pass them on from the file
/// either.)
pub const TAKEN: [&str; 13] = [
    "DATABASE_URL",
    "SECRET_KEY",
    "ACCESS_TOKEN_EXPIRE_MINUTES",
    "EMAIL_RESET_TOKEN_EXPIRE_HOURS",
    "FRONTEND_HOST",
    "POSTGRES_SERVER",
    "POSTGRES_PORT",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_DB",
    "AUTHCTL_HASH_SCHEME",
    "AUTHCTL_MIN_PASSWORD_LENGTH",
    "AUTHCTL_TABLE_SHAPE",
];

/// The settings a command reads.
#[derive(Debug, Default)]
pub struct Settings {
    /// What the `.env` holds of [`TAKEN`].
    file: HashMap<String, String>,
    /// The `.env` read, named or found, for a variable an option names.
    path: Option<PathBuf>,
    /// The `.env` found in the working directory (not named): the note says it was read.
    found: Option<PathBuf>,
}

impl Settings {
    /// The settings with the `.env` that `--env-file` or `AUTHCTL_ENV_FILE` names (which must
    /// be readable), else `./.env` when there is one, else none.
    pub fn load(named: Option<PathBuf>) -> Result<Self> {
        if let Some(path) = named {
            return Ok(Settings {
                file: read(&path, |name| TAKEN.contains(&name))?,
                path: Some(path),
                found: None,
            });
        }
        let path = PathBuf::from(".env");
        if !path.is_file() {
            return Ok(Settings::default());
        }
        Ok(Settings {
            file: read(&path, |name| TAKEN.contains(&name))?,
            path: Some(path.clone()),
            found: Some(path),
        })
    }

    /// A variable's value: the process environment's when it is set and not empty, else the
    /// `.env`'s.
    pub fn var(&self, name: &str) -> Option<String> {
        match std::env::var(name) {
            Ok(value) if !value.is_empty() => Some(value),
            _ => self.file_value(name),
        }
    }

    /// The `.env`'s value of `name`: one of [`TAKEN`], or one an option names, read again for it
    /// (the file read cleanly once; were it gone since, it holds none).
    fn file_value(&self, name: &str) -> Option<String> {
        let value = if TAKEN.contains(&name) {
            self.file.get(name).cloned()
        } else {
            let path = self.path.as_ref()?;
            read(path, |other| other == name).ok()?.remove(name)
        };
        value.filter(|v| !v.is_empty())
    }

    /// [`Settings::var`] as the environment holds it, not necessarily UTF-8 (a signing key's
    /// bytes are checked where they are used), for [`TAKEN`] or a variable an option names; with
    /// the note to print when the value of one an option names comes from the `.env` (the
    /// start-up note lists only [`TAKEN`]).
    pub fn named_var_os(&self, name: &str) -> (Option<OsString>, Option<String>) {
        if let Some(value) = std::env::var_os(name).filter(|v| !v.is_empty()) {
            return (Some(value), None);
        }
        let value = self.file_value(name);
        let note = match (&value, &self.path) {
            (Some(_), Some(path)) if !TAKEN.contains(&name) => {
                Some(format!("settings from {}: {name}", path.display()))
            }
            _ => None,
        };
        (value.map(OsString::from), note)
    }

    /// Whether `name`'s value comes from the `.env` (the environment does not set it).
    pub fn from_file(&self, name: &str) -> bool {
        std::env::var_os(name).is_none_or(|v| v.is_empty()) && self.file.contains_key(name)
    }

    /// What the note on stderr says of a `.env` found in the working directory: which settings
    /// are taken from it (names only, never a value).
    pub fn note(&self) -> Option<String> {
        let path = self.found.as_ref()?;
        let used: Vec<&str> = TAKEN
            .into_iter()
            .filter(|name| self.from_file(name))
            .collect();
        (!used.is_empty()).then(|| {
            format!(
                "settings from {} (--env-file names another): {}",
                path.display(),
                used.join(", ")
            )
        })
    }

    /// The database URL the full-stack template composes when it has no `DATABASE_URL`
    /// (before 0.11.1): `POSTGRES_SERVER`, `POSTGRES_PORT` (5432), `POSTGRES_USER`,
    /// `POSTGRES_PASSWORD` (empty) and `POSTGRES_DB` (empty), each part percent-encoded as
    /// pydantic's `MultiHostUrl.build` does. `None` without `POSTGRES_SERVER`.
    pub fn template_url(&self) -> Result<Option<String>> {
        use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
        // Everything but RFC 3986's unreserved characters, as pydantic's URL builder encodes.
        const PART: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~');
        let Some(server) = self.var("POSTGRES_SERVER") else {
            return Ok(None);
        };
        let Some(user) = self.var("POSTGRES_USER") else {
            return Err(Error::Environment(
                "POSTGRES_SERVER is set but POSTGRES_USER is not: the template's settings need \
                 both to name the database (or set DATABASE_URL)"
                    .to_owned(),
            ));
        };
        let port = self
            .var("POSTGRES_PORT")
            .unwrap_or_else(|| "5432".to_owned());
        if port.parse::<u16>().is_err() {
            return Err(Error::Environment(format!(
                "POSTGRES_PORT is '{port}', not a port number"
            )));
        }
        let encoded = |text: &str| utf8_percent_encode(text, PART).to_string();
        let password = self.var("POSTGRES_PASSWORD").unwrap_or_default();
        let database = self.var("POSTGRES_DB").unwrap_or_default();
        let login = if password.is_empty() {
            encoded(&user)
        } else {
            format!("{}:{}", encoded(&user), encoded(&password))
        };
        Ok(Some(format!(
            "postgresql://{login}@{server}:{port}/{}",
            encoded(&database)
        )))
    }

    /// A token's lifetime from the service setting that holds it in whole units
    /// (`ACCESS_TOKEN_EXPIRE_MINUTES`, `EMAIL_RESET_TOKEN_EXPIRE_HOURS`), when set.
    pub fn token_lifetime(&self, setting: Option<LifetimeSetting>) -> Result<Option<Duration>> {
        let Some(setting) = setting else {
            return Ok(None);
        };
        let Some(value) = self.var(setting.name) else {
            return Ok(None);
        };
        match value.trim().parse::<u64>() {
            Ok(units) if units > 0 => Ok(Some(Duration::from_secs(
                setting.unit.as_secs().saturating_mul(units),
            ))),
            _ => Err(Error::Environment(format!(
                "{} is '{value}', not a whole number of {}",
                setting.name, setting.unit_name
            ))),
        }
    }
}

/// The `.env` a command line names, found before clap parses it (the file's values are clap's
/// defaults): `--env-file PATH` or `--env-file=PATH`, else `AUTHCTL_ENV_FILE`.
pub fn named_file(args: &[OsString]) -> Option<PathBuf> {
    let mut args = args.iter().skip(1).take_while(|a| *a != "--");
    while let Some(arg) = args.next() {
        if arg == "--env-file" {
            return args.next().map(PathBuf::from);
        }
        if let Some(path) = arg.to_str().and_then(|a| a.strip_prefix("--env-file=")) {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os("AUTHCTL_ENV_FILE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Gives every option that clap reads from a variable (`env = …`) the `.env`'s value as its
/// default, so that the order is: the option, the environment, the file, the built-in default.
pub fn with_file_defaults(command: clap::Command, settings: &Settings) -> clap::Command {
    let command = command.mut_args(|arg| {
        let value = arg
            .get_env()
            .and_then(|name| name.to_str())
            .filter(|name| settings.from_file(name))
            .and_then(|name| settings.file.get(name));
        match value {
            Some(value) => arg.default_value(leak(value)),
            None => arg,
        }
    });
    command.mut_subcommands(|sub| with_file_defaults(sub, settings))
}

/// A value for clap's builder, which keeps `'static` strings: one per option, once a run.
fn leak(value: &str) -> &'static str {
    Box::leak(value.to_owned().into_boxed_str())
}

/// The `.env`'s values of the `wanted` variables. A missing, unreadable or malformed file is exit 8; the
/// message names the line, never its text (it may hold a secret).
fn read(path: &Path, wanted: impl Fn(&str) -> bool) -> Result<HashMap<String, String>> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Environment(format!("cannot read the settings file {shown}: {e}")))?;
    let mut values = HashMap::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        match item {
            Ok((name, value)) if wanted(&name) => {
                values.insert(name, value);
            }
            Ok(_) => {}
            Err(dotenvy::Error::LineParse(line, _)) => {
                let number = text
                    .lines()
                    .position(|l| l.trim_end() == line.trim_end())
                    .map_or_else(String::new, |i| format!(" at line {}", i + 1));
                return Err(Error::Environment(format!(
                    "the settings file {shown} cannot be read as a .env file{number}"
                )));
            }
            Err(e) => {
                return Err(Error::Environment(format!(
                    "cannot read the settings file {shown}: {e}"
                )));
            }
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    fn file(pairs: &[(&str, &str)]) -> Settings {
        Settings {
            file: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            path: None,
            found: None,
        }
    }

    #[test]
    fn the_named_file_is_found_before_clap_parses() {
        let named = |list: &[&str]| named_file(&args(list)).map(|p| p.display().to_string());
        assert_eq!(
            named(&["authctl", "--env-file", "a.env", "list-users"]).as_deref(),
            Some("a.env")
        );
        assert_eq!(
            named(&["authctl", "list-users", "--env-file=b.env"]).as_deref(),
            Some("b.env")
        );
        // After `--` it is an argument, not the option.
        assert_eq!(
            named(&["authctl", "add-user", "--", "--env-file", "c"]),
            None
        );
    }

    /// Each part encoded as pydantic's URL builder does; the template's defaults for the rest.
    #[test]
    fn the_template_s_url_is_composed_from_its_parts() {
        let settings = file(&[
            ("POSTGRES_SERVER", "db"),
            ("POSTGRES_USER", "app_user"),
            ("POSTGRES_PASSWORD", "p@ss:w/rd%"),
            ("POSTGRES_DB", "app-db"),
        ]);
        assert_eq!(
            settings.template_url().unwrap().as_deref(),
            Some("postgresql://app_user:p%40ss%3Aw%2Frd%25@db:5432/app-db")
        );
        let settings = file(&[
            ("POSTGRES_SERVER", "db"),
            ("POSTGRES_USER", "u"),
            ("POSTGRES_PORT", "6543"),
        ]);
        assert_eq!(
            settings.template_url().unwrap().as_deref(),
            Some("postgresql://u@db:6543/")
        );
        assert_eq!(file(&[]).template_url().unwrap(), None);
        let bad_port = file(&[
            ("POSTGRES_SERVER", "db"),
            ("POSTGRES_USER", "u"),
            ("POSTGRES_PORT", "x"),
        ]);
        assert!(matches!(
            bad_port.template_url(),
            Err(Error::Environment(_))
        ));
    }

    #[test]
    fn the_token_lifetime_is_whole_minutes() {
        let access = crate::shape::TUTORIAL.token.access.lifetime_setting;
        let minutes = |m: &str| file(&[("ACCESS_TOKEN_EXPIRE_MINUTES", m)]).token_lifetime(access);
        assert_eq!(
            minutes("11520").unwrap(),
            Some(Duration::from_secs(8 * 24 * 3600))
        );
        assert!(minutes("0").is_err());
        assert!(minutes("1.5").is_err());
        assert_eq!(file(&[]).token_lifetime(access).unwrap(), None);
        let reset = crate::shape::FASTAPI_TEMPLATE
            .token
            .reset
            .unwrap()
            .lifetime_setting;
        let hours = file(&[("EMAIL_RESET_TOKEN_EXPIRE_HOURS", "2")]).token_lifetime(reset);
        assert_eq!(hours.unwrap(), Some(Duration::from_secs(2 * 3600)));
        assert!(
            file(&[("EMAIL_RESET_TOKEN_EXPIRE_HOURS", "x")])
                .token_lifetime(reset)
                .is_err()
        );
        assert_eq!(file(&[("A", "1")]).token_lifetime(None).unwrap(), None);
    }
}
