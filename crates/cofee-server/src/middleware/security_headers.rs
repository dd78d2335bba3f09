//! The headers every response carries unless a handler set them: the content security policy
//! and a few others ([`SECURITY_HEADERS`]).

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

/// The content security policy as a layer, for storage at `storage_origin` (see
/// [`content_security_policy`]).
pub fn csp(
    storage_origin: Option<&str>,
) -> tower_http::set_header::SetResponseHeaderLayer<axum::http::HeaderValue> {
    let csp = axum::http::HeaderValue::from_str(&content_security_policy(storage_origin))
        .expect("origins are header-safe");
    tower_http::set_header::SetResponseHeaderLayer::if_not_present(
        axum::http::header::CONTENT_SECURITY_POLICY,
        csp,
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

pub fn header(
    name: &'static str,
    value: &'static str,
) -> tower_http::set_header::SetResponseHeaderLayer<axum::http::HeaderValue> {
    tower_http::set_header::SetResponseHeaderLayer::if_not_present(
        axum::http::HeaderName::from_static(name),
        axum::http::HeaderValue::from_static(value),
    )
}
