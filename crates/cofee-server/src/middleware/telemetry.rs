//! Prometheus metrics: HTTP requests by route, method and status with a latency histogram,
//! requests in flight, and (from the store) queue depth and the age of the oldest ready job per
//! queue — the signal to scale workers on — and the database pool's use. Job outcomes and
//! durations, render speed and transcription real-time factor are recorded by the worker, storage
//! latency by the object store. The recorder is process-wide; `GET /metrics` (`resources::health`)
//! renders it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use cofee_store::Database;
use cofee_store::queue::JobQueue;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Installs the process-wide recorder (once) and returns a handle to render it.
pub fn install() -> PrometheusHandle {
    static HANDLE: std::sync::OnceLock<PrometheusHandle> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets(&[
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                    300.0, 900.0,
                ])
                .expect("valid buckets")
                // Frames per second of a render: from a few (long filters, big frames) to hundreds.
                .set_buckets_for_metric(
                    Matcher::Full("render_frames_per_second".into()),
                    &[5.0, 10.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 240.0, 360.0],
                )
                .expect("valid buckets")
                // Processing time over audio time: below 1 is faster than real time.
                .set_buckets_for_metric(
                    Matcher::Full("transcription_real_time_factor".into()),
                    &[0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0],
                )
                .expect("valid buckets")
                .install_recorder()
                .expect("no other metrics recorder is installed")
        })
        .clone()
}

/// The span of one request, child of the caller's W3C `traceparent` when it sent one — the web
/// app sends one per editing session, so upload, transcription, render and download of a
/// project share a trace. Its fields are what each log line inside it carries; what only
/// OpenTelemetry reads (the span's name by route, `http.route`, the status) is set on the
/// OpenTelemetry span by `track` once the route is known.
pub fn request_span<B>(r: &axum::http::Request<B>) -> tracing::Span {
    let span = tracing::info_span!(
        "request",
        // Renamed by route in `track`; requests no route takes (the web app's pages) keep this.
        otel.name = %r.method(),
        otel.kind = "server",
        method = %r.method(),
        path = %r.uri().path(),
        request_id = crate::origin::request_id(r.headers()).as_deref().unwrap_or("-"),
    );
    cofee_jobs::trace::continue_from(&span, &opentelemetry_http::HeaderExtractor(r.headers()));
    span
}

/// Probes and scrapes: counted, but not logged at INFO (they arrive every few seconds per pod).
const QUIET_ROUTES: &[&str] = &["/health/live", "/health/ready", "/metrics"];

/// Middleware recording each request: metrics, and one INFO log line (inside the request's span,
/// so it carries the request id).
pub async fn track(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let method = method_name(request.method());
    let started = Instant::now();
    metrics::gauge!("http_requests_in_flight").increment(1.0);
    let response = next.run(request).await;
    metrics::gauge!("http_requests_in_flight").decrement(1.0);
    let code = response.status().as_u16();
    annotate_trace(&tracing::Span::current(), method, route, code);
    if !QUIET_ROUTES.contains(&route) {
        tracing::info!(
            status = code,
            route,
            latency_ms = started.elapsed().as_millis() as u64,
            "request"
        );
    }
    let (route, status) = (route.to_string(), code.to_string());
    metrics::counter!("http_requests_total", "method" => method, "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The method as a label: the standard ones by name, anything else as `other` (a label value
/// per made-up method would let a client grow the metrics without bound).
fn method_name(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// What OpenTelemetry's conventions put on a server span once the route is known: its name
/// (`GET /api/projects/{id}`; `otel.name` is only read when a span starts), `http.route` and
/// the status code (a number). Set on the OpenTelemetry span itself rather than recorded as
/// `tracing` fields, which the JSON log layer would re-serialise into the span of every line
/// (a seventh of the API's CPU per request); without trace export this does nothing.
fn annotate_trace(span: &tracing::Span, method: &str, route: &str, code: u16) {
    use opentelemetry::trace::TraceContextExt as _;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    let cx = span.context();
    let otel = cx.span();
    if !otel.span_context().is_valid() {
        return;
    }
    otel.update_name(format!("{method} {route}"));
    otel.set_attribute(opentelemetry::KeyValue::new("http.route", route.to_string()));
    otel.set_attribute(opentelemetry::KeyValue::new("http.response.status_code", i64::from(code)));
}

/// Updates the queue gauges every `every` until the process ends.
pub async fn watch_queues(queue: Arc<dyn JobQueue>, every: Duration) {
    let mut seen: std::collections::BTreeSet<String> =
        cofee_jobs::Queue::ALL.iter().map(|q| q.name().to_string()).collect();
    loop {
        match queue.depth().await {
            Ok(depths) => {
                // A queue that drained is absent from the depth report: its gauges go to zero.
                for q in &seen {
                    if !depths.iter().any(|d| &d.queue == q) {
                        metrics::gauge!("queue_ready_jobs", "queue" => q.clone()).set(0.0);
                        metrics::gauge!("queue_running_jobs", "queue" => q.clone()).set(0.0);
                        metrics::gauge!("queue_oldest_ready_age_seconds", "queue" => q.clone())
                            .set(0.0);
                    }
                }
                seen.extend(depths.iter().map(|d| d.queue.clone()));
                for d in depths {
                    metrics::gauge!("queue_ready_jobs", "queue" => d.queue.clone())
                        .set(d.ready as f64);
                    metrics::gauge!("queue_running_jobs", "queue" => d.queue.clone())
                        .set(d.running as f64);
                    metrics::gauge!("queue_oldest_ready_age_seconds", "queue" => d.queue)
                        .set(d.oldest_ready_age_ms.unwrap_or(0) as f64 / 1000.0);
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read queue depth"),
        }
        tokio::time::sleep(every).await;
    }
}

/// Updates the database pool gauges every `every` until the process ends: connections open and
/// idle, and the cap (a pool at its cap with requests waiting is the first sign that
/// `COFEE_DB_MAX_CONNECTIONS` or PostgreSQL's `max_connections` is too low).
pub async fn watch_pool(db: Arc<dyn Database>, every: Duration) {
    loop {
        let p = db.pool_state();
        metrics::gauge!("db_pool_connections", "state" => "in_use")
            .set(f64::from(p.open.saturating_sub(p.idle)));
        metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(p.idle));
        metrics::gauge!("db_pool_max_connections").set(f64::from(p.max));
        tokio::time::sleep(every).await;
    }
}
