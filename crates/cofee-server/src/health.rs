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
    // A dependency that does not answer within the probe's budget counts as down (a pool waiting
    // to connect to a stopped database would otherwise hold the probe for its whole timeout).
    let within = std::time::Duration::from_secs(2);
    let (db, storage) = tokio::join!(tokio::time::timeout(within, s.db.ping()), tokio::time::timeout(within, s.objects.ping()));
    let (db, storage) = (matches!(db, Ok(Ok(()))), matches!(storage, Ok(Ok(()))));
    let up = |ok: bool| if ok { "ok" } else { "down" };
    let status = if db && storage { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let overall = if db && storage { "ok" } else { "unavailable" };
    (status, Json(json!({"status": overall, "database": up(db), "storage": up(storage), "queue": up(db), "backend": s.db.backend(), "version": env!("CARGO_PKG_VERSION")})))
}
