//! Who is calling: a signed JWT, verified, turned into the `Principal` that
//! every command and read is authorised for. The actor of every event is
//! the token's subject, never a name the client chooses.
//!
//! Production verifies RS256 and ES256 tokens against a JWKS; development
//! also takes HS256 tokens signed with a configured secret, which
//! `prasme token` mints. Issuer, audience, expiry and not-before are
//! checked with [`CLOCK_SKEW_SECS`] of allowance.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use prasme_commands::{Principal, Role};
use prasme_domain::reference::Resor;
use prasme_domain::validate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How far the issuer's clock and ours may disagree.
pub const CLOCK_SKEW_SECS: u64 = 60;

/// The claims Prasme reads from a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The employee id, or a service's name.
    pub sub: String,
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resor: Option<Resor>,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
}

/// What a verified token says: who, and until when.
#[derive(Debug, Clone)]
pub struct Verified {
    pub principal: Principal,
    pub expires_at: DateTime<Utc>,
}

/// Why a token was not accepted. The message names the reason, never the
/// token or any of its claims' values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unauthenticated(pub String);

impl Unauthenticated {
    fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

/// A JWKS that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeySetError {
    #[error("the JWKS is not valid JSON of a key set: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the JWKS has no RS256 or ES256 key Prasme can use")]
    NoUsableKey,
}

/// How tokens are verified.
#[derive(Clone)]
pub struct Identity {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    audience: String,
    /// Development mode: HS256 with this secret, introspection and GraphiQL.
    development: Option<DecodingKey>,
    /// Replaced whole when the JWKS is refreshed.
    keys: RwLock<Vec<PublicKey>>,
}

struct PublicKey {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

impl Identity {
    /// Production: RS256 and ES256 tokens from `issuer` for `audience`,
    /// verified against the keys given later with [`Identity::set_keys`].
    pub fn production(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self::build(issuer.into(), audience.into(), None)
    }

    /// Development: also HS256 tokens signed with `secret`, and the schema
    /// and GraphiQL served without a token.
    pub fn development(issuer: impl Into<String>, audience: impl Into<String>, secret: &[u8]) -> Self {
        Self::build(issuer.into(), audience.into(), Some(DecodingKey::from_secret(secret)))
    }

    fn build(issuer: String, audience: String, development: Option<DecodingKey>) -> Self {
        Self {
            inner: Arc::new(Inner {
                issuer,
                audience,
                development,
                keys: RwLock::new(Vec::new()),
            }),
        }
    }

    pub fn is_development(&self) -> bool {
        self.inner.development.is_some()
    }

    /// Replaces the public keys with the RS256 and ES256 keys of `jwks` (a
    /// JWKS document); keys of other kinds are skipped. Returns how many
    /// are in use.
    pub fn set_keys(&self, jwks: &str) -> Result<usize, KeySetError> {
        let set: JwkSet = serde_json::from_str(jwks)?;
        let keys: Vec<PublicKey> = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let algorithm = match &jwk.algorithm {
                    jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => Algorithm::RS256,
                    jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(ec)
                        if ec.curve == jsonwebtoken::jwk::EllipticCurve::P256 =>
                    {
                        Algorithm::ES256
                    }
                    _ => return None,
                };
                let key = DecodingKey::from_jwk(jwk).ok()?;
                Some(PublicKey {
                    kid: jwk.common.key_id.clone(),
                    algorithm,
                    key,
                })
            })
            .collect();
        if keys.is_empty() {
            return Err(KeySetError::NoUsableKey);
        }
        let count = keys.len();
        *self.inner.keys.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = keys;
        Ok(count)
    }

    /// The principal a bearer token stands for.
    pub fn verify(&self, token: &str) -> Result<Verified, Unauthenticated> {
        let header =
            decode_header(token).map_err(|_| Unauthenticated::new("the token is not a well-formed signed JWT"))?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = CLOCK_SKEW_SECS;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.inner.issuer]);
        validation.set_audience(&[&self.inner.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims = match header.alg {
            Algorithm::HS256 => {
                let Some(secret) = &self.inner.development else {
                    return Err(Unauthenticated::new(
                        "HS256 tokens are taken in development mode only; sign with RS256 or ES256",
                    ));
                };
                decode::<Claims>(token, secret, &validation).map_err(rejection)?.claims
            }
            Algorithm::RS256 | Algorithm::ES256 => {
                let keys = self.inner.keys.read().unwrap_or_else(|poisoned| poisoned.into_inner());
                let mut candidates = keys
                    .iter()
                    .filter(|k| k.algorithm == header.alg)
                    .filter(|k| header.kid.is_none() || k.kid == header.kid)
                    .peekable();
                if candidates.peek().is_none() {
                    return Err(Unauthenticated::new("no key of this server verifies the token"));
                }
                let mut last = Unauthenticated::new("no key of this server verifies the token");
                let mut verified = None;
                for candidate in candidates {
                    match decode::<Claims>(token, &candidate.key, &validation) {
                        Ok(data) => {
                            verified = Some(data.claims);
                            break;
                        }
                        Err(e) => last = rejection(e),
                    }
                }
                verified.ok_or(last)?
            }
            _ => {
                return Err(Unauthenticated::new(
                    "the token's algorithm is not RS256, ES256 or HS256",
                ))
            }
        };
        principal(claims)
    }
}

/// The reason for a library refusal, in words that give nothing away.
fn rejection(e: jsonwebtoken::errors::Error) -> Unauthenticated {
    use jsonwebtoken::errors::ErrorKind;
    Unauthenticated::new(match e.kind() {
        ErrorKind::ExpiredSignature => "the token has expired",
        ErrorKind::ImmatureSignature => "the token is not valid yet",
        ErrorKind::InvalidAudience => "the token is for another audience",
        ErrorKind::InvalidIssuer => "the token is from another issuer",
        ErrorKind::InvalidSignature => "the token's signature does not verify",
        ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim (sub, exp, iss, aud)",
        ErrorKind::Json(_) => "the token's claims are not Prasme's (sub, roles, institution, resor)",
        _ => "the token cannot be verified",
    })
}

/// The principal of verified claims, refused when they cannot stand for
/// anyone the policy knows.
fn principal(claims: Claims) -> Result<Verified, Unauthenticated> {
    let subject = validate::text("sub", &claims.sub, validate::MAX_NAME_CHARS).map_err(|_| {
        Unauthenticated::new("the token's subject must be 1 to 200 characters without control characters")
    })?;
    let mut roles = Vec::with_capacity(claims.roles.len());
    for name in &claims.roles {
        let role = Role::from_claim(name).ok_or_else(|| {
            Unauthenticated::new("the token names a role Prasme does not know (see docs/security.md)")
        })?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        return Err(Unauthenticated::new("the token names no role"));
    }
    let personal = roles.iter().any(|r| matches!(r, Role::Employee | Role::Manager));
    if personal && Uuid::parse_str(&subject).is_err() {
        return Err(Unauthenticated::new(
            "an EMPLOYEE or MANAGER token's subject must be the employee's id",
        ));
    }
    let needs_institution = roles
        .iter()
        .any(|r| matches!(r, Role::Employee | Role::Manager | Role::InstitutionHr));
    if needs_institution && claims.institution.is_none() {
        return Err(Unauthenticated::new(
            "an EMPLOYEE, MANAGER or INSTITUTION_HR token must name its institution",
        ));
    }
    if roles.contains(&Role::ResorCoordinator) && claims.resor.is_none() {
        return Err(Unauthenticated::new("a RESOR_COORDINATOR token must name its resor"));
    }
    let expires_at = DateTime::from_timestamp(claims.exp, 0)
        .ok_or_else(|| Unauthenticated::new("the token's expiry is not a time"))?;
    Ok(Verified {
        principal: Principal {
            subject,
            roles,
            institutions: claims.institution.into_iter().collect(),
            resors: claims.resor.into_iter().collect(),
        },
        expires_at,
    })
}

/// What a development token is minted for.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub subject: String,
    pub roles: Vec<Role>,
    pub institution: Option<Uuid>,
    pub resor: Option<Resor>,
    pub ttl: chrono::Duration,
}

/// An HS256 token for development mode, signed with `secret`.
pub fn mint_development_token(
    secret: &[u8],
    issuer: &str,
    audience: &str,
    request: &TokenRequest,
) -> Result<String, jsonwebtoken::errors::Error> {
    let now = Utc::now();
    let claims = Claims {
        sub: request.subject.clone(),
        roles: request.roles.iter().map(|r| r.claim().to_owned()).collect(),
        institution: request.institution,
        resor: request.resor,
        iss: issuer.to_owned(),
        aud: audience.to_owned(),
        exp: (now + request.ttl).timestamp(),
        nbf: Some(now.timestamp()),
        iat: Some(now.timestamp()),
    };
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
}

/// The token of an `Authorization: Bearer …` value (also graphql-ws
/// `connection_init` payloads, which carry the same string).
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a development secret of enough length";

    fn request(roles: Vec<Role>) -> TokenRequest {
        TokenRequest {
            subject: Uuid::nil().to_string(),
            roles,
            institution: Some(Uuid::nil()),
            resor: Some(Resor::Fm),
            ttl: chrono::Duration::hours(1),
        }
    }

    fn dev() -> Identity {
        Identity::development("prasme", "prasme", SECRET)
    }

    #[test]
    fn a_minted_development_token_verifies_as_its_principal() {
        let token = mint_development_token(SECRET, "prasme", "prasme", &request(vec![Role::InstitutionHr])).unwrap();
        let verified = dev().verify(&token).unwrap();
        assert_eq!(verified.principal.roles, vec![Role::InstitutionHr]);
        assert_eq!(verified.principal.institutions, vec![Uuid::nil()]);
        assert_eq!(verified.principal.employee_id(), Some(Uuid::nil()));
    }

    #[test]
    fn production_refuses_hs256_even_with_the_right_secret() {
        let token = mint_development_token(SECRET, "prasme", "prasme", &request(vec![Role::Auditor])).unwrap();
        let e = Identity::production("prasme", "prasme").verify(&token).unwrap_err();
        assert!(e.0.contains("development mode only"), "{e}");
    }

    #[test]
    fn wrong_secret_audience_issuer_and_expiry_are_refused_by_name() {
        let ok = request(vec![Role::Auditor]);
        let cases = [
            (
                b"another secret entirely, same length".as_slice(),
                "prasme",
                "prasme",
                ok.clone(),
                "signature",
            ),
            (SECRET, "prasme", "elsewhere", ok.clone(), "audience"),
            (SECRET, "elsewhere", "prasme", ok.clone(), "issuer"),
            (
                SECRET,
                "prasme",
                "prasme",
                TokenRequest {
                    ttl: chrono::Duration::seconds(-(CLOCK_SKEW_SECS as i64) - 5),
                    ..ok.clone()
                },
                "expired",
            ),
        ];
        for (secret, issuer, audience, request, reason) in cases {
            let token = mint_development_token(secret, issuer, audience, &request).unwrap();
            let e = dev().verify(&token).unwrap_err();
            assert!(e.0.contains(reason), "{reason}: {e}");
        }
    }

    #[test]
    fn a_token_within_the_clock_skew_of_expiry_is_still_taken() {
        let request = TokenRequest {
            ttl: chrono::Duration::seconds(-(CLOCK_SKEW_SECS as i64) / 2),
            ..request(vec![Role::Auditor])
        };
        let token = mint_development_token(SECRET, "prasme", "prasme", &request).unwrap();
        assert!(dev().verify(&token).is_ok());
    }

    #[test]
    fn alg_none_and_garbage_are_refused() {
        // {"alg":"none","typ":"JWT"} . {"sub":"x","roles":["SYSTEM"],...} . (no signature)
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4Iiwicm9sZXMiOlsiU1lTVEVNIl0sImlzcyI6InByYXNtZSIsImF1ZCI6InByYXNtZSIsImV4cCI6OTk5OTk5OTk5OX0.";
        for token in [none, "", "a.b.c", "not a token", "....", "eyJhbGciOiJIUzI1NiJ9.e30.x"] {
            assert!(dev().verify(token).is_err(), "{token}");
        }
    }

    #[test]
    fn claims_that_stand_for_no_one_are_refused() {
        let cases = [
            (request(vec![]), "no role"),
            (
                TokenRequest {
                    subject: "svc".into(),
                    ..request(vec![Role::Employee])
                },
                "employee's id",
            ),
            (
                TokenRequest {
                    institution: None,
                    ..request(vec![Role::InstitutionHr])
                },
                "institution",
            ),
            (
                TokenRequest {
                    resor: None,
                    ..request(vec![Role::ResorCoordinator])
                },
                "resor",
            ),
            (
                TokenRequest {
                    subject: "a\u{0}b".into(),
                    ..request(vec![Role::Auditor])
                },
                "subject",
            ),
        ];
        for (request, reason) in cases {
            let token = mint_development_token(SECRET, "prasme", "prasme", &request).unwrap();
            let e = dev().verify(&token).unwrap_err();
            assert!(e.0.contains(reason), "{reason}: {e}");
        }
    }

    #[test]
    fn an_unknown_role_is_refused() {
        let now = Utc::now().timestamp();
        let claims = serde_json::json!({
            "sub": "svc", "roles": ["ROOT"], "iss": "prasme", "aud": "prasme", "exp": now + 600,
        });
        let token = encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert!(dev().verify(&token).unwrap_err().0.contains("role"));
    }

    #[test]
    fn bearer_takes_the_token_of_the_scheme_only() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("abc"), None);
    }
}
