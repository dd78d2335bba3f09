//! Logs and traces for every role. Logs go to stderr: for one-shot commands only warnings by
//! default; for the services, what they do (requests, jobs) — as JSON lines when stderr is not a
//! terminal, for log collectors. Traces are exported over OTLP/HTTP when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) is set; every other `OTEL_*` variable
//! the OpenTelemetry SDK knows (protocol, headers, sampler, batch delay, service name, resource
//! attributes) applies as documented there. The W3C `traceparent` of each request is carried in
//! the job rows it creates (see `cofee_jobs::trace`), so one trace spans API and workers.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// What has to be flushed before the process exits.
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans still buffered (the batch exporter holds them for up to its delay).
    pub fn shutdown(self) {
        if let Some(provider) = self.traces
            && let Err(e) = provider.shutdown()
        {
            eprintln!("warning: not all trace spans could be exported ({e})");
        }
    }
}

/// Sets up logging, and tracing when configured. `service` names the role for a long-running
/// process (`None` for one-shot commands). Must run before the async runtime starts: the OTLP
/// exporter's blocking HTTP client owns a runtime of its own.
pub fn init(verbose: u8, service: Option<&'static str>) -> Telemetry {
    use std::io::IsTerminal;
    let default = match (verbose, service.is_some()) {
        (0, false) => "warn",
        (0, true) => "info,tower_http=info,sqlx=warn",
        (1, _) => "info,cofee=debug",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("COFEE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_target(false);
    let fmt = if service.is_some() && !std::io::stderr().is_terminal() {
        fmt.json().flatten_event(true).boxed()
    } else {
        fmt.boxed()
    };
    let (traces, trace_error) = match service.filter(|_| otlp_configured()) {
        Some(name) => match tracer_provider(name) {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(e)),
        },
        None => (None, None),
    };
    let otel =
        traces.as_ref().map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("cofee")));
    tracing_subscriber::registry().with(filter).with(otel).with(fmt).init();
    if let Some(e) = trace_error {
        tracing::warn!(error = %e, "trace export is configured but could not start; running without it");
    }
    if traces.is_some() {
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
    }
    Telemetry { traces }
}

fn otlp_configured() -> bool {
    ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// A batch exporter (its own thread) to the OTLP/HTTP endpoint. The service name is the role's
/// (`cofee-api`, `cofee-worker`, `cofee-serve`) unless `OTEL_SERVICE_NAME` says otherwise.
fn tracer_provider(
    role: &'static str,
) -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder().with_http().build()?;
    let mut resource = opentelemetry_sdk::Resource::builder()
        .with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name(format!("cofee-{role}"));
    }
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build())
}
