//! The probes: liveness, readiness (database, storage and, where configured, Redis) and the
//! Prometheus metrics; the worker serves them too, without the API.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::problem::ApiError;
use crate::state::Probes;

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
    let redis = async {
        match &s.redis {
            Some(r) => Some(matches!(tokio::time::timeout(within, r.ping()).await, Ok(Ok(())))),
            None => None,
        }
    };
    let (db, storage, redis) = tokio::join!(
        tokio::time::timeout(within, s.db.ping()),
        tokio::time::timeout(within, s.objects.ping()),
        redis
    );
    let (db, storage) = (matches!(db, Ok(Ok(()))), matches!(storage, Ok(Ok(()))));
    // For alerting on readiness (probes call this every few seconds): 1 up, 0 down.
    let mut dependencies = vec![("database", db), ("storage", storage)];
    dependencies.extend(redis.map(|r| ("redis", r)));
    for (dependency, ok) in dependencies {
        metrics::gauge!("dependency_up", "dependency" => dependency).set(if ok {
            1.0
        } else {
            0.0
        });
    }
    let up = |ok: bool| if ok { "ok" } else { "down" };
    let all = db && storage && redis != Some(false);
    let status = if all { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let mut body = json!({"status": if all { "ok" } else { "unavailable" }, "database": up(db), "storage": up(storage), "queue": up(db), "backend": s.db.backend(), "version": env!("CARGO_PKG_VERSION")});
    // Reported only where it is configured (shared rate limits across API replicas).
    if let Some(redis) = redis {
        body["redis"] = json!(up(redis));
    }
    (status, Json(body))
}

/// `GET /metrics` in Prometheus text format.
pub async fn metrics(State(s): State<Probes>) -> Response {
    match &s.metrics {
        Some(h) => ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], h.render())
            .into_response(),
        None => ApiError::not_found().into_response(),
    }
}
