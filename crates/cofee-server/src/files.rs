//! Signed file URLs. A browser's `<video src>` and download links cannot send an Authorization
//! header, so the API hands out short-lived URLs signed with HMAC-SHA256 (the same idea as an S3
//! presigned GET): `/files/{key}?exp=<unix seconds>&sig=<hex>`. The key comes from the server,
//! never from the user, and the signature covers key and expiry.

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tower::ServiceExt;
use uuid::Uuid;

use crate::AppState;
use crate::auth::AuthUser;
use crate::problem::{ApiError, Problem};

pub const TTL_SECS: i64 = 3600;
pub const TTL: std::time::Duration = std::time::Duration::from_secs(TTL_SECS as u64);

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// The MAC over what a link grants: this key until this time.
fn mac(secret: &[u8], key: &str, exp: i64) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(format!("{key}\n{exp}").as_bytes());
    mac
}

fn signature(secret: &[u8], key: &str, exp: i64) -> String {
    hex::encode(mac(secret, key, exp).finalize().into_bytes())
}

pub fn signed_url(s: &AppState, key: &str) -> String {
    let exp = now() + TTL_SECS;
    format!("/files/{key}?exp={exp}&sig={}", signature(&s.file_secret, key, exp))
}

/// A link for the browser: presigned by S3 for its public endpoint (naming the file when
/// `download_as` is given: browsers ignore `download` on cross-origin links), else signed by us.
pub async fn browser_url(s: &AppState, key: &str, download_as: Option<&str>) -> Result<String, ApiError> {
    match s.objects.presigned_get(key, TTL, download_as).await? {
        Some(url) => Ok(url),
        None => Ok(signed_url(s, key)),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FileUrl {
    url: String,
    expires_in: i64,
}

/// `GET /api/projects/{id}/media/url`: a signed URL for the project's source video.
#[utoipa::path(get, path = "/api/projects/{id}/media/url", tag = "media", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, body = FileUrl), (status = 404, body = Problem)))]
pub async fn media_url(State(s): State<AppState>, AuthUser(user): AuthUser, id: Result<Path<Uuid>, PathRejection>) -> Result<axum::Json<FileUrl>, ApiError> {
    let Path(id) = id?;
    let m = s.media.media(user, id).await?;
    Ok(axum::Json(FileUrl { url: browser_url(&s, &m.object_key, None).await?, expires_in: TTL_SECS }))
}

/// `GET /api/renders/{id}/url`: a signed download URL for a finished render.
#[utoipa::path(get, path = "/api/renders/{id}/url", tag = "renders", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, body = FileUrl), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn render_url(State(s): State<AppState>, AuthUser(user): AuthUser, id: Result<Path<Uuid>, PathRejection>) -> Result<axum::Json<FileUrl>, ApiError> {
    let Path(id) = id?;
    let r = s.media.render(user, id).await?;
    let key = r.output_key.ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "Not ready", "the render has not finished yet"))?;
    let name = crate::renders::download_name(&s.projects.project(user, r.project_id).await?.name);
    Ok(axum::Json(FileUrl { url: browser_url(&s, &key, Some(&name)).await?, expires_in: TTL_SECS }))
}

#[derive(Deserialize)]
pub struct Signed {
    exp: i64,
    sig: String,
}

/// `GET /files/{key}`: serves an object (with HTTP Range) if the signature is valid and fresh.
pub async fn serve(State(s): State<AppState>, Path(key): Path<String>, Query(q): Query<Signed>, request: Request) -> Result<Response, ApiError> {
    let fresh = q.exp >= now();
    let valid = hex::decode(&q.sig).is_ok_and(|sig| mac(&s.file_secret, &key, q.exp).verify_slice(&sig).is_ok()); // constant time
    if !valid || !fresh {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "Link expired or invalid", "ask the API for a new link"));
    }
    let scratch = s.scratch.join(format!("file-{}", Uuid::now_v7()));
    let path = s.objects.readable_path(&key, &scratch).await?;
    let mime = cofee_store::objects::content_type(&key).unwrap_or("application/octet-stream");
    let mut response = tower_http::services::ServeFile::new_with_mime(&path, &mime.parse().expect("valid mime")).oneshot(request).await.map_err(|_| ApiError::internal())?.map(Body::new);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(response)
}
