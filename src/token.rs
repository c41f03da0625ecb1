//! Access tokens exactly as the service issues them: HS256 JWTs with `sub` and `exp`, signed
//! with the service's `SECRET_KEY` string as UTF-8 bytes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::password::SecretString;

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

    pub fn is_example_key(&self) -> bool {
        self.0.as_str() == TUTORIAL_EXAMPLE_KEY
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// The claims the service reads. No `iat`: PyJWT rejects an `iat` in the future, so a clock a
/// second ahead of the service's would make the token fail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// fastapi-users' audience, a one-element list as it writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Vec<String>>,
    pub exp: i64,
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

/// Signs `{"sub": subject, "exp": now + lifetime}` (and `"aud": [audience]` when given) with
/// HS256.
pub fn issue(
    key: &SigningKey,
    subject: &str,
    audience: Option<&str>,
    lifetime: Duration,
    now: SystemTime,
) -> Result<Token> {
    let lifetime = check_lifetime(lifetime)?;
    let now = now
        .duration_since(UNIX_EPOCH)
        .map_err(|_| Error::Internal("the system clock is before 1970".to_owned()))?;
    let now = i64::try_from(now.as_secs())
        .map_err(|_| Error::Internal("the system clock is out of range".to_owned()))?;
    let expires_at = now + lifetime;
    let claims = Claims {
        sub: subject.to_owned(),
        aud: audience.map(|aud| vec![aud.to_owned()]),
        exp: expires_at,
    };
    // Header::new gives {"typ":"JWT","alg":"HS256"}, the service's own header.
    let jwt = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .map_err(|e| Error::Internal(format!("signing the token: {e}")))?;
    Ok(Token { jwt, expires_at })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::TUTORIAL;
    use jsonwebtoken::{DecodingKey, Validation};

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn token_decodes_with_the_key_string_bytes() {
        let key = SigningKey::new(KEY.to_owned().into(), false).unwrap();
        let now = SystemTime::now();
        let token = issue(&key, "alice", None, TUTORIAL.token.lifetime, now).unwrap();
        let decoded = jsonwebtoken::decode::<Claims>(
            &token.jwt,
            &DecodingKey::from_secret(KEY.as_bytes()),
            &Validation::new(Algorithm::HS256),
        )
        .unwrap();
        assert_eq!(decoded.claims.sub, "alice");
        assert_eq!(decoded.claims.exp, token.expires_at);
        assert_eq!(decoded.header.typ.as_deref(), Some("JWT"));
        assert_eq!(decoded.claims.aud, None);
        let token = issue(
            &key,
            "7",
            Some("fastapi-users:auth"),
            TUTORIAL.token.lifetime,
            now,
        )
        .unwrap();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&["fastapi-users:auth"]);
        let decoded = jsonwebtoken::decode::<Claims>(
            &token.jwt,
            &DecodingKey::from_secret(KEY.as_bytes()),
            &validation,
        )
        .unwrap();
        assert_eq!(
            decoded.claims.aud,
            Some(vec!["fastapi-users:auth".to_owned()])
        );
    }

    #[test]
    fn weak_and_example_keys_are_refused() {
        assert!(SigningKey::new("short".to_owned().into(), false).is_err());
        assert!(SigningKey::new(TUTORIAL_EXAMPLE_KEY.to_owned().into(), false).is_err());
        assert!(SigningKey::new(TUTORIAL_EXAMPLE_KEY.to_owned().into(), true).is_ok());
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
        assert_eq!(check_lifetime(TUTORIAL.token.lifetime).unwrap(), 1800);
    }
}
