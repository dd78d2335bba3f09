//! Caption styles: the presets (`GET /api/styles`) and a project's style
//! (`GET/PUT /api/projects/{id}/style`).

use axum::Json;
use axum::extract::State;
use cofee_core::Style;
use cofee_store::media::ProjectDocument;

use crate::auth::AuthUser;
use crate::extract::Id;
use crate::problem::{ApiError, Problem};
use crate::project_style::project_style;
use crate::state::AppState;
use crate::style_input::{StyleInput, read_style};

#[utoipa::path(get, path = "/api/styles", tag = "styles", responses((status = 200, description = "the style presets", body = Vec<StyleInput>)))]
pub async fn presets() -> Json<Vec<Style>> {
    Json(cofee_core::style::presets())
}

#[utoipa::path(get, path = "/api/projects/{id}/style", tag = "styles", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, body = StyleInput), (status = 404, body = Problem)))]
pub async fn get_style(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
) -> Result<Json<Style>, ApiError> {
    Ok(Json(project_style(&s, user, id).await?))
}

/// `PUT /api/projects/{id}/style`: a full style, or `{"base": "bold-pop", …overrides}`.
#[utoipa::path(put, path = "/api/projects/{id}/style", tag = "styles", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body(content = StyleInput, description = "a style, or {\"base\": preset, …overrides}"), responses((status = 200, body = StyleInput), (status = 422, body = Problem)))]
pub async fn put_style(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    body: Result<String, axum::extract::rejection::StringRejection>,
) -> Result<Json<Style>, ApiError> {
    s.projects.project(user, id).await?; // another user's project is not there, whatever the body
    let style = read_style(&body?)?;
    let json = serde_json::to_string(&style).expect("styles serialize");
    s.media.set_document(user, id, ProjectDocument::Style, &json).await?;
    Ok(Json(style))
}
