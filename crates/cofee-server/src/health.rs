use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::AppState;

/// The process is up (no dependencies checked).
pub async fn live() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Dependencies answer; 503 when one does not.
pub async fn ready(State(s): State<AppState>) -> (StatusCode, Json<Value>) {
    let db = s.db.ping().await.is_ok();
    let status = if db { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({"status": if db { "ok" } else { "unavailable" }, "database": if db { "ok" } else { "down" }, "version": env!("CARGO_PKG_VERSION")})))
}
