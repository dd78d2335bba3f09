//! Where a request came from, as what it causes carries it: its id (`X-Request-Id`) in logs, and
//! its trace context in the jobs it enqueues.

/// The request's id (`X-Request-Id`, taken from the caller or made here), which jobs it
/// enqueues carry into the workers' logs.
pub fn request_id(headers: &axum::http::HeaderMap) -> Option<String> {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// The origin of housekeeping caused by a request (no owner or project: the job outlives both).
pub(crate) fn housekeeping_origin(headers: &axum::http::HeaderMap) -> cofee_jobs::JobOrigin {
    cofee_jobs::JobOrigin {
        request_id: request_id(headers),
        traceparent: cofee_jobs::trace::current_traceparent(),
        ..Default::default()
    }
}

/// What a job this request enqueues for `owner`'s `project` carries: the request id (logs) and
/// the trace context (traces).
pub(crate) fn job_origin(
    headers: &axum::http::HeaderMap,
    owner: uuid::Uuid,
    project: uuid::Uuid,
) -> cofee_jobs::JobOrigin {
    cofee_jobs::JobOrigin::project(owner, project, request_id(headers))
}

/// The origin of a job for `owner` that no project holds (a webhook's test delivery).
pub(crate) fn account_origin(
    headers: &axum::http::HeaderMap,
    owner: uuid::Uuid,
) -> cofee_jobs::JobOrigin {
    cofee_jobs::JobOrigin { owner: Some(owner), ..housekeeping_origin(headers) }
}
