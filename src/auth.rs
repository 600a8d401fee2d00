//! Player authentication. In `guest` mode (the development default) anyone may play under
//! the name they give. In `token` mode, `hello.token` must be a JWT signed by the studio's
//! backend: HS256 with a shared secret, or RS256/ES256 with a public key. The token names the
//! player (`sub`) and may carry `name`, `skill` and `region`; the server checks the
//! signature, `exp` (with leeway for clock skew) and `aud`.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use std::path::Path;
use tickwave_protocol::ErrorCode;

/// What a valid token says about the player.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PlayerClaims {
    /// The studio's player id: the identity the matchmaker and the admin API use.
    pub sub: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub skill: Option<f64>,
    #[serde(default)]
    pub region: Option<String>,
    pub exp: u64,
}

/// How players are authenticated.
#[derive(Clone)]
pub enum AuthMode {
    /// Anyone may connect with any name (development).
    Guest,
    /// Players must present a signed token (JWT) in `hello`.
    Token(Box<TokenVerifier>),
}

impl std::fmt::Debug for AuthMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthMode::Guest => f.write_str("guest"),
            AuthMode::Token(v) => write!(f, "token({:?})", v.validation.algorithms),
        }
    }
}

#[derive(Clone)]
/// Checks player tokens: the key, the algorithm and the audience.
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
}

#[derive(Debug, thiserror::Error)]
/// A player-token key that cannot be used.
pub enum AuthSetupError {
    #[error("reading {0}: {1}")]
    /// The key file could not be read.
    Io(String, std::io::Error),
    #[error("the key in {0} is not a PEM RSA or EC public key")]
    /// The file holds no usable public key.
    Key(String),
    #[error("the HS256 secret must be at least 32 bytes")]
    /// An HS256 secret too short to be safe.
    ShortSecret,
}

/// Refusal of a `hello` in token mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRefusal {
    pub code: ErrorCode,
    pub message: String,
}

/// Clock skew tolerated on `exp` and `nbf`, seconds.
pub(crate) const LEEWAY_SECS: u64 = 30;

impl TokenVerifier {
    fn validation(alg: Algorithm, audience: &str) -> Validation {
        let mut v = Validation::new(alg);
        v.leeway = LEEWAY_SECS;
        v.set_audience(&[audience]);
        v.set_required_spec_claims(&["exp", "sub", "aud"]);
        v
    }

    /// HS256 with a shared secret (at least 32 bytes).
    pub fn hs256(secret: &[u8], audience: &str) -> Result<Self, AuthSetupError> {
        if secret.len() < 32 {
            return Err(AuthSetupError::ShortSecret);
        }
        Ok(TokenVerifier {
            key: DecodingKey::from_secret(secret),
            validation: Self::validation(Algorithm::HS256, audience),
        })
    }

    /// RS256 or ES256 with a PEM public key file.
    pub fn public_key(path: &Path, audience: &str) -> Result<Self, AuthSetupError> {
        let shown = path.display().to_string();
        let pem = std::fs::read(path).map_err(|e| AuthSetupError::Io(shown.clone(), e))?;
        if let Ok(key) = DecodingKey::from_rsa_pem(&pem) {
            return Ok(TokenVerifier {
                key,
                validation: Self::validation(Algorithm::RS256, audience),
            });
        }
        if let Ok(key) = DecodingKey::from_ec_pem(&pem) {
            return Ok(TokenVerifier {
                key,
                validation: Self::validation(Algorithm::ES256, audience),
            });
        }
        Err(AuthSetupError::Key(shown))
    }

    /// Check a token; the claims on success, the code to refuse with otherwise.
    pub fn verify(&self, token: &str) -> Result<PlayerClaims, AuthRefusal> {
        use jsonwebtoken::errors::ErrorKind;
        if token.len() > 8192 {
            return Err(AuthRefusal {
                code: ErrorCode::AuthInvalid,
                message: "token too long".into(),
            });
        }
        match jsonwebtoken::decode::<PlayerClaims>(token, &self.key, &self.validation) {
            Ok(d) if d.claims.sub.is_empty() || d.claims.sub.len() > 128 => Err(AuthRefusal {
                code: ErrorCode::AuthInvalid,
                message: "sub must be 1 to 128 bytes".into(),
            }),
            Ok(d) => Ok(d.claims),
            Err(e) => {
                let code = match e.kind() {
                    ErrorKind::ExpiredSignature => ErrorCode::AuthExpired,
                    _ => ErrorCode::AuthInvalid,
                };
                Err(AuthRefusal { code, message: e.to_string() })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header, encode};

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn now() -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
    }

    fn token(claims: serde_json::Value, secret: &[u8]) -> String {
        encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret)).unwrap()
    }

    #[test]
    fn valid_tokens_give_their_claims() {
        let v = TokenVerifier::hs256(SECRET, "tickwave").unwrap();
        let t = token(
            serde_json::json!({"sub":"p-42","name":"Ada","skill":1800.0,"region":"eu","exp":now()+60,"aud":"tickwave"}),
            SECRET,
        );
        let c = v.verify(&t).unwrap();
        assert_eq!(
            (c.sub.as_str(), c.name.as_deref(), c.skill, c.region.as_deref()),
            ("p-42", Some("Ada"), Some(1800.0), Some("eu"))
        );
    }

    #[test]
    fn bad_tokens_are_refused_with_the_right_code() {
        let v = TokenVerifier::hs256(SECRET, "tickwave").unwrap();
        let code = |t: &str| v.verify(t).unwrap_err().code;
        let expired =
            token(serde_json::json!({"sub":"p","exp":now()-120,"aud":"tickwave"}), SECRET);
        assert_eq!(code(&expired), ErrorCode::AuthExpired);
        // within the leeway is still fine
        let skewed = token(serde_json::json!({"sub":"p","exp":now()-10,"aud":"tickwave"}), SECRET);
        assert!(v.verify(&skewed).is_ok());
        let wrong_aud = token(serde_json::json!({"sub":"p","exp":now()+60,"aud":"other"}), SECRET);
        assert_eq!(code(&wrong_aud), ErrorCode::AuthInvalid);
        let forged = token(
            serde_json::json!({"sub":"p","exp":now()+60,"aud":"tickwave"}),
            b"another-secret-of-thirty-two-byt",
        );
        assert_eq!(code(&forged), ErrorCode::AuthInvalid);
        assert_eq!(code("not.a.jwt"), ErrorCode::AuthInvalid);
        let no_sub = token(serde_json::json!({"exp":now()+60,"aud":"tickwave"}), SECRET);
        assert_eq!(code(&no_sub), ErrorCode::AuthInvalid);
        assert!(TokenVerifier::hs256(b"short", "tickwave").is_err());
    }
}
