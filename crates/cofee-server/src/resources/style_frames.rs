//! `POST /api/projects/{id}/style/frame`: a frame of the project's own video with its captions
//! drawn in a style by libass, as a PNG — what the render shows at that moment in that style.
//! The editor's style gallery is made of these, so a person picks a look on their own video.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use cofee_core::{AssDocument, Transcript, VideoSize};
use cofee_media::still::{Still, StillSource};
use cofee_media::{FontDir, MediaError};
use cofee_store::StoreError;
use cofee_store::objects::ObjectSource;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::auth::AuthUser;
use crate::extract::Id;
use crate::limits::{STILL_TIMEOUT, STILL_WAIT, STILL_WIDTH_DEFAULT, STILL_WIDTHS};
use crate::problem::{ApiError, FieldError, Problem, ProblemType};
use crate::project_style::project_style;
use crate::state::AppState;
use crate::style_input::{StyleInput, read_style};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StyleFrameRequest {
    /// Seconds into the video. Where no caption page is on screen then, the captions of the
    /// next page (or the last) are drawn, so a frame always shows the style.
    #[schema(minimum = 0)]
    pub t: f64,
    /// The style to draw, as `PUT …/style` takes it; the project's own when left out.
    #[serde(default)]
    #[schema(value_type = Option<StyleInput>)]
    pub style: Option<serde_json::Value>,
    /// The image's width in pixels (its height keeps the video's proportions).
    /// (Read as a number, so that `360.0` is 360 as JSON Schema's integers allow.)
    #[serde(default)]
    #[schema(value_type = Option<u32>, minimum = 64, maximum = 1080)]
    pub width: Option<f64>,
}

#[utoipa::path(post, path = "/api/projects/{id}/style/frame", operation_id = "style_frame", tag = "styles", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = StyleFrameRequest, responses(
    (status = 200, content_type = "image/png", description = "the frame with its captions", body = Vec<u8>),
    (status = 400, body = Problem),
    (status = 404, body = Problem),
    (status = 409, description = "the project has no video yet", body = Problem),
    (status = 422, description = "a style field or the width is not acceptable", body = Problem),
    (status = 503, description = "too many frames being drawn at once; try again", body = Problem),
))]
pub async fn frame(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    body: Result<Json<StyleFrameRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    s.projects.project(user, id).await?; // another user's project is not there, whatever the body
    let Json(req) = body?;
    let width = checked_width(req.width)?;
    if !(req.t.is_finite() && req.t >= 0.0) {
        return Err(invalid("t", "must be a number of seconds, 0 or more"));
    }
    let style = match &req.style {
        Some(v) => read_style(&v.to_string())?,
        None => project_style(&s, user, id).await?,
    };
    let media = match s.media.media(user, id).await {
        Err(StoreError::NotFound) => {
            return Err(ApiError::new(ProblemType::NoMedia, "upload a video first"));
        }
        other => other?,
    };
    let size = crate::project_style::frame_size(Some(&media));
    // A frame near the very end may not exist after the seek; stay a little inside.
    let at_secs = req.t.min((media.duration_secs - 0.1).max(0.0));
    let words = match s.media.transcript(user, id).await {
        Ok(stored) => Some(stored.words),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    // Laying out a long transcript takes a while: off the async runtime.
    let at_ms = (at_secs * 1000.0).round() as u64;
    let (script, captions_ms) =
        tokio::task::spawn_blocking(move || script_at(words, &style, size, at_ms))
            .await
            .map_err(|_| ApiError::internal())??;
    let png = draw(&s, &media.object_key, at_secs, captions_ms, &script, width).await?;
    Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "private, no-store")], png)
        .into_response())
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::invalid(vec![FieldError { field: field.into(), message: message.into() }])
}

fn checked_width(width: Option<f64>) -> Result<u32, ApiError> {
    let width = width.unwrap_or(f64::from(STILL_WIDTH_DEFAULT));
    let (lo, hi) = (f64::from(*STILL_WIDTHS.start()), f64::from(*STILL_WIDTHS.end()));
    if width.fract() == 0.0 && (lo..=hi).contains(&width) {
        Ok(width as u32)
    } else {
        Err(invalid(
            "width",
            &format!("must be between {} and {}", STILL_WIDTHS.start(), STILL_WIDTHS.end()),
        ))
    }
}

/// The ASS script with what is on screen near `at_ms`, and that moment; a sample line where
/// the project has no captions yet.
fn script_at(
    words: Option<String>,
    style: &cofee_core::Style,
    size: VideoSize,
    at_ms: u64,
) -> Result<(String, u64), ApiError> {
    let words = match words {
        Some(json) => {
            cofee_core::formats::json::parse(&json).map_err(|_| ApiError::internal())?.words
        }
        None => Vec::new(),
    };
    let (words, moment) =
        if words.is_empty() { cofee_core::style::sample_words(at_ms) } else { (words, at_ms) };
    let doc = AssDocument::build(&Transcript::new(None, words), style, size);
    let moment = doc.moment_near(moment).unwrap_or(moment);
    Ok((doc.to_ass_at(moment), moment))
}

/// Runs FFmpeg for the still, one of a bounded number at once (each decodes video).
async fn draw(
    s: &AppState,
    key: &str,
    at_secs: f64,
    captions_ms: u64,
    script: &str,
    width: u32,
) -> Result<Vec<u8>, ApiError> {
    let _permit = tokio::time::timeout(STILL_WAIT, s.stills.clone().acquire_owned())
        .await
        .map_err(|_| {
            ApiError::new(ProblemType::Timeout, "too many frames are being drawn; try again")
        })?
        .map_err(|_| ApiError::internal())?;
    let source = s.objects.service_read(key, STILL_TIMEOUT + Duration::from_secs(60)).await?;
    let dir = tempfile::Builder::new()
        .prefix("still-")
        .tempdir_in(&s.scratch)
        .map_err(|e| internal("a scratch folder", &e))?;
    let ass = dir.path().join("captions.ass");
    let out = dir.path().join("still.png");
    tokio::fs::write(&ass, script).await.map_err(|e| internal("the script", &e))?;
    // Writing the fonts out is file work: off the async runtime.
    let fonts = tokio::task::spawn_blocking(FontDir::with_bundled)
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| internal("the fonts", &e))?;
    let still = Still {
        source: match &source {
            ObjectSource::File(p) => StillSource::File(p),
            ObjectSource::Url(u) => StillSource::SignedUrl(u),
        },
        at_secs,
        captions_at_secs: captions_ms as f64 / 1000.0,
        ass: &ass,
        fonts: &fonts,
        width,
        out: &out,
        limit: STILL_TIMEOUT,
    };
    // The request going away (a gallery closed) drops this future, and with it FFmpeg.
    match still.write(&CancellationToken::new()).await {
        Ok(()) => tokio::fs::read(&out).await.map_err(|e| internal("the still", &e)),
        Err(MediaError::Timeout { .. }) => {
            Err(ApiError::new(ProblemType::Timeout, "drawing the frame took too long"))
        }
        Err(e) => Err(internal("a still", &e)),
    }
}

fn internal(what: &str, e: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "drawing a style frame failed at {what}");
    ApiError::internal()
}
