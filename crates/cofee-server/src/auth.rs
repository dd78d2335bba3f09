//! Who a request is: the user of its `Authorization: Bearer` access token or personal API token
//! ([`AuthUser`]), and the token helpers sign-in and API tokens share. The handlers for sessions
//! and API tokens are in `resources::auth` and `resources::tokens`.

use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;
use base64::Engine;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use cofee_store::accounts::TokenScope;

use crate::problem::{ApiError, ProblemType};
use crate::state::AppState;
use serde::Serialize;

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

/// Who is calling and what they may do: the user of a valid access token (a session, which may
/// do everything) or of a personal API token (its scopes), and when the credential expires.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: Uuid,
    /// `None` for a session: every scope.
    pub scopes: Option<Vec<TokenScope>>,
    /// When the credential stops working (unix ms); `None`: an API token that never expires.
    pub expires_at: Option<i64>,
}

impl Caller {
    pub fn may(&self, scope: TokenScope) -> bool {
        self.scopes.as_ref().is_none_or(|s| s.contains(&scope))
    }

    /// `403` unless the credential holds `scope`.
    pub fn require(&self, scope: TokenScope) -> Result<(), ApiError> {
        if self.may(scope) {
            return Ok(());
        }
        Err(ApiError::new(
            ProblemType::InsufficientScope,
            format!("this API token lacks the `{}` scope this request needs", scope.as_str()),
        ))
    }

    async fn authenticate(parts: &Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(&VerifiedAccessToken(user, exp)) = parts.extensions.get() {
            return Ok(Self::session(user, exp));
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
            return match state.accounts.api_token_grant(&token_hash(token)).await? {
                Some(grant) => Ok(Self {
                    user: grant.user,
                    scopes: Some(grant.scopes),
                    expires_at: grant.expires_at,
                }),
                None => {
                    Err(ApiError::unauthorized("the API token is unknown, expired or was deleted"))
                }
            };
        }
        state.keys.access_token_user(token).map(|(user, exp)| Self::session(user, exp)).ok_or_else(
            || {
                ApiError::unauthorized(
                    "the access token is invalid or expired; refresh it or sign in again",
                )
            },
        )
    }

    fn session(user: Uuid, exp_secs: i64) -> Self {
        Self { user, scopes: None, expires_at: Some(exp_secs.saturating_mul(1000)) }
    }
}

/// A caller whose credential holds the scope of the request's method: `read` for `GET` and
/// `HEAD`, `write` for the rest.
impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = match parts.extensions.get::<Caller>() {
            Some(c) => c.clone(),
            None => {
                let c = Self::authenticate(parts, state).await?;
                parts.extensions.insert(c.clone());
                c
            }
        };
        let reads = matches!(parts.method, Method::GET | Method::HEAD);
        caller.require(if reads { TokenScope::Read } else { TokenScope::Write })?;
        Ok(caller)
    }
}

/// A caller, whatever the request's method: for the routes whose scope is not `read` or
/// `write` but one of their own (minting and deleting API tokens need `tokens`, checked by the
/// handler).
pub struct AnyScope(pub Caller);

impl FromRequestParts<AppState> for AnyScope {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Caller::authenticate(parts, state).await.map(AnyScope)
    }
}

/// The signed-in user, from `Authorization: Bearer <access token or API token>`, whose
/// credential may make this request (see [`Caller`]).
pub struct AuthUser(pub Uuid);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Caller::from_request_parts(parts, state).await.map(|c| AuthUser(c.user))
    }
}

/// Whom an authenticated request spends budget as (`rate_limit`): the user of a valid access
/// token, or the API token itself (checked against the database later, by the handler; an
/// unknown one only spends its own budget). `None` for anonymous or forged requests, which
/// spend only their address's budget. A verified access token is kept with the request so
/// `AuthUser` does not verify it again.
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
    let (user, exp) = state.keys.access_token_user(token)?;
    request.extensions_mut().insert(VerifiedAccessToken(user, exp));
    Some(user.to_string())
}

/// The user of the request's access token and its expiry, verified by the rate-limit
/// middleware.
#[derive(Clone, Copy)]
struct VerifiedAccessToken(Uuid, i64);

const REFRESH_TTL_MS: i64 = 30 * 24 * 3600 * 1000;

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Tokens {
    access_token: String,
    refresh_token: String,
    token_type: &'static str,
    expires_in: i64,
}

/// A new session for `user`: an access token and the first (or next) refresh token of `family`.
pub(crate) async fn issue(state: &AppState, user: Uuid, family: Uuid) -> Result<Tokens, ApiError> {
    let now = now_secs();
    let access_token = state.keys.access_token(user, now).map_err(|_| ApiError::internal())?;
    let refresh_token = random_token();
    state
        .accounts
        .add_refresh_token(user, family, &token_hash(&refresh_token), now * 1000 + REFRESH_TTL_MS)
        .await?;
    Ok(Tokens {
        access_token,
        refresh_token,
        token_type: "Bearer",
        expires_in: state.keys.access_ttl_secs(),
    })
}
