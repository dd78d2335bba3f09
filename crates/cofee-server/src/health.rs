use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::Probes;

/// The process is up (no dependencies checked).
#[utoipa::path(get, path = "/health/live", tag = "health", responses((status = 200, body = Object)))]
pub async fn live() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Dependencies answer; 503 when one does not.
#[utoipa::path(get, path = "/health/ready", tag = "health", responses((status = 200, body = Object), (status = 503, body = Object)))]
pub async fn ready(State(s): State<Probes>) -> (StatusCode, Json<Value>) {
    let db = s.db.ping().await.is_ok();
    let storage = s.objects.ping().await.is_ok();
    let up = |ok: bool| if ok { "ok" } else { "down" };
    let status = if db && storage { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let overall = if db && storage { "ok" } else { "unavailable" };
    (status, Json(json!({"status": overall, "database": up(db), "storage": up(storage), "queue": up(db), "backend": s.db.backend(), "version": env!("CARGO_PKG_VERSION")})))
}
