//! Who a request is: the user of its `Authorization: Bearer` access token or personal API token
//! ([`AuthUser`]), and the token helpers sign-in and API tokens share. The handlers for sessions
//! and API tokens are in `resources::auth` and `resources::tokens`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::problem::ApiError;
use crate::state::AppState;

pub use crate::keys::JwtKeys;

/// Personal API tokens look like `cofee_pat_…` so they can be told from access tokens (and found
/// by secret scanners).
pub const API_TOKEN_PREFIX: &str = "cofee_pat_";

pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS has a random source");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The signed-in user, from `Authorization: Bearer <access token>`.
pub struct AuthUser(pub Uuid);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(&VerifiedAccessToken(user)) = parts.extensions.get() {
            return Ok(AuthUser(user));
        }
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                ApiError::unauthorized("sign in: send `Authorization: Bearer <access token>`")
            })?;
        let token = header.strip_prefix("Bearer ").ok_or_else(|| {
            ApiError::unauthorized("the Authorization header must be `Bearer <access token>`")
        })?;
        if token.starts_with(API_TOKEN_PREFIX) {
            return match state.accounts.user_for_api_token(&token_hash(token)).await? {
                Some(user) => Ok(AuthUser(user)),
                None => Err(ApiError::unauthorized("the API token is unknown or was deleted")),
            };
        }
        state.keys.access_token_user(token).map(AuthUser).ok_or_else(|| {
            ApiError::unauthorized(
                "the access token is invalid or expired; refresh it or sign in again",
            )
        })
    }
}

/// Whom an authenticated request spends budget as (`rate_limit`): the user of a valid access
/// token, or the API token itself (checked against the database later, by the handler; an
/// unknown one only spends its own budget). `None` for anonymous or forged requests, which
/// spend only their address's budget.
/// A user whose access token is verified, it is kept with the request so `AuthUser` does not
/// verify it again.
pub fn rate_limit_subject(
    state: &AppState,
    request: &mut axum::extract::Request,
) -> Option<String> {
    let token = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    if token.starts_with(API_TOKEN_PREFIX) {
        return Some(format!("token:{}", &token_hash(token)[..32]));
    }
    let user = state.keys.access_token_user(token)?;
    request.extensions_mut().insert(VerifiedAccessToken(user));
    Some(user.to_string())
}

/// The user of the request's access token, verified by the rate-limit middleware.
#[derive(Clone, Copy)]
struct VerifiedAccessToken(Uuid);
