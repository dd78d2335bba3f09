//! The web app, built by Vite into `web/dist` and embedded in the binary (no Node at run
//! time), and the bundled fonts for the in-browser libass preview — the same files the
//! burn-in uses, so preview equals render. Unknown paths outside `/api` get the app's
//! `index.html` (client-side routing); unknown `/api` paths get a problem document.

use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::problem::ApiError;

#[derive(RustEmbed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
struct Assets;

fn asset(path: &str) -> Option<Response> {
    let file = Assets::get(path)?;
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let mut r = Response::new(Body::from(file.data.into_owned()));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_str(mime.as_ref()).ok()?);
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Some(r)
}

pub async fn app(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") || path == "api" {
        return ApiError::not_found().into_response();
    }
    if let Some(r) = asset(path) {
        return r;
    }
    asset("index.html").unwrap_or_else(|| {
        (StatusCode::NOT_FOUND, "The web app is not built into this binary: run `npm ci && npm run build` in web/, then rebuild cofee.").into_response()
    })
}

pub async fn font(Path(name): Path<String>) -> Response {
    match cofee_media::fonts::BUNDLED.iter().find(|(n, _)| *n == name) {
        Some((_, bytes)) => (
            [(header::CONTENT_TYPE, "font/otf"), (header::CACHE_CONTROL, "public, max-age=86400")],
            *bytes,
        )
            .into_response(),
        None => ApiError::not_found().into_response(),
    }
}
