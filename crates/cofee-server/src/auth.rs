//! Accounts and sessions: Argon2id password hashes (OWASP parameters: m = 19 MiB, t = 2, p = 1,
//! the crate's defaults), short-lived HS256 access tokens, and rotating refresh tokens whose
//! reuse revokes the whole family (RFC 6819 §5.2.2.3, OAuth 2.0 Security BCP).

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use base64::Engine;
use cofee_store::StoreError;
use cofee_store::accounts::RefreshUse;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::AppState;
use crate::problem::{ApiError, FieldError, Problem};

const ISSUER: &str = "cofee";
const AUDIENCE: &str = "cofee-api";
const ACCESS_TTL_SECS: i64 = 15 * 60;
const REFRESH_TTL_MS: i64 = 30 * 24 * 3600 * 1000;
/// Personal API tokens look like `cofee_pat_…` so they can be told from access tokens (and found
/// by secret scanners).
pub const API_TOKEN_PREFIX: &str = "cofee_pat_";

/// Keys for signing access tokens.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    secret: Vec<u8>,
}

impl JwtKeys {
    /// From a secret of at least 32 bytes (256 bits, RFC 8725 §3.5).
    pub fn from_secret(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < 32 {
            return Err(format!("the JWT secret is {} bytes; it must be at least 32 random bytes", secret.len()));
        }
        Ok(Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), secret: secret.to_vec() })
    }

    /// A separate key for another purpose (HMAC of the purpose under the secret), so one secret
    /// can be configured without reusing it across uses.
    pub fn derive(&self, purpose: &[u8]) -> Vec<u8> {
        use hmac::{Hmac, KeyInit, Mac};
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("any key length");
        mac.update(purpose);
        mac.finalize().into_bytes().to_vec()
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

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS has a random source");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn token_hash(token: &str) -> String {
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
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(|| ApiError::unauthorized("sign in: send `Authorization: Bearer <access token>`"))?;
        let token = header.strip_prefix("Bearer ").ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer <access token>`"))?;
        if token.starts_with(API_TOKEN_PREFIX) {
            return match state.accounts.user_for_api_token(&token_hash(token)).await? {
                Some(user) => Ok(AuthUser(user)),
                None => Err(ApiError::unauthorized("the API token is unknown or was deleted")),
            };
        }
        access_token_user(state, token).map(AuthUser).ok_or_else(|| ApiError::unauthorized("the access token is invalid or expired; refresh it or sign in again"))
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Credentials {
    email: String,
    password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Tokens {
    access_token: String,
    refresh_token: String,
    token_type: &'static str,
    expires_in: i64,
}

fn validate(c: &Credentials) -> Result<String, ApiError> {
    let email = c.email.trim().to_lowercase();
    let mut errors = Vec::new();
    let at = email.find('@');
    if email.len() > 254 || at.is_none_or(|i| i == 0 || i == email.len() - 1) || email.contains(char::is_whitespace) {
        errors.push(FieldError { field: "email".into(), message: "must be an email address".into() });
    }
    let chars = c.password.chars().count();
    if !(10..=1024).contains(&chars) {
        errors.push(FieldError { field: "password".into(), message: "must be between 10 and 1024 characters".into() });
    }
    if errors.is_empty() { Ok(email) } else { Err(ApiError::invalid(errors)) }
}

async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|_| ApiError::internal())
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok()).await.unwrap_or(false)
}

/// A valid Argon2id hash of nothing anyone can type: verified against when the email is
/// unknown, so a login takes as long whether or not the account exists.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| Argon2::default().hash_password(random_token().as_bytes()).map(|h| h.to_string()).expect("hashing works"))
}

async fn issue(state: &AppState, user: Uuid, family: Uuid) -> Result<Tokens, ApiError> {
    let now = now_secs();
    let claims = Claims { sub: user, iss: ISSUER.into(), aud: AUDIENCE.into(), iat: now, exp: now + ACCESS_TTL_SECS };
    let access_token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &state.keys.encoding).map_err(|_| ApiError::internal())?;
    let refresh_token = random_token();
    state.accounts.add_refresh_token(user, family, &token_hash(&refresh_token), now * 1000 + REFRESH_TTL_MS).await?;
    Ok(Tokens { access_token, refresh_token, token_type: "Bearer", expires_in: ACCESS_TTL_SECS })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Registered {
    id: Uuid,
    email: String,
}

#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = Credentials, responses((status = 201, body = Registered), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn register(State(state): State<AppState>, body: Result<Json<Credentials>, axum::extract::rejection::JsonRejection>) -> Result<(StatusCode, Json<Registered>), ApiError> {
    let Json(c) = body?;
    let email = validate(&c)?;
    let hash = hash_password(c.password).await?;
    let user = state.accounts.create_user(&email, &hash).await?;
    Ok((StatusCode::CREATED, Json(Registered { id: user.id, email: user.email })))
}

/// Whom an authenticated request spends budget as (`rate_limit`): the user of a valid access
/// token, or the API token itself (checked against the database later, by the handler; an
/// unknown one only spends its own budget). `None` for anonymous or forged requests, which
/// spend only their address's budget.
/// A user whose access token is verified, it is kept with the request so `AuthUser` does not
/// verify it again.
pub fn rate_limit_subject(state: &AppState, request: &mut axum::extract::Request) -> Option<String> {
    let token = request.headers().get(axum::http::header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ")?;
    if token.starts_with(API_TOKEN_PREFIX) {
        return Some(format!("token:{}", &token_hash(token)[..32]));
    }
    let user = access_token_user(state, token)?;
    request.extensions_mut().insert(VerifiedAccessToken(user));
    Some(user.to_string())
}

/// The user of the request's access token, verified by the rate-limit middleware.
#[derive(Clone, Copy)]
struct VerifiedAccessToken(Uuid);

fn access_token_user(state: &AppState, token: &str) -> Option<Uuid> {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[ISSUER]);
    v.set_audience(&[AUDIENCE]);
    v.leeway = 5;
    jsonwebtoken::decode::<Claims>(token, &state.keys.decoding, &v).ok().map(|d| d.claims.sub)
}

#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = Credentials, responses((status = 200, body = Tokens), (status = 401, body = Problem), (status = 429, description = "too many attempts for this account; see Retry-After", body = Problem)))]
pub async fn login(State(state): State<AppState>, body: Result<Json<Credentials>, axum::extract::rejection::JsonRejection>) -> Result<Json<Tokens>, ApiError> {
    let Json(c) = body?;
    let email = c.email.trim().to_lowercase();
    // Online password guessing against one account is throttled, whoever tries and from where
    // (with Redis, across every API replica); the per-address sign-in budget narrows how long
    // someone who knows an address can keep its owner waiting.
    if let Some(quota) = state.rate_limits.per_account
        // Keyed by a hash: the address is whatever the caller typed, of any length.
        && let Some(refused) = crate::rate_limit::spend(&state.rate_limiter, "account", &format!("account:{}", &token_hash(&email)[..32]), quota).await
    {
        return Err(refused);
    }
    let user = state.accounts.user_by_email(&email).await?;
    let hash = user.as_ref().map_or_else(|| decoy_hash().to_string(), |u| u.password_hash.clone());
    let ok = verify_password(c.password, hash).await;
    match user {
        Some(u) if ok => Ok(Json(issue(&state, u.id, Uuid::now_v7()).await?)),
        _ => Err(ApiError::unauthorized("wrong email or password")),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RefreshRequest {
    refresh_token: String,
}

#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth", request_body = RefreshRequest, responses((status = 200, body = Tokens), (status = 401, body = Problem)))]
pub async fn refresh(State(state): State<AppState>, body: Result<Json<RefreshRequest>, axum::extract::rejection::JsonRejection>) -> Result<Json<Tokens>, ApiError> {
    let Json(r) = body?;
    match state.accounts.use_refresh_token(&token_hash(&r.refresh_token)).await? {
        RefreshUse::Rotated { user_id, family_id } => Ok(Json(issue(&state, user_id, family_id).await?)),
        RefreshUse::Reused => {
            tracing::warn!("a spent refresh token was presented again; its session family is revoked");
            Err(ApiError::unauthorized("this refresh token was already used; for safety the session has been ended, sign in again"))
        }
        RefreshUse::Invalid => Err(ApiError::unauthorized("the refresh token is invalid or expired; sign in again")),
    }
}

#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", request_body = RefreshRequest, responses((status = 204)))]
pub async fn logout(State(state): State<AppState>, body: Result<Json<RefreshRequest>, axum::extract::rejection::JsonRejection>) -> Result<StatusCode, ApiError> {
    let Json(r) = body?;
    match state.accounts.revoke_family_of(&token_hash(&r.refresh_token)).await {
        Ok(_) | Err(StoreError::NotFound) => Ok(StatusCode::NO_CONTENT),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_secrets_are_refused() {
        assert!(JwtKeys::from_secret(b"secret").is_err());
        assert!(JwtKeys::from_secret(&[7u8; 32]).is_ok());
    }

    #[test]
    fn argon2_defaults_are_owasp_argon2id() {
        let h = Argon2::default().hash_password(b"correct horse battery").unwrap().to_string();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    token: cofee_store::accounts::ApiToken,
    /// Shown once; only its hash is stored.
    secret: String,
}

#[utoipa::path(post, path = "/api/tokens", tag = "auth", security(("bearer" = [])), request_body = NewToken, responses((status = 201, body = CreatedToken), (status = 422, body = Problem)))]
pub async fn create_token(State(s): State<AppState>, AuthUser(user): AuthUser, body: Result<Json<NewToken>, axum::extract::rejection::JsonRejection>) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let Json(t) = body?;
    let name = t.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid(vec![FieldError { field: "name".into(), message: "must be 1 to 100 characters".into() }]));
    }
    let secret = format!("{API_TOKEN_PREFIX}{}", random_token());
    let token = s.accounts.create_api_token(user, name, &token_hash(&secret)).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, secret })))
}

#[utoipa::path(get, path = "/api/tokens", tag = "auth", security(("bearer" = [])), responses((status = 200, body = Vec<cofee_store::accounts::ApiToken>)))]
pub async fn list_tokens(State(s): State<AppState>, AuthUser(user): AuthUser) -> Result<Json<Vec<cofee_store::accounts::ApiToken>>, ApiError> {
    Ok(Json(s.accounts.api_tokens(user).await?))
}

#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "auth", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_token(State(s): State<AppState>, AuthUser(user): AuthUser, id: Result<axum::extract::Path<Uuid>, axum::extract::rejection::PathRejection>) -> Result<StatusCode, ApiError> {
    let axum::extract::Path(id) = id?;
    s.accounts.delete_api_token(user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
