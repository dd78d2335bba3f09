//! The HTTP API. Handlers are thin: they validate input, call the store through its traits, and
//! turn every error into one `application/problem+json` shape ([`problem`]). Every object is
//! looked up together with its owner, so another user's ids answer 404.

pub mod auth;
mod health;
pub mod problem;
mod projects;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use cofee_store::accounts::{Accounts, Projects};
use cofee_store::sqlite::SqliteStore;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use auth::JwtKeys;

#[derive(Clone)]
pub struct AppState {
    pub accounts: Arc<dyn Accounts>,
    pub projects: Arc<dyn Projects>,
    pub db: SqliteStore,
    pub keys: Arc<JwtKeys>,
}

impl AppState {
    pub fn sqlite(db: SqliteStore, keys: JwtKeys) -> Self {
        Self { accounts: Arc::new(db.clone()), projects: Arc::new(db.clone()), db, keys: Arc::new(keys) }
    }
}

/// The whole API as one router.
pub fn router(state: AppState) -> Router {
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    Router::new()
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/api/auth/register", post(auth::register))
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/refresh", post(auth::refresh))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/projects", post(projects::create).get(projects::list))
        .route("/api/projects/{id}", get(projects::get).patch(projects::rename).delete(projects::delete))
        .fallback(problem::not_found)
        .with_state(state)
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Serves `router` on `listener` until `shutdown` resolves, finishing requests in flight.
pub async fn serve(listener: tokio::net::TcpListener, router: Router, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}
