//! The secret the API is configured with: it signs and verifies the short-lived HS256 access
//! tokens, and the keys for other uses (signed file URLs) are derived from it.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

const ISSUER: &str = "cofee";
const AUDIENCE: &str = "cofee-api";
/// How long an access token is valid by default, in seconds (`COFEE_ACCESS_TOKEN_TTL_SECS`).
pub const DEFAULT_ACCESS_TTL_SECS: u32 = 15 * 60;

/// Keys for signing access tokens.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    secret: Vec<u8>,
    access_ttl_secs: i64,
}

impl JwtKeys {
    /// From a secret of at least 32 bytes (256 bits, RFC 8725 §3.5).
    pub fn from_secret(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < 32 {
            return Err(format!(
                "the JWT secret is {} bytes; it must be at least 32 random bytes",
                secret.len()
            ));
        }
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            secret: secret.to_vec(),
            access_ttl_secs: i64::from(DEFAULT_ACCESS_TTL_SECS),
        })
    }

    /// Access tokens valid for `secs` instead of [`DEFAULT_ACCESS_TTL_SECS`].
    pub fn with_access_ttl(mut self, secs: u32) -> Self {
        self.access_ttl_secs = i64::from(secs.max(1));
        self
    }

    /// How long an access token is valid, in seconds.
    pub fn access_ttl_secs(&self) -> i64 {
        self.access_ttl_secs
    }

    /// A separate key for another purpose (HMAC of the purpose under the secret), so one secret
    /// can be configured without reusing it across uses.
    pub fn derive(&self, purpose: &[u8]) -> Vec<u8> {
        use hmac::{Hmac, KeyInit, Mac};
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("any key length");
        mac.update(purpose);
        mac.finalize().into_bytes().to_vec()
    }

    /// An access token for `user`, issued at `now` (unix seconds), valid for the configured time.
    pub(crate) fn access_token(
        &self,
        user: Uuid,
        now: i64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = Claims {
            sub: user,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            exp: now + self.access_ttl_secs,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// The user of `token` and when it expires (unix seconds), if it is an access token of
    /// ours that has not expired.
    pub(crate) fn access_token_user(&self, token: &str) -> Option<(Uuid, i64)> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[AUDIENCE]);
        v.leeway = 5;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &v)
            .ok()
            .map(|d| (d.claims.sub, d.claims.exp))
    }
}

#[derive(Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    iss: String,
    aud: String,
    iat: i64,
    exp: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_secrets_are_refused() {
        assert!(JwtKeys::from_secret(b"secret").is_err());
        assert!(JwtKeys::from_secret(&[7u8; 32]).is_ok());
    }
}
