//! A project's media: the raw `PUT` (streamed to disk, checked by ffprobe, then stored), its
//! record, and direct uploads straight into object storage. Resumable (tus) uploads are in
//! `uploads`.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode, header};
use cofee_store::media::MediaRecord;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::extract::Id;
use crate::ingest::attach;
use crate::problem::{ApiError, Problem, ProblemType};
use crate::quotas::Adding;
use crate::state::AppState;

/// `PUT /api/projects/{id}/media`: the request body is the file. It is written to disk as it
/// arrives (constant memory, any size up to the limit), probed, and only then stored.
#[utoipa::path(put, path = "/api/projects/{id}/media", tag = "media", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the video file"), responses((status = 201, body = MediaRecord), (status = 400, description = "the body broke off", body = Problem), (status = 413, body = Problem), (status = 422, description = "not acceptable media", body = Problem)))]
pub async fn upload(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<MediaRecord>), ApiError> {
    s.projects.project(user, id).await?;
    let limit = s.limits.max_bytes;
    if headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .is_some_and(|n| n > limit)
    {
        return Err(ApiError::new(
            ProblemType::TooLarge,
            format!("uploads are limited to {limit} bytes"),
        ));
    }
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    crate::quotas::check(&s, user, Adding { bytes: declared.unwrap_or(1), ..Adding::default() })
        .await?;
    tokio::fs::create_dir_all(&s.scratch).await.map_err(|_| ApiError::internal())?;
    let staged = tempfile::Builder::new()
        .prefix("upload-")
        .tempfile_in(&s.scratch)
        .map_err(|_| ApiError::internal())?;
    let mut file =
        tokio::fs::File::create(staged.path()).await.map_err(|_| ApiError::internal())?;
    let mut stream = body.into_data_stream();
    let mut size = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::new(ProblemType::UploadInterrupted, e.to_string()))?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(ApiError::new(
                ProblemType::TooLarge,
                format!("uploads are limited to {limit} bytes"),
            ));
        }
        file.write_all(&chunk).await.map_err(|_| ApiError::internal())?;
    }
    file.sync_all().await.map_err(|_| ApiError::internal())?;
    drop(file);
    if declared != Some(size) {
        // Sent without its length (chunked): the quota is checked against what came.
        crate::quotas::check(&s, user, Adding { bytes: size, ..Adding::default() }).await?;
    }
    let name = headers.get("x-file-name").and_then(|v| v.to_str().ok()).map(str::to_string);
    let record =
        attach(&s, user, id, staged.path(), size, name, crate::request_id(&headers)).await?;
    Ok((StatusCode::CREATED, Json(record)))
}

#[utoipa::path(get, path = "/api/projects/{id}/media", tag = "media", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, body = MediaRecord), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
) -> Result<Json<MediaRecord>, ApiError> {
    Ok(Json(s.media.media(user, id).await?))
}

/// How long a direct-upload link stays valid.
const DIRECT_UPLOAD_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

fn direct_key(project: Uuid, upload: Uuid) -> String {
    format!("uploads/direct/{project}/{upload}")
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct DirectUploadRequest {
    /// The file's size in bytes (checked against the upload limit before a link is given).
    #[serde(deserialize_with = "crate::fields::whole")]
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
    ApiError::new(ProblemType::TooLarge, format!("uploads are limited to {limit} bytes"))
}

/// `POST /api/projects/{id}/media/direct`: a presigned link for the browser to `PUT` the file
/// straight into object storage (S3), so video bytes never pass through the API. Where the
/// storage cannot sign links (a local directory), `409`: upload through the API instead.
#[utoipa::path(post, path = "/api/projects/{id}/media/direct", tag = "media", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = DirectUploadRequest, responses((status = 201, body = DirectUpload), (status = 409, description = "the storage takes no direct uploads; use PUT or tus", body = Problem), (status = 413, body = Problem)))]
pub async fn direct_upload(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    body: Result<Json<DirectUploadRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<DirectUpload>), ApiError> {
    let Json(req) = body?;
    s.projects.project(user, id).await?;
    if req.size > s.limits.max_bytes {
        return Err(too_large(s.limits.max_bytes));
    }
    crate::quotas::check(&s, user, Adding { bytes: req.size, ..Adding::default() }).await?;
    let upload_id = Uuid::now_v7();
    let Some(url) = s.objects.presigned_put(&direct_key(id, upload_id), DIRECT_UPLOAD_TTL).await?
    else {
        return Err(ApiError::new(
            ProblemType::NoDirectUploads,
            "this server's storage cannot take uploads directly; PUT the file to /api/projects/{id}/media or use tus at /api/uploads",
        ));
    };
    Ok((
        StatusCode::CREATED,
        Json(DirectUpload {
            upload_id,
            url,
            method: "PUT",
            expires_in_secs: DIRECT_UPLOAD_TTL.as_secs(),
        }),
    ))
}

/// `POST /api/projects/{id}/media/direct/{upload_id}/complete`: the browser's `PUT` is done;
/// the object is fetched once, checked like any upload, and the checked bytes — not whatever
/// the link (valid for its hour) may hold by then — become the project's media. The uploaded
/// object is deleted once taken or refused; after a failure of ours it stays for another try.
#[utoipa::path(post, path = "/api/projects/{id}/media/direct/{upload_id}/complete", tag = "media", security(("bearer" = [])), params(("id" = Uuid, Path), ("upload_id" = Uuid, Path)), request_body(content = Option<DirectUploadDone>, description = "optional: the file's name"), responses((status = 201, body = MediaRecord), (status = 404, description = "nothing was uploaded with that link", body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn complete_direct_upload(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id((id, upload_id)): Id<(Uuid, Uuid)>,
    headers: HeaderMap,
    body: Result<Option<Json<Option<DirectUploadDone>>>, JsonRejection>,
) -> Result<(StatusCode, Json<MediaRecord>), ApiError> {
    let body = body?;
    s.projects.project(user, id).await?;
    let key = direct_key(id, upload_id);
    // The link cannot bound what is PUT through it, so the size is checked before a byte is
    // read (L5); an object over the limit is deleted at once.
    let Some(size) = s.objects.size(&key).await? else {
        return Err(ApiError::new(ProblemType::NotFound, "nothing was uploaded with that link"));
    };
    // The size declared for the link may have been a lie: the quota is checked on the real one.
    let refused = if size > s.limits.max_bytes {
        Err(too_large(s.limits.max_bytes))
    } else {
        crate::quotas::check(&s, user, Adding { bytes: size, ..Adding::default() }).await
    };
    if let Err(refusal) = refused {
        if let Err(e) = s.objects.delete(&key).await {
            tracing::warn!(error = %e, key, "a refused direct upload was not deleted; expiry will");
        }
        return Err(refusal);
    }
    // ffprobe and the thumbnail read a local copy, which is also what gets stored; it goes when
    // this is done.
    let scratch = tempfile::Builder::new()
        .prefix("direct-")
        .tempdir_in(s.scratch.as_path())
        .or_else(|_| tempfile::tempdir())
        .map_err(|_| ApiError::internal())?;
    let local = s.objects.readable_path(&key, &scratch.path().join("upload")).await?;
    let result = async {
        let size = tokio::fs::metadata(&local).await.map_err(|_| ApiError::internal())?.len();
        if size > s.limits.max_bytes {
            return Err(too_large(s.limits.max_bytes));
        }
        let name = body.and_then(|Json(b)| b?.file_name); // no body, or `null`
        attach(&s, user, id, &local, size, name, crate::request_id(&headers)).await
    }
    .await;
    if (result.is_ok() || result.as_ref().is_err_and(|e| e.status().is_client_error()))
        && let Err(e) = s.objects.delete(&key).await
    {
        tracing::warn!(error = %e, key, "a direct upload's object was not deleted");
    }
    Ok((StatusCode::CREATED, Json(result?)))
}
