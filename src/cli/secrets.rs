//! Secrets from outside, with one set of rules: passwords from a no-echo prompt, standard input,
//! a file or the random source; signing keys from `SECRET_KEY` or a file. Never from the command
//! line, where `ps` and shell history would show them. A file or stdin holds one line: one
//! trailing `\n` or `\r\n` is removed and every other byte kept, more than one line, more than
//! 4096 bytes, or anything but UTF-8 is refused.

use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};

use crate::error::Kind;
use crate::error::{Error, Result};
use crate::password::policy::DEFAULT_MIN_LENGTH;
use crate::password::{self, HashProfile, MAX_PASSWORD_BYTES, Policy, Resolved, SecretString};
use crate::token::{MIN_KEY_BYTES, SigningKey};
use crate::users::{Hashing, PasswordSource};

use super::Output;
use super::hash_scheme::{self, SchemeArgs};
use super::settings::Settings;

/// The password options shared by every command that reads a password.
#[derive(Debug, Clone, clap::Args)]
pub struct PasswordArgs {
    /// Read the password from standard input: one line, one trailing newline (\n or \r\n) removed
    #[arg(long = "password-stdin")]
    pub password_stdin: bool,

    /// Read the password from a file: one line, one trailing newline (\n or \r\n) removed
    #[arg(
        long = "password-file",
        value_name = "PATH",
        conflicts_with = "password_stdin"
    )]
    pub password_file: Option<PathBuf>,
}

/// The options of commands that set a new password: a source, or a generated password.
#[derive(Debug, Clone, clap::Args)]
pub struct NewPasswordArgs {
    #[command(flatten)]
    pub source: PasswordArgs,

    /// Generate a random password (24 characters, or --min-password-length if more) and print it
    /// once on stdout
    #[arg(
        long = "random-password",
        conflicts_with_all = ["password_stdin", "password_file"]
    )]
    pub random_password: bool,
    #[command(flatten)]
    pub hash: HashArgs,
    #[command(flatten)]
    pub scheme: SchemeArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

/// The password policy's options.
#[derive(Debug, Clone, clap::Args)]
pub struct PolicyArgs {
    /// Refuse new passwords shorter than this many characters
    #[arg(
        long = "min-password-length",
        value_name = "N",
        env = "AUTHCTL_MIN_PASSWORD_LENGTH",
        default_value_t = DEFAULT_MIN_LENGTH,
        value_parser = clap::value_parser!(u16).range(1..=1024)
    )]
    pub min_password_length: u16,

    /// Store a password the policy calls weak (too short, common, mostly the username or
    /// email), with a warning: for throwaway test accounts only
    #[arg(long = "allow-weak-password")]
    pub allow_weak_password: bool,
}

impl PolicyArgs {
    pub fn policy(&self) -> Policy {
        Policy {
            min_length: usize::from(self.min_password_length),
            enforce: !self.allow_weak_password,
        }
    }
}

/// How many passwords `--random-password` draws before it gives up on the policy.
const RANDOM_DRAWS: u32 = 100;

impl NewPasswordArgs {
    /// The new password (asked twice on a terminal, again when `accept` refuses it), and again
    /// when it was generated, to be shown once it is stored.
    pub fn read(
        &self,
        username: &str,
        accept: &dyn Fn(&str) -> Result<()>,
    ) -> Result<(SecretString, Option<SecretString>)> {
        if self.random_password {
            let min = usize::from(self.policy.min_password_length);
            let length = min.max(password::RANDOM_LENGTH);
            // A draw can hold the username by chance, which the policy refuses when the rest is
            // shorter than the minimum (a 1-letter name in 40 symbols: 3 draws in 4): draw again.
            let mut draws = 0;
            loop {
                let password = SecretString::new(password::random_password_of(length)?);
                draws += 1;
                match accept(&password) {
                    Ok(()) => return Ok((password.clone(), Some(password))),
                    Err(e) if draws >= RANDOM_DRAWS => return Err(e),
                    Err(_) => {}
                }
            }
        } else {
            let sources = "--password-stdin, --password-file PATH or --random-password";
            let password = self.source.read(username, Prompt::New, sources, accept)?;
            Ok((password, None))
        }
    }

    /// How new hashes are made: `--hash-scheme` (or detection) and `--hash-profile`.
    pub fn hashing(&self) -> Hashing {
        Hashing {
            scheme: self.scheme.choice(),
            profile: self.hash.profile(),
        }
    }

    /// What the domain asks when a write needs a new password.
    pub fn source<'a>(&'a self, out: &'a Output) -> NewPasswords<'a> {
        NewPasswords {
            args: self,
            out,
            generated: None,
        }
    }
}

/// The command line's answer when the domain asks for a new password: read from the chosen
/// source; then the test profile's warning and what the scheme detection decided, in that order.
pub struct NewPasswords<'a> {
    args: &'a NewPasswordArgs,
    out: &'a Output,
    /// A generated password, to show once it is stored.
    pub generated: Option<SecretString>,
}

impl PasswordSource for NewPasswords<'_> {
    fn new_password(
        &mut self,
        username: &str,
        scheme: &Resolved,
        accept: &dyn Fn(&str) -> Result<()>,
    ) -> Result<SecretString> {
        let (password, generated) = self.args.read(username, accept)?;
        self.generated = generated;
        self.args.hash.warn_if_test(self.out);
        hash_scheme::note_detection(self.out, scheme);
        Ok(password)
    }
}

/// `--hash-profile`: the cost of new hashes.
#[derive(Debug, Clone, clap::Args)]
pub struct HashArgs {
    /// Cost of new hashes: service (the service's own: Argon2id m=65536 t=3 p=4, or bcrypt at the
    /// scheme's cost) or test (the cheapest the scheme allows, Argon2id m=8 t=1 p=1 or bcrypt cost
    /// 4: for CI fixtures only, never for real accounts)
    #[arg(long = "hash-profile", value_enum, default_value_t = ProfileArg::Service)]
    pub hash_profile: ProfileArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProfileArg {
    /// Argon2id m=65536 KiB, t=3, p=4, or bcrypt at the scheme's cost: what the service writes
    Service,
    /// Argon2id m=8 KiB, t=1, p=1, or bcrypt cost 4: test fixtures only
    Test,
}

impl HashArgs {
    pub fn profile(&self) -> HashProfile {
        match self.hash_profile {
            ProfileArg::Service => HashProfile::Service,
            ProfileArg::Test => HashProfile::Test,
        }
    }

    /// Warns when new hashes are the test profile's.
    pub fn warn_if_test(&self, out: &Output) {
        if self.hash_profile == ProfileArg::Test {
            out.warn(
                "--hash-profile test: these hashes take microseconds to brute-force; use them for test fixtures only",
            );
        }
    }
}

/// How a prompt asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// A new password: asked twice, the two must match.
    New,
    /// An existing password: asked once.
    Existing,
}

impl PasswordArgs {
    /// Reads the password from the chosen source. `alternatives` names the options to suggest
    /// when there is no terminal to prompt on; a prompt asks again when `accept` refuses.
    pub fn read(
        &self,
        username: &str,
        prompt: Prompt,
        alternatives: &str,
        accept: &dyn Fn(&str) -> Result<()>,
    ) -> Result<SecretString> {
        let password = if self.password_stdin && io::stdin().is_terminal() {
            // NOTE: a person at a terminal typing into --password-stdin would see the password
            // echoed; ask without echo instead.
            prompt_on_terminal(username, prompt, alternatives, accept)?
        } else if self.password_stdin {
            let bytes = read_capped(io::stdin().lock())
                .map_err(|e| Error::Environment(format!("cannot read standard input: {e}")))?;
            one_line(bytes, Secret::Password, "standard input")?
        } else if let Some(path) = &self.password_file {
            read_file(path, Secret::Password)?
        } else {
            prompt_on_terminal(username, prompt, alternatives, accept)?
        };
        password::check_policy(&password)?;
        Ok(password)
    }
}

/// Which secret is read, for the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Secret {
    Password,
    Key,
    Token,
}

impl Secret {
    fn name(self) -> &'static str {
        match self {
            Secret::Password => "password",
            Secret::Key => "signing key",
            Secret::Token => "token",
        }
    }

    /// Why text is needed, after "is not valid UTF-8".
    fn why_text(self) -> &'static str {
        match self {
            Secret::Password => "; the service receives passwords as text",
            Secret::Key | Secret::Token => " text",
        }
    }
}

/// Where a signing key comes from: the service's variable (`SECRET_KEY` unless named), or a file.
#[derive(Debug, Clone, clap::Args)]
pub struct KeyArgs {
    /// Read the signing key from this file instead of the environment (one trailing newline
    /// removed)
    #[arg(long = "secret-key-file", value_name = "PATH")]
    pub secret_key_file: Option<PathBuf>,

    /// Read the signing key from this environment variable (or the service's .env) instead of
    /// SECRET_KEY: a fastapi-users application's reset or verification secret
    #[arg(
        long = "secret-key-env",
        value_name = "NAME",
        default_value = "SECRET_KEY",
        conflicts_with = "secret_key_file"
    )]
    pub secret_key_env: String,

    /// Accept the FastAPI tutorial's published example key (only for throw-away test services)
    #[arg(long = "allow-example-key")]
    pub allow_example_key: bool,
}

/// What a key is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUse {
    /// Signing: a weak or published key is refused (the example key with a flag).
    Sign,
    /// Checking tokens: the service's key as it is, with a warning when it is weak.
    Judge,
}

impl KeyArgs {
    /// The key, checked for `used` as the service uses it.
    pub fn key(&self, settings: &Settings, out: &Output, used: KeyUse) -> Result<SigningKey> {
        let key = signing_key(
            self.secret_key_file.as_deref(),
            &self.secret_key_env,
            settings,
            out,
        )?;
        let key = match used {
            KeyUse::Sign => SigningKey::new(key, self.allow_example_key)?,
            KeyUse::Judge => SigningKey::for_judging(key),
        };
        if key.is_example_key() {
            out.warn(match used {
                KeyUse::Sign => "signing with the FastAPI tutorial's published example key: anyone can forge tokens for this service",
                KeyUse::Judge => "the key is the FastAPI tutorial's published example key: anyone can forge tokens this service accepts",
            });
        } else if key.is_short() {
            out.warn(format!(
                "the key is under {MIN_KEY_BYTES} bytes: PyJWT takes it with a warning, and it may be guessed"
            ));
        }
        Ok(key)
    }
}

/// The signing key: from `file` when given (one line), else the variable `name` exactly as the
/// service reads it.
pub fn signing_key(
    file: Option<&Path>,
    name: &str,
    settings: &Settings,
    out: &Output,
) -> Result<SecretString> {
    if let Some(path) = file {
        return read_file(path, Secret::Key);
    }
    let (value, note) = settings.named_var_os(name);
    if let Some(note) = note {
        out.note(note);
    }
    match value {
        Some(value) => {
            use std::os::unix::ffi::OsStringExt;
            let bytes = SecretBytes::new(value.into_vec());
            text(bytes, Secret::Key, name)
        }
        None if name == "SECRET_KEY" => Err(Error::Environment(
            "no signing key: set SECRET_KEY (the service's own) or pass --secret-key-file PATH"
                .to_owned(),
        )),
        None => Err(Error::Environment(format!(
            "no signing key: {name} is not set (--secret-key-env), nor in the service's .env"
        ))),
    }
}

/// A token to judge: from `file` (`-`: standard input) or standard input, one line; a
/// terminal is asked without echo (a token is a credential). An `Authorization` header's
/// `Bearer ` is dropped.
pub fn token(file: Option<&Path>) -> Result<SecretString> {
    let token = match file {
        Some(path) if path != Path::new("-") => read_file(path, Secret::Token)?,
        _ if io::stdin().is_terminal() => rpassword::prompt_password("token: ")
            .map(SecretString::new)
            .map_err(|e| {
                Error::Environment(format!("cannot read the token from the terminal: {e}"))
            })?,
        _ => {
            let bytes = read_capped(io::stdin().lock())
                .map_err(|e| Error::Environment(format!("cannot read standard input: {e}")))?;
            one_line(bytes, Secret::Token, "standard input")?
        }
    };
    let trimmed = token.trim();
    // FastAPI's OAuth2PasswordBearer matches the scheme's name in any case.
    let trimmed = match trimmed.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("bearer ") => trimmed[7..].trim(),
        _ => trimmed,
    };
    if trimmed.is_empty() {
        return Err(Error::invalid("the token is empty"));
    }
    Ok(SecretString::new(trimmed.to_owned()))
}

fn read_file(path: &Path, secret: Secret) -> Result<SecretString> {
    let shown = path.display();
    let (unreadable, source) = match secret {
        Secret::Password => ("password file", format!("file {shown}")),
        Secret::Key => ("secret key file", format!("secret key file {shown}")),
        Secret::Token => ("token file", format!("token file {shown}")),
    };
    let bytes = File::open(path)
        .and_then(read_capped)
        .map_err(|e| Error::Environment(format!("cannot read {unreadable} {shown}: {e}")))?;
    one_line(bytes, secret, &source)
}

/// Reads at most a little more than the longest accepted secret, so an endless stream
/// (`yes | authctl …`) is refused instead of filling memory.
fn read_capped(source: impl Read) -> io::Result<SecretBytes> {
    const CAP: usize = MAX_PASSWORD_BYTES + 3;
    // Room for all of it up front: a growing buffer would leave copies behind, unwiped.
    let mut bytes = SecretBytes::new(Vec::with_capacity(CAP + 1));
    source
        .take(u64::try_from(CAP).unwrap_or(u64::MAX))
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Removes exactly one trailing `\n` or `\r\n` (what `echo` and editors add), nothing else.
fn strip_line_end(bytes: &mut Vec<u8>) {
    if bytes.ends_with(b"\r\n") {
        bytes.truncate(bytes.len() - 2);
    } else if bytes.ends_with(b"\n") {
        bytes.truncate(bytes.len() - 1);
    }
}

/// The secret in `bytes`: exactly one trailing `\n` or `\r\n` removed, every other byte kept.
fn one_line(mut bytes: SecretBytes, secret: Secret, source: &str) -> Result<SecretString> {
    let name = secret.name();
    strip_line_end(&mut bytes);
    if bytes.len() > MAX_PASSWORD_BYTES {
        return Err(Error::invalid(format!(
            "the {name} from {source} is longer than {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    if bytes.contains(&b'\n') {
        return Err(Error::invalid(format!(
            "the {name} from {source} has more than one line; give exactly one line"
        )));
    }
    text(bytes, secret, source)
}

/// Bytes of a secret being read: overwritten when dropped, whatever the outcome.
type SecretBytes = zeroize::Zeroizing<Vec<u8>>;

/// The secret as text, without a copy; invalid UTF-8 is wiped too.
fn text(mut bytes: SecretBytes, secret: Secret, source: &str) -> Result<SecretString> {
    if std::str::from_utf8(&bytes).is_err() {
        return Err(not_utf8(secret, source));
    }
    let bytes = std::mem::take(&mut *bytes);
    String::from_utf8(bytes)
        .map(SecretString::new)
        .map_err(|_| not_utf8(secret, source))
}

fn not_utf8(secret: Secret, source: &str) -> Error {
    Error::invalid(format!(
        "the {} from {source} is not valid UTF-8{}",
        secret.name(),
        secret.why_text()
    ))
}

/// How many times a prompt asks for a new password: the first time, then again up to three times
/// when the check refuses it or the confirmation differs.
const PROMPT_ATTEMPTS: usize = 4;

fn prompt_on_terminal(
    username: &str,
    prompt: Prompt,
    alternatives: &str,
    accept: &dyn Fn(&str) -> Result<()>,
) -> Result<SecretString> {
    // NOTE: rpassword reads /dev/tty, but a prompt only makes sense when a person is at the
    // keyboard: with stdin redirected (scripts, CI) we refuse at once rather than hang.
    if !io::stdin().is_terminal() {
        return Err(Error::Environment(format!(
            "no password given and standard input is not a terminal to ask on; use {alternatives}"
        )));
    }
    let ask = |text: &str| {
        rpassword::prompt_password(text)
            .map(SecretString::new)
            .map_err(|e| Error::Environment(format!("cannot prompt for the password: {e}")))
    };
    if prompt == Prompt::Existing {
        return ask(&format!("Password for {username}: "));
    }
    let mut refused = String::new();
    let mut attempt = 1;
    loop {
        let first = ask(&format!("{refused}Password for {username}: "))?;
        let second = ask(&format!("Retype the password for {username}: "))?;
        let checked = if *first == *second {
            accept(&first)
        } else {
            Err(Error::invalid("the two passwords do not match"))
        };
        match checked {
            Ok(()) => return Ok(first),
            Err(e) if e.kind() == Kind::Invalid && attempt < PROMPT_ATTEMPTS => {
                refused = format!("{e}; try again\n");
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--random-password` draws again while the policy refuses a draw (by chance it can hold
    /// the username), and gives the policy's reason when no draw passes.
    #[test]
    fn a_refused_draw_is_drawn_again() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            args: NewPasswordArgs,
        }
        let cli = Cli::try_parse_from(["t", "--random-password"]).unwrap();
        let draws = std::cell::Cell::new(0);
        let refuse_three = |_: &str| {
            draws.set(draws.get() + 1);
            if draws.get() <= 3 {
                Err(Error::invalid("refused draw"))
            } else {
                Ok(())
            }
        };
        let (password, shown) = cli.args.read("bob", &refuse_three).unwrap();
        assert_eq!(draws.get(), 4);
        assert_eq!(
            shown.as_deref().map(String::as_str),
            Some(password.as_str())
        );
        let never = cli.args.read("bob", &|_| Err(Error::invalid("never")));
        assert_eq!(never.unwrap_err().to_string(), "never");
    }

    #[test]
    fn exactly_one_trailing_newline_is_removed() {
        let line = |bytes: &[u8]| {
            one_line(bytes.to_vec().into(), Secret::Password, "x").map(|s| s.as_str().to_owned())
        };
        assert_eq!(line(b"pw\n").unwrap(), "pw");
        assert_eq!(line(b"pw\r\n").unwrap(), "pw");
        assert_eq!(line(b"pw").unwrap(), "pw");
        assert_eq!(line(b" pw \r").unwrap(), " pw \r");
        assert!(line(b"pw\n\n").is_err());
        assert!(line(b"a\nb").is_err());
        assert!(line(&[0xff, b'\n']).is_err());
    }
}
