//! Resumable uploads with the tus 1.0 protocol (core, creation, termination) at `/api/uploads`,
//! so tus-js-client and Uppy work. `Upload-Metadata` must carry `project_id`; when the last byte
//! arrives the file is checked and attached to that project exactly like a raw `PUT`.
//!
//! Bytes are appended to a file in the upload directory as they arrive, and the file's length
//! *is* the upload offset: if the connection drops mid-`PATCH` (the request is then simply
//! dropped), what reached the disk is kept and `HEAD` reports it, so the client resumes from
//! there. One `PATCH` per upload runs at a time.

use std::path::PathBuf;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use cofee_store::StoreError;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::AppState;
use crate::auth::AuthUser;
use crate::problem::{ApiError, Problem};

const VERSION: &str = "1.0.0";

fn tus_headers(mut r: Response) -> Response {
    r.headers_mut().insert("tus-resumable", HeaderValue::from_static(VERSION));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn require_tus(headers: &HeaderMap) -> Result<(), ApiError> {
    match headers.get("tus-resumable").and_then(|v| v.to_str().ok()) {
        Some(VERSION) => Ok(()),
        _ => Err(ApiError::new(StatusCode::PRECONDITION_FAILED, "Unsupported tus version", "send `Tus-Resumable: 1.0.0`")),
    }
}

fn number(headers: &HeaderMap, name: &str) -> Result<u64, ApiError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok()?.trim().parse().ok())
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "Bad tus request", format!("the {name} header must be a non-negative integer")))
}

/// `Upload-Metadata: key base64,key base64`.
fn metadata(headers: &HeaderMap) -> Vec<(String, String)> {
    let Some(raw) = headers.get("upload-metadata").and_then(|v| v.to_str().ok()) else { return Vec::new() };
    raw.split(',')
        .filter_map(|pair| {
            let mut it = pair.trim().splitn(2, ' ');
            let key = it.next()?.to_string();
            let value = it.next().map_or(Some(Vec::new()), |v| base64::engine::general_purpose::STANDARD.decode(v.trim()).ok())?;
            Some((key, String::from_utf8(value).ok()?))
        })
        .collect()
}

fn part_path(s: &AppState, id: Uuid) -> PathBuf {
    s.scratch.join("uploads").join(id.to_string())
}

async fn received(s: &AppState, id: Uuid) -> Result<u64, ApiError> {
    tokio::fs::metadata(part_path(s, id)).await.map(|m| m.len()).map_err(|_| ApiError::not_found())
}

/// Marks an upload as being written; released when dropped (also when the request is cancelled).
struct Writing {
    set: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<Uuid>>>,
    id: Uuid,
}

impl Writing {
    fn take(s: &AppState, id: Uuid) -> Result<Self, ApiError> {
        let mut set = s.uploads_in_progress.lock().expect("not poisoned");
        if !set.insert(id) {
            // 423 as tusd answers: clients (tus-js-client too) retry it after a delay, which is
            // what a resume right after a dropped connection needs while the server notices.
            return Err(ApiError::new(StatusCode::LOCKED, "Upload busy", "another PATCH to this upload is still running; retry shortly"));
        }
        Ok(Self { set: s.uploads_in_progress.clone(), id })
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        self.set.lock().expect("not poisoned").remove(&self.id);
    }
}

#[utoipa::path(options, path = "/api/uploads", tag = "uploads", responses((status = 204, description = "tus capabilities")))]
pub async fn options(State(s): State<AppState>) -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    h.insert("tus-version", HeaderValue::from_static(VERSION));
    h.insert("tus-extension", HeaderValue::from_static("creation,termination"));
    h.insert("tus-max-size", HeaderValue::from(s.limits.max_bytes));
    tus_headers(r)
}

#[utoipa::path(post, path = "/api/uploads", tag = "uploads", security(("bearer" = [])), params(("Upload-Length" = u64, Header), ("Upload-Metadata" = String, Header, description = "project_id <base64>, filename <base64>"), ("Tus-Resumable" = String, Header)), responses((status = 201, description = "Location names the upload"), (status = 412, body = Problem)))]
pub async fn create(State(s): State<AppState>, AuthUser(user): AuthUser, headers: HeaderMap) -> Result<Response, ApiError> {
    require_tus(&headers)?;
    let length = number(&headers, "upload-length")?;
    if length > s.limits.max_bytes {
        return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Too large", format!("uploads are limited to {} bytes", s.limits.max_bytes)));
    }
    let meta = metadata(&headers);
    let get = |k: &str| meta.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let project: Uuid = get("project_id")
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "Bad tus request", "Upload-Metadata must name the project: `project_id <base64 id>`"))?;
    let name = get("filename").or_else(|| get("name"));
    let upload = s.media.create_upload(user, project, length, name.as_deref()).await?;
    let path = part_path(&s, upload.id);
    tokio::fs::create_dir_all(path.parent().expect("has a parent")).await.map_err(|_| ApiError::internal())?;
    tokio::fs::File::create(&path).await.map_err(|_| ApiError::internal())?;
    let mut r = StatusCode::CREATED.into_response();
    r.headers_mut().insert(header::LOCATION, HeaderValue::from_str(&format!("/api/uploads/{}", upload.id)).expect("ascii"));
    Ok(tus_headers(r))
}

#[utoipa::path(head, path = "/api/uploads/{id}", tag = "uploads", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, description = "Upload-Offset and Upload-Length")))]
pub async fn head(State(s): State<AppState>, AuthUser(user): AuthUser, id: Result<Path<Uuid>, PathRejection>) -> Result<Response, ApiError> {
    let Path(id) = id?;
    let u = s.media.upload(user, id).await?;
    let offset = received(&s, id).await?;
    let mut r = StatusCode::OK.into_response();
    r.headers_mut().insert("upload-offset", HeaderValue::from(offset));
    r.headers_mut().insert("upload-length", HeaderValue::from(u.length));
    Ok(tus_headers(r))
}

#[utoipa::path(patch, path = "/api/uploads/{id}", tag = "uploads", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body(content = Vec<u8>, content_type = "application/offset+octet-stream"), responses((status = 204, description = "Upload-Offset after the write"), (status = 409, body = Problem), (status = 422, body = Problem), (status = 423, body = Problem)))]
pub async fn patch(State(s): State<AppState>, AuthUser(user): AuthUser, id: Result<Path<Uuid>, PathRejection>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let Path(id) = id?;
    require_tus(&headers)?;
    let u = s.media.upload(user, id).await?;
    if headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) != Some("application/offset+octet-stream") {
        return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Wrong content type", "PATCH bodies must be `application/offset+octet-stream`"));
    }
    let offset = number(&headers, "upload-offset")?;
    let _writing = Writing::take(&s, id)?;
    let current = received(&s, id).await?;
    if offset != current {
        return Err(ApiError::new(StatusCode::CONFLICT, "Offset mismatch", format!("the upload is at byte {current}; HEAD it and send from there")));
    }
    let path = part_path(&s, id);
    let mut file = tokio::fs::OpenOptions::new().append(true).open(&path).await.map_err(|_| ApiError::internal())?;
    let mut written = offset;
    let mut stream = body.into_data_stream();
    let mut failure = None;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) if written + bytes.len() as u64 <= u.length => {
                file.write_all(&bytes).await.map_err(|_| ApiError::internal())?;
                written += bytes.len() as u64;
            }
            Ok(_) => {
                failure = Some(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Too much data", "the body goes past Upload-Length"));
                break;
            }
            Err(e) => {
                failure = Some(ApiError::new(StatusCode::BAD_REQUEST, "Upload interrupted", format!("kept {written} bytes; resume from there ({e})")));
                break;
            }
        }
    }
    file.sync_all().await.map_err(|_| ApiError::internal())?;
    drop(file);
    // For observers only; the file length is what counts.
    if let Err(e) = s.media.advance_upload(id, u.offset, written).await
        && !matches!(e, StoreError::Conflict(_))
    {
        tracing::warn!(upload = %id, error = %e, "could not record the upload offset");
    }
    if let Some(f) = failure {
        return Err(f);
    }
    if written == u.length {
        let result = crate::media::attach(&s, user, u.project_id, &path, u.length, u.file_name.clone()).await;
        let _ = s.media.delete_upload(user, id).await;
        let _ = tokio::fs::remove_file(&path).await;
        result?;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert("upload-offset", HeaderValue::from(written));
    Ok(tus_headers(r))
}

#[utoipa::path(delete, path = "/api/uploads/{id}", tag = "uploads", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 204)))]
pub async fn delete(State(s): State<AppState>, AuthUser(user): AuthUser, id: Result<Path<Uuid>, PathRejection>, headers: HeaderMap) -> Result<Response, ApiError> {
    let Path(id) = id?;
    require_tus(&headers)?;
    s.media.delete_upload(user, id).await?;
    let _ = tokio::fs::remove_file(part_path(&s, id)).await;
    Ok(tus_headers(StatusCode::NO_CONTENT.into_response()))
}
