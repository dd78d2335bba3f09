//! `GET /api/projects/{id}/waveform`: the peaks of the project's media for the editor's
//! timeline, in audiowaveform's binary format (see `cofee_core::waveform`), as a `waveform` job
//! computed them when the media was attached.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cofee_jobs::{WaveformJob, new_job};
use cofee_store::queue::JobState;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::extract::Id;
use crate::problem::{ApiError, Problem, ProblemType};
use crate::state::AppState;

/// The same URL answers new peaks once the media is replaced, so browsers keep the bytes but ask
/// again each time (a `304` while the `ETag`, a digest of the bytes, still matches).
const CACHE_CONTROL: &str = "private, no-cache";

/// Recent jobs of the project searched for its waveform job.
const JOBS_LOOKED_AT: u32 = 50;

/// The longest waveform Cofee writes: the longest accepted media at 100 pixels a second, two
/// bytes each, with a second to spare. Anything larger at the waveform's key is not ours.
fn largest(s: &AppState) -> u64 {
    let pixels = (s.limits.max_duration.as_secs() + 2) * 100;
    cofee_core::waveform::HEADER_LEN as u64 + 2 * pixels
}

/// `GET /api/projects/{id}/waveform`: the media's peaks, for the editor's timeline.
///
/// Min/max peaks at 100 pixels a second (16 kHz, 160 samples a pixel), one channel, 8-bit:
/// audiowaveform's `.dat` version 2, which waveform-data.js, peaks.js and wavesurfer read as it
/// is. Media without sound has a flat waveform for its duration. `409 not-ready` until its job
/// has run (one is queued if none is waiting).
#[utoipa::path(get, path = "/api/projects/{id}/waveform", tag = "media", security(("bearer" = [])), params(("id" = Uuid, Path), ("If-None-Match" = Option<String>, Header, description = "the ETag of a copy the client has")), responses(
    (status = 200, description = "audiowaveform binary data (`.dat`, version 2, 8-bit, one channel, 100 pixels a second)", content_type = "application/octet-stream", body = Vec<u8>, headers(("ETag" = String, description = "a digest of the bytes; send it in If-None-Match"), ("Cache-Control" = String))),
    (status = 304, description = "the copy with that ETag is still current"),
    (status = 409, description = "no media yet (`no-media`), or its waveform is not computed yet (`not-ready`)", content_type = "application/problem+json", body = Problem),
))]
pub async fn waveform(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    s.projects.project(user, id).await?;
    super::require_media(&s, user, id).await?;
    let Some(bytes) = s.objects.read_small(&WaveformJob::object_key(id), largest(&s)).await? else {
        return Err(not_ready(&s, user, id, &headers).await?);
    };
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&bytes)[..16]));
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let status = if cached { StatusCode::NOT_MODIFIED } else { StatusCode::OK };
    let mut r =
        if cached { status.into_response() } else { (status, Body::from(bytes)).into_response() };
    let h = r.headers_mut();
    if !cached {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    h.insert(header::ETAG, HeaderValue::from_str(&etag).map_err(|_| ApiError::internal())?);
    Ok(r)
}

/// Why there is no waveform yet. Its job is waiting or running; or it failed (retry it through
/// the jobs API); or there is none — media attached before waveforms were computed, a job lost —
/// and one is queued now.
async fn not_ready(
    s: &AppState,
    user: Uuid,
    id: Uuid,
    headers: &HeaderMap,
) -> Result<ApiError, ApiError> {
    let jobs = s.queue.jobs_for_project(user, id, JOBS_LOOKED_AT).await?;
    let last = jobs.iter().find(|j| j.kind == <WaveformJob as cofee_jobs::BackgroundJob>::KIND);
    let detail = match last {
        Some(j) if matches!(j.state, JobState::Queued | JobState::Running) => {
            format!("the waveform is being computed (job {}); ask again shortly", j.id)
        }
        Some(j) if matches!(j.state, JobState::Dead | JobState::Cancelled) => format!(
            "computing the waveform {} (job {}{}); POST /api/jobs/{}/retry to try again",
            if j.state == JobState::Dead { "failed" } else { "was cancelled" },
            j.id,
            j.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default(),
            j.id
        ),
        _ => {
            let job = new_job(&WaveformJob {}, crate::job_origin(headers, user, id));
            let job_id = s.queue.enqueue(job).await?;
            format!("the waveform is being computed (job {job_id}); ask again shortly")
        }
    };
    Ok(ApiError::new(ProblemType::NotReady, detail))
}
