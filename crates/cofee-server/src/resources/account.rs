//! `/api/me`: the signed-in person's account — who they are, a new password (which ends every
//! session and starts a new one for the client that changed it), and deleting the account with everything in it. Only a signed-in session
//! may change or delete an account, never an API token.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{Caller, Tokens, issue};
use crate::passwords::{hash_password, verify_password};
use crate::problem::{ApiError, FieldError, Problem, ProblemType};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    id: Uuid,
    email: String,
    created_at: i64,
}

#[utoipa::path(get, path = "/api/me", tag = "auth", security(("bearer" = [])), responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(State(s): State<AppState>, caller: Caller) -> Result<Json<Me>, ApiError> {
    let user = s.accounts.user_by_id(caller.user).await?.ok_or_else(ApiError::not_found)?;
    Ok(Json(Me { id: user.id, email: user.email, created_at: user.created_at }))
}

/// The caller's account, when the caller is a signed-in session that knows its password.
async fn confirmed(s: &AppState, caller: &Caller, password: String) -> Result<Uuid, ApiError> {
    if caller.scopes.is_some() {
        return Err(ApiError::new(
            ProblemType::InsufficientScope,
            "an API token cannot change or delete the account; sign in",
        ));
    }
    let user = s.accounts.user_by_id(caller.user).await?.ok_or_else(ApiError::not_found)?;
    if !verify_password(password, user.password_hash).await {
        return Err(ApiError::invalid(vec![FieldError {
            field: "current_password".into(),
            message: "is not this account's password".into(),
        }]));
    }
    Ok(user.id)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    #[schema(min_length = 1, max_length = 1024)]
    current_password: String,
    #[schema(min_length = 10, max_length = 1024)]
    new_password: String,
}

#[utoipa::path(put, path = "/api/me/password", tag = "auth", security(("bearer" = [])), request_body = PasswordChange, responses((status = 200, description = "changed: every session of the account has ended, and these tokens start a new one for this client", body = Tokens), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn change_password(
    State(s): State<AppState>,
    caller: Caller,
    body: Result<Json<PasswordChange>, JsonRejection>,
) -> Result<Json<Tokens>, ApiError> {
    let Json(change) = body?;
    if !crate::fields::is_password(&change.new_password) {
        return Err(ApiError::invalid(vec![FieldError {
            field: "new_password".into(),
            message: "must be between 10 and 1024 characters".into(),
        }]));
    }
    let user = confirmed(&s, &caller, change.current_password).await?;
    s.accounts.set_password(user, &hash_password(change.new_password).await?).await?;
    Ok(Json(issue(&s, user, Uuid::now_v7()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountDeletion {
    #[schema(min_length = 1, max_length = 1024)]
    current_password: String,
}

#[utoipa::path(delete, path = "/api/me", tag = "auth", security(("bearer" = [])), request_body = AccountDeletion, responses((status = 204, description = "the account and everything in it are gone"), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn delete_account(
    State(s): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: Result<Json<AccountDeletion>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(deletion) = body?;
    let user = confirmed(&s, &caller, deletion.current_password).await?;
    // Project by project, each with the job deleting its objects; then the account and, by
    // cascade, its tokens, webhooks and sessions. Interrupted, the request can be sent again.
    for project in s.projects.list_projects(user).await? {
        match crate::project_deletion::delete_project(&s, user, project.id, &headers).await {
            Ok(()) => {}
            // Deleted meanwhile (another tab): nothing left to do for it.
            Err(e) if e.kind == ProblemType::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    s.accounts.delete_user(user).await?;
    Ok(StatusCode::NO_CONTENT)
}
