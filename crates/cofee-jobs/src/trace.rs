//! W3C trace context through the job rows: the request (or job) that enqueues work stores the
//! `traceparent` of its span in the row, and the worker that runs the job makes the job's span a
//! child of it, so one trace covers API request → job → the jobs and child processes it starts.
//! Without a configured exporter (see the binary's telemetry setup) there is no context: nothing
//! is stored and nothing is continued.

use std::collections::HashMap;

use opentelemetry::trace::TraceContextExt as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The `traceparent` of the current span, when it belongs to an exported trace.
pub fn current_traceparent() -> Option<String> {
    let cx = tracing::Span::current().context();
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut carrier));
    carrier.remove("traceparent")
}

/// Makes `span` a child of the stored `traceparent` (if any, and if well formed).
pub fn continue_trace(span: &tracing::Span, traceparent: Option<&str>) {
    let Some(tp) = traceparent else { return };
    continue_from(span, &HashMap::from([("traceparent".to_string(), tp.to_string())]));
}

/// Makes `span` a child of the trace context `carrier` holds (HTTP headers, a job row's
/// fields), if it holds a valid one.
pub fn continue_from(span: &tracing::Span, carrier: &dyn opentelemetry::propagation::Extractor) {
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(carrier));
    if parent.span().span_context().is_valid() {
        // Fails only when no OpenTelemetry layer is installed: then there is nothing to join.
        let _ = span.set_parent(parent);
    }
}
