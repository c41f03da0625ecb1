//! Tokens for a user, and tokens judged, as the table's service makes and takes them: which
//! user `sub` names and how the service finds it, what it requires of that user, and the
//! claims only some purposes carry (`email`, `password_fgpt`, `scope`).

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use super::find_named;
use crate::db::{Lookup, StoredUser, UserId};
use crate::error::{Error, Result};
use crate::password::{HashProfile, Hasher, Scheme};
use crate::shape::{Audience, IdKind, IdRead, Purpose, Requires, Shape, Subject, TokenKind};
use crate::token::{self, Grant, Refusal, Scope, SigningKey, Token};

/// fastapi-users' default password helper: pwdlib with Argon2 (which hashes) and bcrypt.
const FINGERPRINT: Hasher = Hasher {
    scheme: Scheme::Argon2Bcrypt,
    profile: HashProfile::Service,
};

/// What `issue_token` is asked for.
#[derive(Debug, Clone, Copy)]
pub struct TokenRequest<'a> {
    pub purpose: Purpose,
    /// `None`: the service's default for the purpose.
    pub lifetime: Option<Duration>,
    pub scopes: &'a [Scope],
    pub now: SystemTime,
}

/// A token made, with what it was made as.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: Token,
    pub lifetime: Duration,
    pub kind: &'static TokenKind,
}

/// Issues a token of `request.purpose` for an existing user the service would give one: active
/// (and, for a verify token, not verified yet), with the claims the table's service puts in its
/// own.
pub fn issue_token(
    store: &mut dyn Lookup,
    login: &str,
    key: &SigningKey,
    request: TokenRequest<'_>,
) -> Result<Issued> {
    let shape = store.shape();
    let kind = shape.token_kind(request.purpose)?;
    check_scopes(shape, kind, request.scopes)?;
    let stored = find_named(store, login)?.ok_or_else(|| Error::UserNotFound(login.to_owned()))?;
    let user = &stored.user;
    if user.disabled {
        return Err(Error::UserDisabled(login.to_owned()));
    }
    if kind.requires == Requires::Unverified && user.verified == Some(true) {
        return Err(Error::AlreadyVerified(login.to_owned()));
    }
    let subject = match kind.subject {
        Subject::Login => user.username.clone(),
        Subject::Id => user.id.to_string(),
    };
    let fingerprint = if kind.password_fingerprint {
        Some(FINGERPRINT.hash(&stored.hashed_password)?)
    } else {
        None
    };
    let grant = Grant {
        subject: &subject,
        kind,
        email: kind.email_claim.then_some(user.username.as_str()),
        fingerprint: fingerprint.as_deref(),
        scopes: request.scopes,
    };
    let lifetime = request.lifetime.unwrap_or(kind.lifetime);
    let token = token::issue(key, &grant, lifetime, request.now)?;
    Ok(Issued {
        token,
        lifetime,
        kind,
    })
}

/// Scopes are for access tokens, on the shape whose services read them.
fn check_scopes(shape: &Shape, kind: &TokenKind, scopes: &[Scope]) -> Result<()> {
    if scopes.is_empty() {
        return Ok(());
    }
    if kind.purpose != Purpose::Access {
        return Err(Error::invalid(format!(
            "scopes are for access tokens, not {} tokens",
            kind.purpose.name()
        )));
    }
    if !shape.token.scopes {
        return Err(Error::invalid(format!(
            "the {} service reads no scope claim; scopes are for services built on FastAPI's \
             \"OAuth2 scopes\" chapter (the tutorial's table)",
            shape.name
        )));
    }
    Ok(())
}

/// A token as the service would take it: accepted when `refusal` is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// The claims, once the signature verified.
    pub claims: Option<Map<String, Value>>,
    /// The login of the user the token names, when one exists.
    pub login: Option<String>,
    pub refusal: Option<Refusal>,
}

/// Judges `token` as the service's endpoint for `purpose` would, requiring `scopes` as a route
/// of the scopes chapter does.
pub fn judge_token(
    store: &mut dyn Lookup,
    jwt: &str,
    key: &SigningKey,
    purpose: Purpose,
    scopes: &[Scope],
    now: SystemTime,
) -> Result<Judgement> {
    let shape = store.shape();
    let kind = shape.token_kind(purpose)?;
    check_scopes(shape, kind, scopes)?;
    let claims = match token::decode(jwt, key, kind.audience.map(Audience::name), now) {
        Ok(claims) => claims,
        Err(refusal) => {
            return Ok(Judgement {
                claims: None,
                login: None,
                refusal: Some(refusal),
            });
        }
    };
    let (login, refusal) = match named_user(store, kind, &claims)? {
        Ok(stored) => {
            let refusal = user_refusal(kind, &stored, &claims, scopes).err();
            (Some(stored.user.username), refusal)
        }
        Err(refusal) => (None, Some(refusal)),
    };
    Ok(Judgement {
        claims: Some(claims),
        login,
        refusal,
    })
}

/// The user a token names, found as the service finds it.
fn named_user(
    store: &mut dyn Lookup,
    kind: &TokenKind,
    claims: &Map<String, Value>,
) -> Result<Result<StoredUser, Refusal>> {
    let text = |name: &str| match claims.get(name) {
        Some(Value::String(text)) => Ok(text.as_str()),
        Some(_) => Err(claim(&format!("{name} is not a string"))),
        None => Err(claim(&format!("has no {name} claim"))),
    };
    let sub = match text("sub") {
        Ok(sub) => sub,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if kind.email_claim {
        // fastapi-users' verify: the user by `email`, then `sub` must be that user's id.
        let email = match text("email") {
            Ok(email) => email,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let Some(stored) = store.find_user(email)? else {
            return Ok(Err(Refusal::UnknownUser));
        };
        return Ok(match service_id(store.shape(), sub) {
            Some(id) if id == stored.user.id => Ok(stored),
            Some(_) => Err(claim("sub is not the id of the user its email names")),
            None => Err(claim("sub is not a user id")),
        });
    }
    if kind.password_fingerprint && !claims.contains_key("password_fgpt") {
        return Ok(Err(claim("has no password_fgpt claim")));
    }
    let found = match kind.subject {
        Subject::Login => store.find_user(sub)?,
        Subject::Id => match service_id(store.shape(), sub) {
            Some(id) => store.find_by_id(&id)?,
            None => return Ok(Err(claim("sub is not a user id"))),
        },
    };
    Ok(found.ok_or(Refusal::UnknownUser))
}

/// What the service checks of the user found, in its order: the password fingerprint, the
/// scopes, then the status (or, for a verify token, that it is not verified yet).
fn user_refusal(
    kind: &TokenKind,
    stored: &StoredUser,
    claims: &Map<String, Value>,
    scopes: &[Scope],
) -> Result<(), Refusal> {
    if kind.password_fingerprint {
        let Some(Value::String(fingerprint)) = claims.get("password_fgpt") else {
            return Err(claim("password_fgpt is not a string"));
        };
        match FINGERPRINT
            .scheme
            .verify(&stored.hashed_password, fingerprint)
        {
            Ok(verification) if verification.matches => {}
            Ok(_) => return Err(Refusal::PasswordChanged),
            Err(_) => return Err(claim("password_fgpt is not a hash the service can verify")),
        }
    }
    if !scopes.is_empty() {
        let granted = match claims.get("scope") {
            None => Vec::new(),
            Some(Value::String(scope)) => scope.split(' ').collect(),
            Some(_) => return Err(claim("scope is not a string")),
        };
        let missing: Vec<String> = scopes
            .iter()
            .filter(|s| !granted.contains(&s.as_str()))
            .map(|s| s.as_str().to_owned())
            .collect();
        if !missing.is_empty() {
            return Err(Refusal::MissingScopes(missing));
        }
    }
    match kind.requires {
        Requires::Active if stored.user.disabled => Err(Refusal::Inactive),
        Requires::Unverified if stored.user.verified == Some(true) => Err(Refusal::AlreadyVerified),
        _ => Ok(()),
    }
}

fn claim(why: &str) -> Refusal {
    Refusal::Claim(format!("the token's {why}"))
}

/// The id a `sub` names, read as the service reads it: Python's `int()` or `uuid.UUID()`
/// (fastapi-users), or PostgreSQL's `uuid` input (the template hands the text to the database).
fn service_id(shape: &Shape, sub: &str) -> Option<UserId> {
    match (shape.id, shape.token.id_read) {
        (IdKind::Serial, _) => {
            let (negative, n) = token::python_int_str(sub, 10)?;
            let n = i64::try_from(n).ok()?;
            Some(UserId::Int(if negative { -n } else { n }))
        }
        (IdKind::Uuid { .. }, IdRead::Python) => python_uuid(sub).map(UserId::Uuid),
        (IdKind::Uuid { .. }, IdRead::Database) => postgres_uuid(sub).map(UserId::Uuid),
    }
}

/// `uuid.UUID(text)`: `urn:` and `uuid:` dropped, braces stripped from both ends, dashes
/// dropped, then 32 characters that `int(…, 16)` reads.
fn python_uuid(text: &str) -> Option<uuid::Uuid> {
    let hex = text.replace("urn:", "").replace("uuid:", "");
    let hex = hex.trim_matches(['{', '}']).replace('-', "");
    if hex.chars().count() != 32 {
        return None;
    }
    match token::python_int_str(&hex, 16)? {
        (false, n) => Some(uuid::Uuid::from_u128(n)),
        (true, _) => None,
    }
}

/// PostgreSQL's `uuid_in`: 32 hex digits, a dash allowed after each group of four but the last,
/// all in braces or none.
fn postgres_uuid(text: &str) -> Option<uuid::Uuid> {
    let inner = match text.strip_prefix('{') {
        Some(rest) => rest.strip_suffix('}')?,
        None => text,
    };
    let mut digits = String::with_capacity(32);
    let mut chars = inner.chars().peekable();
    while digits.len() < 32 {
        for _ in 0..4 {
            digits.push(chars.next().filter(char::is_ascii_hexdigit)?);
        }
        if digits.len() < 32 && chars.peek() == Some(&'-') {
            chars.next();
        }
    }
    if chars.next().is_some() {
        return None;
    }
    u128::from_str_radix(&digits, 16)
        .ok()
        .map(uuid::Uuid::from_u128)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{FASTAPI_TEMPLATE, FASTAPI_USERS, TUTORIAL};

    #[test]
    fn a_sub_is_read_as_pythons_uuid_reads_it() {
        let id = UserId::Uuid(uuid::Uuid::from_u128(
            0x0123_4567_89ab_cdef_0123_4567_89ab_cdef,
        ));
        for text in [
            "01234567-89ab-cdef-0123-456789abcdef",
            "0123456789ABCDEF0123456789ABCDEF",
            "{01234567-89ab-cdef-0123-456789abcdef}",
            "urn:uuid:01234567-89ab-cdef-0123-456789abcdef",
            "0-1-2-3456789abcdef0123456789abcdef",
            // int(…, 16) takes a sign, whitespace and underscores in the 32 characters.
            "+123456789abcdef0123456789abcdef",
            " 123456789abcdef0123456789abcdef",
            "0123_56789abcdef0123456789abcdef",
        ] {
            let expected = match text {
                "+123456789abcdef0123456789abcdef" | " 123456789abcdef0123456789abcdef" => {
                    UserId::Uuid(uuid::Uuid::from_u128(
                        0x0123_4567_89ab_cdef_0123_4567_89ab_cdef,
                    ))
                }
                "0123_56789abcdef0123456789abcdef" => UserId::Uuid(uuid::Uuid::from_u128(
                    0x0012_3567_89ab_cdef_0123_4567_89ab_cdef,
                )),
                _ => id.clone(),
            };
            assert_eq!(service_id(&FASTAPI_USERS, text), Some(expected), "{text}");
        }
        for text in [
            "",
            "7",
            "01234567-89ab-cdef-0123-456789abcdeg",
            "-123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(service_id(&FASTAPI_USERS, text), None, "{text}");
        }
        assert_eq!(service_id(&TUTORIAL, " 7_0 "), Some(UserId::Int(70)));
        assert_eq!(service_id(&TUTORIAL, "-7"), Some(UserId::Int(-7)));
        assert_eq!(service_id(&TUTORIAL, "seven"), None);
    }

    #[test]
    fn the_templates_sub_is_read_as_postgresql_reads_a_uuid() {
        let id = Some(UserId::Uuid(uuid::Uuid::from_u128(
            0x0123_4567_89ab_cdef_0123_4567_89ab_cdef,
        )));
        for text in [
            "01234567-89ab-cdef-0123-456789abcdef",
            "0123456789ABCDEF0123456789ABCDEF",
            "{01234567-89ab-cdef-0123-456789abcdef}",
            "0123-4567-89ab-cdef-0123-4567-89ab-cdef",
        ] {
            assert_eq!(service_id(&FASTAPI_TEMPLATE, text), id, "{text}");
        }
        for text in [
            "urn:uuid:01234567-89ab-cdef-0123-456789abcdef",
            "0-1-2-3456789abcdef0123456789abcdef",
            "01234567-89ab-cdef-0123-456789abcdef-",
            "{01234567-89ab-cdef-0123-456789abcdef",
            " 0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(service_id(&FASTAPI_TEMPLATE, text), None, "{text}");
        }
    }
}
