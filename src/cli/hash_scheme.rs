//! `--hash-scheme` and `--bcrypt-cost`: which hashes the user's own service can verify, given
//! or detected from the stored hashes.

use crate::password::{
    BCRYPT_DEFAULT_COST, BCRYPT_TEST_COST, MAX_BCRYPT_COST, Resolved, Scheme, SchemeChoice,
};

use super::Output;

/// The options of every command that writes or judges a password hash.
#[derive(Debug, Clone, clap::Args)]
pub struct SchemeArgs {
    /// The service's password hashing: argon2 (pwdlib's PasswordHash.recommended()), bcrypt
    /// (passlib's bcrypt-only CryptContext) or argon2+bcrypt (pwdlib with both hashers)
    /// [default: detected from the stored hashes]
    #[arg(
        long = "hash-scheme",
        value_enum,
        value_name = "SCHEME",
        env = "AUTHCTL_HASH_SCHEME"
    )]
    pub hash_scheme: Option<SchemeArg>,

    /// Cost of new bcrypt hashes, 4 to 18 [default: the stored bcrypt hashes' highest, else 12]
    #[arg(
        long = "bcrypt-cost",
        value_name = "COST",
        value_parser = clap::value_parser!(u32)
            .range(i64::from(BCRYPT_TEST_COST)..=i64::from(MAX_BCRYPT_COST))
    )]
    pub bcrypt_cost: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemeArg {
    /// pwdlib's PasswordHash.recommended(): writes and verifies Argon2 only
    Argon2,
    /// passlib's bcrypt (the tutorial until 2024): writes and verifies bcrypt only
    Bcrypt,
    /// pwdlib with its Argon2 and bcrypt hashers: writes Argon2, verifies both
    #[value(name = "argon2+bcrypt")]
    Argon2Bcrypt,
}

impl SchemeArgs {
    pub fn choice(&self) -> SchemeChoice {
        SchemeChoice {
            given: self.hash_scheme.map(|given| match given {
                SchemeArg::Argon2 => Scheme::Argon2,
                SchemeArg::Bcrypt => Scheme::Bcrypt {
                    cost: BCRYPT_DEFAULT_COST,
                },
                SchemeArg::Argon2Bcrypt => Scheme::Argon2Bcrypt,
            }),
            bcrypt_cost: self.bcrypt_cost,
        }
    }
}

/// A note on stderr saying what detection decided and why, unless it goes without saying
/// (every stored hash is Argon2, as authctl writes by default).
pub fn note_detection(out: &Output, resolved: &Resolved) {
    let Some(detection) = resolved.detection.as_ref().filter(|d| d.worth_a_note) else {
        return;
    };
    let scheme = resolved.scheme;
    let hint = match scheme {
        Scheme::Argon2 => {
            "for a passlib-era service (bcrypt only) give --hash-scheme bcrypt or AUTHCTL_HASH_SCHEME=bcrypt"
        }
        Scheme::Bcrypt { .. } => "--hash-scheme or AUTHCTL_HASH_SCHEME overrides it",
        // NOTE: a passlib-era table that an older authctl wrote Argon2 hashes into looks the same.
        Scheme::Argon2Bcrypt => {
            "--hash-scheme or AUTHCTL_HASH_SCHEME overrides it (for a passlib-era service, bcrypt only, \
             give bcrypt: its Argon2 rows cannot log in until set-password gives them bcrypt hashes)"
        }
    };
    out.note(format!(
        "hash scheme {scheme}, detected: {}; {hint}",
        detection.reason
    ));
}
