//! `POST /api/projects/{id}/alignments`, `GET /api/projects/{id}/alignments/{job_id}`: times
//! for words a person wrote, from the audio they stand in (forced alignment by a worker's
//! speech engine). The editor asks when a word is changed or inserted, with the words around it
//! as anchors, and takes the times it gets back into its document; nothing here writes the
//! captions, so an alignment never races the person's own edits.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode};
use cofee_core::limits::{MAX_ALIGN_MS, MAX_ALIGN_WORDS, MAX_WORD_CHARS, MIN_ALIGN_MS};
use cofee_jobs::{AlignJob, Alignment, BackgroundJob};
use cofee_store::StoreError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::extract::Id;
use crate::problem::{ApiError, FieldError, Problem};
use crate::quotas::Adding;
use crate::state::AppState;

/// Words said, in this order, in a stretch of the project's media.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlignmentRequest {
    /// Where the stretch starts, in milliseconds from the start of the media.
    #[serde(deserialize_with = "crate::fields::whole")]
    from_ms: u64,
    /// How long it is: 100 to 28,000 ms (at most one speech window).
    #[serde(deserialize_with = "crate::fields::whole")]
    duration_ms: u64,
    /// The words, each without spaces (the words before and after the edited ones anchor the
    /// alignment: send a couple of each).
    #[schema(min_items = 1, max_items = 64)]
    words: Vec<String>,
    /// The recording's language, when known (`en`, `pt-BR`, …).
    language: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AlignmentAccepted {
    job_id: Uuid,
}

/// An alignment, while it runs and once it has.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AlignmentView {
    job_id: Uuid,
    /// `queued`, `running`, `succeeded`, `dead` or `cancelled`.
    state: &'static str,
    /// Why it failed, once `dead`.
    error: Option<String>,
    /// The engine that aligned (or could not), once `succeeded`.
    engine: Option<String>,
    /// The words in the order sent, with their times from the audio; absent while it runs, and
    /// when the server's engine cannot align text (then `reason` says so).
    words: Option<Vec<AlignedWordView>>,
    reason: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AlignedWordView {
    text: String,
    #[schema(minimum = 0)]
    start_ms: u64,
    #[schema(minimum = 0)]
    end_ms: u64,
}

/// The latest start the schema states (`u32::MAX` ms, 49 days: past any media's end, and far
/// from overflowing `from_ms + duration_ms`).
pub(crate) const MAX_FROM_MS: u64 = u32::MAX as u64;

/// What is wrong with a request, field by field (the same bounds the engines hold to).
fn problems(r: &AlignmentRequest) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut err = |field: String, message: String| errors.push(FieldError { field, message });
    if r.from_ms > MAX_FROM_MS {
        err("from_ms".into(), format!("must be at most {MAX_FROM_MS}"));
    }
    if !(MIN_ALIGN_MS..=MAX_ALIGN_MS).contains(&r.duration_ms) {
        err("duration_ms".into(), format!("must be {MIN_ALIGN_MS} to {MAX_ALIGN_MS} ms"));
    }
    if r.words.is_empty() || r.words.len() > MAX_ALIGN_WORDS {
        err("words".into(), format!("must hold 1 to {MAX_ALIGN_WORDS} words"));
    }
    for (i, w) in r.words.iter().enumerate().take(MAX_ALIGN_WORDS) {
        let n = w.chars().count();
        if n == 0 || n > MAX_WORD_CHARS || w.chars().any(|c| c.is_whitespace() || c.is_control()) {
            err(
                format!("words[{i}]"),
                format!("must be one word of 1 to {MAX_WORD_CHARS} characters, without spaces"),
            );
        }
    }
    if r.language.as_deref().is_some_and(|l| !crate::fields::is_language(l)) {
        err("language".into(), "must be a language code such as en or pt-BR".into());
    }
    errors
}

/// `POST /api/projects/{id}/alignments`: queue the alignment of words a person wrote.
#[utoipa::path(post, path = "/api/projects/{id}/alignments", tag = "captions", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = AlignmentRequest, responses(
    (status = 202, description = "queued: `GET` its `job_id` under this path for the times", body = AlignmentAccepted),
    (status = 403, description = "the account's quota of queued and running jobs is used up (`quota-exceeded`)", content_type = "application/problem+json", body = Problem),
    (status = 409, description = "no media yet", content_type = "application/problem+json", body = Problem),
    (status = 422, content_type = "application/problem+json", body = Problem),
))]
pub async fn create(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    headers: HeaderMap,
    body: Result<Json<AlignmentRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<AlignmentAccepted>), ApiError> {
    s.projects.project(user, id).await?;
    let Json(req) = body?;
    let errors = problems(&req);
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    super::require_media(&s, user, id).await?;
    crate::quotas::check(&s, user, Adding { jobs: 1, ..Adding::default() }).await?;
    let job = AlignJob {
        from_ms: req.from_ms,
        to_ms: req.from_ms + req.duration_ms, // both bounded: no overflow
        words: req.words,
        language: req.language,
    };
    let job = cofee_jobs::new_job(&job, crate::job_origin(&headers, user, id));
    let job_id = s.queue.enqueue(job).await?;
    Ok((StatusCode::ACCEPTED, Json(AlignmentAccepted { job_id })))
}

/// The largest alignment result: every word at its longest, with its times and JSON around it.
const MAX_RESULT_BYTES: u64 = (MAX_ALIGN_WORDS * (4 * MAX_WORD_CHARS + 80) + 1024) as u64;

/// `GET /api/projects/{id}/alignments/{job_id}`: where it stands, and the times once it ran.
#[utoipa::path(get, path = "/api/projects/{id}/alignments/{job_id}", tag = "captions", security(("bearer" = [])), params(("id" = Uuid, Path), ("job_id" = Uuid, Path)), responses(
    (status = 200, body = AlignmentView),
    (status = 404, content_type = "application/problem+json", body = Problem),
))]
pub async fn get(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id((id, job_id)): Id<(Uuid, Uuid)>,
) -> Result<Json<AlignmentView>, ApiError> {
    let job = match s.queue.get(job_id).await {
        Ok(j) => j,
        Err(StoreError::NotFound) => return Err(ApiError::not_found()),
        Err(e) => return Err(e.into()),
    };
    if job.owner_id != Some(user) || job.project_id != Some(id) || job.kind != AlignJob::KIND {
        return Err(ApiError::not_found());
    }
    let mut view = AlignmentView {
        job_id,
        state: job.state.as_str(),
        error: job.error.filter(|_| job.state == cofee_store::queue::JobState::Dead),
        engine: None,
        words: None,
        reason: None,
    };
    if job.state == cofee_store::queue::JobState::Succeeded {
        let key = AlignJob::object_key(id, job_id);
        // A result removed with its project (or never written): there is no such alignment.
        let Some(bytes) = s.objects.read_small(&key, MAX_RESULT_BYTES).await? else {
            return Err(ApiError::not_found());
        };
        let a: Alignment = serde_json::from_slice(&bytes).map_err(|_| ApiError::internal())?;
        view.engine = Some(a.engine);
        view.reason = a.reason;
        view.words = a.words.map(|w| {
            w.into_iter()
                .map(|w| AlignedWordView { text: w.text, start_ms: w.start_ms, end_ms: w.end_ms })
                .collect()
        });
    }
    Ok(Json(view))
}
