//! One error shape for the whole API: RFC 9457 problem details (`application/problem+json`),
//! with field-level messages for invalid input.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cofee_store::StoreError;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The problem document every error response carries (RFC 9457), for the API description.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Field-level messages for invalid input.
    pub errors: Option<Vec<FieldError>>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self { status, title, detail: detail.into(), errors: Vec::new(), retry_after: None }
    }

    pub fn too_many(detail: impl Into<String>, retry_after_secs: u64) -> Self {
        Self { retry_after: Some(retry_after_secs.max(1)), ..Self::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests", detail) }
    }

    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, title: "Invalid input", detail, errors, retry_after: None }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", "no such resource")
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail)
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", "something went wrong on our side; it has been logged")
    }
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [FieldError],
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body { kind: "about:blank", title: self.title, status: self.status.as_u16(), detail: &self.detail, errors: &self.errors };
        let mut r = (self.status, Json(&body)).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/problem+json"));
        if let Some(secs) = self.retry_after {
            r.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        r
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found(),
            StoreError::Conflict(m) => Self::new(StatusCode::CONFLICT, "Conflict", m),
            other => {
                tracing::error!(error = %other, "store error");
                Self::internal()
            }
        }
    }
}

/// Requests must be JSON of the documented shape; axum's own rejections become problems too.
impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        // A body over the limit keeps its 413; anything else about the body is a 400.
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Self::new(StatusCode::PAYLOAD_TOO_LARGE, "Request too large", format!("the body is over this request's limit ({} KiB; captions {} MiB)", crate::limits::SMALL_BODY_LIMIT >> 10, crate::limits::WHOLE_BODY_LIMIT >> 20));
        }
        Self::new(StatusCode::BAD_REQUEST, "Malformed request", r.body_text())
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(_: axum::extract::rejection::PathRejection) -> Self {
        Self::not_found()
    }
}

pub async fn not_found() -> ApiError {
    ApiError::not_found()
}
