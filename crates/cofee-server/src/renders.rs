//! Styles, renders, downloads and caption exports.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cofee_core::formats::{self, CaptionFormat};
use cofee_core::{AssDocument, Style, VideoSize};
use cofee_media::X264Preset;
use cofee_store::StoreError;
use cofee_store::media::Render;
use cofee_store::queue::NewJob;
use cofee_worker::handlers::{DEFAULT_STYLE, RenderPayload};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;
use uuid::Uuid;

use crate::AppState;
use crate::auth::AuthUser;
use crate::problem::{ApiError, FieldError, Problem};

#[utoipa::path(get, path = "/api/styles", tag = "styles", responses((status = 200, description = "the style presets", body = Vec<Object>)))]
pub async fn presets() -> Json<Vec<Style>> {
    Json(cofee_core::style::presets())
}

async fn project_style(s: &AppState, user: Uuid, id: Uuid) -> Result<Style, ApiError> {
    match s.media.style(user, id).await? {
        Some(json) => Style::from_json(&json).map_err(|_| ApiError::internal()),
        None => Ok(cofee_core::style::preset(DEFAULT_STYLE).expect("the default preset exists")),
    }
}

#[utoipa::path(get, path = "/api/projects/{id}/style", tag = "styles", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub async fn get_style(State(s): State<AppState>, AuthUser(user): AuthUser, id: Result<Path<Uuid>, PathRejection>) -> Result<Json<Style>, ApiError> {
    let Path(id) = id?;
    Ok(Json(project_style(&s, user, id).await?))
}

/// `PUT /api/projects/{id}/style`: a full style, or `{"base": "bold-pop", …overrides}`.
#[utoipa::path(put, path = "/api/projects/{id}/style", tag = "styles", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body(content = Object, description = "a style, or {\"base\": preset, …overrides}"), responses((status = 200, body = Object), (status = 422, body = Problem)))]
pub async fn put_style(State(s): State<AppState>, AuthUser(user): AuthUser, id: Result<Path<Uuid>, PathRejection>, body: String) -> Result<Json<Style>, ApiError> {
    let Path(id) = id?;
    s.projects.project(user, id).await?; // another user's project is not there, whatever the body
    let style = Style::from_json(&body).map_err(|e| match e {
        cofee_core::StyleError::Invalid(errs) => ApiError::invalid(errs.into_iter().map(|e| FieldError { field: e.field.into(), message: e.message }).collect()),
        other => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid style", other.to_string()),
    })?;
    if style.font_file.is_some() {
        // A path on the server is not something a browser may choose.
        return Err(ApiError::invalid(vec![FieldError { field: "font_file".into(), message: "cannot be set through the API".into() }]));
    }
    s.media.set_style(user, id, &serde_json::to_string(&style).expect("styles serialize")).await?;
    Ok(Json(style))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderRequest {
    preset: Option<String>,
    crf: Option<u8>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RenderAccepted {
    job_id: Uuid,
    render_id: Uuid,
}

#[utoipa::path(post, path = "/api/projects/{id}/renders", tag = "renders", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body(content = Option<RenderRequest>), responses((status = 202, body = RenderAccepted), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(State(s): State<AppState>, AuthUser(user): AuthUser, id: Result<Path<Uuid>, PathRejection>, headers: axum::http::HeaderMap, body: Result<Json<RenderRequest>, JsonRejection>) -> Result<(StatusCode, Json<RenderAccepted>), ApiError> {
    let Path(id) = id?;
    let req = match body {
        Ok(Json(r)) => r,
        Err(JsonRejection::MissingJsonContentType(_)) => RenderRequest::default(),
        Err(e) => return Err(e.into()),
    };
    s.projects.project(user, id).await?;
    let preset = req.preset.unwrap_or_else(|| "veryfast".into());
    let mut errors = Vec::new();
    if preset.parse::<X264Preset>().is_err() {
        errors.push(FieldError { field: "preset".into(), message: "must be an x264 preset (ultrafast … veryslow)".into() });
    }
    let crf = req.crf.unwrap_or(20);
    if crf > 51 {
        errors.push(FieldError { field: "crf".into(), message: "must be between 0 and 51".into() });
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    s.media.media(user, id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::new(StatusCode::CONFLICT, "No media", "upload the project's video first"),
        other => other.into(),
    })?;
    s.media.transcript(user, id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::new(StatusCode::CONFLICT, "No captions", "transcribe the video (or upload captions) first"),
        other => other.into(),
    })?;
    let payload = serde_json::to_value(RenderPayload { project_id: id, render_id: None, preset: preset.clone(), crf }).expect("payload serializes");
    let (trace_context, traceparent) = crate::job_origin(&headers);
    let job = NewJob { owner_id: Some(user.to_string()), trace_context, traceparent, ..NewJob::new("render", "render", payload) };
    let render = s.media.create_render(user, id, &preset, job).await?;
    // The render's job is enqueued with its row (one transaction), not through the signalling
    // queue: say so to the project's event streams here.
    s.signals.notify(&id.to_string());
    Ok((StatusCode::ACCEPTED, Json(RenderAccepted { job_id: render.job_id, render_id: render.id })))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RenderView {
    #[serde(flatten)]
    render: Render,
    state: &'static str,
    progress: f64,
    error: Option<String>,
}

#[utoipa::path(get, path = "/api/projects/{id}/renders", tag = "renders", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, body = Vec<RenderView>)))]
pub async fn list(State(s): State<AppState>, AuthUser(user): AuthUser, id: Result<Path<Uuid>, PathRejection>) -> Result<Json<Vec<RenderView>>, ApiError> {
    let Path(id) = id?;
    s.projects.project(user, id).await?;
    let mut out = Vec::new();
    for render in s.media.renders(user, id).await? {
        let job = s.queue.get(render.job_id).await?;
        out.push(RenderView { state: job.state.as_str(), progress: job.progress, error: job.error, render });
    }
    Ok(Json(out))
}

/// `GET /api/renders/{id}/download`: the MP4, with HTTP Range support.
#[utoipa::path(get, path = "/api/renders/{id}/download", tag = "renders", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, content_type = "video/mp4", body = Vec<u8>), (status = 206, description = "a Range of it"), (status = 409, description = "not finished", body = Problem)))]
pub async fn download(State(s): State<AppState>, AuthUser(user): AuthUser, id: Result<Path<Uuid>, PathRejection>, request: Request) -> Result<Response, ApiError> {
    let Path(id) = id?;
    let render = s.media.render(user, id).await?;
    let key = render.output_key.ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "Not ready", "the render has not finished yet; see its job"))?;
    let project = s.projects.project(user, render.project_id).await?;
    // From S3 the browser fetches the bytes itself, from the storage's public endpoint.
    if let Some(url) = s.objects.presigned_get(&key, crate::files::TTL, Some(&download_name(&project.name))).await? {
        return Ok(axum::response::Redirect::temporary(&url).into_response());
    }
    let scratch = s.scratch.join(format!("download-{id}.mp4"));
    let path = s.objects.readable_path(&key, &scratch).await?;
    let mut response = tower_http::services::ServeFile::new_with_mime(&path, &mime_mp4()).oneshot(request).await.map_err(|_| ApiError::internal())?.map(Body::new);
    let disposition = format!("attachment; filename=\"{}\"", download_name(&project.name));
    response.headers_mut().insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(|_| ApiError::internal())?);
    Ok(response)
}

/// `name.mp4` with only characters safe in a header and any file system.
pub fn download_name(project: &str) -> String {
    let name: String = project.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    format!("{}.mp4", if name.is_empty() { "cofee" } else { &name })
}

fn mime_mp4() -> mime::Mime {
    "video/mp4".parse().expect("a valid mime type")
}

/// `GET /api/projects/{id}/captions.{srt,vtt,ass,json}`.
pub async fn export(s: AppState, user: Uuid, id: Uuid, format: CaptionFormat) -> Result<Response, ApiError> {
    let stored = s.media.transcript(user, id).await?;
    let t = formats::json::parse(&stored.words).map_err(|_| ApiError::internal())?;
    let (body, mime) = match format {
        CaptionFormat::Srt => (formats::srt::write(&formats::cues(&t)), "application/x-subrip; charset=utf-8"),
        CaptionFormat::Vtt => (formats::vtt::write_transcript(&t), "text/vtt; charset=utf-8"),
        CaptionFormat::Json => (formats::json::write(&t), "application/json"),
        CaptionFormat::Txt => (formats::txt::write(&t), "text/plain; charset=utf-8"),
        CaptionFormat::Ass => {
            let style = project_style(&s, user, id).await?;
            let m = s.media.media(user, id).await?;
            let size = VideoSize { width: m.width.unwrap_or(1920), height: m.height.unwrap_or(1080) };
            (AssDocument::build(&t, &style, size).to_ass(), "text/x-ssa; charset=utf-8")
        }
    };
    let disposition = format!("attachment; filename=\"captions.{}\"", format.name());
    Ok(([(header::CONTENT_TYPE, mime.to_string()), (header::CONTENT_DISPOSITION, disposition)], body).into_response())
}

macro_rules! export_route {
    ($name:ident, $format:expr, $path:literal, $mime:literal) => {
        #[utoipa::path(get, path = $path, tag = "captions", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, content_type = $mime, body = String), (status = 404, body = Problem)))]
        pub async fn $name(State(s): State<AppState>, AuthUser(user): AuthUser, id: Result<Path<Uuid>, PathRejection>) -> Result<Response, ApiError> {
            let Path(id) = id?;
            export(s, user, id, $format).await
        }
    };
}

export_route!(export_srt, CaptionFormat::Srt, "/api/projects/{id}/captions.srt", "application/x-subrip");
export_route!(export_vtt, CaptionFormat::Vtt, "/api/projects/{id}/captions.vtt", "text/vtt");
export_route!(export_ass, CaptionFormat::Ass, "/api/projects/{id}/captions.ass", "text/x-ssa");
export_route!(export_json, CaptionFormat::Json, "/api/projects/{id}/captions.json", "application/json");
export_route!(export_txt, CaptionFormat::Txt, "/api/projects/{id}/captions.txt", "text/plain");
