//! The password policy for new passwords, in the spirit of NIST SP 800-63B and Django's
//! validators: long enough, not a well-known password, not mostly the username or the email.
//! Passwords are judged, never changed: the service compares the bytes it receives.

use std::fmt;

/// Django's and NIST's minimum.
pub const DEFAULT_MIN_LENGTH: u16 = 8;

/// What a new password must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// In characters (Unicode scalar values), as people count them.
    pub min_length: usize,
    /// False when the operator insists on a weak password: it is stored, with a warning.
    pub enforce: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            min_length: usize::from(DEFAULT_MIN_LENGTH),
            enforce: true,
        }
    }
}

/// Why a password is weak. Never quotes the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    TooShort { min: usize },
    Common,
    LikeUsername,
    LikeEmail,
}

impl fmt::Display for Weakness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Weakness::TooShort { min } => write!(f, "it is shorter than {min} characters"),
            Weakness::Common => f.write_str("it is in the list of commonly used passwords"),
            Weakness::LikeUsername => f.write_str("it is mostly the username"),
            Weakness::LikeEmail => f.write_str("it is mostly the email address"),
        }
    }
}

impl Policy {
    /// The first weakness of `password` for this user, if any.
    pub fn weakness(
        &self,
        password: &str,
        username: &str,
        email: Option<&str>,
    ) -> Option<Weakness> {
        if password.chars().count() < self.min_length {
            return Some(Weakness::TooShort {
                min: self.min_length,
            });
        }
        let lower = password.to_lowercase();
        if passwords::analyzer::is_common_password(password)
            || passwords::analyzer::is_common_password(&lower)
        {
            return Some(Weakness::Common);
        }
        if self.mostly(&lower, username) {
            return Some(Weakness::LikeUsername);
        }
        let email = email.unwrap_or_default();
        let local = email.split('@').next().unwrap_or_default();
        if self.mostly(&lower, email) || self.mostly(&lower, local) {
            return Some(Weakness::LikeEmail);
        }
        None
    }

    /// Whether the password is a piece of `part` (ignoring case), or is left shorter than the
    /// minimum once every copy of `part` is taken out: `alice123`, `Alice!`, `ecila` for user
    /// alice; `quokkaland` for alice.quokkaland@example.com.
    fn mostly(&self, lower: &str, part: &str) -> bool {
        let part = part.to_lowercase();
        if part.chars().count() < 3 {
            return false;
        }
        let reversed: String = part.chars().rev().collect();
        if part.contains(lower) || reversed.contains(lower) {
            return true;
        }
        let rest = lower.replace(&part, "").replace(&reversed, "");
        rest.chars().count() < self.min_length
    }
}

/// Whether the password is in Unicode's composed form (NFC). Another keyboard or system may send
/// the same visible password as other bytes, which the service will not match.
pub fn is_nfc(password: &str) -> bool {
    unicode_normalization::is_nfc(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weakness(password: &str) -> Option<Weakness> {
        Policy::default().weakness(password, "alice", Some("liddell@example.com"))
    }

    #[test]
    fn short_common_and_personal_passwords_are_weak() {
        assert_eq!(weakness("1234567"), Some(Weakness::TooShort { min: 8 }));
        assert_eq!(weakness("pässwö"), Some(Weakness::TooShort { min: 8 }));
        assert_eq!(weakness("12345678"), Some(Weakness::Common));
        assert_eq!(weakness("PASSWORD1"), Some(Weakness::Common));
        // In the list only lowercased.
        assert_eq!(weakness("SUNFLOWER"), Some(Weakness::Common));
        assert_eq!(weakness("alice123"), Some(Weakness::Common));
        assert_eq!(weakness("Alice-7xq"), Some(Weakness::LikeUsername));
        assert_eq!(weakness("ALICE-alice"), Some(Weakness::LikeUsername));
        assert_eq!(weakness("ecila2024"), Some(Weakness::LikeUsername));
        assert_eq!(weakness("liddell@example.com"), Some(Weakness::LikeEmail));
        assert_eq!(weakness("Liddell!!"), Some(Weakness::LikeEmail));
    }

    #[test]
    fn good_passwords_pass() {
        assert_eq!(weakness("correct horse battery"), None);
        assert_eq!(weakness("alice in the garden"), None);
        assert_eq!(weakness("pässwörtchen"), None);
        let long = Policy {
            min_length: 12,
            enforce: true,
        };
        assert_eq!(
            long.weakness("tr0ub4dor&3", "bob", None),
            Some(Weakness::TooShort { min: 12 })
        );
        assert_eq!(long.weakness("tr0ub4dor&3xyz", "bob", None), None);
    }

    #[test]
    fn a_piece_of_the_name_or_email_is_weak() {
        let policy = Policy::default();
        let email = Some("alice.quokkaland@example.com");
        let weakness = |password| policy.weakness(password, "queen-of-hearts-42", email);
        assert_eq!(weakness("quokkaland"), Some(Weakness::LikeEmail));
        assert_eq!(weakness("dnalakkouq"), Some(Weakness::LikeEmail));
        assert_eq!(weakness("of-hearts-42"), Some(Weakness::LikeUsername));
        assert_eq!(weakness("hearts and spades"), None);
        // Names of three characters count; shorter ones would match too much.
        let short = |password, username| policy.weakness(password, username, None);
        assert_eq!(short("bob-bob-bob", "bob"), Some(Weakness::LikeUsername));
        assert_eq!(short("al-al-al-al", "al"), None);
    }

    #[test]
    fn composed_and_decomposed_forms_are_told_apart() {
        assert!(is_nfc("caf\u{e9}"));
        assert!(!is_nfc("cafe\u{301}"));
    }
}
