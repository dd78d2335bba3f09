//! The HTTP API. Handlers are thin: they validate input, call the store through its traits, and
//! turn every error into one `application/problem+json` shape ([`problem`]). Every object is
//! looked up together with its owner, so another user's ids answer 404.
//!
//! The handlers are in `resources`, one module per resource; what runs around them is in
//! `middleware`; `routes` puts the two together. Neither `middleware` nor `auth`, `state` and the
//! other shared modules import a resource.

pub mod auth;
mod budgets;
mod captions_write;
mod extract;
mod fields;
mod ingest;
mod keys;
mod limits;
mod links;
mod middleware;
pub mod openapi;
mod origin;
mod passwords;
pub mod problem;
mod project_deletion;
mod project_style;
mod quotas;
mod resources;
mod routes;
mod state;
mod style_input;

use std::sync::Arc;

use axum::Router;

/// Re-exported for callers that configure the router.
pub use axum::http;
pub use keys::{DEFAULT_ACCESS_TTL_SECS, JwtKeys};
pub use limits::{Quotas, SMALL_BODY_LIMIT, WHOLE_BODY_LIMIT};
pub use middleware::cors::cors_origins;
pub use middleware::deadline::REQUEST_DEADLINE;
pub use middleware::{rate_limit, telemetry};
pub(crate) use origin::job_origin;
pub use origin::request_id;
pub use routes::{ops_router, router};
pub use state::{AppState, Probes};

/// How long requests in flight may take to finish once shutdown begins (below Kubernetes'
/// default 30 s between SIGTERM and SIGKILL).
pub const DRAIN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(25);

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting and lets the
/// requests in flight finish within [`DRAIN_DEADLINE`]; what still runs then is cut off (its
/// client sees the connection close).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let begun = Arc::new(tokio::sync::Notify::new());
    let signal = {
        let begun = begun.clone();
        async move {
            shutdown.await;
            begun.notify_one();
        }
    };
    // The peer's address reaches handlers and middleware (per-IP rate limits).
    let server =
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(signal);
    tokio::select! {
        result = std::future::IntoFuture::into_future(server) => result,
        () = async { begun.notified().await; tokio::time::sleep(DRAIN_DEADLINE).await } => {
            tracing::warn!(deadline_secs = DRAIN_DEADLINE.as_secs(), "requests still running at the drain deadline are cut off");
            Ok(())
        }
    }
}
