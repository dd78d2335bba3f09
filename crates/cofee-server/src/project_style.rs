//! A project's caption style: the one it was given, or the default preset. Styles are read and
//! set through `resources::styles`; the ASS export of `resources::captions` uses them too.

use cofee_core::{Style, VideoSize};
use cofee_store::media::{MediaRecord, ProjectDocument};
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

/// The frame a project's captions are laid out on: its video's size, or 1920×1080 before a
/// video (or for media that does not say).
pub fn frame_size(media: Option<&MediaRecord>) -> VideoSize {
    VideoSize {
        width: media.and_then(|m| m.width).unwrap_or(1920),
        height: media.and_then(|m| m.height).unwrap_or(1080),
    }
}
