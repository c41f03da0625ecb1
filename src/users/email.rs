//! An email address as the full-stack template's and fastapi-users' models take it: pydantic's
//! `EmailStr`, which strips a `Name <address>` form and surrounding whitespace, then calls
//! email-validator 2's `validate_email(check_deliverability=False)` and keeps its `normalized`
//! form. So authctl refuses what the application's own routes would refuse (and later fail to
//! list), and stores what the application would store.
//!
//! NOTE: email-validator checks internationalised domains with the `idna` package (IDNA 2008);
//! here the `idna` crate (UTS 46) does, with IDNA 2008's refusal of symbols and punctuation in
//! labels added, and characters newer than the application's Unicode (14.0, Python 3.11's)
//! refused as it refuses them. The differential test (tests/cli/emails.rs) pins where the two
//! agree.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

/// pydantic's cap on the input, before anything else.
const MAX_INPUT: usize = 2048;
/// RFC 5321's limits, as email-validator applies them (in UTF-8 bytes for the whole address).
const MAX_ADDRESS: usize = 254;
const MAX_DOMAIN: usize = 253;
const MAX_LABEL: usize = 63;
/// email-validator 2.3's special-use and reserved names: the domain, or any name under it.
const SPECIAL_USE: [&str; 6] = ["arpa", "invalid", "local", "localhost", "onion", "test"];
/// RFC 2142's role mailboxes, which email-validator lower-cases.
const ROLE_MAILBOXES: [&str; 15] = [
    "info",
    "marketing",
    "sales",
    "support",
    "abuse",
    "noc",
    "security",
    "postmaster",
    "hostmaster",
    "usenet",
    "news",
    "webmaster",
    "www",
    "uucp",
    "ftp",
];

/// The address the application would store, or why its model refuses `value`.
pub fn email_str(value: &str) -> Result<String, String> {
    if value.chars().count() > MAX_INPUT {
        return Err(format!("is longer than {MAX_INPUT} characters"));
    }
    if value.contains(['\r', '\n']) {
        return Err("contains a line break".to_owned());
    }
    let address = trim(without_display_name(value).unwrap_or(value));
    let (local, domain) = split(address)?;
    let local = local_part(local)?;
    let (domain, ascii_domain) = domain_name(domain)?;
    let normalized = format!("{local}@{domain}");
    for form in [
        address,
        normalized.as_str(),
        &format!("{local}@{ascii_domain}"),
    ] {
        if form.len() > MAX_ADDRESS {
            return Err(format!(
                "is too long: {} bytes, where an address has at most {MAX_ADDRESS}",
                form.len()
            ));
        }
    }
    Ok(normalized)
}

/// Python's `str.strip()`: Unicode whitespace and the ASCII separators U+001C to U+001F.
fn trim(value: &str) -> &str {
    value.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// `Name <address>` or `"Name" <address>`: the address, as pydantic's pattern finds it. A name
/// with a period is refused: pydantic 2.13 (the template's) does not take it, 2.14 does.
fn without_display_name(value: &str) -> Option<&str> {
    let trimmed = trim(value);
    let inner = trimmed.strip_suffix('>')?;
    let (name, address) = inner.split_once('<')?;
    let name = trim(name);
    let name_char = |c: char| c.is_alphanumeric() || c == '_' || "!#$%&'*+-/=?^`{|}~".contains(c);
    let quoted = name.len() > 2 && name.starts_with('"') && name.ends_with('"');
    let plain = name
        .split(char::is_whitespace)
        .filter(|w| !w.is_empty())
        .all(|word| word.chars().all(name_char));
    (!address.is_empty() && (quoted || plain)).then_some(address)
}

/// At the first `@`, or `Err` at a `<` before it: email-validator takes that for a display
/// name, refused here, before NFC can fold it into a letter (`<` and U+0338 into `≮`).
/// email-validator also splits outside quotes, but a quote is refused wherever it is (no quoted
/// local parts, none in a domain), so the first `@` gives the same verdicts.
fn split(address: &str) -> Result<(&str, &str), String> {
    let at = address.find(['@', '<']).ok_or("has no @-sign")?;
    if address[at..].starts_with('<') {
        return Err(
            "has an angle bracket before the @-sign (a display name), which the \
                    application refuses"
                .to_owned(),
        );
    }
    Ok((&address[..at], &address[at + 1..]))
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_!#$%&'*+-/=?^`{|}~".contains(c) || !c.is_ascii()
}

/// The local part: a dot-atom (internationalised characters allowed, quoting not), in NFC,
/// role mailboxes lower-cased.
fn local_part(local: &str) -> Result<String, String> {
    if local.is_empty() {
        return Err("has nothing before the @-sign".to_owned());
    }
    let local: String = local.nfc().collect();
    if local.starts_with('"') {
        return Err("quotes the part before the @-sign, which the application refuses".to_owned());
    }
    if local.chars().any(|c| c != '.' && !is_atext(c)) {
        return Err("has a character an address cannot have before the @-sign".to_owned());
    }
    dots(&local, "before the @-sign")?;
    unsafe_chars(&local)?;
    if ROLE_MAILBOXES.contains(&local.to_ascii_lowercase().as_str()) {
        return Ok(local.to_ascii_lowercase());
    }
    Ok(local)
}

fn dots(text: &str, place: &str) -> Result<(), String> {
    if text.starts_with('.') || text.ends_with('.') {
        return Err(format!("starts or ends with a period {place}"));
    }
    if text.contains("..") {
        return Err(format!("has two periods in a row {place}"));
    }
    Ok(())
}

/// email-validator's unsafe characters: marks at the start, spaces, separators, controls,
/// format and unassigned characters.
fn unsafe_chars(text: &str) -> Result<(), String> {
    let bad = text
        .chars()
        .enumerate()
        .find(|&(i, c)| unassigned_in_unicode_14(c) || unsafe_category(i, c));
    match bad {
        Some((_, c)) => Err(format!(
            "contains U+{:04X}, an unsafe character",
            u32::from(c)
        )),
        None => Ok(()),
    }
}

fn unsafe_category(i: usize, c: char) -> bool {
    match c.general_category_group() {
        GeneralCategoryGroup::Letter
        | GeneralCategoryGroup::Number
        | GeneralCategoryGroup::Punctuation
        | GeneralCategoryGroup::Symbol => false,
        GeneralCategoryGroup::Mark => i == 0,
        _ => true,
    }
}

/// Unassigned to the application's Python (Unicode 14), whatever newer tables say.
fn unassigned_in_unicode_14(c: char) -> bool {
    use std::cmp::Ordering;
    let c = u32::from(c);
    super::unicode14::UNASSIGNED
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                Ordering::Less
            } else if lo > c {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        })
        .is_ok()
}

/// The domain in Unicode (as the application stores it) and in ASCII (as DNS has it).
fn domain_name(domain: &str) -> Result<(String, String), String> {
    use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
    if domain.is_empty() {
        return Err("has nothing after the @-sign".to_owned());
    }
    if domain.starts_with('[') {
        return Err("has an IP address after the @-sign, which the application refuses".to_owned());
    }
    let invalid = |c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.' || !c.is_ascii());
    if domain.chars().any(invalid) {
        return Err("has a character an address cannot have after the @-sign".to_owned());
    }
    unsafe_chars(domain)?;
    let uts46 = Uts46::new();
    let (mapped, result) =
        uts46.to_unicode(domain.as_bytes(), AsciiDenyList::EMPTY, Hyphens::Allow);
    let bad_label = || "has a part after the @-sign that is not a valid domain name".to_owned();
    result.map_err(|_| bad_label())?;
    // Punycode labels decode to characters that must pass the same test.
    unsafe_chars(&mapped)?;
    if mapped.chars().any(invalid) {
        return Err("has a character an address cannot have after the @-sign".to_owned());
    }
    hostname(&mapped)?;
    if mapped
        .split('.')
        .any(|label| !label.is_ascii() && !idna2008_letters(label))
    {
        return Err(bad_label());
    }
    let ascii = uts46
        .to_ascii(
            mapped.as_bytes(),
            AsciiDenyList::EMPTY,
            Hyphens::Check,
            DnsLength::Ignore,
        )
        .map_err(|_| bad_label())?
        .into_owned();
    if ascii.len() > MAX_DOMAIN {
        return Err(format!(
            "has {} characters after the @-sign, where a domain has at most {MAX_DOMAIN}",
            ascii.len()
        ));
    }
    if ascii.split('.').any(|label| label.len() > MAX_LABEL) {
        return Err(format!(
            "has a label of more than {MAX_LABEL} characters after the @-sign"
        ));
    }
    if !ascii.contains('.') {
        return Err("has no period after the @-sign".to_owned());
    }
    if !ascii.ends_with(|c: char| c.is_ascii_alphabetic()) {
        return Err("does not end in a top-level domain".to_owned());
    }
    if SPECIAL_USE
        .iter()
        .any(|name| ascii == *name || ascii.ends_with(&format!(".{name}")))
    {
        return Err(
            "is at a special-use or reserved domain, which cannot receive email".to_owned(),
        );
    }
    Ok((mapped.into_owned(), ascii))
}

/// Hyphens and periods where a host name allows them, and `ab--` only as Punycode's `xn--`.
fn hostname(domain: &str) -> Result<(), String> {
    dots(domain, "after the @-sign")?;
    for label in domain.split('.') {
        if label.starts_with('-') || label.ends_with('-') {
            return Err(
                "has a label that starts or ends with a hyphen after the @-sign".to_owned(),
            );
        }
        let chars: Vec<char> = label.chars().take(4).collect();
        if chars.len() == 4
            && chars[2..] == ['-', '-']
            && !label.to_ascii_lowercase().starts_with("xn")
        {
            return Err("has two hyphens after two letters after the @-sign".to_owned());
        }
    }
    Ok(())
}

/// IDNA 2008 takes letters, marks and digits in a label; not symbols (emoji) or punctuation,
/// but for a hyphen and the few it allows in context (RFC 5892's CONTEXTO rules): Catalan's
/// middle dot between two l's, the Greek keraia before a Greek letter, the Hebrew geresh and
/// gershayim after a Hebrew letter, the Katakana middle dot in a label with kana or Han.
fn idna2008_letters(label: &str) -> bool {
    let chars: Vec<char> = label.chars().collect();
    let in_ranges = |c: char, ranges: &[(u32, u32)]| {
        ranges
            .iter()
            .any(|&(lo, hi)| (lo..=hi).contains(&u32::from(c)))
    };
    let greek = [(0x370, 0x3ff), (0x1f00, 0x1fff)];
    let hebrew = [(0x590, 0x5ff)];
    let kana_or_han = [
        (0x3040, 0x30fa),
        (0x30fc, 0x30ff),
        (0x3400, 0x4dbf),
        (0x4e00, 0x9fff),
    ];
    chars.iter().enumerate().all(|(i, &c)| {
        let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let after = chars.get(i + 1).copied();
        match c {
            '-' => true,
            '\u{b7}' => before == Some('l') && after == Some('l'),
            '\u{375}' => after.is_some_and(|a| in_ranges(a, &greek)),
            '\u{5f3}' | '\u{5f4}' => before.is_some_and(|b| in_ranges(b, &hebrew)),
            '\u{30fb}' => chars.iter().any(|&o| in_ranges(o, &kana_or_han)),
            _ => matches!(
                c.general_category(),
                GeneralCategory::LowercaseLetter
                    | GeneralCategory::OtherLetter
                    | GeneralCategory::ModifierLetter
                    | GeneralCategory::NonspacingMark
                    | GeneralCategory::SpacingMark
                    | GeneralCategory::DecimalNumber
            ),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domain_is_stored_as_the_application_normalises_it() {
        assert_eq!(email_str("Carol@Example.COM").unwrap(), "Carol@example.com");
        assert_eq!(email_str("  ann@example.com ").unwrap(), "ann@example.com");
        assert_eq!(
            email_str("Ann Lee <ann@example.com>").unwrap(),
            "ann@example.com"
        );
        assert_eq!(
            email_str("Postmaster@example.com").unwrap(),
            "postmaster@example.com"
        );
        assert_eq!(email_str("jörg@MÜNCHEN.de").unwrap(), "jörg@münchen.de");
        assert_eq!(email_str("a@xn--mnchen-3ya.de").unwrap(), "a@münchen.de");
    }

    #[test]
    fn what_the_application_refuses_is_refused() {
        for refused in [
            "ops@svc.local",
            "ci@localhost",
            "a@x.test",
            "a@b.onion",
            "a@10.in-addr.arpa",
            "a@example",
            "a@example.123",
            "a@[127.0.0.1]",
            "\"a b\"@example.com",
            "a..b@example.com",
            ".a@example.com",
            "a@-x.com",
            "a@x..com",
            "a@ab--c.com",
            "a@b.com.",
            "a@",
            "@b.com",
            "a b@c.com",
            "a@b@c.com",
            "a\u{200b}@example.com",
            "a@☃.com",
            "a@b.com\n",
            "a\u{897}@example.com",
            "a\u{1fae8}@example.com",
        ] {
            assert!(email_str(refused).is_err(), "{refused:?}");
        }
        let long_label = format!("a@{}.com", "x".repeat(64));
        assert!(email_str(&long_label).is_err());
        // pydantic's cap counts the whole input, display name and all.
        let named = |len: usize| format!("{} <a@example.com>", "N".repeat(len - 16));
        assert_eq!(named(2048).chars().count(), 2048);
        assert_eq!(email_str(&named(2048)).unwrap(), "a@example.com");
        assert!(email_str(&named(2049)).is_err());
        let long = format!("{}@example.com", "a".repeat(254 - 12));
        assert_eq!(email_str(&long).unwrap(), long);
        assert!(email_str(&format!("a{long}")).is_err());
    }
}
