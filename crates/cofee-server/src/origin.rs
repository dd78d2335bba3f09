//! Where a request came from, as what it causes carries it: its id (`X-Request-Id`) in logs, and
//! its trace context in the jobs it enqueues.

/// The request's id (`X-Request-Id`, taken from the caller or made here), which jobs it
/// enqueues carry into the workers' logs.
pub fn request_id(headers: &axum::http::HeaderMap) -> Option<String> {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// What a job enqueued by this request carries: the request id (logs) and trace context (traces).
pub(crate) fn job_origin(headers: &axum::http::HeaderMap) -> (Option<String>, Option<String>) {
    (request_id(headers), cofee_worker::trace::current_traceparent())
}
