//! `/api/tokens`: personal API tokens (`cofee_pat_…`), for scripts; the secret is shown once,
//! at creation, and only its hash is kept.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::auth::{API_TOKEN_PREFIX, AuthUser, random_token, token_hash};
use crate::extract::Id;
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;

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
pub async fn create_token(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    body: Result<Json<NewToken>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let Json(t) = body?;
    let name = t.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid(vec![FieldError {
            field: "name".into(),
            message: "must be 1 to 100 characters".into(),
        }]));
    }
    let secret = format!("{API_TOKEN_PREFIX}{}", random_token());
    let token = s.accounts.create_api_token(user, name, &token_hash(&secret)).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, secret })))
}

#[utoipa::path(get, path = "/api/tokens", tag = "auth", security(("bearer" = [])), responses((status = 200, body = Vec<cofee_store::accounts::ApiToken>)))]
pub async fn list_tokens(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<cofee_store::accounts::ApiToken>>, ApiError> {
    Ok(Json(s.accounts.api_tokens(user).await?))
}

#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "auth", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_token(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    s.accounts.delete_api_token(user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
