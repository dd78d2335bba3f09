//! One error shape for the whole API: RFC 9457 problem details (`application/problem+json`),
//! with field-level messages for invalid input, and a `type` per kind of problem
//! ([`ProblemType`]).

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

/// Every kind of problem the API answers with, listed once: its name, whose `type` URI is
/// `/problems/<slug>` (relative, so each deployment's own `GET /problems/<slug>` explains it),
/// its status, its title and what it means. The OpenAPI document lists them too.
macro_rules! problem_types {
    ($($kind:ident = $status:ident, $slug:literal, $title:literal, $about:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ProblemType {
            $($kind),*
        }

        impl ProblemType {
            pub const ALL: &[ProblemType] = &[$(ProblemType::$kind),*];

            pub fn status(self) -> StatusCode {
                match self {
                    $(Self::$kind => StatusCode::$status),*
                }
            }

            /// The last segment of the `type` URI.
            pub fn slug(self) -> &'static str {
                match self {
                    $(Self::$kind => $slug),*
                }
            }

            pub fn title(self) -> &'static str {
                match self {
                    $(Self::$kind => $title),*
                }
            }

            /// When the problem happens and what to do about it.
            pub fn about(self) -> &'static str {
                match self {
                    $(Self::$kind => $about),*
                }
            }
        }
    };
}

problem_types! {
    NotFound = NOT_FOUND, "not-found", "Not found", "No such resource, or not yours: another user's ids answer the same.";
    Unauthorized = UNAUTHORIZED, "unauthorized", "Unauthorized", "No valid access token or API token, or wrong credentials.";
    InvalidInput = UNPROCESSABLE_ENTITY, "invalid-input", "Invalid input", "Some fields are not acceptable; `errors` names each with a message.";
    MalformedRequest = BAD_REQUEST, "malformed-request", "Malformed request", "The body is not JSON of the documented shape.";
    RequestTooLarge = PAYLOAD_TOO_LARGE, "request-too-large", "Request too large", "The body is over the request's limit.";
    TooManyRequests = TOO_MANY_REQUESTS, "too-many-requests", "Too many requests", "A request budget is spent; `Retry-After` says when to try again.";
    Conflict = CONFLICT, "conflict", "Conflict", "The request conflicts with the current state (an email already taken, a job that cannot be retried).";
    NoMedia = CONFLICT, "no-media", "No media", "The project has no video yet: upload one first.";
    NoCaptions = CONFLICT, "no-captions", "No captions", "The project has no captions yet: transcribe the video or upload captions first.";
    NotReady = CONFLICT, "not-ready", "Not ready", "The thing asked for does not exist yet (a render still running).";
    NoDirectUploads = CONFLICT, "no-direct-uploads", "No direct uploads here", "This server's storage takes no presigned uploads: use tus or PUT.";
    OffsetMismatch = CONFLICT, "offset-mismatch", "Offset mismatch", "The upload is not at the offset sent (another request moved it on): HEAD it and resume from there.";
    UploadBusy = LOCKED, "upload-busy", "Upload busy", "Another request is writing to this upload right now.";
    StaleCaptions = PRECONDITION_FAILED, "stale-captions", "Stale captions", "The captions changed since they were read (`If-Match`): reload them and apply the edit again.";
    IfMatchRequired = PRECONDITION_REQUIRED, "if-match-required", "If-Match required", "Caption edits must say which version they change (`If-Match` with the `ETag`).";
    InvalidCaptions = UNPROCESSABLE_ENTITY, "invalid-captions", "Invalid captions", "The caption document cannot be read; the detail says where.";
    InvalidStyle = UNPROCESSABLE_ENTITY, "invalid-style", "Invalid style", "A style field is not acceptable; the detail names it.";
    UnacceptableMedia = UNPROCESSABLE_ENTITY, "unacceptable-media", "Unacceptable media", "The file is not a video Cofee takes (unreadable, hostile, or over the media limits).";
    EditTooLarge = PAYLOAD_TOO_LARGE, "edit-too-large", "Edit too large", "A text edit with more words, or rewriting a longer stretch at once, than one edit may (the detail names the limit): send the words as JSON instead.";
    TooManyPieces = UNPROCESSABLE_ENTITY, "too-many-pieces", "Too many pieces", "A resumable upload was sent in more pieces than a server keeps.";
    TooLarge = PAYLOAD_TOO_LARGE, "too-large", "Too large", "The file is over the upload size limit.";
    TooMuchData = PAYLOAD_TOO_LARGE, "too-much-data", "Too much data", "More bytes were sent than the upload's declared length.";
    WrongContentType = UNSUPPORTED_MEDIA_TYPE, "wrong-content-type", "Wrong content type", "The body's `Content-Type` is not the one this request takes.";
    BadTusRequest = BAD_REQUEST, "bad-tus-request", "Bad tus request", "A tus header is missing or malformed.";
    UnsupportedTusVersion = PRECONDITION_FAILED, "unsupported-tus-version", "Unsupported tus version", "Only tus 1.0.0 is spoken here.";
    UploadInterrupted = BAD_REQUEST, "upload-interrupted", "Upload interrupted", "The body ended or failed before it was all received; resume the upload.";
    QuotaExceeded = FORBIDDEN, "quota-exceeded", "Quota exceeded", "The request would take one of the account's quotas (projects, stored bytes, open uploads, queued and running jobs) past its limit; the detail names it. `GET /api/me/usage` shows them all.";
    InsufficientScope = FORBIDDEN, "insufficient-scope", "Insufficient scope", "The API token may not make this request: the detail names the scope it lacks (`read`, `write` or `tokens`).";
    LinkInvalid = FORBIDDEN, "link-invalid", "Link expired or invalid", "A signed file link whose signature does not match or whose time is up: ask for a new link.";
    Timeout = SERVICE_UNAVAILABLE, "timeout", "Took too long", "The server could not answer in time; try again shortly.";
    Internal = INTERNAL_SERVER_ERROR, "internal", "Internal error", "Something went wrong on the server's side; it has been logged.";
}

impl ProblemType {
    /// The `type` member of problems of this kind.
    pub fn uri(self) -> String {
        format!("/problems/{}", self.slug())
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub kind: ProblemType,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> Self {
        Self { kind, detail: detail.into(), errors: Vec::new(), retry_after: None }
    }

    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }

    pub fn too_many(detail: impl Into<String>, retry_after_secs: u64) -> Self {
        Self {
            retry_after: Some(retry_after_secs.max(1)),
            ..Self::new(ProblemType::TooManyRequests, detail)
        }
    }

    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self { errors, ..Self::new(ProblemType::InvalidInput, detail) }
    }

    pub fn not_found() -> Self {
        Self::new(ProblemType::NotFound, "no such resource")
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(ProblemType::Unauthorized, detail)
    }

    pub fn internal() -> Self {
        Self::new(ProblemType::Internal, "something went wrong on our side; it has been logged")
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
        let uri = self.kind.uri();
        let body = Body {
            kind: &uri,
            title: self.kind.title(),
            status: self.status().as_u16(),
            detail: &self.detail,
            errors: &self.errors,
        };
        let mut r = (self.status(), Json(&body)).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
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
            StoreError::Conflict(c) => Self::new(ProblemType::Conflict, c.to_string()),
            other => {
                tracing::error!(error = %other, "store error");
                Self::internal()
            }
        }
    }
}

/// Requests must be JSON of the documented shape; axum's own rejections become problems too.
/// A body refused while it was read: over the limit keeps its 413; anything else is a 400.
fn body_rejection(status: StatusCode, text: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            ProblemType::RequestTooLarge,
            format!(
                "the body is over this request's limit ({} KiB; captions {} MiB)",
                crate::limits::SMALL_BODY_LIMIT >> 10,
                crate::limits::WHOLE_BODY_LIMIT >> 20
            ),
        );
    }
    ApiError::new(ProblemType::MalformedRequest, text)
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        body_rejection(r.status(), r.body_text())
    }
}

impl From<axum::extract::rejection::StringRejection> for ApiError {
    fn from(r: axum::extract::rejection::StringRejection) -> Self {
        body_rejection(r.status(), r.body_text())
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(r: axum::extract::rejection::BytesRejection) -> Self {
        body_rejection(r.status(), r.body_text())
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        Self::new(ProblemType::MalformedRequest, r.body_text())
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

/// What a problem `type` means: `GET /problems/{slug}` (the `type` URIs resolve here).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemDescription {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub description: &'static str,
}

#[utoipa::path(get, path = "/problems/{slug}", tag = "problems", params(("slug" = String, Path, description = "the last segment of a problem's `type`")), responses((status = 200, body = ProblemDescription), (status = 404, body = Problem)))]
pub async fn describe(
    axum::extract::Path(slug): axum::extract::Path<String>,
) -> Result<Json<ProblemDescription>, ApiError> {
    let kind = ProblemType::ALL
        .iter()
        .copied()
        .find(|k| k.slug() == slug)
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(ProblemDescription {
        kind: kind.uri(),
        title: kind.title(),
        status: kind.status().as_u16(),
        description: kind.about(),
    }))
}

#[cfg(test)]
mod tests {
    use super::ProblemType;

    #[test]
    fn each_problem_type_has_a_uri_of_its_own_and_a_client_or_server_error_status() {
        let mut uris: Vec<String> = ProblemType::ALL.iter().map(|k| k.uri()).collect();
        uris.sort();
        uris.dedup();
        assert_eq!(uris.len(), ProblemType::ALL.len(), "type URIs are unique");
        for k in ProblemType::ALL {
            assert!(k.status().is_client_error() || k.status().is_server_error(), "{k:?}");
            assert!(k.slug().chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{k:?}");
        }
    }
}
