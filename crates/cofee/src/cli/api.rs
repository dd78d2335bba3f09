//! `cofee api`: the HTTP API and web app, without workers; any number run side by side behind a
//! load balancer, on PostgreSQL and shared object storage.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use cofee_server::{AppState, Probes, ops_router, router, serve};
use cofee_store::signals::JobSignals;

use super::config::{BackendArgs, HttpArgs, SecretArgs, check_environment};
use super::roles::stopping_on_signal;
use super::{CliError, CliResult, LimitArgs};

#[derive(Args)]
pub struct ApiArgs {
    /// Address to listen on.
    #[arg(long, env = "COFEE_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,
    /// Address for `/metrics` (and the health probes) apart from the API's port, so that the
    /// public port never serves metrics. Default: none, `/metrics` is on the API's port.
    #[arg(long, env = "COFEE_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Local scratch space for uploads being checked.
    #[arg(long, env = "COFEE_SCRATCH_DIR", default_value = "/tmp/cofee")]
    pub scratch_dir: PathBuf,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub secrets: SecretArgs,
    #[command(flatten)]
    pub http: HttpArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

pub async fn run(args: ApiArgs) -> CliResult {
    check_environment(args.backend.env, &args.backend, Some(&args.secrets))?;
    let db = args.backend.connect().await?;
    let objects = args.backend.objects()?;
    let keys =
        args.secrets.keys(args.backend.env)?.with_access_ttl(args.http.access_token_ttl_secs);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::bad_input(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener.local_addr().map_err(|e| CliError::internal(e.to_string()))?;
    let mut state =
        AppState::new(db.clone(), objects, keys, args.limits.limits(), args.scratch_dir)
            .with_signals(args.http.job_signals(JobSignals::none())?);
    state.cors_origins = args.http.cors_origins()?;
    state.rate_limits = args.http.rate_limits();
    state.quotas = args.http.quotas();
    state.rate_limiter = args.http.rate_limiter().await?;
    let recorder = cofee_server::telemetry::install();
    let mut banner = format!("Cofee API is running at http://{addr}");
    let ops = match args.metrics_listen {
        Some(at) => {
            let ops_listener = tokio::net::TcpListener::bind(at).await.map_err(|e| {
                CliError::bad_input(format!("cannot listen on {at} (COFEE_METRICS_LISTEN): {e}"))
            })?;
            let at = ops_listener.local_addr().map_err(|e| CliError::internal(e.to_string()))?;
            banner += &format!(", metrics at http://{at}/metrics");
            let probes = Probes { metrics: Some(recorder), ..state.probes() };
            Some(tokio::spawn(serve(ops_listener, ops_router(probes), std::future::pending())))
        }
        None => {
            state.metrics = Some(recorder);
            None
        }
    };
    let gauges = [
        tokio::spawn(cofee_server::telemetry::watch_queues(db.clone(), Duration::from_secs(5))),
        tokio::spawn(cofee_server::telemetry::watch_pool(db, Duration::from_secs(5))),
    ];
    println!("{banner}");
    let shutdown = stopping_on_signal(state.stopping.clone());
    let result = serve(listener, router(state), shutdown).await;
    gauges.iter().for_each(|g| g.abort());
    if let Some(ops) = ops {
        ops.abort();
    }
    result.map_err(|e| CliError::internal(format!("server error: {e}")))
}
