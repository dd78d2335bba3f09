//! Signed links to a project's video and a render's MP4 (see `links`), and `GET /files/{key}`,
//! which serves what our own signed links point to.

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tower::ServiceExt;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::extract::Id;
use crate::links::{self, TTL_SECS, browser_url};
use crate::problem::{ApiError, Problem, ProblemType};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct FileUrl {
    url: String,
    expires_in: i64,
}

/// `GET /api/projects/{id}/media/url`: a signed URL for the project's source video.
#[utoipa::path(get, path = "/api/projects/{id}/media/url", tag = "media", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, body = FileUrl), (status = 404, body = Problem)))]
pub async fn media_url(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
) -> Result<axum::Json<FileUrl>, ApiError> {
    let m = s.media.media(user, id).await?;
    Ok(axum::Json(FileUrl {
        url: browser_url(&s, &m.object_key, None).await?,
        expires_in: TTL_SECS,
    }))
}

/// `GET /api/renders/{id}/url`: a signed download URL for a finished render.
#[utoipa::path(get, path = "/api/renders/{id}/url", tag = "renders", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, body = FileUrl), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn render_url(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
) -> Result<axum::Json<FileUrl>, ApiError> {
    let r = s.media.render(user, id).await?;
    let key = r
        .output_key
        .ok_or_else(|| ApiError::new(ProblemType::NotReady, "the render has not finished yet"))?;
    let name = links::download_name(&s.projects.project(user, r.project_id).await?.name);
    Ok(axum::Json(FileUrl { url: browser_url(&s, &key, Some(&name)).await?, expires_in: TTL_SECS }))
}

#[derive(Deserialize)]
pub struct Signed {
    exp: i64,
    sig: String,
}

/// `GET /files/{key}`: serves an object (with HTTP Range) if the signature is valid and fresh.
pub async fn serve(
    State(s): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<Signed>,
    request: Request,
) -> Result<Response, ApiError> {
    if !links::is_valid(&s.file_secret, &key, q.exp, &q.sig) {
        return Err(ApiError::new(ProblemType::LinkInvalid, "ask the API for a new link"));
    }
    let scratch = s.scratch.join(format!("file-{}", Uuid::now_v7()));
    let path = s.objects.readable_path(&key, &scratch).await?;
    let mime = cofee_store::objects::content_type(&key).unwrap_or("application/octet-stream");
    let mut response =
        tower_http::services::ServeFile::new_with_mime(&path, &mime.parse().expect("valid mime"))
            .oneshot(request)
            .await
            .map_err(|_| ApiError::internal())?
            .map(Body::new);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    response
        .headers_mut()
        .insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(response)
}
