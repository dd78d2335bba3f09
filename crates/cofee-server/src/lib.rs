//! The HTTP API. Handlers are thin: they validate input, call the store through its traits, and
//! turn every error into one `application/problem+json` shape ([`problem`]). Every object is
//! looked up together with its owner, so another user's ids answer 404.

pub mod auth;
mod events;
mod files;
mod web;
mod health;
mod jobs;
mod media;
pub mod openapi;
pub mod problem;
mod projects;
pub mod rate_limit;
mod renders;
pub mod telemetry;
mod tus;
mod webhooks;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use cofee_media::MediaLimits;
use cofee_store::accounts::{Accounts, Projects};
use cofee_store::media::MediaStore;
use cofee_store::objects::Objects;
use cofee_store::queue::JobQueue;
use cofee_store::signals::{JobSignals, SignallingQueue};
use cofee_store::webhooks::Webhooks;
use cofee_store::Database;
use uuid::Uuid;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use auth::JwtKeys;

#[derive(Clone)]
pub struct AppState {
    pub accounts: Arc<dyn Accounts>,
    pub projects: Arc<dyn Projects>,
    pub media: Arc<dyn MediaStore>,
    pub queue: Arc<dyn JobQueue>,
    pub webhooks: Arc<dyn Webhooks>,
    /// The same database as the stores above, for readiness.
    pub db: Arc<dyn Database>,
    pub objects: Objects,
    pub keys: Arc<JwtKeys>,
    pub limits: MediaLimits,
    /// Where uploads are staged while they are checked.
    pub scratch: PathBuf,
    /// Key for signed file URLs (derived from the JWT secret).
    pub file_secret: Arc<[u8]>,
    /// Renders `/metrics` when the process installed a recorder.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// tus uploads with a `PATCH` running (uploads live on this instance's disk).
    pub uploads_in_progress: Arc<std::sync::Mutex<std::collections::HashSet<Uuid>>>,
    /// Request budgets (see `rate_limit`) and where they are kept: this process, or Redis.
    pub rate_limits: rate_limit::RateLimits,
    pub rate_limiter: rate_limit::RateLimiter,
    /// Other origins whose pages may call the API (CORS); empty: same origin only.
    pub cors_origins: Vec<axum::http::HeaderValue>,
    /// What wakes event streams when a project's jobs change (see [`AppState::with_signals`]).
    pub signals: JobSignals,
    /// Cancelled when the process begins to shut down: endless responses (event streams) end,
    /// so that the requests still running can finish and the server can stop.
    pub stopping: cofee_worker::CancellationToken,
}

impl AppState {
    /// Everything on one database (SQLite or PostgreSQL) and one object store.
    pub fn new(db: Arc<dyn Database>, objects: Objects, keys: JwtKeys, limits: MediaLimits, scratch: PathBuf) -> Self {
        let file_secret: Arc<[u8]> = keys.derive(b"cofee file urls").into();
        Self {
            accounts: db.clone(),
            projects: db.clone(),
            media: db.clone(),
            queue: db.clone(),
            webhooks: db.clone(),
            db,
            objects,
            keys: Arc::new(keys),
            limits,
            scratch,
            file_secret,
            metrics: None,
            uploads_in_progress: Arc::default(),
            rate_limits: rate_limit::RateLimits::default(),
            rate_limiter: rate_limit::RateLimiter::local(),
            cors_origins: Vec::new(),
            signals: JobSignals::none(),
            stopping: cofee_worker::CancellationToken::new(),
        }
    }

    /// What the health and metrics endpoints of this API need (for serving them apart).
    pub fn probes(&self) -> Probes {
        <Probes as axum::extract::FromRef<AppState>>::from_ref(self)
    }

    /// Job changes made through this API (enqueue, cancel, retry) are signalled with `signals`,
    /// and the event streams listen to them (and to the workers', when the signals reach them).
    pub fn with_signals(mut self, signals: JobSignals) -> Self {
        self.queue = Arc::new(SignallingQueue::new(self.queue, signals.clone()));
        self.signals = signals;
        self
    }
}

/// The request's id (`X-Request-Id`, taken from the caller or made here), which jobs it
/// enqueues carry into the workers' logs.
pub fn request_id(headers: &axum::http::HeaderMap) -> Option<String> {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// What a job enqueued by this request carries: the request id (logs) and trace context (traces).
pub(crate) fn job_origin(headers: &axum::http::HeaderMap) -> (Option<String>, Option<String>) {
    (request_id(headers), cofee_worker::trace::current_traceparent())
}

/// What health and metrics endpoints need; the worker serves them without the API.
#[derive(Clone)]
pub struct Probes {
    pub db: Arc<dyn Database>,
    pub objects: Objects,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Redis, when the process uses it (shared rate limits): readiness reports it.
    pub redis: Option<rate_limit::RateLimiter>,
}

impl axum::extract::FromRef<AppState> for Probes {
    fn from_ref(s: &AppState) -> Self {
        let redis = matches!(s.rate_limiter, rate_limit::RateLimiter::Redis { .. }).then(|| s.rate_limiter.clone());
        Self { db: s.db.clone(), objects: s.objects.clone(), metrics: s.metrics.clone(), redis }
    }
}

/// `/health/live`, `/health/ready` and `/metrics` alone, for processes without the API.
pub fn ops_router(probes: Probes) -> Router {
    Router::new()
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/metrics", get(telemetry::render))
        .route_layer(axum::middleware::from_fn(telemetry::track))
        .with_state(probes)
}

/// The whole API as one router.
/// The most a request body read whole (JSON, captions text) may hold. Uploads stream, are not
/// read whole, and are bounded by the media limits instead.
pub const WHOLE_BODY_LIMIT: usize = 4 << 20;

/// The most the small JSON bodies (sign-in, projects, styles, webhooks, jobs) may hold; only
/// captions need the larger [`WHOLE_BODY_LIMIT`].
pub const SMALL_BODY_LIMIT: usize = 64 << 10;

/// `routes` with bodies limited to [`SMALL_BODY_LIMIT`].
fn small(routes: axum::routing::MethodRouter<AppState>) -> axum::routing::MethodRouter<AppState> {
    routes.layer(axum::extract::DefaultBodyLimit::max(SMALL_BODY_LIMIT))
}

/// Re-exported for callers that configure the router.
pub use axum::http;

/// Origins for CORS, each checked to be `scheme://host[:port]` and nothing else (no path, no
/// wildcard).
pub fn cors_origins(origins: &[String]) -> Result<Vec<axum::http::HeaderValue>, String> {
    origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .map(|o| {
            let host = o.strip_prefix("https://").or_else(|| o.strip_prefix("http://"));
            let ok = host.is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')));
            if !ok {
                return Err(format!("{o:?} is not an origin like https://app.example.com (no path, no wildcard)"));
            }
            axum::http::HeaderValue::from_str(o).map_err(|_| format!("{o:?} is not a valid header value"))
        })
        .collect()
}

/// CORS for the configured origins only: no wildcard, no cookies (the API takes bearer tokens).
/// Written here rather than with tower-http's `CorsLayer`, which answers every `OPTIONS` as a
/// preflight — tus clients ask `OPTIONS /api/uploads` for the server's capabilities and must get
/// the tus handler's answer; only requests with `Access-Control-Request-Method` are preflights.
async fn cors(axum::extract::State(origins): axum::extract::State<Arc<[axum::http::HeaderValue]>>, request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::http::{HeaderValue, Method, StatusCode, header};
    let origin = request.headers().get(header::ORIGIN).filter(|o| origins.contains(o)).cloned();
    let Some(origin) = origin else { return next.run(request).await };
    let preflight = request.method() == Method::OPTIONS && request.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight {
        let mut r = axum::response::Response::new(axum::body::Body::empty());
        *r.status_mut() = StatusCode::NO_CONTENT;
        let h = r.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE, HEAD"));
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

pub fn router(state: AppState) -> Router {
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    let csp = content_security_policy(state.objects.public_origin());
    let cors_origins = state.cors_origins.clone();
    let mut app = Router::new()
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/metrics", get(telemetry::render))
        .route("/api/auth/register", small(post(auth::register)))
        .route("/api/auth/login", small(post(auth::login)))
        .route("/api/auth/refresh", small(post(auth::refresh)))
        .route("/api/auth/logout", small(post(auth::logout)))
        .route("/api/tokens", small(post(auth::create_token).get(auth::list_tokens)))
        .route("/api/tokens/{id}", axum::routing::delete(auth::delete_token))
        .route("/api/projects", small(post(projects::create).get(projects::list)))
        .route("/api/projects/{id}", small(get(projects::get).patch(projects::rename).delete(projects::delete)))
        .route("/api/projects/{id}/media", axum::routing::put(media::upload).get(media::get))
        .route("/api/projects/{id}/media/direct", small(post(media::direct_upload)))
        .route("/api/projects/{id}/media/direct/{upload_id}/complete", small(post(media::complete_direct_upload)))
        .route("/api/projects/{id}/transcribe", small(post(jobs::transcribe)))
        .route("/api/projects/{id}/captions", get(media::captions).put(media::put_captions))
        .route("/api/projects/{id}/captions.srt", get(renders::export_srt))
        .route("/api/projects/{id}/captions.vtt", get(renders::export_vtt))
        .route("/api/projects/{id}/captions.ass", get(renders::export_ass))
        .route("/api/projects/{id}/captions.json", get(renders::export_json))
        .route("/api/projects/{id}/captions.txt", get(renders::export_txt))
        .route("/api/projects/{id}/style", small(get(renders::get_style).put(renders::put_style)))
        .route("/api/projects/{id}/renders", small(post(renders::create).get(renders::list)))
        .route("/api/renders/{id}/download", get(renders::download))
        .route("/api/styles", get(renders::presets))
        .route("/api/projects/{id}/media/url", get(files::media_url))
        .route("/api/renders/{id}/url", get(files::render_url))
        .route("/files/{*key}", get(files::serve))
        .route("/fonts/{name}", get(web::font))
        .route("/api/webhooks", small(post(webhooks::create).get(webhooks::list)))
        .route("/api/webhooks/{id}", axum::routing::delete(webhooks::delete))
        .route("/api/uploads", post(tus::create).options(tus::options))
        .route("/api/uploads/{id}", axum::routing::head(tus::head).patch(tus::patch).delete(tus::delete))
        .route("/api/projects/{id}/events", get(events::stream))
        .route("/api/jobs/{id}", get(jobs::get))
        .route("/api/jobs/{id}/cancel", post(jobs::cancel))
        .route("/api/jobs/{id}/retry", post(jobs::retry))
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/openapi.json", <openapi::ApiDoc as utoipa::OpenApi>::openapi()))
        .fallback(web::app)
        .route_layer(axum::middleware::from_fn(deadline))
        // Budgets before handlers; inside `track`, so refused requests are counted too.
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::enforce))
        .route_layer(axum::middleware::from_fn(telemetry::track))
        .layer(axum::extract::DefaultBodyLimit::max(WHOLE_BODY_LIMIT))
        .with_state(state)
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            // A span per request carrying its id (set just outside); `telemetry::track` logs in it.
            TraceLayer::new_for_http().make_span_with(telemetry::request_span),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid));
    for (name, value) in SECURITY_HEADERS {
        app = app.layer(header(name, value));
    }
    if !cors_origins.is_empty() {
        app = app.layer(axum::middleware::from_fn_with_state(Arc::<[axum::http::HeaderValue]>::from(cors_origins), cors));
    }
    let csp = axum::http::HeaderValue::from_str(&csp).expect("origins are header-safe");
    app.layer(tower_http::set_header::SetResponseHeaderLayer::if_not_present(axum::http::header::CONTENT_SECURITY_POLICY, csp))
}

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
const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
];

fn header(name: &'static str, value: &'static str) -> tower_http::set_header::SetResponseHeaderLayer<axum::http::HeaderValue> {
    tower_http::set_header::SetResponseHeaderLayer::if_not_present(axum::http::HeaderName::from_static(name), axum::http::HeaderValue::from_static(value))
}

/// How long a handler may take to answer (except the requests of `without_deadline`).
pub const REQUEST_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// Requests without a deadline: those whose handlers run as long as their bodies flow —
/// uploads in (bounded by the media limits, not by time), event streams out, the completion of
/// a direct upload (which fetches the whole file to check it) — and those that must not be cut
/// off halfway: deleting a project (rows, then objects) and starting a render (a 503 after the
/// commit would have the client start a second one).
fn without_deadline(method: &axum::http::Method, route: &str) -> bool {
    use axum::http::Method;
    matches!(
        (method, route),
        (&Method::PUT, "/api/projects/{id}/media")
            | (&Method::PATCH, "/api/uploads/{id}")
            | (&Method::GET, "/api/projects/{id}/events")
            | (&Method::POST, "/api/projects/{id}/media/direct/{upload_id}/complete")
            | (&Method::DELETE, "/api/projects/{id}")
            | (&Method::POST, "/api/projects/{id}/renders")
    )
}

/// Answers 503 when a handler (a stuck database or storage call) takes longer than
/// [`REQUEST_DEADLINE`], instead of holding the client and a connection for ever.
async fn deadline(route: Option<axum::extract::MatchedPath>, request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    if route.as_ref().is_some_and(|r| without_deadline(request.method(), r.as_str())) {
        return next.run(request).await;
    }
    match tokio::time::timeout(REQUEST_DEADLINE, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(deadline_secs = REQUEST_DEADLINE.as_secs(), "a request ran past its deadline");
            let mut r = problem::ApiError::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, "Took too long", "the server could not answer in time; try again shortly").into_response();
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("5"));
            r
        }
    }
}

/// How long requests in flight may take to finish once shutdown begins (below Kubernetes'
/// default 30 s between SIGTERM and SIGKILL).
pub const DRAIN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(25);

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting and lets the
/// requests in flight finish within [`DRAIN_DEADLINE`]; what still runs then is cut off (its
/// client sees the connection close).
pub async fn serve(listener: tokio::net::TcpListener, router: Router, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    let begun = Arc::new(tokio::sync::Notify::new());
    let signal = {
        let begun = begun.clone();
        async move {
            shutdown.await;
            begun.notify_one();
        }
    };
    // The peer's address reaches handlers and middleware (per-IP rate limits).
    let server = axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).with_graceful_shutdown(signal);
    tokio::select! {
        result = std::future::IntoFuture::into_future(server) => result,
        () = async { begun.notified().await; tokio::time::sleep(DRAIN_DEADLINE).await } => {
            tracing::warn!(deadline_secs = DRAIN_DEADLINE.as_secs(), "requests still running at the drain deadline are cut off");
            Ok(())
        }
    }
}

#[cfg(test)]
mod deadline_tests {
    use axum::http::Method;

    #[test]
    fn only_uploads_event_streams_and_non_idempotent_steps_run_without_a_deadline() {
        assert!(super::without_deadline(&Method::PUT, "/api/projects/{id}/media"));
        assert!(super::without_deadline(&Method::PATCH, "/api/uploads/{id}"));
        assert!(super::without_deadline(&Method::GET, "/api/projects/{id}/events"));
        assert!(!super::without_deadline(&Method::GET, "/api/projects/{id}/media"));
        assert!(!super::without_deadline(&Method::POST, "/api/uploads"));
        assert!(super::without_deadline(&Method::POST, "/api/projects/{id}/renders"));
        assert!(!super::without_deadline(&Method::GET, "/api/projects/{id}/renders"));
        assert!(!super::without_deadline(&Method::POST, "/api/projects"));
    }
}
