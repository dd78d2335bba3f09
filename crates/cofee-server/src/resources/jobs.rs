//! Jobs: starting a transcription (`POST /api/projects/{id}/transcribe`), and reading,
//! cancelling and retrying a job. Jobs are enqueued for the signed-in user and only visible to
//! them.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode};
use cofee_jobs::TranscribeJob;
use cofee_store::StoreError;
use cofee_store::queue::Job;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::extract::Id;
use crate::problem::{ApiError, Problem};
use crate::quotas::Adding;
use crate::state::AppState;

/// The speech engines a transcription may ask for.
pub(crate) const ENGINES: &[&str] = &["sphinx", "whisper", "openai"];

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TranscribeRequest {
    /// `sphinx`, `whisper` or `openai` (default: the server's).
    engine: Option<String>,
    /// ISO 639-1 code; default: detect where the engine can.
    language: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Accepted {
    job_id: Uuid,
}

#[utoipa::path(post, path = "/api/projects/{id}/transcribe", tag = "jobs", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body(content = Option<TranscribeRequest>), responses((status = 202, body = Accepted), (status = 409, description = "no media yet", body = Problem), (status = 422, body = Problem)))]
pub async fn transcribe(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    headers: HeaderMap,
    body: Result<Json<Option<TranscribeRequest>>, JsonRejection>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let req = match body {
        Ok(Json(r)) => r.unwrap_or_default(), // `null` is no body too
        Err(JsonRejection::MissingJsonContentType(_)) => TranscribeRequest::default(), // an empty POST is fine
        Err(e) => return Err(e.into()),
    };
    s.projects.project(user, id).await?;
    if req.engine.as_deref().is_some_and(|e| !ENGINES.contains(&e)) {
        return Err(ApiError::invalid(vec![crate::problem::FieldError {
            field: "engine".into(),
            message: "must be sphinx, whisper or openai".into(),
        }]));
    }
    if req.language.as_deref().is_some_and(|l| !crate::fields::is_language(l)) {
        return Err(ApiError::invalid(vec![crate::problem::FieldError {
            field: "language".into(),
            message: "must be a language code such as en or pt-BR".into(),
        }]));
    }
    super::require_media(&s, user, id).await?;
    crate::quotas::check(&s, user, Adding { jobs: 1, ..Adding::default() }).await?;
    let version = match s.media.transcript(user, id).await {
        Ok(t) => t.version,
        Err(StoreError::NotFound) => 0,
        Err(e) => return Err(e.into()),
    };
    let job = cofee_jobs::new_job(
        &TranscribeJob {
            language: req.language,
            engine: req.engine,
            replaces_version: Some(version),
        },
        crate::job_origin(&headers, user, id),
    );
    let job_id = s.queue.enqueue(job).await?;
    Ok((StatusCode::ACCEPTED, Json(Accepted { job_id })))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct JobView {
    id: Uuid,
    queue: String,
    kind: String,
    state: &'static str,
    progress: f64,
    attempts: u32,
    max_attempts: u32,
    error: Option<String>,
    created_at: i64,
    updated_at: i64,
}

async fn owned_job(s: &AppState, user: Uuid, id: Uuid) -> Result<Job, ApiError> {
    let job = s.queue.get(id).await?;
    if job.owner_id != Some(user) {
        return Err(ApiError::not_found());
    }
    Ok(job)
}

#[utoipa::path(get, path = "/api/jobs/{id}", tag = "jobs", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, body = JobView), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
) -> Result<Json<JobView>, ApiError> {
    let j = owned_job(&s, user, id).await?;
    Ok(Json(JobView {
        id: j.id,
        queue: j.queue,
        kind: j.kind,
        state: j.state.as_str(),
        progress: j.progress,
        attempts: j.attempts,
        max_attempts: j.max_attempts,
        error: j.error,
        created_at: j.created_at,
        updated_at: j.updated_at,
    }))
}

#[utoipa::path(post, path = "/api/jobs/{id}/cancel", tag = "jobs", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 202, body = Object), (status = 404, body = Problem)))]
pub async fn cancel(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let job = owned_job(&s, user, id).await?;
    let state = s.queue.cancel(id).await?;
    // A split render's chunks stop with it (its running job cancels them too; this reaches
    // them also when no worker holds the render's job right now).
    if let Ok(render) = cofee_jobs::payload::<cofee_jobs::RenderJob>(&job) {
        for chunk in s.media.render_chunks(render.render_id).await? {
            if !chunk.state.is_final() {
                s.queue.cancel(chunk.id).await?;
            }
        }
    }
    Ok((StatusCode::ACCEPTED, Json(json!({"state": state.as_str()}))))
}

/// `POST /api/jobs/{id}/retry`: a dead or cancelled job goes back in the queue.
#[utoipa::path(post, path = "/api/jobs/{id}/retry", tag = "jobs", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 202, body = Object), (status = 404, body = Problem), (status = 409, description = "the job is not dead or cancelled", body = Problem)))]
pub async fn retry(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    owned_job(&s, user, id).await?;
    crate::quotas::check(&s, user, Adding { jobs: 1, ..Adding::default() }).await?;
    s.queue.retry(id).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"state": "queued"}))))
}
