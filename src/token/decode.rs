//! A token taken apart as the services' PyJWT 2.15 takes it (`jwt.decode(token, key,
//! algorithms=["HS256"], audience=…)`, leeway 0): the same checks in the same order, each
//! refusal named. What PyJWT does is the contract here, not RFC 7519: it requires no `exp`,
//! reads `exp`/`nbf`/`iat` with Python's `int()` (so `"123"` and `1.9` pass), compares them with
//! a fractional clock, and refuses an `aud` the service did not ask for.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

use super::SigningKey;

/// Why a service refuses a token. Each names what PyJWT or the application would raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a JWT PyJWT can read (`DecodeError`, `InvalidTokenError` on its header).
    Malformed(String),
    /// An `alg` other than HS256 (`InvalidAlgorithmError`): `None` when it names none.
    Algorithm(Option<String>),
    /// Signed with another key (`InvalidSignatureError`).
    Signature,
    /// `exp` is past (`ExpiredSignatureError`).
    Expired { exp: i128 },
    /// `nbf` or `iat` is ahead of the clock (`ImmatureSignatureError`).
    NotYetValid { claim: &'static str, at: i128 },
    /// `aud` is missing, unexpected or another service's (`InvalidAudienceError`,
    /// `MissingRequiredClaimError`).
    Audience(String),
    /// A claim the service reads is missing or of the wrong type.
    Claim(String),
    /// No user the token names.
    UnknownUser,
    /// The user is disabled.
    Inactive,
    /// A verify token for a user already verified.
    AlreadyVerified,
    /// A reset token made before the user's password last changed (its fingerprint no longer
    /// verifies).
    PasswordChanged,
    /// The token lacks scopes the route requires.
    MissingScopes(Vec<String>),
}

impl Refusal {
    /// The stable name `--format json` gives it.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Malformed(_) => "malformed",
            Refusal::Algorithm(_) => "algorithm",
            Refusal::Signature => "signature",
            Refusal::Expired { .. } => "expired",
            Refusal::NotYetValid { .. } => "not_yet_valid",
            Refusal::Audience(_) => "audience",
            Refusal::Claim(_) => "claims",
            Refusal::UnknownUser => "unknown_user",
            Refusal::Inactive => "inactive",
            Refusal::AlreadyVerified => "already_verified",
            Refusal::PasswordChanged => "password_changed",
            Refusal::MissingScopes(_) => "missing_scope",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Malformed(why) => write!(f, "not a token the service can read: {why}"),
            Refusal::Algorithm(None) => f.write_str("the token names no algorithm; the service takes HS256 only"),
            Refusal::Algorithm(Some(alg)) => {
                write!(f, "the token is signed with {alg:?}; the service takes HS256 only")
            }
            Refusal::Signature => f.write_str("the signature does not match: signed with another key"),
            Refusal::Expired { exp } => write!(f, "the token expired at {}", time(*exp)),
            Refusal::NotYetValid { claim, at } => {
                write!(f, "the token is not valid before {} ({claim})", time(*at))
            }
            Refusal::Audience(why) | Refusal::Claim(why) => f.write_str(why),
            Refusal::UnknownUser => f.write_str("no user the token names exists"),
            Refusal::Inactive => f.write_str("the user is disabled"),
            Refusal::AlreadyVerified => f.write_str("the user is already verified"),
            Refusal::PasswordChanged => f.write_str(
                "the user's password changed after the token was made (its password_fgpt no longer verifies)",
            ),
            Refusal::MissingScopes(scopes) => {
                write!(f, "the token lacks the scope(s) {}", scopes.join(", "))
            }
        }
    }
}

/// The first second humantime cannot show (year 10000).
const YEAR_10000: i128 = 253_402_300_800;

/// A time in seconds since the epoch, as UTC text (the raw number out of 1970 to 9999).
pub fn time(seconds: i128) -> String {
    match u64::try_from(seconds) {
        Ok(s) if seconds < YEAR_10000 => {
            let at = UNIX_EPOCH + std::time::Duration::from_secs(s);
            humantime::format_rfc3339_seconds(at).to_string()
        }
        _ => format!("{seconds} (seconds since 1970)"),
    }
}

/// The claims of `token` if the service's PyJWT takes it: HS256 with `key`, `iat`/`nbf`/`exp`
/// against `now`, and `aud` as the service expects it (`audience`; `None`: none allowed).
pub fn decode(
    token: &str,
    key: &SigningKey,
    audience: Option<&str>,
    now: SystemTime,
) -> Result<Map<String, Value>, Refusal> {
    // PyJWS._load: every segment decoded, the header parsed; the payload parsed after the
    // signature (PyJWT's _decode_payload).
    let (signing_input, signature) = token
        .rsplit_once('.')
        .ok_or_else(|| malformed("not enough segments"))?;
    let (header, payload) = signing_input
        .split_once('.')
        .ok_or_else(|| malformed("not enough segments"))?;
    let header = json_object(&segment(header, "header")?, "header")?;
    let payload = segment(payload, "payload")?;
    let signature = segment(signature, "signature")?;
    check_header(&header)?;
    let valid = jsonwebtoken::crypto::verify(
        &URL_SAFE_NO_PAD.encode(signature),
        signing_input.as_bytes(),
        &DecodingKey::from_secret(key.as_bytes()),
        Algorithm::HS256,
    )
    .map_err(|_| malformed("the signature cannot be checked"))?;
    if !valid {
        return Err(Refusal::Signature);
    }
    let claims = json_object(&payload, "payload")?;
    check_claims(&claims, audience, seconds(now))?;
    Ok(claims)
}

/// The claims' `exp` as PyJWT reads it, when it can.
pub fn expiry(claims: &Map<String, Value>) -> Option<i128> {
    claims.get("exp").and_then(python_int)
}

fn malformed(why: &str) -> Refusal {
    Refusal::Malformed(why.to_owned())
}

/// PyJWS's `_decode_base64url_segment`: base64url, up to two `=` of padding (then a whole
/// number of quartets), canonical trailing bits.
fn segment(segment: &str, name: &str) -> Result<Vec<u8>, Refusal> {
    let stripped = segment.trim_end_matches('=');
    let padding = segment.len() - stripped.len();
    let bad = || Refusal::Malformed(format!("invalid {name} padding"));
    if padding > 2 || (padding > 0 && !segment.len().is_multiple_of(4)) {
        return Err(bad());
    }
    URL_SAFE_NO_PAD.decode(stripped).map_err(|_| bad())
}

fn json_object(bytes: &[u8], name: &str) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Refusal::Malformed(format!(
            "the {name} is not a JSON object"
        ))),
        Err(_) => Err(Refusal::Malformed(format!("the {name} is not JSON"))),
    }
}

/// PyJWS's header checks (`kid`, `crit`, `b64`), then its algorithm allow-list (`["HS256"]`).
fn check_header(header: &Map<String, Value>) -> Result<(), Refusal> {
    if header.get("kid").is_some_and(|kid| !kid.is_string()) {
        return Err(malformed("the header's kid is not a string"));
    }
    if let Some(crit) = header.get("crit") {
        check_crit(crit, header)?;
    }
    if header.get("b64") == Some(&Value::Bool(false)) {
        // A detached payload, which the services never pass.
        return Err(malformed("a detached payload (b64: false)"));
    }
    match header.get("alg") {
        Some(Value::String(alg)) if alg == "HS256" => Ok(()),
        Some(alg) if python_truthy(alg) => Err(Refusal::Algorithm(Some(match alg {
            Value::String(alg) => alg.clone(),
            other => other.to_string(),
        }))),
        _ => Err(Refusal::Algorithm(None)),
    }
}

/// `_validate_crit`: a non-empty list of the extensions PyJWT knows (`b64`), each in the header.
fn check_crit(crit: &Value, header: &Map<String, Value>) -> Result<(), Refusal> {
    let Some(names) = crit.as_array().filter(|names| !names.is_empty()) else {
        return Err(malformed("the header's crit is not a non-empty list"));
    };
    for name in names {
        match name.as_str() {
            Some("b64") if header.contains_key("b64") => {}
            Some("b64") => return Err(malformed("the header's crit names b64, which it lacks")),
            _ => {
                return Err(malformed(
                    "the header names a critical extension the service does not take",
                ));
            }
        }
    }
    Ok(())
}

/// The clock as PyJWT reads it: `datetime.now(tz=timezone.utc).timestamp()`, a float.
fn seconds(now: SystemTime) -> f64 {
    now.duration_since(UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64())
}

/// PyJWT's `_validate_claims` with its default options: `iat`, `nbf`, `exp`, `aud`, `sub`, `jti`.
fn check_claims(
    claims: &Map<String, Value>,
    audience: Option<&str>,
    now: f64,
) -> Result<(), Refusal> {
    #[allow(clippy::cast_precision_loss)] // Times of no realistic token lose nothing.
    let after_now = |at: i128| at as f64 > now;
    for (name, what) in [("iat", "issued at"), ("nbf", "not before")] {
        if let Some(at) = claims.get(name) {
            let at = python_int(at)
                .ok_or_else(|| claim(&format!("{name} ({what}) is not an integer")))?;
            if after_now(at) {
                return Err(Refusal::NotYetValid { claim: name, at });
            }
        }
    }
    if let Some(exp) = claims.get("exp") {
        let exp = python_int(exp).ok_or_else(|| claim("exp (expiry) is not an integer"))?;
        if !after_now(exp) {
            return Err(Refusal::Expired { exp });
        }
    }
    check_audience(claims.get("aud"), audience)?;
    if claims.get("sub").is_some_and(|sub| !sub.is_string()) {
        return Err(claim("sub (subject) is not a string"));
    }
    if claims.get("jti").is_some_and(|jti| !jti.is_string()) {
        return Err(claim("jti (token id) is not a string"));
    }
    Ok(())
}

fn claim(why: &str) -> Refusal {
    Refusal::Claim(format!("the token's {why}"))
}

/// PyJWT's `_validate_aud`, not strict: a string or a list of strings, one of them expected.
fn check_audience(aud: Option<&Value>, expected: Option<&str>) -> Result<(), Refusal> {
    let present = aud.filter(|aud| python_truthy(aud));
    let (aud, expected) = match (present, expected) {
        (None, None) => return Ok(()),
        (Some(aud), None) => {
            return Err(Refusal::Audience(format!(
                "the token has an audience ({aud}) and the service expects none"
            )));
        }
        (None, Some(expected)) => {
            return Err(Refusal::Audience(format!(
                "the token has no audience; the service expects {expected:?}"
            )));
        }
        (Some(aud), Some(expected)) => (aud, expected),
    };
    let names: Option<Vec<&str>> = match aud {
        Value::String(name) => Some(vec![name.as_str()]),
        Value::Array(names) => names.iter().map(Value::as_str).collect(),
        _ => None,
    };
    match names {
        None => Err(Refusal::Audience(format!(
            "the token's audience {aud} is neither a string nor a list of strings"
        ))),
        Some(names) if names.contains(&expected) => Ok(()),
        Some(_) => Err(Refusal::Audience(format!(
            "the token is for audience {aud}; the service expects {expected:?}"
        ))),
    }
}

/// Python's truth of a JSON value (`not payload["aud"]`).
fn python_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Python's `int()` of a JSON value, where it succeeds: integers, floats truncated, booleans,
/// and strings of an integer (signs, surrounding whitespace and digit-separating `_` allowed).
fn python_int(value: &Value) -> Option<i128> {
    match value {
        Value::Bool(b) => Some(i128::from(*b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(i128::from(i))
            } else if let Some(u) = n.as_u64() {
                Some(i128::from(u))
            } else {
                let f = n.as_f64()?.trunc();
                // Every finite float converts; `as` saturates past i128's range, far beyond any
                // clock a comparison could meet.
                #[allow(clippy::cast_possible_truncation)]
                f.is_finite().then_some(f as i128)
            }
        }
        Value::String(text) => python_int_text(text),
        _ => None,
    }
}

/// Python's `int(text, radix)`: surrounding whitespace, a sign, digits with single `_`s between;
/// the sign and the magnitude (`None` past `u128`, which no time or id reaches).
pub fn python_int_str(text: &str, radix: u32) -> Option<(bool, u128)> {
    let text = text.trim();
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let well_placed = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.chars().all(|c| c.is_digit(radix) || c == '_');
    if !well_placed {
        return None;
    }
    let magnitude = u128::from_str_radix(&digits.replace('_', ""), radix).ok()?;
    Some((text.starts_with('-'), magnitude))
}

fn python_int_text(text: &str) -> Option<i128> {
    let (negative, magnitude) = python_int_str(text, 10)?;
    let number = i128::try_from(magnitude).unwrap_or(i128::MAX);
    Some(if negative { -number } else { number })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;
    use std::time::Duration;

    const KEY: &str = "0123456789abcdef0123456789abcdef";
    const NOW: u64 = 1_800_000_000;

    fn key() -> SigningKey {
        SigningKey::new(KEY.to_owned().into(), false).unwrap()
    }

    fn at(seconds: f64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs_f64(seconds)
    }

    fn signed(header: &Value, claims: &Value, key: &str) -> String {
        let part = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
        let input = format!("{}.{}", part(header), part(claims));
        let signature = jsonwebtoken::crypto::sign(
            input.as_bytes(),
            &EncodingKey::from_secret(key.as_bytes()),
            Algorithm::HS256,
        )
        .unwrap();
        format!("{input}.{signature}")
    }

    fn token(claims: &Value) -> String {
        signed(&json!({"alg": "HS256", "typ": "JWT"}), claims, KEY)
    }

    fn judged(
        claims: &Value,
        audience: Option<&str>,
        now: f64,
    ) -> Result<Map<String, Value>, Refusal> {
        decode(&token(claims), &key(), audience, at(now))
    }

    #[test]
    fn a_token_jsonwebtoken_signs_decodes_to_its_claims() {
        let claims = json!({"sub": "alice", "exp": NOW + 60});
        let jwt = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(KEY.as_bytes()),
        )
        .unwrap();
        #[allow(clippy::cast_precision_loss)]
        let got = decode(&jwt, &key(), None, at(NOW as f64)).unwrap();
        assert_eq!(Value::Object(got), claims);
    }

    #[test]
    fn expiry_is_pyjwts_exp_not_after_now() {
        #[allow(clippy::cast_precision_loss)]
        let now = NOW as f64;
        let exp = json!({"sub": "a", "exp": NOW});
        assert_eq!(judged(&exp, None, now - 0.5).map(|_| ()), Ok(()));
        assert_eq!(
            judged(&exp, None, now),
            Err(Refusal::Expired {
                exp: i128::from(NOW)
            })
        );
        // int() of a float truncates; of a numeric string parses; a non-number is a claim error.
        assert!(judged(&json!({"exp": now + 0.9}), None, now + 0.5).is_err());
        assert!(judged(&json!({"exp": format!(" {} ", NOW + 5)}), None, now).is_ok());
        assert!(matches!(
            judged(&json!({"exp": "soon"}), None, now),
            Err(Refusal::Claim(_))
        ));
        // No exp at all: PyJWT accepts it.
        assert!(judged(&json!({"sub": "a"}), None, now).is_ok());
    }

    #[test]
    fn nbf_and_iat_ahead_of_the_clock_are_refused() {
        #[allow(clippy::cast_precision_loss)]
        let now = NOW as f64;
        assert!(judged(&json!({"nbf": NOW}), None, now).is_ok());
        assert_eq!(
            judged(&json!({"nbf": NOW + 1}), None, now + 0.5),
            Err(Refusal::NotYetValid {
                claim: "nbf",
                at: i128::from(NOW + 1)
            })
        );
        assert_eq!(
            judged(&json!({"iat": NOW + 1}), None, now),
            Err(Refusal::NotYetValid {
                claim: "iat",
                at: i128::from(NOW + 1)
            })
        );
    }

    #[test]
    fn audiences_are_checked_as_pyjwt_checks_them() {
        let now = 0.0;
        let ok = |aud: Value, expected| judged(&json!({"aud": aud}), expected, now).is_ok();
        assert!(ok(
            json!("fastapi-users:reset"),
            Some("fastapi-users:reset")
        ));
        assert!(ok(
            json!(["x", "fastapi-users:auth"]),
            Some("fastapi-users:auth")
        ));
        assert!(!ok(
            json!(["fastapi-users:auth"]),
            Some("fastapi-users:reset")
        ));
        assert!(!ok(json!("fastapi-users:auth"), None));
        // An empty audience counts as none.
        assert!(ok(json!(""), None));
        assert!(!ok(json!([1]), Some("1")));
        assert!(matches!(
            judged(&json!({"sub": "a"}), Some("fastapi-users:auth"), now),
            Err(Refusal::Audience(_))
        ));
    }

    #[test]
    fn a_subject_must_be_text() {
        assert!(matches!(
            judged(&json!({"sub": 7}), None, 0.0),
            Err(Refusal::Claim(_))
        ));
        assert!(matches!(
            judged(&json!({"jti": 7}), None, 0.0),
            Err(Refusal::Claim(_))
        ));
    }

    #[test]
    fn the_signature_and_the_algorithm_are_checked_first() {
        let claims = json!({"sub": "a", "exp": 1});
        let other_key = signed(&json!({"alg": "HS256"}), &claims, &"x".repeat(32));
        assert_eq!(
            decode(&other_key, &key(), None, at(0.0)),
            Err(Refusal::Signature)
        );
        let hs512 = signed(&json!({"alg": "HS512"}), &claims, KEY);
        assert_eq!(
            decode(&hs512, &key(), None, at(0.0)),
            Err(Refusal::Algorithm(Some("HS512".to_owned())))
        );
        let none = signed(&json!({"typ": "JWT"}), &claims, KEY);
        assert_eq!(
            decode(&none, &key(), None, at(0.0)),
            Err(Refusal::Algorithm(None))
        );
        let crit = signed(&json!({"alg": "HS256", "crit": ["exp"]}), &claims, KEY);
        assert!(matches!(
            decode(&crit, &key(), None, at(0.0)),
            Err(Refusal::Malformed(_))
        ));
        for bad in ["", "abc", "a.b", "a.b.c", "e30.e30"] {
            assert!(
                matches!(
                    decode(bad, &key(), None, at(0.0)),
                    Err(Refusal::Malformed(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn headers_and_padding_are_read_as_pyjws_reads_them() {
        let claims = json!({"sub": "a"});
        let ok = |token: &str| decode(token, &key(), None, at(0.0));
        let crit_b64 = signed(
            &json!({"alg": "HS256", "crit": ["b64"], "b64": true}),
            &claims,
            KEY,
        );
        assert!(ok(&crit_b64).is_ok());
        let lacking = signed(&json!({"alg": "HS256", "crit": ["b64"]}), &claims, KEY);
        assert_eq!(
            ok(&lacking),
            Err(malformed("the header's crit names b64, which it lacks"))
        );
        for header in [
            json!({"alg": "HS256", "crit": ["zip"], "zip": true}),
            json!({"alg": "HS256", "crit": []}),
            json!({"alg": "HS256", "crit": "b64", "b64": true}),
            json!({"alg": "HS256", "kid": 5}),
            json!({"alg": "HS256", "b64": false, "crit": ["b64"]}),
        ] {
            let token = signed(&header, &claims, KEY);
            assert!(matches!(ok(&token), Err(Refusal::Malformed(_))), "{header}");
        }
        assert!(ok(&signed(&json!({"alg": "HS256", "kid": "k1"}), &claims, KEY)).is_ok());
        assert_eq!(
            ok(&signed(&json!({"alg": ""}), &claims, KEY)),
            Err(Refusal::Algorithm(None))
        );
        // A padded signature (43 characters and one `=`) is PyJWT's too; more `=` is not.
        let token = token(&claims);
        assert!(ok(&format!("{token}=")).is_ok());
        assert!(matches!(
            ok(&format!("{token}==")),
            Err(Refusal::Malformed(_))
        ));
        // The payload is read before the signature is checked.
        let (input, signature) = token.rsplit_once('.').unwrap();
        let (header, _) = input.split_once('.').unwrap();
        assert!(matches!(
            ok(&format!("{header}.!!.{signature}")),
            Err(Refusal::Malformed(_))
        ));
    }

    /// A token of these segments as written (padding and all), signed over them as PyJWT signs.
    fn raw(header: &str, payload: &str) -> String {
        let input = format!("{header}.{payload}");
        let key = EncodingKey::from_secret(KEY.as_bytes());
        let signature =
            jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::HS256).unwrap();
        format!("{input}.{signature}")
    }

    #[test]
    fn segments_take_at_most_two_padding_characters_to_a_whole_quartet() {
        let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
        let payload = b64(&json!({"sub": "a"}));
        let ok = |token: &str| decode(token, &key(), None, at(0.0));
        // 22 bytes: 30 characters, `==` makes a quartet.
        let header = b64(&json!({"alg": "HS256", "k": ""}));
        assert_eq!(header.len() % 4, 2);
        assert!(ok(&raw(&format!("{header}=="), &payload)).is_ok());
        assert!(matches!(
            ok(&raw(&format!("{header}="), &payload)),
            Err(Refusal::Malformed(_))
        ));
        // 15 bytes: 20 characters, already whole; four `=` are too many.
        let header = b64(&json!({"alg": "HS256"}));
        assert_eq!(header.len() % 4, 0);
        assert!(ok(&raw(&header, &payload)).is_ok());
        assert_eq!(
            ok(&raw(&format!("{header}===="), &payload)),
            Err(Refusal::Malformed("invalid header padding".to_owned()))
        );
    }

    #[test]
    fn falsy_values_count_as_none_as_in_python() {
        let ok = |claims: Value, expected| judged(&claims, expected, 0.0).is_ok();
        for none in [
            json!(0),
            json!(0.0),
            json!({}),
            json!([]),
            json!(""),
            json!(null),
            json!(false),
        ] {
            assert!(ok(json!({"aud": none}), None), "{none}");
        }
        for some in [json!(5), json!(0.5), json!({"a": 1}), json!(true)] {
            assert!(!ok(json!({"aud": some}), None), "{some}");
        }
        let claims = json!({"sub": "a"});
        for alg in [json!({}), json!(0), json!(false)] {
            let token = signed(&json!({"alg": alg}), &claims, KEY);
            assert_eq!(
                decode(&token, &key(), None, at(0.0)),
                Err(Refusal::Algorithm(None)),
                "{alg}"
            );
        }
        let token = signed(&json!({"alg": 7}), &claims, KEY);
        assert_eq!(
            decode(&token, &key(), None, at(0.0)),
            Err(Refusal::Algorithm(Some("7".to_owned())))
        );
    }

    #[test]
    fn refusals_say_when_in_utc_or_in_seconds_past_year_9999() {
        assert_eq!(time(0), "1970-01-01T00:00:00Z");
        assert_eq!(time(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(time(YEAR_10000 - 1), "9999-12-31T23:59:59Z");
        assert_eq!(time(YEAR_10000), "253402300800 (seconds since 1970)");
        assert_eq!(time(-1), "-1 (seconds since 1970)");
        assert_eq!(
            Refusal::Expired { exp: 1_700_000_000 }.to_string(),
            "the token expired at 2023-11-14T22:13:20Z"
        );
        assert_eq!(
            Refusal::NotYetValid {
                claim: "nbf",
                at: 0
            }
            .to_string(),
            "the token is not valid before 1970-01-01T00:00:00Z (nbf)"
        );
        // int() of any finite float, however large.
        assert_eq!(python_int(&json!(1e40)), Some(i128::MAX));
        assert!(judged(&json!({"exp": 1e40}), None, 0.0).is_ok());
    }

    #[test]
    fn python_int_is_pythons() {
        let int = |v: Value| python_int(&v);
        assert_eq!(int(json!(true)), Some(1));
        assert_eq!(int(json!(-1.9)), Some(-1));
        assert_eq!(int(json!("-1_000")), Some(-1000));
        assert_eq!(int(json!("1__0")), None);
        assert_eq!(int(json!("1.0")), None);
        assert_eq!(int(json!(null)), None);
        assert_eq!(int(json!(u64::MAX)), Some(i128::from(u64::MAX)));
    }
}
