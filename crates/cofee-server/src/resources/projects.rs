//! `/api/projects`: the signed-in user's projects: create, list (with each one's state and a
//! thumbnail link), read, rename and delete (with its stored objects).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use cofee_store::accounts::Project;
use serde::Deserialize;

use crate::auth::AuthUser;
use crate::extract::Id;
use crate::problem::{ApiError, FieldError, Problem};
use crate::quotas::Adding;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    name: String,
}

fn valid_name(name: &str) -> Result<String, ApiError> {
    use crate::fields::{PROJECT_NAME_MAX, is_name};
    if !is_name(name, PROJECT_NAME_MAX) {
        return Err(ApiError::invalid(vec![FieldError {
            field: "name".into(),
            message: format!(
                "must be at most {PROJECT_NAME_MAX} characters, not blank, without control characters"
            ),
        }]));
    }
    Ok(name.trim().to_string())
}

#[utoipa::path(post, path = "/api/projects", tag = "projects", security(("bearer" = [])), request_body = ProjectInput, responses((status = 201, body = Project), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    body: Result<Json<ProjectInput>, JsonRejection>,
) -> Result<(StatusCode, Json<Project>), ApiError> {
    let Json(p) = body?;
    let name = valid_name(&p.name)?;
    crate::quotas::check(&s, user, Adding { projects: 1, ..Adding::default() }).await?;
    let project = s.projects.create_project(user, &name).await?;
    Ok((StatusCode::CREATED, Json(project)))
}

/// A project in a list: its state and a signed thumbnail link.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ProjectListItem {
    #[serde(flatten)]
    project: Project,
    /// `new` (no video), `uploaded`, `transcribed` or `rendered`.
    status: &'static str,
    thumbnail_url: Option<String>,
    /// The video's length in seconds, once there is one.
    duration_secs: Option<f64>,
}

#[utoipa::path(get, path = "/api/projects", tag = "projects", security(("bearer" = [])), responses((status = 200, body = Vec<ProjectListItem>)))]
pub async fn list(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<ProjectListItem>>, ApiError> {
    let mut items = Vec::new();
    for p in s.projects.project_summaries(user).await? {
        let status = match (p.has_media, p.has_captions, p.renders_done) {
            (false, ..) => "new",
            (true, false, _) => "uploaded",
            (true, true, 0) => "transcribed",
            _ => "rendered",
        };
        // Signing is local computation (HMAC, or S3's SigV4), no round trip per project.
        let thumbnail_url = match p.has_media {
            true => Some(
                crate::links::browser_url(
                    &s,
                    &format!("projects/{}/thumbnail.jpg", p.project.id),
                    None,
                )
                .await?,
            ),
            false => None,
        };
        items.push(ProjectListItem {
            project: p.project,
            status,
            thumbnail_url,
            duration_secs: p.duration_secs,
        });
    }
    Ok(Json(items))
}

#[utoipa::path(get, path = "/api/projects/{id}", tag = "projects", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, body = Project), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
) -> Result<Json<Project>, ApiError> {
    Ok(Json(s.projects.project(user, id).await?))
}

#[utoipa::path(patch, path = "/api/projects/{id}", tag = "projects", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = ProjectInput, responses((status = 200, body = Project), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn rename(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    body: Result<Json<ProjectInput>, JsonRejection>,
) -> Result<Json<Project>, ApiError> {
    let Json(p) = body?;
    Ok(Json(s.projects.rename_project(user, id, &valid_name(&p.name)?).await?))
}

#[utoipa::path(delete, path = "/api/projects/{id}", tag = "projects", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    headers: axum::http::HeaderMap,
) -> Result<StatusCode, ApiError> {
    crate::project_deletion::delete_project(&s, user, id, &headers).await?;
    Ok(StatusCode::NO_CONTENT)
}
