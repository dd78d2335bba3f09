//! CORS for the configured origins only ([`cors_origins`] checks them when the server is
//! configured).

use std::sync::Arc;

/// Origins for CORS, each checked to be `scheme://host[:port]` and nothing else (no path, no
/// wildcard).
pub fn cors_origins(origins: &[String]) -> Result<Vec<axum::http::HeaderValue>, String> {
    origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .map(|o| {
            let host = o.strip_prefix("https://").or_else(|| o.strip_prefix("http://"));
            let ok = host.is_some_and(|h| {
                !h.is_empty()
                    && h.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')
                    })
            });
            if !ok {
                return Err(format!(
                    "{o:?} is not an origin like https://app.example.com (no path, no wildcard)"
                ));
            }
            axum::http::HeaderValue::from_str(o)
                .map_err(|_| format!("{o:?} is not a valid header value"))
        })
        .collect()
}

/// CORS for the configured origins only: no wildcard, no cookies (the API takes bearer tokens).
/// Written here rather than with tower-http's `CorsLayer`, which answers every `OPTIONS` as a
/// preflight — tus clients ask `OPTIONS /api/uploads` for the server's capabilities and must get
/// the tus handler's answer; only requests with `Access-Control-Request-Method` are preflights.
pub async fn cors(
    axum::extract::State(origins): axum::extract::State<Arc<[axum::http::HeaderValue]>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, Method, StatusCode, header};
    let origin = request.headers().get(header::ORIGIN).filter(|o| origins.contains(o)).cloned();
    let Some(origin) = origin else { return next.run(request).await };
    let preflight = request.method() == Method::OPTIONS
        && request.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight {
        let mut r = axum::response::Response::new(axum::body::Body::empty());
        *r.status_mut() = StatusCode::NO_CONTENT;
        let h = r.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE, HEAD"),
        );
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("authorization, content-type, if-match, tus-resumable, upload-length, upload-offset, upload-metadata, x-request-id, x-file-name, traceparent, tracestate"));
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        r
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("etag, location, retry-after, upload-offset, upload-length, tus-resumable, x-request-id"));
    h.append(header::VARY, HeaderValue::from_static("origin"));
    response
}
