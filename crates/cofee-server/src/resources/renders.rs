//! A project's renders: starting one (a render job), listing them with their jobs' state, and
//! downloading the MP4.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cofee_jobs::RenderJob;
use cofee_media::X264Preset;
use cofee_store::StoreError;
use cofee_store::media::Render;
use serde::{Deserialize, Serialize};
use tower::ServiceExt;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::extract::Id;
use crate::links::download_name;
use crate::problem::{ApiError, FieldError, Problem, ProblemType};
use crate::quotas::Adding;
use crate::state::AppState;

/// The highest x264 constant rate factor.
pub(crate) const MAX_CRF: u8 = 51;

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderRequest {
    preset: Option<String>,
    #[serde(default, deserialize_with = "crate::fields::whole_or_null")]
    crf: Option<u8>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RenderAccepted {
    job_id: Uuid,
    render_id: Uuid,
}

#[utoipa::path(post, path = "/api/projects/{id}/renders", tag = "renders", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body(content = Option<RenderRequest>), responses((status = 202, body = RenderAccepted), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    headers: axum::http::HeaderMap,
    body: Result<Json<Option<RenderRequest>>, JsonRejection>,
) -> Result<(StatusCode, Json<RenderAccepted>), ApiError> {
    let req = match body {
        Ok(Json(r)) => r.unwrap_or_default(), // `null` is no body too
        Err(JsonRejection::MissingJsonContentType(_)) => RenderRequest::default(),
        Err(e) => return Err(e.into()),
    };
    s.projects.project(user, id).await?;
    let preset = req.preset.unwrap_or_else(|| "veryfast".into());
    let mut errors = Vec::new();
    if preset.parse::<X264Preset>().is_err() {
        errors.push(FieldError {
            field: "preset".into(),
            message: "must be an x264 preset (ultrafast … veryslow)".into(),
        });
    }
    let crf = req.crf.unwrap_or(20);
    if crf > MAX_CRF {
        errors.push(FieldError { field: "crf".into(), message: "must be between 0 and 51".into() });
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    s.media.media(user, id).await.map_err(|e| match e {
        StoreError::NotFound => {
            ApiError::new(ProblemType::NoMedia, "upload the project's video first")
        }
        other => other.into(),
    })?;
    s.media.transcript(user, id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::new(
            ProblemType::NoCaptions,
            "transcribe the video (or upload captions) first",
        ),
        other => other.into(),
    })?;
    crate::quotas::check(&s, user, Adding { jobs: 1, ..Adding::default() }).await?;
    let render = RenderJob { render_id: Uuid::now_v7(), preset: preset.clone(), crf };
    let job = cofee_jobs::new_job(&render, crate::job_origin(&headers, user, id));
    let render = s.media.create_render(user, render.render_id, id, &preset, job).await?;
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
pub async fn list(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
) -> Result<Json<Vec<RenderView>>, ApiError> {
    s.projects.project(user, id).await?;
    let mut out = Vec::new();
    for render in s.media.renders(user, id).await? {
        let job = s.queue.get(render.job_id).await?;
        out.push(RenderView {
            state: job.state.as_str(),
            progress: job.progress,
            error: job.error,
            render,
        });
    }
    Ok(Json(out))
}

/// `GET /api/renders/{id}/download`: the MP4, with HTTP Range support.
#[utoipa::path(get, path = "/api/renders/{id}/download", tag = "renders", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, content_type = "video/mp4", body = Vec<u8>), (status = 206, content_type = "video/mp4", description = "a Range of it", body = Vec<u8>), (status = 304, description = "not modified since If-Modified-Since"), (status = 307, description = "from object storage: the signed link to the file"), (status = 409, description = "not finished", body = Problem), (status = 412, description = "If-Unmodified-Since does not hold"), (status = 416, description = "the Range is outside the file")))]
pub async fn download(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    request: Request,
) -> Result<Response, ApiError> {
    let render = s.media.render(user, id).await?;
    let key = render.output_key.ok_or_else(|| {
        ApiError::new(ProblemType::NotReady, "the render has not finished yet; see its job")
    })?;
    let project = s.projects.project(user, render.project_id).await?;
    // From S3 the browser fetches the bytes itself, from the storage's public endpoint.
    if let Some(url) = s
        .objects
        .presigned_get(&key, crate::links::TTL, Some(&download_name(&project.name)))
        .await?
    {
        return Ok(axum::response::Redirect::temporary(&url).into_response());
    }
    let scratch = s.scratch.join(format!("download-{id}.mp4"));
    let path = s.objects.readable_path(&key, &scratch).await?;
    let mut response = tower_http::services::ServeFile::new_with_mime(&path, &mime_mp4())
        .oneshot(request)
        .await
        .map_err(|_| ApiError::internal())?
        .map(Body::new);
    let disposition = format!("attachment; filename=\"{}\"", download_name(&project.name));
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(|_| ApiError::internal())?,
    );
    Ok(response)
}

fn mime_mp4() -> mime::Mime {
    "video/mp4".parse().expect("a valid mime type")
}
