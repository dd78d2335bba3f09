//! The request deadline: a handler that takes longer than [`REQUEST_DEADLINE`] answers 503,
//! except the requests of [`without_deadline`].

use crate::problem;

/// How long a handler may take to answer (except the requests of `without_deadline`).
pub const REQUEST_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// Requests without a deadline: those whose handlers run as long as their bodies flow —
/// uploads in (bounded by the media limits, not by time), event streams out, the completion of
/// a direct upload (which fetches the whole file to check it) — and those that must not be cut
/// off halfway: deleting a project (rows, then objects) and starting a render (a 503 after the
/// commit would have the client start a second one).
pub(crate) fn without_deadline(method: &axum::http::Method, route: &str) -> bool {
    use axum::http::Method;
    matches!(
        (method, route),
        (&Method::PUT, "/api/projects/{id}/media")
            | (&Method::PATCH, "/api/uploads/{id}")
            | (&Method::GET, "/api/projects/{id}/events")
            | (&Method::POST, "/api/projects/{id}/media/direct/{upload_id}/complete")
            | (&Method::DELETE, "/api/projects/{id}")
            | (&Method::POST, "/api/projects/{id}/renders")
    )
}

/// Answers 503 when a handler (a stuck database or storage call) takes longer than
/// [`REQUEST_DEADLINE`], instead of holding the client and a connection for ever.
pub async fn deadline(
    route: Option<axum::extract::MatchedPath>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if route.as_ref().is_some_and(|r| without_deadline(request.method(), r.as_str())) {
        return next.run(request).await;
    }
    match tokio::time::timeout(REQUEST_DEADLINE, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(
                deadline_secs = REQUEST_DEADLINE.as_secs(),
                "a request ran past its deadline"
            );
            let mut r = problem::ApiError::new(
                problem::ProblemType::Timeout,
                "the server could not answer in time; try again shortly",
            )
            .into_response();
            r.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("5"));
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    #[test]
    fn only_uploads_event_streams_and_non_idempotent_steps_run_without_a_deadline() {
        assert!(super::without_deadline(&Method::PUT, "/api/projects/{id}/media"));
        assert!(super::without_deadline(&Method::PATCH, "/api/uploads/{id}"));
        assert!(super::without_deadline(&Method::GET, "/api/projects/{id}/events"));
        assert!(!super::without_deadline(&Method::GET, "/api/projects/{id}/media"));
        assert!(!super::without_deadline(&Method::POST, "/api/uploads"));
        assert!(super::without_deadline(&Method::POST, "/api/projects/{id}/renders"));
        assert!(!super::without_deadline(&Method::GET, "/api/projects/{id}/renders"));
        assert!(!super::without_deadline(&Method::POST, "/api/projects"));
    }
}
