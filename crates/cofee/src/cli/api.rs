//! `cofee api`: the HTTP API and web app, without workers; any number run side by side behind a
//! load balancer, on PostgreSQL and shared object storage.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use cofee_server::{AppState, router, serve};
use cofee_store::signals::JobSignals;

use super::config::{BackendArgs, HttpArgs, SecretArgs, check_environment};
use super::roles::shutdown_signal;
use super::{CliError, CliResult, LimitArgs};

#[derive(Args)]
pub struct ApiArgs {
    /// Address to listen on.
    #[arg(long, env = "COFEE_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,
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
    let keys = args.secrets.keys(args.backend.env)?;
    let listener = tokio::net::TcpListener::bind(args.listen).await.map_err(|e| CliError::bad_input(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener.local_addr().map_err(|e| CliError::internal(e.to_string()))?;
    let mut state = AppState::new(db.clone(), objects, keys, args.limits.limits(), args.scratch_dir).with_signals(args.http.job_signals(JobSignals::none()).await?);
    state.cors_origins = args.http.cors_origins()?;
    state.rate_limits = args.http.rate_limits();
    state.rate_limiter = args.http.rate_limiter().await?;
    state.metrics = Some(cofee_server::telemetry::install());
    let gauges = [tokio::spawn(cofee_server::telemetry::watch_queues(db.clone(), Duration::from_secs(5))), tokio::spawn(cofee_server::telemetry::watch_pool(db, Duration::from_secs(5)))];
    println!("Cofee API is running at http://{addr}");
    let result = serve(listener, router(state), shutdown_signal()).await;
    gauges.iter().for_each(|g| g.abort());
    result.map_err(|e| CliError::internal(format!("server error: {e}")))
}
