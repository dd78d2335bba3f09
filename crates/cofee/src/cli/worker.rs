//! `cofee worker`: runs jobs from the queues it is given, and serves its own health and metrics.
//! Any number run side by side; claims never collide (`FOR UPDATE SKIP LOCKED`). On SIGTERM it
//! stops claiming, lets running jobs finish within the grace period, and releases the rest to
//! the queue (their child processes die with them).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use clap::builder::TypedValueParser as _;
use cofee_jobs::Queue;
use cofee_server::{Probes, ops_router, serve};
use cofee_store::signals::JobSignals;
use cofee_worker::CancellationToken;

use super::config::{BackendArgs, check_environment, job_signals};
use super::roles::{WorkerSetup, shutdown_signal, worker_id};
use super::{CliError, CliResult, EngineArgs, LimitArgs, RenderArgs};

#[derive(Args)]
pub struct WorkerArgs {
    /// Queues to take jobs from (default: all of them).
    #[arg(long, env = "COFEE_QUEUES", value_parser = queue_names(), value_delimiter = ',', default_values_t = Queue::ALL)]
    pub queues: Vec<Queue>,
    /// Jobs run at once per queue (webhook deliveries: four times as many).
    #[arg(long, env = "COFEE_CONCURRENCY", default_value_t = 1)]
    pub concurrency: usize,
    /// Address for `/health/live`, `/health/ready` and `/metrics`.
    #[arg(long, env = "COFEE_LISTEN", default_value = "0.0.0.0:9090")]
    pub listen: SocketAddr,
    /// How long a job stays leased without a heartbeat.
    #[arg(long, env = "COFEE_JOB_LEASE_SECS", default_value_t = 60)]
    pub job_lease_secs: u64,
    /// On SIGTERM, how long running jobs may take to finish before they are released.
    #[arg(long, env = "COFEE_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,
    /// Local scratch space for media being processed.
    #[arg(long, env = "COFEE_SCRATCH_DIR", default_value = "/tmp/cofee")]
    pub scratch_dir: PathBuf,
    /// Let webhooks reach loopback and private addresses (development only: it allows SSRF).
    #[arg(long, env = "COFEE_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,
    /// Redis (`redis://[:password@]host:6379[/db]`) to signal job changes to the API replicas'
    /// event streams. Default: none, the streams poll the database.
    #[arg(long, env = "COFEE_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub render: RenderArgs,
    #[command(flatten)]
    pub chunks: super::ChunkArgs,
}

pub async fn run(args: WorkerArgs) -> CliResult {
    check_environment(args.backend.env, &args.backend, None)?;
    let db = args.backend.connect().await?;
    let objects = args.backend.objects()?;
    let (engine, note) = args.engine.resolve();
    if let Some(n) = note {
        tracing::info!("{n}");
    }
    let whisper_model = args.engine.whisper_model(&engine);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::bad_input(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener.local_addr().map_err(|e| CliError::internal(e.to_string()))?;
    let setup = WorkerSetup {
        db: db.clone(),
        objects: objects.clone(),
        engine,
        whisper_model,
        limits: args.limits.limits(),
        compositor: args.render.compositor(),
        chunking: args.chunks.chunking(),
        scratch: args.scratch_dir,
        lease: Duration::from_secs(args.job_lease_secs.max(1)),
        shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
        webhook_allow_private: args.webhook_allow_private,
        worker_id: worker_id("worker"),
        signals: job_signals(args.redis_url.as_deref(), false, JobSignals::none())?,
        upload_expiry: args.limits.upload_expiry(),
    };
    let stop = CancellationToken::new();
    let workers = setup.spawn(&args.queues, args.concurrency, &stop);
    let probes = Probes {
        db: db.clone(),
        objects,
        metrics: Some(cofee_server::telemetry::install()),
        redis: None,
    };
    let pool_gauges = tokio::spawn(cofee_server::telemetry::watch_pool(db, Duration::from_secs(5)));
    println!("Cofee worker is running ({:?}); health and metrics at http://{addr}", args.queues);
    let stopping = stop.clone();
    let ops =
        tokio::spawn(serve(
            listener,
            ops_router(probes),
            async move { stopping.cancelled().await },
        ));
    shutdown_signal().await;
    stop.cancel();
    futures_util::future::join_all(workers).await;
    let _ = ops.await;
    pool_gauges.abort();
    Ok(())
}

/// The queues by name, listed in `--help`.
fn queue_names() -> impl clap::builder::TypedValueParser<Value = Queue> {
    clap::builder::PossibleValuesParser::new(Queue::ALL.map(|q| q.name()))
        .map(|name| name.parse::<Queue>().expect("a listed queue name"))
}
