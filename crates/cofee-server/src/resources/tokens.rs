//! `/api/tokens`: personal API tokens (`cofee_pat_…`), for scripts; the secret is shown once,
//! at creation, and only its hash is kept. Each has scopes (`read`, `write`, `tokens`) and may
//! expire.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::auth::{API_TOKEN_PREFIX, AnyScope, AuthUser, TokenScope, random_token, token_hash};
use crate::extract::Id;
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;

/// The longest an API token may be made to last, in days (a token may also never expire).
const MAX_TOKEN_DAYS: u32 = 366;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// What it may do; default `["read", "write"]`. A token can only be given scopes its maker
    /// holds, and minting tokens needs `tokens`.
    #[serde(default)]
    scopes: Option<Vec<TokenScope>>,
    /// Days until it stops working (1 to 366); leave out for a token that never expires.
    #[serde(default, deserialize_with = "crate::fields::whole_or_null")]
    #[schema(minimum = 1, maximum = 366)]
    expires_in_days: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    token: cofee_store::accounts::ApiToken,
    /// Shown once; only its hash is stored.
    secret: String,
}

fn field(field: &str, message: impl Into<String>) -> FieldError {
    FieldError { field: field.into(), message: message.into() }
}

#[utoipa::path(post, path = "/api/tokens", tag = "auth", security(("bearer" = [])), request_body = NewToken, responses((status = 201, body = CreatedToken), (status = 403, description = "the calling API token lacks the `tokens` scope or a scope it tries to grant", body = Problem), (status = 422, body = Problem)))]
pub async fn create_token(
    State(s): State<AppState>,
    AnyScope(caller): AnyScope,
    body: Result<Json<NewToken>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    caller.require(TokenScope::Tokens)?;
    let Json(t) = body?;
    let mut errors = Vec::new();
    if !crate::fields::is_name(&t.name, crate::fields::TOKEN_NAME_MAX) {
        errors.push(field(
            "name",
            "must be at most 100 characters, not blank, none of them control characters",
        ));
    }
    let scopes = t.scopes.unwrap_or_else(|| vec![TokenScope::Read, TokenScope::Write]);
    if scopes.is_empty() {
        errors.push(field("scopes", "must name at least one scope"));
    }
    if t.expires_in_days.is_some_and(|d| !(1..=MAX_TOKEN_DAYS).contains(&d)) {
        errors.push(field("expires_in_days", format!("must be 1 to {MAX_TOKEN_DAYS}")));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    for &scope in &scopes {
        caller.require(scope)?;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut expires_at = t.expires_in_days.map(|d| now + i64::from(d) * 86_400_000);
    // A token minted by a token that expires expires no later than its maker.
    if let Some(limit) = caller.scopes.as_ref().and(caller.expires_at) {
        expires_at = Some(expires_at.map_or(limit, |e| e.min(limit)));
    }
    let name = t.name.trim();
    let secret = format!("{API_TOKEN_PREFIX}{}", random_token());
    let token = s
        .accounts
        .create_api_token(caller.user, name, &token_hash(&secret), &scopes, expires_at)
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, secret })))
}

#[utoipa::path(get, path = "/api/tokens", tag = "auth", security(("bearer" = [])), responses((status = 200, body = Vec<cofee_store::accounts::ApiToken>)))]
pub async fn list_tokens(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<cofee_store::accounts::ApiToken>>, ApiError> {
    Ok(Json(s.accounts.api_tokens(user).await?))
}

#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "auth", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 204), (status = 403, description = "the calling API token lacks the `tokens` scope", body = Problem), (status = 404, body = Problem)))]
pub async fn delete_token(
    State(s): State<AppState>,
    AnyScope(caller): AnyScope,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    caller.require(TokenScope::Tokens)?;
    s.accounts.delete_api_token(caller.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
