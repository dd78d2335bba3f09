//! `GET /api/projects/{id}/captions/pages`: how the captions fall into pages (what is on screen
//! at once) and lines, in the project's style on its video — the layout the render and the
//! preview draw — for the editor, which shows the transcript page by page.

use axum::Json;
use axum::extract::State;
use cofee_core::AssDocument;
use serde::Serialize;

use crate::auth::AuthUser;
use crate::extract::Id;
use crate::problem::{ApiError, Problem};
use crate::project_style::{frame_size, project_style};
use crate::state::AppState;

/// Words `from..to` (indices into the captions' words).
#[derive(Serialize, utoipa::ToSchema)]
pub struct WordRange {
    pub from: usize,
    pub to: usize,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PageView {
    pub start_ms: u64,
    pub end_ms: u64,
    pub lines: Vec<WordRange>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaptionPages {
    /// The captions' version the pages are of (their `ETag` is `"v{version}"`).
    pub version: i64,
    pub pages: Vec<PageView>,
}

#[utoipa::path(get, path = "/api/projects/{id}/captions/pages", tag = "captions", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, body = CaptionPages), (status = 404, body = Problem)))]
pub async fn pages(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
) -> Result<Json<CaptionPages>, ApiError> {
    let stored = s.media.transcript(user, id).await?;
    let style = project_style(&s, user, id).await?;
    let size = match s.media.media(user, id).await {
        Ok(m) => frame_size(Some(&m)),
        Err(cofee_store::StoreError::NotFound) => frame_size(None),
        Err(e) => return Err(e.into()),
    };
    // Laying out the longest transcripts takes a while: off the async runtime.
    let pages = tokio::task::spawn_blocking(move || {
        let t =
            cofee_core::formats::json::parse(&stored.words).map_err(|_| ApiError::internal())?;
        let layout = AssDocument::build(&t, &style, size).layout;
        Ok::<_, ApiError>(
            layout
                .pages
                .into_iter()
                .map(|p| PageView {
                    start_ms: p.start_ms,
                    end_ms: p.end_ms,
                    lines: p
                        .lines
                        .into_iter()
                        .map(|l| WordRange { from: l.words.start, to: l.words.end })
                        .collect(),
                })
                .collect(),
        )
    })
    .await
    .map_err(|_| ApiError::internal())??;
    Ok(Json(CaptionPages { version: stored.version, pages }))
}
