//! The service's password scheme: which stored hashes its library can verify, what it writes,
//! and what it would rewrite at login. Three kinds of service exist (service contract):
//! passlib's bcrypt only, pwdlib's Argon2 only, and pwdlib with both.

use std::fmt;

use super::{
    BadHash, DUMMY_ARGON2, DUMMY_BCRYPT, HashInfo, HashProfile, MAX_BCRYPT_COST, ProfileMatch,
    SERVICE, TEST, Verification, hash_argon2, hash_bcrypt, inspect, verify_any,
};
use crate::error::{Error, Result};

/// passlib's default bcrypt cost, and the cost of the contract's bcrypt vectors.
pub const BCRYPT_DEFAULT_COST: u32 = 12;
/// The cheapest cost bcrypt allows: `--hash-profile test`.
pub const BCRYPT_TEST_COST: u32 = 4;
/// bcrypt reads only this many bytes of a password; Python's bcrypt 5 refuses longer ones.
pub const BCRYPT_MAX_PASSWORD_BYTES: usize = 72;

/// The hasher of the user's service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// pwdlib's `PasswordHash.recommended()` (the current tutorial): Argon2 only.
    Argon2,
    /// passlib's `CryptContext(schemes=["bcrypt"])` (the tutorial until 2024, the blog): bcrypt
    /// only; new hashes at this cost.
    Bcrypt { cost: u32 },
    /// pwdlib with both hashers (the full-stack template, fastapi-users, migrated services):
    /// writes Argon2, verifies both.
    Argon2Bcrypt,
}

impl Scheme {
    /// The name of `--hash-scheme` and of the JSON outputs.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Argon2 => "argon2",
            Scheme::Bcrypt { .. } => "bcrypt",
            Scheme::Argon2Bcrypt => "argon2+bcrypt",
        }
    }

    /// The library and configuration the scheme stands for, for messages.
    pub fn library(self) -> &'static str {
        match self {
            Scheme::Argon2 => "pwdlib's recommended hasher, Argon2 only",
            Scheme::Bcrypt { .. } => "passlib's bcrypt",
            Scheme::Argon2Bcrypt => "pwdlib with Argon2 and bcrypt",
        }
    }

    /// Whether the service's library recognises this kind of hash (if not, it raises
    /// `UnknownHashError` and the login answers 500).
    pub fn identifies(self, info: &HashInfo) -> bool {
        match (self, info) {
            (Scheme::Argon2 | Scheme::Argon2Bcrypt, HashInfo::Argon2 { .. })
            | (Scheme::Bcrypt { .. } | Scheme::Argon2Bcrypt, HashInfo::Bcrypt { .. }) => true,
            (Scheme::Argon2, HashInfo::Bcrypt { .. })
            | (Scheme::Bcrypt { .. }, HashInfo::Argon2 { .. }) => false,
        }
    }

    /// Whether the service would rewrite this hash at the next login: pwdlib's
    /// `verify_and_update` rewrites anything but its current Argon2id parameters (bcrypt
    /// included); the passlib-era services only call `verify` and never rewrite.
    pub fn needs_rehash(self, info: &HashInfo) -> bool {
        match self {
            Scheme::Argon2 | Scheme::Argon2Bcrypt => !info.is_current(),
            Scheme::Bcrypt { .. } => false,
        }
    }

    /// Whether a stored hash is what this scheme writes (`service`), what its test profile
    /// writes (`test`), or anything else, including every hash of the other kind.
    pub fn profile_of(self, info: &HashInfo) -> ProfileMatch {
        match (self, info) {
            (Scheme::Bcrypt { cost }, HashInfo::Bcrypt { cost: stored, .. }) if *stored == cost => {
                ProfileMatch::Service
            }
            (Scheme::Bcrypt { .. }, HashInfo::Bcrypt { cost, .. }) if *cost == BCRYPT_TEST_COST => {
                ProfileMatch::Test
            }
            (Scheme::Argon2 | Scheme::Argon2Bcrypt, argon2) if argon2.is_current() => {
                ProfileMatch::Service
            }
            (
                Scheme::Argon2 | Scheme::Argon2Bcrypt,
                HashInfo::Argon2 {
                    variant, params, ..
                },
            ) if variant == "argon2id" && *params == TEST => ProfileMatch::Test,
            _ => ProfileMatch::Other,
        }
    }

    /// Refuses a new password the service's library could not hash or verify as given.
    pub fn check_new_password(self, password: &str) -> Result<()> {
        let Scheme::Bcrypt { .. } = self else {
            return Ok(());
        };
        // NOTE: bcrypt silently ignores bytes past 72 (passlib with bcrypt 4) or refuses them
        // (bcrypt 5); either way the password would not be what the operator typed.
        if password.len() > BCRYPT_MAX_PASSWORD_BYTES {
            return Err(Error::invalid(format!(
                "the password is over {BCRYPT_MAX_PASSWORD_BYTES} bytes; bcrypt uses only the first \
                 {BCRYPT_MAX_PASSWORD_BYTES} and the service's bcrypt may refuse it"
            )));
        }
        if password.contains('\0') {
            return Err(Error::invalid(
                "the password contains a NUL character, which bcrypt cannot hash",
            ));
        }
        Ok(())
    }

    /// Identifies a stored hash and checks the service's library would recognise it.
    pub fn judge(self, stored: &str) -> Result<HashInfo, StoredHashProblem> {
        let info = inspect(stored).map_err(StoredHashProblem::Malformed)?;
        if self.identifies(&info) {
            Ok(info)
        } else {
            Err(StoredHashProblem::Unidentified { info, scheme: self })
        }
    }

    /// Checks a password against a stored hash as the service's library would, including where
    /// it raises (its login answers 500) on a password the hash's library cannot take.
    pub fn verify(self, password: &str, stored: &str) -> Result<Verification, StoredHashProblem> {
        let info = self.judge(stored)?;
        if let HashInfo::Bcrypt { .. } = info
            && let Some(why) = self.bcrypt_refuses(password)
        {
            return Err(StoredHashProblem::ServiceError { info, why });
        }
        verify_any(password, stored).map_err(StoredHashProblem::Malformed)
    }

    /// Why the service's bcrypt would raise on this password, if it would: bcrypt 5 (pwdlib)
    /// on more than 72 bytes, passlib on a NUL character.
    fn bcrypt_refuses(self, password: &str) -> Option<&'static str> {
        match self {
            Scheme::Argon2Bcrypt if password.len() > BCRYPT_MAX_PASSWORD_BYTES => {
                Some("the service's bcrypt 5 raises on a password over 72 bytes")
            }
            Scheme::Bcrypt { .. } if password.contains('\0') => {
                Some("passlib raises on a password containing a NUL character")
            }
            _ => None,
        }
    }

    /// Spends the time of one verification at the cost this scheme writes; always "no".
    pub fn verify_dummy(self, password: &str) {
        // Only the time spent matters.
        let _ = verify_any(password, &self.dummy_hash());
    }

    /// A hash of the kind and cost this scheme writes, to verify when the user does not exist.
    fn dummy_hash(self) -> String {
        match self {
            // The vector with this cost in place of its own: a valid hash that costs as much.
            Scheme::Bcrypt { cost } => format!("$2b${cost:02}{}", &DUMMY_BCRYPT[6..]),
            Scheme::Argon2 | Scheme::Argon2Bcrypt => DUMMY_ARGON2.to_owned(),
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.library())
    }
}

/// Why the service could not verify a stored hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredHashProblem {
    /// Not a hash at all, or malformed, or absurd parameters.
    Malformed(BadHash),
    /// A sound hash of a kind the service's library does not know.
    Unidentified { info: HashInfo, scheme: Scheme },
    /// A hash the library knows, but raises on when given this password.
    ServiceError { info: HashInfo, why: &'static str },
}

impl StoredHashProblem {
    /// What the hash is, when it is a sound one.
    pub fn info(&self) -> Option<&HashInfo> {
        match self {
            StoredHashProblem::Malformed(_) => None,
            StoredHashProblem::Unidentified { info, .. }
            | StoredHashProblem::ServiceError { info, .. } => Some(info),
        }
    }

    /// The reason, phrased to follow "the stored password hash of user 'x'".
    pub fn reason(&self) -> String {
        match self {
            StoredHashProblem::Malformed(bad) => bad.0.clone(),
            StoredHashProblem::Unidentified { info, scheme } => format!(
                "is {info}, which the service's hash scheme {scheme} cannot identify: its login answers 500"
            ),
            StoredHashProblem::ServiceError { info, why } => {
                format!("is {info}, and {why}: its login answers 500")
            }
        }
    }

    /// The domain error for user `username`.
    pub fn into_error(self, username: &str) -> Error {
        let reason = self.reason();
        let username = username.to_owned();
        match self {
            StoredHashProblem::Malformed(_) => Error::BadStoredHash { username, reason },
            StoredHashProblem::Unidentified { .. } | StoredHashProblem::ServiceError { .. } => {
                Error::UnverifiableHash { username, reason }
            }
        }
    }
}

/// New hashes: the service's scheme at a profile's cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hasher {
    pub scheme: Scheme,
    pub profile: HashProfile,
}

impl Hasher {
    /// Hashes a password as the UTF-8 bytes given (no normalisation), refusing what the scheme
    /// cannot take.
    pub fn hash(&self, password: &str) -> Result<String> {
        self.scheme.check_new_password(password)?;
        match (self.scheme, self.profile) {
            (Scheme::Bcrypt { cost }, HashProfile::Service) => hash_bcrypt(password, cost),
            (Scheme::Bcrypt { .. }, HashProfile::Test) => hash_bcrypt(password, BCRYPT_TEST_COST),
            (_, HashProfile::Service) => hash_argon2(password, SERVICE),
            (_, HashProfile::Test) => hash_argon2(password, TEST),
        }
    }
}

/// How many stored hashes of each kind a table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HashCensus {
    pub argon2: u64,
    pub bcrypt: u64,
    /// The highest bcrypt cost among them.
    pub bcrypt_cost: Option<u32>,
}

impl HashCensus {
    /// Counts one hash.
    pub fn add(&mut self, info: &HashInfo) {
        match info {
            HashInfo::Argon2 { .. } => self.argon2 += 1,
            HashInfo::Bcrypt { cost, .. } => {
                self.bcrypt += 1;
                self.bcrypt_cost = self.bcrypt_cost.max(Some(*cost));
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.argon2 == 0 && self.bcrypt == 0
    }
}

/// A scheme read from the stored hashes, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub scheme: Scheme,
    /// Why, e.g. "all 3 stored hashes are bcrypt (highest cost 12)".
    pub reason: String,
    /// False where it goes without saying: every stored hash is Argon2, as authctl writes.
    pub worth_a_note: bool,
}

/// Decides the service's scheme from the hashes it stores (`whose`: "stored", "imported"):
/// all bcrypt → bcrypt at their cost; Argon2 only → argon2; both → argon2+bcrypt; none → argon2.
pub fn detect(census: &HashCensus, whose: &str) -> Detection {
    let HashCensus {
        argon2,
        bcrypt,
        bcrypt_cost,
    } = *census;
    let plural = |n: u64| if n == 1 { "" } else { "es" };
    let (scheme, reason, worth_a_note) = match (argon2, bcrypt) {
        (0, 0) => (
            Scheme::Argon2,
            format!("no {whose} password hashes to go by"),
            true,
        ),
        (0, n) => {
            // An absurd stored cost is the hash's problem, not a cost to write new ones at.
            let cost = bcrypt_cost
                .unwrap_or(BCRYPT_DEFAULT_COST)
                .clamp(BCRYPT_TEST_COST, MAX_BCRYPT_COST);
            let all = if n == 1 { "the" } else { "all" };
            (
                Scheme::Bcrypt { cost },
                format!(
                    "{all} {n} {whose} hash{} bcrypt (highest cost {cost})",
                    if n == 1 { " is" } else { "es are" }
                ),
                true,
            )
        }
        (n, 0) => (
            Scheme::Argon2,
            format!(
                "the {n} {whose} hash{} Argon2",
                if n == 1 { " is" } else { "es are" }
            ),
            false,
        ),
        (a, b) => (
            Scheme::Argon2Bcrypt,
            format!(
                "the {whose} hashes are {a} Argon2 hash{} and {b} bcrypt hash{}",
                plural(a),
                plural(b)
            ),
            true,
        ),
    };
    Detection {
        scheme,
        reason,
        worth_a_note,
    }
}

/// How the command line chose the scheme: named (an option or the environment), or not, and
/// then read from the hashes; with an optional bcrypt cost for new hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SchemeChoice {
    pub given: Option<Scheme>,
    pub bcrypt_cost: Option<u32>,
}

/// The scheme a command works with, and the detection behind it (`None` when it was given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub scheme: Scheme,
    pub detection: Option<Detection>,
}

impl SchemeChoice {
    /// The scheme given, else the one `census` (hashes and whose they are) shows; `census` is
    /// only asked when needed.
    pub fn resolve(
        &self,
        census: impl FnOnce() -> Result<(HashCensus, &'static str)>,
    ) -> Result<Resolved> {
        let (scheme, detection) = if let Some(scheme) = self.given {
            (scheme, None)
        } else {
            let (census, whose) = census()?;
            let detection = detect(&census, whose);
            (detection.scheme, Some(detection))
        };
        let scheme = match (scheme, self.bcrypt_cost) {
            (Scheme::Bcrypt { .. }, Some(cost)) => Scheme::Bcrypt { cost },
            (_, None) => scheme,
            (other, Some(_)) => {
                let why = detection
                    .as_ref()
                    .map_or_else(String::new, |d| format!(" ({})", d.reason));
                return Err(Error::Usage(format!(
                    "a bcrypt cost was given, but the service's hash scheme is {}{why}: it writes no bcrypt hashes",
                    other.name()
                )));
            }
        };
        Ok(Resolved { scheme, detection })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BCRYPT_SECRET: &str = DUMMY_BCRYPT;
    const ARGON2_SECRET: &str = DUMMY_ARGON2;

    fn census(argon2: u64, bcrypt: u64, cost: Option<u32>) -> HashCensus {
        HashCensus {
            argon2,
            bcrypt,
            bcrypt_cost: cost,
        }
    }

    #[test]
    fn detection_follows_the_stored_hashes() {
        assert_eq!(
            detect(&census(0, 3, Some(10)), "stored").scheme,
            Scheme::Bcrypt { cost: 10 }
        );
        assert_eq!(detect(&census(5, 0, None), "stored").scheme, Scheme::Argon2);
        assert!(!detect(&census(5, 0, None), "stored").worth_a_note);
        assert_eq!(
            detect(&census(5, 1, Some(12)), "stored").scheme,
            Scheme::Argon2Bcrypt
        );
        let empty = detect(&HashCensus::default(), "stored");
        assert_eq!(empty.scheme, Scheme::Argon2);
        assert!(empty.worth_a_note);
        assert_eq!(
            detect(&census(0, 1, Some(12)), "stored").reason,
            "the 1 stored hash is bcrypt (highest cost 12)"
        );
    }

    #[test]
    fn each_scheme_verifies_only_what_its_library_identifies() {
        let bcrypt = Scheme::Bcrypt { cost: 12 };
        assert!(bcrypt.verify("secret", BCRYPT_SECRET).unwrap().matches);
        assert!(matches!(
            bcrypt.verify("secret", ARGON2_SECRET),
            Err(StoredHashProblem::Unidentified { .. })
        ));
        assert!(matches!(
            Scheme::Argon2.verify("secret", BCRYPT_SECRET),
            Err(StoredHashProblem::Unidentified { .. })
        ));
        assert!(
            Scheme::Argon2
                .verify("secret", ARGON2_SECRET)
                .unwrap()
                .matches
        );
        for stored in [BCRYPT_SECRET, ARGON2_SECRET] {
            assert!(
                Scheme::Argon2Bcrypt
                    .verify("secret", stored)
                    .unwrap()
                    .matches
            );
            assert!(
                !Scheme::Argon2Bcrypt
                    .verify("Secret", stored)
                    .unwrap()
                    .matches
            );
        }
    }

    #[test]
    fn bcrypt_hashes_have_the_scheme_cost_and_refuse_long_passwords() {
        let hasher = Hasher {
            scheme: Scheme::Bcrypt { cost: 5 },
            profile: HashProfile::Service,
        };
        let hash = hasher.hash("swordfish").unwrap();
        assert!(hash.starts_with("$2b$05$"), "{hash}");
        assert!(
            Scheme::Bcrypt { cost: 5 }
                .verify("swordfish", &hash)
                .unwrap()
                .matches
        );
        let test = Hasher {
            profile: HashProfile::Test,
            ..hasher
        };
        assert!(test.hash("x").unwrap().starts_with("$2b$04$"));
        assert!(hasher.hash(&"a".repeat(72)).is_ok());
        assert!(hasher.hash(&"a".repeat(73)).is_err());
        assert!(hasher.hash("a\0b").is_err());
        let argon2 = Hasher {
            scheme: Scheme::Argon2,
            profile: HashProfile::Test,
        };
        assert!(
            argon2
                .hash(&"a".repeat(73))
                .unwrap()
                .starts_with("$argon2id$v=19$m=8,t=1,p=1$")
        );
    }

    #[test]
    fn passlib_reads_72_bytes_pwdlib_raises_on_more() {
        let long = "a".repeat(80);
        let hash = bcrypt::hash_with_salt(&long[..72], 4, [7; 16])
            .unwrap()
            .format_for_version(bcrypt::Version::TwoB);
        let passlib = Scheme::Bcrypt { cost: 4 };
        assert!(passlib.verify(&long, &hash).unwrap().matches);
        assert!(
            Scheme::Argon2Bcrypt
                .verify(&long[..72], &hash)
                .unwrap()
                .matches
        );
        assert!(matches!(
            Scheme::Argon2Bcrypt.verify(&long, &hash),
            Err(StoredHashProblem::ServiceError { .. })
        ));
        assert!(matches!(
            passlib.verify("a\0", &hash),
            Err(StoredHashProblem::ServiceError { .. })
        ));
    }

    #[test]
    fn the_bcrypt_dummy_has_the_scheme_cost() {
        let dummy = format!("$2b${:02}{}", 10, &DUMMY_BCRYPT[6..]);
        assert_eq!(dummy.len(), DUMMY_BCRYPT.len());
        assert!(matches!(
            inspect(&dummy),
            Ok(HashInfo::Bcrypt { cost: 10, .. })
        ));
    }

    #[test]
    fn rehash_follows_the_service_library() {
        let bcrypt = inspect(BCRYPT_SECRET).unwrap();
        let argon2 = inspect(ARGON2_SECRET).unwrap();
        assert!(!Scheme::Bcrypt { cost: 12 }.needs_rehash(&bcrypt));
        assert!(Scheme::Argon2Bcrypt.needs_rehash(&bcrypt));
        assert!(!Scheme::Argon2Bcrypt.needs_rehash(&argon2));
        assert_eq!(
            Scheme::Bcrypt { cost: 12 }.profile_of(&bcrypt),
            ProfileMatch::Service
        );
        assert_eq!(
            Scheme::Argon2Bcrypt.profile_of(&bcrypt),
            ProfileMatch::Other
        );
        assert_eq!(Scheme::Argon2.profile_of(&argon2), ProfileMatch::Service);
    }
}
