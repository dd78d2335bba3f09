//! The headers every response carries unless a handler set them: the content security policy
//! and a few others ([`SECURITY_HEADERS`]).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// The content security policy: the app loads only from its own origin — plus, for media and
/// thumbnails, the object storage's public endpoint when browsers fetch from it (S3);
/// `wasm-unsafe-eval` is what WebAssembly (the libass preview) needs, `blob:` covers the workers
/// and files it creates.
fn content_security_policy(storage_origin: Option<&str>) -> String {
    let storage = storage_origin.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self' blob: data:{storage}; img-src 'self' blob: data:{storage}; media-src 'self' blob:{storage}; font-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// Headers every response carries unless a handler set them.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
];

/// The headers of [`SECURITY_HEADERS`] and the content security policy for storage at
/// `storage_origin` (see [`content_security_policy`]), built once.
pub fn headers(storage_origin: Option<&str>) -> Arc<[(HeaderName, HeaderValue)]> {
    let csp = HeaderValue::from_str(&content_security_policy(storage_origin))
        .expect("origins are header-safe");
    SECURITY_HEADERS
        .iter()
        .map(|&(name, value)| (HeaderName::from_static(name), HeaderValue::from_static(value)))
        .chain([(header::CONTENT_SECURITY_POLICY, csp)])
        .collect()
}

/// Middleware (`axum::middleware::map_response_with_state`, given [`headers`]): sets each header
/// a handler did not. One layer for all of them: each layer of a router wraps every route in a
/// boxed service that each request clones and polls.
pub async fn set(
    State(headers): State<Arc<[(HeaderName, HeaderValue)]>>,
    mut response: Response,
) -> Response {
    let h = response.headers_mut();
    for (name, value) in headers.iter() {
        if !h.contains_key(name) {
            h.insert(name.clone(), value.clone());
        }
    }
    response
}
