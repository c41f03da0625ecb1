//! Tokens exactly as the services issue them (access, password reset, email verification):
//! HS256 JWTs signed with the service's secret string as UTF-8 bytes; and [`decode()`], which
//! takes a token apart as the services' PyJWT does.

mod decode;

pub use decode::{Refusal, decode, expiry, python_int_str, time};

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::password::SecretString;
use crate::shape::{Audience, TokenKind};

/// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
pub const MIN_KEY_BYTES: usize = 32;

/// The key FastAPI's tutorial publishes; services copied from it run with it, and anyone can
/// forge tokens for them.
pub const TUTORIAL_EXAMPLE_KEY: &str =
    "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7";

/// Longest lifetime accepted: a token cannot be revoked before it expires.
pub const MAX_LIFETIME: Duration = Duration::from_secs(366 * 24 * 60 * 60);
/// [`MAX_LIFETIME`] as people write it.
const MAX_LIFETIME_TEXT: &str = "366 days";

/// The signing key. Never printed: its `Debug` hides the bytes.
pub struct SigningKey(SecretString);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// Checks a key the way the service will use it: the string's UTF-8 bytes, not hex-decoded.
    pub fn new(key: SecretString, allow_example_key: bool) -> Result<Self> {
        if key.len() < MIN_KEY_BYTES {
            return Err(Error::invalid(format!(
                "the signing key is {} bytes long; HS256 needs at least {MIN_KEY_BYTES} (make one with `openssl rand -hex 32`)",
                key.len()
            )));
        }
        if key.as_str() == TUTORIAL_EXAMPLE_KEY && !allow_example_key {
            return Err(Error::ExampleKey);
        }
        Ok(SigningKey(key))
    }

    /// A key to check tokens with, taken as the service holds it: PyJWT only warns about a
    /// short key, and a service may run with the example key.
    pub fn for_judging(key: SecretString) -> Self {
        SigningKey(key)
    }

    /// Under [`MIN_KEY_BYTES`].
    pub fn is_short(&self) -> bool {
        self.0.len() < MIN_KEY_BYTES
    }

    pub fn is_example_key(&self) -> bool {
        self.0.as_str() == TUTORIAL_EXAMPLE_KEY
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// One scope of the FastAPI "OAuth2 scopes" chapter, as RFC 6749 §3.3 allows it: printable
/// ASCII without spaces, quotes or backslashes (the claim joins them with spaces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope(String);

impl Scope {
    pub fn parse(text: &str) -> Result<Self> {
        let allowed = |c: char| c == '!' || ('#'..='[').contains(&c) || (']'..='~').contains(&c);
        if text.is_empty() || !text.chars().all(allowed) {
            return Err(Error::invalid(format!(
                "scope {text:?} is not one OAuth2 scope: printable ASCII without spaces, quotes or \
                 backslashes (RFC 6749 §3.3); give each scope on its own"
            )));
        }
        Ok(Scope(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a token says besides its times, in the service's terms.
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    pub subject: &'a str,
    pub kind: &'a TokenKind,
    /// fastapi-users' verify token's `email`.
    pub email: Option<&'a str>,
    /// fastapi-users' reset token's `password_fgpt`.
    pub fingerprint: Option<&'a str>,
    /// The access token's `scope` claim, written only when there are some.
    pub scopes: &'a [Scope],
}

/// A signed token and its expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub jwt: String,
    /// Seconds since the Unix epoch.
    pub expires_at: i64,
}

/// Checks a token lifetime: whole seconds, at least one, at most [`MAX_LIFETIME`].
pub fn check_lifetime(lifetime: Duration) -> Result<i64> {
    if lifetime < Duration::from_secs(1) || lifetime > MAX_LIFETIME {
        return Err(Error::invalid(format!(
            "token lifetime {} is out of range (1 second to {MAX_LIFETIME_TEXT})",
            crate::duration::human(lifetime),
        )));
    }
    if lifetime.subsec_nanos() != 0 {
        return Err(Error::invalid(format!(
            "token lifetime {} is not a whole number of seconds (exp is in seconds)",
            crate::duration::human(lifetime)
        )));
    }
    i64::try_from(lifetime.as_secs()).map_err(|_| Error::invalid("token lifetime is too long"))
}

/// Whole seconds since the Unix epoch.
pub fn unix_seconds(now: SystemTime) -> Result<i64> {
    let now = now
        .duration_since(UNIX_EPOCH)
        .map_err(|_| Error::Internal("the system clock is before 1970".to_owned()))?;
    i64::try_from(now.as_secs())
        .map_err(|_| Error::Internal("the system clock is out of range".to_owned()))
}

/// The claims of `grant` (`sub` first, as fastapi-users writes them; PyJWT reads them in any
/// order). No `iat`: PyJWT rejects an
/// `iat` in the future, so a clock a second ahead of the service's would make the token fail.
fn claims(grant: &Grant<'_>, now: i64, expires_at: i64) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".to_owned(), grant.subject.into());
    if let Some(email) = grant.email {
        claims.insert("email".to_owned(), email.into());
    }
    if let Some(fingerprint) = grant.fingerprint {
        claims.insert("password_fgpt".to_owned(), fingerprint.into());
    }
    if !grant.scopes.is_empty() {
        let scopes: Vec<&str> = grant.scopes.iter().map(Scope::as_str).collect();
        claims.insert("scope".to_owned(), scopes.join(" ").into());
    }
    match grant.kind.audience {
        Some(Audience::List(aud)) => claims.insert("aud".to_owned(), vec![aud].into()),
        Some(Audience::Text(aud)) => claims.insert("aud".to_owned(), aud.into()),
        None => None,
    };
    claims.insert("exp".to_owned(), expires_at.into());
    if grant.kind.not_before {
        claims.insert("nbf".to_owned(), now.into());
    }
    claims
}

/// Signs `grant`'s claims, with `exp` = now + lifetime, with HS256.
pub fn issue(
    key: &SigningKey,
    grant: &Grant<'_>,
    lifetime: Duration,
    now: SystemTime,
) -> Result<Token> {
    let lifetime = check_lifetime(lifetime)?;
    let now = unix_seconds(now)?;
    let expires_at = now + lifetime;
    // Header::new gives {"typ":"JWT","alg":"HS256"}, the service's own header.
    let jwt = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(grant, now, expires_at),
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .map_err(|e| Error::Internal(format!("signing the token: {e}")))?;
    Ok(Token { jwt, expires_at })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{FASTAPI_TEMPLATE, FASTAPI_USERS, TUTORIAL};
    use jsonwebtoken::{DecodingKey, Validation};

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    fn decoded(token: &Token, audience: &[&str]) -> Value {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_nbf = true;
        if audience.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(audience);
        }
        jsonwebtoken::decode::<Value>(
            &token.jwt,
            &DecodingKey::from_secret(KEY.as_bytes()),
            &validation,
        )
        .unwrap()
        .claims
    }

    fn grant<'a>(subject: &'a str, kind: &'a TokenKind) -> Grant<'a> {
        Grant {
            subject,
            kind,
            email: None,
            fingerprint: None,
            scopes: &[],
        }
    }

    #[test]
    fn token_decodes_with_the_key_string_bytes() {
        let key = SigningKey::new(KEY.to_owned().into(), false).unwrap();
        let now = SystemTime::now();
        let access = &TUTORIAL.token.access;
        let token = issue(&key, &grant("alice", access), access.lifetime, now).unwrap();
        assert_eq!(
            decoded(&token, &[]),
            serde_json::json!({"sub": "alice", "exp": token.expires_at})
        );
        let header = jsonwebtoken::decode_header(&token.jwt).unwrap();
        assert_eq!(header.typ.as_deref(), Some("JWT"));
    }

    #[test]
    fn each_kind_writes_the_services_claims() {
        let key = SigningKey::new(KEY.to_owned().into(), false).unwrap();
        let now = SystemTime::now();
        let unix = unix_seconds(now).unwrap();
        let users = &FASTAPI_USERS.token;
        let token = issue(&key, &grant("7", &users.access), users.access.lifetime, now).unwrap();
        assert_eq!(
            decoded(&token, &["fastapi-users:auth"]),
            serde_json::json!({"sub": "7", "aud": ["fastapi-users:auth"], "exp": unix + 3600})
        );
        let reset = users.reset.as_ref().unwrap();
        let with_print = Grant {
            fingerprint: Some("$argon2id$x"),
            ..grant("7", reset)
        };
        let token = issue(&key, &with_print, reset.lifetime, now).unwrap();
        assert_eq!(
            decoded(&token, &["fastapi-users:reset"]),
            serde_json::json!({"sub": "7", "password_fgpt": "$argon2id$x",
                "aud": "fastapi-users:reset", "exp": unix + 3600})
        );
        let verify = users.verify.as_ref().unwrap();
        let with_email = Grant {
            email: Some("a@example.com"),
            ..grant("7", verify)
        };
        let token = issue(&key, &with_email, verify.lifetime, now).unwrap();
        assert_eq!(
            decoded(&token, &["fastapi-users:verify"]),
            serde_json::json!({"sub": "7", "email": "a@example.com",
                "aud": "fastapi-users:verify", "exp": unix + 3600})
        );
        let template = FASTAPI_TEMPLATE.token.reset.as_ref().unwrap();
        let token = issue(
            &key,
            &grant("a@example.com", template),
            template.lifetime,
            now,
        )
        .unwrap();
        assert_eq!(
            decoded(&token, &[]),
            serde_json::json!({"sub": "a@example.com", "exp": unix + 48 * 3600, "nbf": unix})
        );
        let scopes = [Scope::parse("me").unwrap(), Scope::parse("items").unwrap()];
        let access = &TUTORIAL.token.access;
        let with_scopes = Grant {
            scopes: &scopes,
            ..grant("alice", access)
        };
        let token = issue(&key, &with_scopes, access.lifetime, now).unwrap();
        assert_eq!(decoded(&token, &[])["scope"], "me items");
    }

    #[test]
    fn a_scope_is_one_rfc_6749_scope_token() {
        for good in ["me", "items:read", "a!#[]~"] {
            assert!(Scope::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "me items", "a\\b", "a\"b", "caf\u{e9}", "tab\t"] {
            assert!(Scope::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn weak_and_example_keys_are_refused() {
        assert!(SigningKey::new("short".to_owned().into(), false).is_err());
        assert!(SigningKey::new(TUTORIAL_EXAMPLE_KEY.to_owned().into(), false).is_err());
        assert!(SigningKey::new(TUTORIAL_EXAMPLE_KEY.to_owned().into(), true).is_ok());
    }

    #[test]
    fn a_judged_key_is_short_under_32_bytes() {
        assert!(!SigningKey::for_judging("k".repeat(32).into()).is_short());
        assert!(SigningKey::for_judging("k".repeat(31).into()).is_short());
    }

    #[test]
    fn a_key_never_shows_in_debug_output() {
        let key = SigningKey::new("k".repeat(40).into(), false).unwrap();
        assert_eq!(format!("{key:?}"), "SigningKey(..)");
    }

    #[test]
    fn lifetimes_are_checked() {
        assert!(check_lifetime(Duration::ZERO).is_err());
        assert!(check_lifetime(Duration::from_millis(1500)).is_err());
        assert!(check_lifetime(MAX_LIFETIME + Duration::from_secs(1)).is_err());
        assert_eq!(
            check_lifetime(TUTORIAL.token.access.lifetime).unwrap(),
            1800
        );
    }
}
