//! Caption styles: the presets (`GET /api/styles`) and a project's style
//! (`GET/PUT /api/projects/{id}/style`).

use axum::Json;
use axum::extract::State;
use cofee_core::Style;

use crate::auth::AuthUser;
use crate::extract::Id;
use crate::problem::{ApiError, FieldError, Problem, ProblemType};
use crate::project_style::project_style;
use crate::state::AppState;

#[utoipa::path(get, path = "/api/styles", tag = "styles", responses((status = 200, description = "the style presets", body = Vec<Object>)))]
pub async fn presets() -> Json<Vec<Style>> {
    Json(cofee_core::style::presets())
}

#[utoipa::path(get, path = "/api/projects/{id}/style", tag = "styles", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub async fn get_style(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
) -> Result<Json<Style>, ApiError> {
    Ok(Json(project_style(&s, user, id).await?))
}

/// `PUT /api/projects/{id}/style`: a full style, or `{"base": "bold-pop", …overrides}`.
#[utoipa::path(put, path = "/api/projects/{id}/style", tag = "styles", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body(content = Object, description = "a style, or {\"base\": preset, …overrides}"), responses((status = 200, body = Object), (status = 422, body = Problem)))]
pub async fn put_style(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    body: String,
) -> Result<Json<Style>, ApiError> {
    s.projects.project(user, id).await?; // another user's project is not there, whatever the body
    let style = Style::from_json(&body).map_err(|e| match e {
        cofee_core::StyleError::Invalid(errs) => ApiError::invalid(
            errs.into_iter()
                .map(|e| FieldError { field: e.field.into(), message: e.message })
                .collect(),
        ),
        other => ApiError::new(ProblemType::InvalidStyle, other.to_string()),
    })?;
    if style.font_file.is_some() {
        // A path on the server is not something a browser may choose.
        return Err(ApiError::invalid(vec![FieldError {
            field: "font_file".into(),
            message: "cannot be set through the API".into(),
        }]));
    }
    s.media.set_style(user, id, &serde_json::to_string(&style).expect("styles serialize")).await?;
    Ok(Json(style))
}
