//! Names a person could take for one another. The service tells `alice`, `Alice` and `аlice`
//! (Cyrillic а) apart, an operator reading a list does not: a new username that only differs
//! from an existing one in case, or that has the same Unicode TR39 confusable skeleton, is a
//! conflict unless the operator insists.

use std::fmt;

/// The forms a look-alike shares with the name it looks like: TR39's confusable skeleton of the
/// lowercased name, and of the name as written (the skeleton is case-sensitive: it maps `I` to
/// `l`, which lowercasing first would hide), each lowercased. Two names look alike when they have
/// a form in common.
pub fn keys(name: &str) -> [String; 2] {
    [skeleton(&name.to_lowercase()), skeleton(name)]
}

/// TR39's skeleton, lowercased. `add-user` computes it for every stored name, so ASCII names
/// (nearly all) take a table: for ASCII the skeleton is the concatenation of each character's,
/// since normalisation leaves ASCII as it is and the confusable targets of ASCII are ASCII.
fn skeleton(name: &str) -> String {
    static ASCII: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    if !name.is_ascii() {
        return unicode_security::skeleton(name)
            .flat_map(char::to_lowercase)
            .collect();
    }
    let table = ASCII.get_or_init(|| {
        (0..128_u8)
            .map(|b| {
                let c = char::from(b).to_string();
                unicode_security::skeleton(&c)
                    .flat_map(char::to_lowercase)
                    .collect()
            })
            .collect()
    });
    name.bytes()
        .map(|b| table[usize::from(b)].as_str())
        .collect()
}

/// Whether two names have a look-alike form in common.
fn alike(a: &[String; 2], b: &[String; 2]) -> bool {
    a.iter().any(|key| b.contains(key))
}

/// How two different names look alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Likeness {
    /// They differ only in case.
    Case,
    /// They map to the same confusable skeleton.
    Confusable,
}

/// A new name that looks like an existing user's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookAlike {
    pub username: String,
    pub existing: String,
    pub likeness: Likeness,
    /// What the login is called: "username", or "email" on the shapes that log in by email.
    pub noun: &'static str,
}

impl LookAlike {
    /// `Some` when `username` and `existing` differ but a person could take one for the other.
    pub fn of(username: &str, existing: &str) -> Option<LookAlike> {
        if username == existing || !alike(&keys(username), &keys(existing)) {
            return None;
        }
        let likeness = if username.to_lowercase() == existing.to_lowercase() {
            Likeness::Case
        } else {
            Likeness::Confusable
        };
        Some(LookAlike {
            username: username.to_owned(),
            existing: existing.to_owned(),
            likeness,
            noun: "username",
        })
    }

    /// The same, for a login called `noun`.
    #[must_use]
    pub fn named(self, noun: &'static str) -> Self {
        LookAlike { noun, ..self }
    }
}

impl LookAlike {
    /// Why the two look alike: "they differ only in case", or the confusable mapping.
    pub fn why(&self) -> Why<'_> {
        Why(self)
    }
}

impl fmt::Display for LookAlike {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} '{}' looks like existing user '{}': {}",
            self.noun,
            self.username,
            self.existing,
            self.why()
        )
    }
}

/// The reason part of a [`LookAlike`]'s message.
pub struct Why<'a>(&'a LookAlike);

impl fmt::Display for Why<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let found = self.0;
        match found.likeness {
            Likeness::Case => f.write_str("they differ only in case"),
            Likeness::Confusable => {
                f.write_str("the same under Unicode's confusable mapping")?;
                let unusual: Vec<String> = found
                    .username
                    .chars()
                    .filter(|c| !c.is_ascii())
                    .map(|c| format!("U+{:04X}", u32::from(c)))
                    .collect();
                if unusual.is_empty() {
                    Ok(())
                } else {
                    write!(f, " (it has {})", unusual.join(", "))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn likeness(a: &str, b: &str) -> Option<Likeness> {
        LookAlike::of(a, b).map(|l| l.likeness)
    }

    #[test]
    fn case_and_confusables_look_alike() {
        assert_eq!(likeness("OK", "ok"), Some(Likeness::Case));
        assert_eq!(likeness("Alice", "alice"), Some(Likeness::Case));
        assert_eq!(likeness("\u{430}lice", "alice"), Some(Likeness::Confusable));
        assert_eq!(likeness("paypa1", "paypal"), Some(Likeness::Confusable));
        assert_eq!(likeness("rn", "m"), Some(Likeness::Confusable));
        assert_eq!(likeness("\u{410}LICE", "alice"), Some(Likeness::Confusable));
        assert_eq!(likeness("aIice", "alice"), Some(Likeness::Confusable));
        assert_eq!(likeness("paypaI", "paypal"), Some(Likeness::Confusable));
        assert_eq!(likeness("ALICE", "Alice"), Some(Likeness::Case));
    }

    /// The ASCII table gives what the full algorithm gives, for every pair of printable ASCII
    /// characters and for whole names.
    #[test]
    fn the_ascii_table_is_the_skeleton() {
        let slow = |s: &str| -> String {
            unicode_security::skeleton(s)
                .flat_map(char::to_lowercase)
                .collect()
        };
        let printable: Vec<char> = (0x20_u8..0x7f).map(char::from).collect();
        for a in &printable {
            for b in &printable {
                let pair = format!("{a}{b}");
                assert_eq!(skeleton(&pair), slow(&pair), "{pair:?}");
            }
        }
        for name in ["rnicrosoft", "paypa1", "aIice", "O0o-l1I|", "user_1234"] {
            assert_eq!(skeleton(name), slow(name), "{name}");
        }
    }

    #[test]
    fn different_names_do_not() {
        assert_eq!(likeness("alice", "alice"), None);
        assert_eq!(likeness("alice", "alicia"), None);
        assert_eq!(likeness("user1", "user2"), None);
        assert_eq!(likeness("bob", "bobby"), None);
    }

    #[test]
    fn the_message_names_the_unusual_characters() {
        let found = LookAlike::of("\u{430}lice", "alice").unwrap();
        assert_eq!(
            found.to_string(),
            "username '\u{430}lice' looks like existing user 'alice': the same under Unicode's \
             confusable mapping (it has U+0430)"
        );
        let case = LookAlike::of("OK", "ok").unwrap();
        assert_eq!(
            case.to_string(),
            "username 'OK' looks like existing user 'ok': they differ only in case"
        );
    }
}
