//! Password hashes: Argon2id at the service's own parameters and passlib-era bcrypt for new
//! hashes, and verification of every hash a real users table holds (argon2id/i/d of any sane
//! parameters, bcrypt). Which of them the user's service accepts is its [`Scheme`].

mod argon2id;
pub mod policy;
mod scheme;

pub use policy::{Policy, Weakness};

/// A password or key held by authctl: its bytes are overwritten when it is dropped.
pub type SecretString = zeroize::Zeroizing<String>;
pub use scheme::{
    BCRYPT_DEFAULT_COST, BCRYPT_TEST_COST, Detection, HashCensus, Hasher, Resolved, Scheme,
    SchemeChoice, StoredHashProblem, detect,
};

use std::fmt;
use std::str::FromStr;

use argon2::Params;
use argon2::password_hash::phc::PasswordHash;

use crate::error::{Error, Result};

/// Argon2id parameters; [`SERVICE`] is what the service itself writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub m_cost: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

/// pwdlib's `PasswordHash.recommended()` (argon2-cffi's defaults, RFC 9106's second
/// recommendation). pwdlib's `verify_and_update` rehashes anything else at first login.
pub const SERVICE: Argon2Params = Argon2Params {
    m_cost: 65_536,
    t_cost: 3,
    p_cost: 4,
};
/// The cheapest Argon2id parameters the algorithm allows (m = 8 KiB, t = 1, p = 1), for test
/// fixtures only: the service verifies them, as it reads the parameters from each hash.
pub const TEST: Argon2Params = Argon2Params {
    m_cost: 8,
    t_cost: 1,
    p_cost: 1,
};

/// Which parameters new hashes get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashProfile {
    /// [`SERVICE`]: what the service writes.
    #[default]
    Service,
    /// [`TEST`]: for CI fixtures; anyone who gets the table can brute-force these at once.
    Test,
}

impl HashProfile {
    pub fn params(self) -> Argon2Params {
        match self {
            HashProfile::Service => SERVICE,
            HashProfile::Test => TEST,
        }
    }
}

const SALT_LEN: usize = 16;
const TAG_LEN: usize = 32;

/// The longest password accepted, in bytes. The service has no limit; this one keeps a
/// mistaken `--password-file /some/large/file` from being hashed.
pub const MAX_PASSWORD_BYTES: usize = 4096;

/// Upper bounds on stored hash parameters. A hash beyond them is refused rather than attempted:
/// an m of 4 TiB would abort the process on allocation, a bcrypt cost of 31 would run for days.
const MAX_M_COST: u32 = 1 << 20; // 1 GiB
const MAX_T_COST: u32 = 64;
const MAX_P_COST: u32 = 255;
pub const MAX_BCRYPT_COST: u32 = 18;

/// Hashes at the cost each scheme writes, verified when the user does not exist so that an
/// unknown username costs the same time as a wrong password. These are the service contract's
/// public "secret" vectors: the result is discarded.
const DUMMY_ARGON2: &str = "$argon2id$v=19$m=65536,t=3,p=4$wagCPXjifgvUFBzq4hqe3w$CYaIb8sB+wtD+Vu/P4uod1+Qof8h+1g7bbDlBID48Rc";
const DUMMY_BCRYPT: &str = "$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW";

/// Refuses passwords the service could never accept or that are surely a mistake.
pub fn check_policy(password: &str) -> Result<()> {
    if password.is_empty() {
        return Err(Error::invalid("the password is empty"));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::invalid(format!(
            "the password is longer than {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    Ok(())
}

/// An Argon2id hash of the password's UTF-8 bytes (no normalisation).
fn hash_argon2(password: &str, params: Argon2Params) -> Result<String> {
    let params = Params::new(params.m_cost, params.t_cost, params.p_cost, Some(TAG_LEN))
        .map_err(|e| Error::Internal(format!("argon2 parameters: {e}")))?;
    argon2id::hash(password, params)
}

/// A `$2b$` bcrypt hash of the password's UTF-8 bytes, with a salt from the OS CSPRNG.
fn hash_bcrypt(password: &str, cost: u32) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| Error::Internal(format!("the system's random source failed: {e}")))?;
    // The scheme refuses passwords over 72 bytes before this; 72 hash as Python's bcrypt does.
    bcrypt::hash_with_salt(password, cost, salt)
        .map(|parts| parts.format_for_version(bcrypt::Version::TwoB))
        .map_err(|e| Error::Internal(format!("hashing the password: {e}")))
}

/// What a stored hash is: its kind and cost parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashInfo {
    Argon2 {
        /// `argon2id`, `argon2i` or `argon2d`.
        variant: String,
        version: u32,
        params: Argon2Params,
        salt_len: usize,
        tag_len: usize,
    },
    Bcrypt {
        /// `2a`, `2b` or `2y`.
        prefix: String,
        cost: u32,
    },
}

/// Which profile a stored hash was made with, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileMatch {
    Service,
    Test,
    /// Any other parameters or scheme (bcrypt, pwdlib non-defaults…).
    Other,
}

impl ProfileMatch {
    pub fn name(self) -> &'static str {
        match self {
            ProfileMatch::Service => "service",
            ProfileMatch::Test => "test",
            ProfileMatch::Other => "other",
        }
    }
}

impl HashInfo {
    /// Whether the hash has exactly the parameters the service writes today; if not, a service
    /// using pwdlib's `verify_and_update` rewrites it at the next login.
    pub fn is_current(&self) -> bool {
        matches!(self, HashInfo::Argon2 { variant, version, params, salt_len, tag_len }
            if variant == "argon2id" && *version == 0x13 && *params == SERVICE
                && *salt_len == SALT_LEN && *tag_len == TAG_LEN)
    }
}

impl fmt::Display for HashInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HashInfo::Argon2 {
                variant,
                version,
                params,
                salt_len,
                tag_len,
            } => write!(
                f,
                "{variant} v={version} m={} t={} p={} ({salt_len}-byte salt, {tag_len}-byte tag)",
                params.m_cost, params.t_cost, params.p_cost
            ),
            HashInfo::Bcrypt { prefix, cost } => write!(f, "bcrypt ${prefix}$ cost {cost}"),
        }
    }
}

/// Describes the service's current hash, for messages.
pub fn current_description() -> String {
    HashInfo::Argon2 {
        variant: "argon2id".to_owned(),
        version: 0x13,
        params: SERVICE,
        salt_len: SALT_LEN,
        tag_len: TAG_LEN,
    }
    .to_string()
}

/// Why a stored hash cannot be used, phrased to follow "the stored password hash of user 'x'".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadHash(pub String);

fn bad(reason: impl Into<String>) -> BadHash {
    BadHash(reason.into())
}

/// Identifies a stored hash and checks its parameters are within sane bounds, without hashing.
pub fn inspect(stored: &str) -> Result<HashInfo, BadHash> {
    if stored.is_empty() {
        return Err(bad(
            "is empty (the service cannot verify it and answers 500)",
        ));
    }
    if stored.starts_with("$argon2") {
        inspect_argon2(stored).map(|(info, _)| info)
    } else if is_bcrypt(stored) {
        inspect_bcrypt(stored)
    } else {
        Err(bad(
            "is not an argon2 or bcrypt hash (the service cannot identify it and answers 500)",
        ))
    }
}

fn is_bcrypt(stored: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|p| stored.starts_with(p))
}

fn inspect_argon2(stored: &str) -> Result<(HashInfo, PasswordHash), BadHash> {
    let malformed = |e: &dyn fmt::Display| bad(format!("is a malformed argon2 hash ({e})"));
    let parsed = PasswordHash::new(stored).map_err(|e| malformed(&e))?;
    let variant = parsed.algorithm.as_str().to_owned();
    if !matches!(variant.as_str(), "argon2id" | "argon2i" | "argon2d") {
        return Err(bad(format!("names an unknown algorithm '{variant}'")));
    }
    // NOTE: pwdlib refuses keyid= and data= (the service answers 500), so we do too.
    if let Some((name, _)) = parsed
        .params
        .iter()
        .find(|(name, _)| !matches!(name.as_str(), "m" | "t" | "p"))
    {
        return Err(bad(format!(
            "has an argon2 parameter '{name}' the service cannot verify"
        )));
    }
    let get = |name: &str| {
        parsed
            .params
            .get_decimal(name)
            .ok_or_else(|| bad(format!("is a malformed argon2 hash (no {name}= parameter)")))
    };
    let params = Argon2Params {
        m_cost: get("m")?,
        t_cost: get("t")?,
        p_cost: get("p")?,
    };
    if params.m_cost > MAX_M_COST || params.t_cost > MAX_T_COST || params.p_cost > MAX_P_COST {
        return Err(bad(format!(
            "has absurd argon2 parameters m={} t={} p={} (limits: m<={MAX_M_COST} KiB, t<={MAX_T_COST}, p<={MAX_P_COST}); not attempted",
            params.m_cost, params.t_cost, params.p_cost
        )));
    }
    // Let the argon2 crate check the rest (m >= 8p, lengths, version) before any hashing.
    Params::try_from(&parsed).map_err(|e| malformed(&e))?;
    let version = parsed.version.unwrap_or(0x10);
    if version != 0x10 && version != 0x13 {
        return Err(bad(format!("has an unknown argon2 version {version}")));
    }
    let (Some(salt), Some(tag)) = (&parsed.salt, &parsed.hash) else {
        return Err(bad("is a malformed argon2 hash (no salt or no tag)"));
    };
    let info = HashInfo::Argon2 {
        variant,
        version,
        params,
        salt_len: salt.len(),
        tag_len: tag.len(),
    };
    Ok((info, parsed))
}

fn inspect_bcrypt(stored: &str) -> Result<HashInfo, BadHash> {
    let parts = bcrypt::HashParts::from_str(stored)
        .map_err(|e| bad(format!("is a malformed bcrypt hash ({e})")))?;
    let cost = parts.get_cost();
    if cost > MAX_BCRYPT_COST {
        return Err(bad(format!(
            "has an absurd bcrypt cost {cost} (limit {MAX_BCRYPT_COST}); not attempted"
        )));
    }
    Ok(HashInfo::Bcrypt {
        prefix: stored[1..3].to_owned(),
        cost,
    })
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub matches: bool,
    pub info: HashInfo,
}

/// Checks a password against a stored hash of any known kind, with the parameters stored in
/// the hash; bcrypt reads the first 72 bytes of a longer password, as passlib with bcrypt 4 does
/// (where bcrypt 5 raises instead, [`Scheme::verify`] says so before this is reached).
/// Comparison of the tags is constant-time (argon2 and bcrypt crates). [`Scheme::verify`] is
/// the service's view; this is the mechanism.
fn verify_any(password: &str, stored: &str) -> Result<Verification, BadHash> {
    if stored.starts_with("$argon2") {
        let (info, parsed) = inspect_argon2(stored)?;
        #[cfg(test)]
        counted::one();
        let matches = argon2id::verify(password, &parsed)
            .map_err(|e| bad(format!("could not be verified ({e})")))?;
        Ok(Verification { matches, info })
    } else if is_bcrypt(stored) {
        let info = inspect_bcrypt(stored)?;
        #[cfg(test)]
        counted::one();
        // NOTE: not the crate's non_truncating_verify, which refuses 72 bytes too (it counts the
        // C string's NUL); Python's bcrypt takes 72.
        let matches = bcrypt::verify(password, stored)
            .map_err(|e| bad(format!("could not be verified ({e})")))?;
        Ok(Verification { matches, info })
    } else {
        inspect(stored).map(|info| Verification {
            matches: false,
            info,
        })
    }
}

/// Hash verifications run on this thread, counted for the tests that say how many a command
/// runs (as Django's tests count hasher calls): the timing guarantees rest on that number.
#[cfg(test)]
pub(crate) mod counted {
    use std::cell::Cell;

    thread_local!(static VERIFICATIONS: Cell<usize> = const { Cell::new(0) });

    pub(super) fn one() {
        VERIFICATIONS.with(|n| n.set(n.get() + 1));
    }

    /// The verifications `f` runs.
    pub(crate) fn verifications<T>(f: impl FnOnce() -> T) -> (T, usize) {
        let before = VERIFICATIONS.with(Cell::get);
        let value = f();
        (value, VERIFICATIONS.with(Cell::get) - before)
    }
}

/// A random password: 24 characters from [A-Za-z0-9] (about 143 bits), from the OS CSPRNG.
pub fn random_password() -> Result<String> {
    random_password_of(RANDOM_LENGTH)
}

/// The length of generated passwords: 24 of 62 symbols, 142 bits.
pub const RANDOM_LENGTH: usize = 24;

/// A random password of `len` letters and digits.
pub fn random_password_of(len: usize) -> Result<String> {
    let mut password = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while password.len() < len {
        getrandom::fill(&mut buf)
            .map_err(|e| Error::Internal(format!("the system's random source failed: {e}")))?;
        for symbol in buf.iter().filter_map(|byte| symbol(*byte)) {
            if password.len() == len {
                break;
            }
            password.push(symbol);
        }
    }
    Ok(password)
}

/// The symbol a random byte draws, by rejection sampling: the bytes from 248 (the largest
/// multiple of 62 below 256) up draw nothing, so that no symbol is favoured.
fn symbol(byte: u8) -> Option<char> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const LIMIT: u8 = 248;
    (byte < LIMIT).then(|| char::from(ALPHABET[usize::from(byte) % ALPHABET.len()]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TUTORIAL_ARGON2: &str = DUMMY_ARGON2;
    const TUTORIAL_BCRYPT: &str = DUMMY_BCRYPT;

    fn verify(password: &str, stored: &str) -> Result<Verification, BadHash> {
        verify_any(password, stored)
    }

    /// The contract's Argon2 vector with `head` (`$argon2id$v=19$m=…,t=…,p=…`) in place of its
    /// own: the same salt and tag under other parameters.
    fn argon2_with(head: &str) -> String {
        let salt_and_tag = DUMMY_ARGON2.splitn(6, '$').skip(4).collect::<Vec<_>>();
        format!("{head}${}", salt_and_tag.join("$"))
    }

    #[test]
    fn new_hashes_have_the_service_parameters() {
        let hash = hash_argon2("correct horse", SERVICE).unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=65536,t=3,p=4$"),
            "{hash}"
        );
        let info = inspect(&hash).unwrap();
        assert!(info.is_current(), "{info}");
        assert!(verify("correct horse", &hash).unwrap().matches);
        assert!(!verify("correct horse ", &hash).unwrap().matches);
    }

    #[test]
    fn contract_vectors_verify() {
        assert!(verify("secret", TUTORIAL_ARGON2).unwrap().matches);
        assert!(verify("secret", TUTORIAL_BCRYPT).unwrap().matches);
        assert!(!verify("Secret", TUTORIAL_BCRYPT).unwrap().matches);
        assert!(!inspect(TUTORIAL_BCRYPT).unwrap().is_current());
    }

    /// Each bound is the last value taken: at it a hash is inspected, one past it is refused.
    #[test]
    fn argon2_parameter_bounds_are_inclusive() {
        let with = |m: u32, t: u32, p: u32| {
            inspect(&argon2_with(&format!("$argon2id$v=19$m={m},t={t},p={p}")))
        };
        // The argon2 crate wants m >= 8p.
        let small_m = 8 * MAX_P_COST;
        for (m, t, p) in [
            (MAX_M_COST, 1, 1),
            (small_m, MAX_T_COST, 1),
            (small_m, 1, MAX_P_COST),
        ] {
            assert!(with(m, t, p).is_ok(), "m={m} t={t} p={p}");
        }
        for (m, t, p) in [
            (MAX_M_COST + 1, 1, 1),
            (small_m + 8, MAX_T_COST + 1, 1),
            (small_m + 8, 1, MAX_P_COST + 1),
        ] {
            let refused = with(m, t, p).unwrap_err().0;
            assert!(refused.contains("absurd"), "m={m} t={t} p={p}: {refused}");
        }
    }

    /// bcrypt's cost bound is the last cost taken, as argon2's are.
    #[test]
    fn the_bcrypt_cost_bound_is_inclusive() {
        let with = |cost: u32| inspect(&DUMMY_BCRYPT.replacen("$12$", &format!("${cost}$"), 1));
        assert!(matches!(
            with(MAX_BCRYPT_COST),
            Ok(HashInfo::Bcrypt {
                cost: MAX_BCRYPT_COST,
                ..
            })
        ));
        let refused = with(MAX_BCRYPT_COST + 1).unwrap_err().0;
        assert!(refused.contains("absurd bcrypt cost 19"), "{refused}");
    }

    /// Argon2's two versions (0x10 is also what a hash without `v=` means) are taken; no other.
    #[test]
    fn argon2_versions_are_0x10_and_0x13_only() {
        let params = "m=65536,t=3,p=4";
        for version in ["v=16$", "v=19$", ""] {
            let hash = argon2_with(&format!("$argon2id${version}{params}"));
            assert!(inspect(&hash).is_ok(), "{hash}");
        }
        let refused = inspect(&argon2_with(&format!("$argon2id$v=17${params}")))
            .unwrap_err()
            .0;
        assert!(refused.contains("unknown argon2 version 17"), "{refused}");
    }

    #[test]
    fn absurd_and_malformed_hashes_are_refused_without_hashing() {
        assert_eq!(argon2_with("$argon2id$v=19$m=65536,t=3,p=4"), DUMMY_ARGON2);
        let huge = argon2_with("$argon2id$v=19$m=4294967295,t=3,p=4");
        assert!(verify("secret", &huge).unwrap_err().0.contains("absurd"));
        let keyid = argon2_with("$argon2id$v=19$m=65536,t=3,p=4,keyid=AAAA");
        assert!(verify("secret", &keyid).is_err());
        assert!(verify("secret", "").is_err());
        assert!(verify("secret", "!DISABLED!").is_err());
        assert!(
            verify(
                "secret",
                "$2b$31$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW"
            )
            .is_err()
        );
        assert!(verify("secret", "$argon2id$v=19$m=65536,t=3,p=4$short").is_err());
    }

    #[test]
    fn random_passwords_use_every_symbol() {
        // 2,400 draws from 62 symbols: the chance that a fair generator misses one is about 1e-15.
        let drawn: std::collections::HashSet<char> = (0..100)
            .flat_map(|_| random_password().unwrap().chars().collect::<Vec<_>>())
            .collect();
        assert_eq!(drawn.len(), 62);
        assert_eq!(random_password_of(40).unwrap().len(), 40);
    }

    /// Every symbol is drawn by exactly four of the 256 byte values; the other eight draw none.
    #[test]
    fn every_symbol_is_drawn_by_as_many_bytes() {
        let mut drawn_by = std::collections::HashMap::<char, usize>::new();
        for byte in 0..=u8::MAX {
            if let Some(symbol) = symbol(byte) {
                *drawn_by.entry(symbol).or_default() += 1;
            }
        }
        assert_eq!(drawn_by.len(), 62);
        assert!(drawn_by.values().all(|n| *n == 4), "{drawn_by:?}");
    }

    #[test]
    fn random_passwords_are_long_and_differ() {
        let a = random_password().unwrap();
        let b = random_password().unwrap();
        assert_eq!(a.len(), 24);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
