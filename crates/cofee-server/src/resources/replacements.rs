//! `GET/PUT /api/projects/{id}/replacements`: the replacements a person keeps on a project
//! (`cofee_core::replace`), which later transcriptions of the project apply. The editor's find
//! and replace adds to them when asked to remember.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use cofee_core::replace::Replacements;
use cofee_store::media::ProjectDocument;

use crate::auth::AuthUser;
use crate::extract::Id;
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;

/// One replacement (for the API description; `cofee_core::replace::Replacement` reads it).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
pub struct ReplacementInput {
    /// One word, compared without the punctuation at its edges.
    #[schema(min_length = 1)]
    find: String,
    /// What it becomes: a word, several, or nothing (the word is deleted).
    replace: String,
    /// Compare the case too (default: ignore it).
    #[serde(default)]
    match_case: bool,
}

/// The whole list, in the order they are tried (the first that matches a word wins).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
pub struct ReplacementList {
    /// At most `cofee_core::limits::MAX_REPLACEMENTS` (the schema's `maxItems`).
    replacements: Vec<ReplacementInput>,
}

#[utoipa::path(get, path = "/api/projects/{id}/replacements", tag = "captions", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, body = ReplacementList), (status = 404, body = Problem)))]
pub async fn get_replacements(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
) -> Result<Json<Replacements>, ApiError> {
    let kept = s.media.document(user, id, ProjectDocument::Replacements).await?;
    let list = match kept {
        Some(json) => serde_json::from_str(&json).map_err(|_| ApiError::internal())?,
        None => Replacements::default(),
    };
    Ok(Json(list))
}

/// Replaces the list whole.
#[utoipa::path(put, path = "/api/projects/{id}/replacements", tag = "captions", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = ReplacementList, responses((status = 200, body = ReplacementList), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_replacements(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    body: Result<Json<Replacements>, JsonRejection>,
) -> Result<Json<Replacements>, ApiError> {
    s.projects.project(user, id).await?; // another user's project is not there, whatever the body
    let Json(list) = body?;
    list.validate().map_err(|e| {
        let field = match &e {
            cofee_core::replace::ReplacementsError::Field { index, field, .. } => {
                format!("replacements[{index}].{field}")
            }
            _ => "replacements".into(),
        };
        ApiError::invalid(vec![FieldError { field, message: e.to_string() }])
    })?;
    let json = serde_json::to_string(&list).expect("replacements serialize");
    s.media.set_document(user, id, ProjectDocument::Replacements, &json).await?;
    Ok(Json(list))
}
