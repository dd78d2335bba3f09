//! `/api/auth/*`: accounts and sessions. Argon2id password hashes (OWASP parameters: m = 19 MiB,
//! t = 2, p = 1, the crate's defaults), short-lived HS256 access tokens, and rotating refresh
//! tokens whose reuse revokes the whole family (RFC 6819 §5.2.2.3, OAuth 2.0 Security BCP).

use argon2::Argon2;
use argon2::password_hash::PasswordHasher;
use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use cofee_store::StoreError;
use cofee_store::accounts::RefreshUse;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{Tokens, issue, random_token, token_hash};
use crate::middleware::rate_limit::ClientAddress;
use crate::passwords::{hash_password, verify_password};
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Credentials {
    email: String,
    password: String,
}

fn validate(c: &Credentials) -> Result<String, ApiError> {
    let mut errors = Vec::new();
    if !crate::fields::is_email(&c.email) {
        errors
            .push(FieldError { field: "email".into(), message: "must be an email address".into() });
    }
    let email = c.email.to_lowercase();
    if !crate::fields::is_password(&c.password) {
        errors.push(FieldError {
            field: "password".into(),
            message: "must be between 10 and 1024 characters".into(),
        });
    }
    if errors.is_empty() { Ok(email) } else { Err(ApiError::invalid(errors)) }
}

/// A valid Argon2id hash of nothing anyone can type: verified against when the email is
/// unknown, so a login takes as long whether or not the account exists.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        Argon2::default()
            .hash_password(random_token().as_bytes())
            .map(|h| h.to_string())
            .expect("hashing works")
    })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Registered {
    id: Uuid,
    email: String,
}

#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = Credentials, responses((status = 201, body = Registered), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    body: Result<Json<Credentials>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Registered>), ApiError> {
    let Json(c) = body?;
    let email = validate(&c)?;
    let hash = hash_password(c.password).await?;
    let user = state.accounts.create_user(&email, &hash).await?;
    Ok((StatusCode::CREATED, Json(Registered { id: user.id, email: user.email })))
}

#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = Credentials, responses((status = 200, body = Tokens), (status = 401, body = Problem), (status = 429, description = "too many failed sign-ins for this account from this address; see Retry-After", body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    address: Option<Extension<ClientAddress>>,
    body: Result<Json<Credentials>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Tokens>, ApiError> {
    let Json(c) = body?;
    let email = c.email.trim().to_lowercase();
    let failures = state.rate_limits.per_account.map(|quota| {
        let address = address.as_ref().map_or("unknown", |Extension(a)| a.0.as_str());
        // Keyed by a hash: the email is whatever the caller typed, of any length.
        (format!("account:{}:{address}", &token_hash(&email)[..32]), quota)
    });
    // The attempt is counted before the password is checked (so parallel guesses cannot all
    // slip under the budget) and given back when it turns out right: only failures count.
    if let Some((key, quota)) = &failures
        && let Some(refused) =
            crate::budgets::spend(&state.rate_limiter, "account", key, *quota).await
    {
        return Err(refused);
    }
    let user = state.accounts.user_by_email(&email).await?;
    let hash = user.as_ref().map_or_else(|| decoy_hash().to_string(), |u| u.password_hash.clone());
    let ok = verify_password(c.password, hash).await;
    match user {
        Some(u) if ok => {
            if let Some((key, quota)) = &failures
                && let Err(e) = state.rate_limiter.refund(key, *quota).await
            {
                tracing::warn!(error = %e, "could not give back a sign-in attempt");
            }
            Ok(Json(issue(&state, u.id, Uuid::now_v7()).await?))
        }
        _ => Err(ApiError::unauthorized("wrong email or password")),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RefreshRequest {
    refresh_token: String,
}

#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth", request_body = RefreshRequest, responses((status = 200, body = Tokens), (status = 401, body = Problem)))]
pub async fn refresh(
    State(state): State<AppState>,
    body: Result<Json<RefreshRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Tokens>, ApiError> {
    let Json(r) = body?;
    match state.accounts.use_refresh_token(&token_hash(&r.refresh_token)).await? {
        RefreshUse::Rotated { user_id, family_id } => {
            Ok(Json(issue(&state, user_id, family_id).await?))
        }
        RefreshUse::Reused => {
            tracing::warn!(
                "a spent refresh token was presented again; its session family is revoked"
            );
            Err(ApiError::unauthorized(
                "this refresh token was already used; for safety the session has been ended, sign in again",
            ))
        }
        RefreshUse::Invalid => {
            Err(ApiError::unauthorized("the refresh token is invalid or expired; sign in again"))
        }
    }
}

#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", request_body = RefreshRequest, responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    body: Result<Json<RefreshRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<StatusCode, ApiError> {
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
    fn argon2_defaults_are_owasp_argon2id() {
        let h = Argon2::default().hash_password(b"correct horse battery").unwrap().to_string();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
    }
}
