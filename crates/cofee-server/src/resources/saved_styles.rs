//! `GET/POST /api/me/styles`, `DELETE /api/me/styles/{id}`: styles a person keeps for all their
//! projects. Saving a name again replaces that style; the style is checked as `PUT …/style`
//! checks it, and its `name` is the name it is saved under.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use cofee_core::Style;
use cofee_store::saved_styles::SavedStyle;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::extract::Id;
use crate::limits::{MAX_SAVED_STYLES, MAX_STYLE_NAME_CHARS};
use crate::problem::{ApiError, FieldError, Problem, ProblemType};
use crate::state::AppState;
use crate::style_input::{StyleInput, read_style};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveStyle {
    /// What the style is called in the gallery; saving the same name again replaces it.
    /// (`MAX_STYLE_NAME_CHARS` characters at most, not blank, no control characters.)
    #[schema(min_length = 1, max_length = 80)]
    pub name: String,
    #[schema(value_type = StyleInput)]
    pub style: serde_json::Value,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SavedStyleView {
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = StyleInput)]
    pub style: Style,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<SavedStyle> for SavedStyleView {
    type Error = ApiError;

    fn try_from(s: SavedStyle) -> Result<Self, ApiError> {
        Ok(Self {
            id: s.id,
            name: s.name,
            style: Style::from_json(&s.style).map_err(|_| ApiError::internal())?,
            created_at: s.created_at,
            updated_at: s.updated_at,
        })
    }
}

fn checked_name(name: &str) -> Result<String, ApiError> {
    if !crate::fields::is_name(name, MAX_STYLE_NAME_CHARS) {
        return Err(ApiError::invalid(vec![FieldError {
            field: "name".into(),
            message: format!(
                "must be 1 to {MAX_STYLE_NAME_CHARS} characters, not blank, without control characters"
            ),
        }]));
    }
    Ok(name.to_string())
}

#[utoipa::path(get, path = "/api/me/styles", operation_id = "list_saved_styles", tag = "styles", security(("bearer" = [])), responses((status = 200, description = "the account's saved styles, by name", body = Vec<SavedStyleView>)))]
pub async fn list(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<SavedStyleView>>, ApiError> {
    let kept = s.saved_styles.saved_styles(user).await?;
    Ok(Json(kept.into_iter().map(SavedStyleView::try_from).collect::<Result<_, _>>()?))
}

#[utoipa::path(post, path = "/api/me/styles", operation_id = "save_style", tag = "styles", security(("bearer" = [])), request_body = SaveStyle, responses((status = 200, description = "saved (new, or replacing the style of that name)", body = SavedStyleView), (status = 403, description = "the account keeps as many styles as it may", body = Problem), (status = 422, body = Problem)))]
pub async fn save(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    body: Result<Json<SaveStyle>, JsonRejection>,
) -> Result<Json<SavedStyleView>, ApiError> {
    let Json(req) = body?;
    let name = checked_name(&req.name)?;
    let mut style = read_style(&req.style.to_string())?;
    style.name.clone_from(&name);
    let kept = s.saved_styles.saved_styles(user).await?;
    if kept.len() >= MAX_SAVED_STYLES && !kept.iter().any(|k| k.name == name) {
        return Err(ApiError::new(
            ProblemType::QuotaExceeded,
            format!(
                "quota exceeded: saved styles — an account keeps at most {MAX_SAVED_STYLES}; delete one first"
            ),
        ));
    }
    let json = serde_json::to_string(&style).expect("styles serialize");
    Ok(Json(s.saved_styles.save_style(user, &name, &json).await?.try_into()?))
}

#[utoipa::path(delete, path = "/api/me/styles/{id}", operation_id = "delete_saved_style", tag = "styles", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    s.saved_styles.delete_saved_style(user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
