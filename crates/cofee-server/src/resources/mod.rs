//! The handlers, one module per resource — and the web app, its fonts and the probes. A resource
//! uses the shared modules (`auth`, `state`, `links`, `ingest`, …), not another resource.

pub mod account;
pub mod alignments;
pub mod auth;
pub mod captions;
pub mod emoji;
pub mod events;
pub mod files;
pub mod health;
pub mod imports;
pub mod jobs;
pub mod media;
pub mod pages;
pub mod projects;
pub mod renders;
pub mod replacements;
pub mod saved_styles;
pub mod style_frames;
pub mod styles;
pub mod tokens;
pub mod uploads;
pub mod usage;
pub mod waveform;
pub mod web;
pub mod webhooks;

/// `409 no-media` unless project `id` of `user` has its video (work that reads it needs it).
pub(crate) async fn require_media(
    s: &crate::state::AppState,
    user: uuid::Uuid,
    id: uuid::Uuid,
) -> Result<(), crate::problem::ApiError> {
    use crate::problem::{ApiError, ProblemType};
    match s.media.media(user, id).await {
        Ok(_) => Ok(()),
        Err(cofee_store::StoreError::NotFound) => Err(ApiError::new(
            ProblemType::NoMedia,
            "upload the project's video first (PUT /api/projects/{id}/media)",
        )),
        Err(e) => Err(e.into()),
    }
}
