//! A project's caption style: the one it was given, or the default preset. Styles are read and
//! set through `resources::styles`; the ASS export of `resources::captions` uses them too.

use cofee_core::Style;
use cofee_store::media::ProjectDocument;
use uuid::Uuid;

use crate::problem::ApiError;
use crate::state::AppState;

pub async fn project_style(s: &AppState, user: Uuid, id: Uuid) -> Result<Style, ApiError> {
    match s.media.document(user, id, ProjectDocument::Style).await? {
        Some(json) => Style::from_json(&json).map_err(|_| ApiError::internal()),
        None => Ok(cofee_core::style::preset(cofee_core::style::DEFAULT_PRESET)
            .expect("the default preset exists")),
    }
}
