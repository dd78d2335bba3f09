//! A project's media (raw `PUT`, streamed to disk, checked by ffprobe, then stored) and its
//! captions.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cofee_media::MediaError;
use cofee_store::media::MediaRecord;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use cofee_worker::CancellationToken;
use uuid::Uuid;

use crate::AppState;
use crate::auth::AuthUser;
use crate::problem::{ApiError, Problem};

fn media_problem(e: MediaError) -> ApiError {
    if e.is_bad_input() {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "Unacceptable media", e.to_string())
    } else {
        tracing::error!(error = %e, "probing an upload failed");
        ApiError::internal()
    }
}

/// `PUT /api/projects/{id}/media`: the request body is the file. It is written to disk as it
/// arrives (constant memory, any size up to the limit), probed, and only then stored.
#[utoipa::path(put, path = "/api/projects/{id}/media", tag = "media", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the video file"), responses((status = 201, body = MediaRecord), (status = 413, body = Problem), (status = 422, description = "not acceptable media", body = Problem)))]
pub async fn upload(State(s): State<AppState>, AuthUser(user): AuthUser, id: Result<Path<Uuid>, PathRejection>, headers: HeaderMap, body: Body) -> Result<(StatusCode, Json<MediaRecord>), ApiError> {
    let Path(id) = id?;
    s.projects.project(user, id).await?;
    let limit = s.limits.max_bytes;
    if headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok()).is_some_and(|n| n > limit) {
        return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Too large", format!("uploads are limited to {limit} bytes")));
    }
    tokio::fs::create_dir_all(&s.scratch).await.map_err(|_| ApiError::internal())?;
    let staged = tempfile::Builder::new().prefix("upload-").tempfile_in(&s.scratch).map_err(|_| ApiError::internal())?;
    let mut file = tokio::fs::File::create(staged.path()).await.map_err(|_| ApiError::internal())?;
    let mut stream = body.into_data_stream();
    let mut size = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "Upload interrupted", e.to_string()))?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Too large", format!("uploads are limited to {limit} bytes")));
        }
        file.write_all(&chunk).await.map_err(|_| ApiError::internal())?;
    }
    file.sync_all().await.map_err(|_| ApiError::internal())?;
    drop(file);
    let name = headers.get("x-file-name").and_then(|v| v.to_str().ok()).map(str::to_string);
    let record = attach(&s, user, id, staged.path(), size, name).await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// Checks a fully received file with ffprobe and, if it is acceptable media, stores it as the
/// project's media. Used by the raw `PUT` and by tus uploads.
pub async fn attach(s: &AppState, user: Uuid, project: Uuid, file: &std::path::Path, size: u64, file_name: Option<String>) -> Result<MediaRecord, ApiError> {
    let info = cofee_media::probe(file, &s.limits, &CancellationToken::new()).await.map_err(media_problem)?;
    let video = info.require_video().map_err(media_problem)?;
    let record = MediaRecord {
        object_key: format!("projects/{project}/source"),
        file_name: file_name.map(|n| n.chars().filter(|c| !c.is_control()).take(255).collect()),
        size_bytes: size,
        duration_secs: info.duration_secs,
        width: Some(video.width),
        height: Some(video.height),
        fps: Some(video.fps),
        has_audio: info.audio.is_some(),
    };
    s.objects.put_file(&record.object_key, file).await?;
    // A still for the project list; a video we cannot take one from is still a video.
    let thumb = s.scratch.join(format!("thumb-{}.jpg", Uuid::now_v7()));
    match cofee_media::thumbnail::thumbnail(&info, &thumb, 320, &s.limits, &CancellationToken::new()).await {
        Ok(()) => {
            s.objects.put_file(&format!("projects/{project}/thumbnail.jpg"), &thumb).await?;
        }
        Err(e) => tracing::warn!(error = %e, "no thumbnail for an upload"),
    }
    let _ = tokio::fs::remove_file(&thumb).await;
    s.media.set_media(user, project, &record).await?;
    Ok(record)
}

#[utoipa::path(get, path = "/api/projects/{id}/media", tag = "media", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, body = MediaRecord), (status = 404, body = Problem)))]
pub async fn get(State(s): State<AppState>, AuthUser(user): AuthUser, id: Result<Path<Uuid>, PathRejection>) -> Result<Json<MediaRecord>, ApiError> {
    let Path(id) = id?;
    Ok(Json(s.media.media(user, id).await?))
}

/// `GET /api/projects/{id}/captions`: the words, with the version as a strong `ETag`.
#[utoipa::path(get, path = "/api/projects/{id}/captions", tag = "captions", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, description = "Cofee word JSON; the ETag header carries its version", body = Object), (status = 404, body = Problem)))]
pub async fn captions(State(s): State<AppState>, AuthUser(user): AuthUser, id: Result<Path<Uuid>, PathRejection>) -> Result<Response, ApiError> {
    let Path(id) = id?;
    let t = s.media.transcript(user, id).await?;
    Ok(([(header::CONTENT_TYPE, "application/json".to_string()), (header::ETAG, format!("\"v{}\"", t.version))], t.words).into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TextEdit {
    text: String,
}

fn parse_etag(headers: &HeaderMap) -> Result<i64, ApiError> {
    let value = headers.get(header::IF_MATCH).ok_or_else(|| {
        ApiError::new(StatusCode::PRECONDITION_REQUIRED, "If-Match required", "send the ETag you loaded the captions with in If-Match, so a concurrent edit is not overwritten")
    })?;
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().strip_prefix("\"v")?.strip_suffix('"')?.parse().ok())
        .ok_or_else(|| ApiError::new(StatusCode::PRECONDITION_FAILED, "Stale captions", "If-Match does not name a version of these captions; reload them"))
}

/// `PUT /api/projects/{id}/captions` with `If-Match`: either full word JSON (the editor re-timed
/// words itself) or `{"text": "…"}`, re-timed by aligning the new words with the stored ones so
/// that untouched words keep their times. A stale `If-Match` changes nothing and answers 412.
#[utoipa::path(put, path = "/api/projects/{id}/captions", tag = "captions", security(("bearer" = [])), params(("id" = Uuid, Path)), params(("If-Match" = String, Header, description = "the ETag the edit is based on")), request_body(content = Object, description = "Cofee word JSON, or {\"text\": \"…\"} to re-time by alignment"), responses((status = 200, body = Object), (status = 412, body = Problem), (status = 428, body = Problem), (status = 422, body = Problem)))]
pub async fn put_captions(State(s): State<AppState>, AuthUser(user): AuthUser, id: Result<Path<Uuid>, PathRejection>, headers: HeaderMap, body: String) -> Result<Response, ApiError> {
    let Path(id) = id?;
    let current = s.media.transcript(user, id).await?;
    let expected = parse_etag(&headers)?;
    let invalid = |m: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid captions", m);
    let edited = if let Ok(TextEdit { text }) = serde_json::from_str::<TextEdit>(&body) {
        let old = cofee_core::formats::json::parse(&current.words).map_err(|_| ApiError::internal())?;
        let words = cofee_core::align::retime(&old.words, &cofee_core::text::tokenize(&text));
        cofee_core::Transcript::new(old.language, words)
    } else {
        // From the editor: taken exactly as sent, so it must already be valid.
        let t: cofee_core::Transcript = serde_json::from_str(&body).map_err(|e| invalid(e.to_string()))?;
        t.validate().map_err(|e| invalid(e.to_string()))?;
        t
    };
    let json = cofee_core::formats::json::write(&edited);
    let version = match s.media.replace_transcript(user, id, &json, expected).await {
        Ok(v) => v,
        Err(cofee_store::StoreError::Conflict(m)) => return Err(ApiError::new(StatusCode::PRECONDITION_FAILED, "Stale captions", format!("someone changed the captions since you loaded them ({m}); reload them and apply your edit again"))),
        Err(e) => return Err(e.into()),
    };
    Ok(([(header::CONTENT_TYPE, "application/json".to_string()), (header::ETAG, format!("\"v{version}\""))], json).into_response())
}

/// How long a direct-upload link stays valid.
const DIRECT_UPLOAD_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

fn direct_key(project: Uuid, upload: Uuid) -> String {
    format!("uploads/direct/{project}/{upload}")
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct DirectUploadRequest {
    /// The file's size in bytes (checked against the upload limit before a link is given).
    pub size: u64,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct DirectUpload {
    pub upload_id: Uuid,
    /// `PUT` the file's bytes here (object storage, not the API), then call `complete`.
    pub url: String,
    pub method: &'static str,
    pub expires_in_secs: u64,
}

#[derive(serde::Deserialize, utoipa::ToSchema, Default)]
pub struct DirectUploadDone {
    pub file_name: Option<String>,
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Too large", format!("uploads are limited to {limit} bytes"))
}

/// `POST /api/projects/{id}/media/direct`: a presigned link for the browser to `PUT` the file
/// straight into object storage (S3), so video bytes never pass through the API. Where the
/// storage cannot sign links (a local directory), `409`: upload through the API instead.
#[utoipa::path(post, path = "/api/projects/{id}/media/direct", tag = "media", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = DirectUploadRequest, responses((status = 201, body = DirectUpload), (status = 409, description = "the storage takes no direct uploads; use PUT or tus", body = Problem), (status = 413, body = Problem)))]
pub async fn direct_upload(State(s): State<AppState>, AuthUser(user): AuthUser, id: Result<Path<Uuid>, PathRejection>, Json(req): Json<DirectUploadRequest>) -> Result<(StatusCode, Json<DirectUpload>), ApiError> {
    let Path(id) = id?;
    s.projects.project(user, id).await?;
    if req.size > s.limits.max_bytes {
        return Err(too_large(s.limits.max_bytes));
    }
    let upload_id = Uuid::now_v7();
    let Some(url) = s.objects.presigned_put(&direct_key(id, upload_id), DIRECT_UPLOAD_TTL).await? else {
        return Err(ApiError::new(StatusCode::CONFLICT, "No direct uploads here", "this server's storage cannot take uploads directly; PUT the file to /api/projects/{id}/media or use tus at /api/uploads"));
    };
    Ok((StatusCode::CREATED, Json(DirectUpload { upload_id, url, method: "PUT", expires_in_secs: DIRECT_UPLOAD_TTL.as_secs() })))
}

/// `POST /api/projects/{id}/media/direct/{upload_id}/complete`: the browser's `PUT` is done;
/// the object is fetched once, checked like any upload, and the checked bytes — not whatever
/// the link (valid for its hour) may hold by then — become the project's media. The uploaded
/// object is deleted once taken or refused; after a failure of ours it stays for another try.
#[utoipa::path(post, path = "/api/projects/{id}/media/direct/{upload_id}/complete", tag = "media", security(("bearer" = [])), params(("id" = Uuid, Path), ("upload_id" = Uuid, Path)), request_body = DirectUploadDone, responses((status = 201, body = MediaRecord), (status = 404, description = "nothing was uploaded with that link", body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn complete_direct_upload(State(s): State<AppState>, AuthUser(user): AuthUser, ids: Result<Path<(Uuid, Uuid)>, PathRejection>, body: Option<Json<DirectUploadDone>>) -> Result<(StatusCode, Json<MediaRecord>), ApiError> {
    let Path((id, upload_id)) = ids?;
    s.projects.project(user, id).await?;
    let key = direct_key(id, upload_id);
    // ffprobe and the thumbnail read a local copy, which is also what gets stored; it goes when
    // this is done.
    let scratch = tempfile::Builder::new().prefix("direct-").tempdir_in(s.scratch.as_path()).or_else(|_| tempfile::tempdir()).map_err(|_| ApiError::internal())?;
    let local = s.objects.readable_path(&key, &scratch.path().join("upload")).await?;
    let result = async {
        let size = tokio::fs::metadata(&local).await.map_err(|_| ApiError::internal())?.len();
        if size > s.limits.max_bytes {
            return Err(too_large(s.limits.max_bytes));
        }
        let name = body.map(|Json(b)| b.file_name).unwrap_or_default();
        attach(&s, user, id, &local, size, name).await
    }
    .await;
    if (result.is_ok() || result.as_ref().is_err_and(|e| e.status.is_client_error()))
        && let Err(e) = s.objects.delete(&key).await
    {
        tracing::warn!(error = %e, key, "a direct upload's object was not deleted");
    }
    Ok((StatusCode::CREATED, Json(result?)))
}
