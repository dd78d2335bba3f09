//! `cofee serve`: the all-in-one service (API, workers, web app) in one process, by default on
//! an embedded SQLite database and files in the data directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use std::time::Duration;

use clap::Args;
use cofee_jobs::Queue;
use cofee_server::{AppState, JwtKeys, router, serve};
use cofee_store::signals::JobSignals;
use cofee_worker::CancellationToken;

use super::config::{BackendArgs, SecretArgs, check_environment};
use super::roles::{WorkerSetup, stopping_on_signal, worker_id};
use super::{CliError, CliResult, EngineArgs, LimitArgs};

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "COFEE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where the database and files live.
    #[arg(long, env = "COFEE_DATA_DIR", default_value = "./cofee-data")]
    pub data_dir: PathBuf,
    /// Transcriptions run at once.
    #[arg(long, env = "COFEE_TRANSCRIBE_CONCURRENCY", default_value_t = 1)]
    pub transcribe_concurrency: usize,
    /// Renders run at once.
    #[arg(long, env = "COFEE_RENDER_CONCURRENCY", default_value_t = 1)]
    pub render_concurrency: usize,
    /// How long a job stays leased to a worker without a heartbeat; after a crash, its jobs are
    /// taken up again this long after the last heartbeat.
    #[arg(long, env = "COFEE_JOB_LEASE_SECS", default_value_t = 60)]
    pub job_lease_secs: u64,
    /// Let webhooks reach loopback and private addresses (development only: it allows SSRF).
    #[arg(long, env = "COFEE_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub render: super::RenderArgs,
    #[command(flatten)]
    pub chunks: super::ChunkArgs,
    /// Database and storage (default: SQLite and files in the data directory).
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub http: super::config::HttpArgs,
}

/// The signing secret: `COFEE_JWT_SECRET` if set, else one generated on first start and kept in
/// the data directory (readable by the owner only), so sessions survive restarts.
fn jwt_secret(data_dir: &Path) -> Result<Vec<u8>, CliError> {
    if let Ok(s) = std::env::var("COFEE_JWT_SECRET") {
        return Ok(s.into_bytes());
    }
    let path = data_dir.join("jwt.secret");
    if let Ok(hex_secret) = std::fs::read_to_string(&path) {
        return hex::decode(hex_secret.trim()).map_err(|_| {
            CliError::internal(format!(
                "{} is corrupt; delete it to make a new one (this signs everyone out)",
                path.display()
            ))
        });
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| CliError::internal(format!("no random source: {e}")))?;
    write_private(&path, hex::encode(secret).as_bytes())
        .map_err(|e| CliError::internal(format!("cannot write {}: {e}", path.display())))?;
    Ok(secret.to_vec())
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

pub async fn run(args: ServeArgs) -> CliResult {
    std::fs::create_dir_all(&args.data_dir).map_err(|e| {
        CliError::bad_input(format!(
            "cannot create data directory {}: {e}",
            args.data_dir.display()
        ))
    })?;
    let data_dir = std::path::absolute(&args.data_dir).map_err(|e| {
        CliError::bad_input(format!("data directory {}: {e}", args.data_dir.display()))
    })?;
    // The embedded defaults: SQLite and files in the data directory, unless configured.
    let mut backend = args.backend.clone();
    backend
        .database_url
        .get_or_insert_with(|| format!("sqlite://{}", data_dir.join("cofee.db").display()));
    backend
        .storage_url
        .get_or_insert_with(|| format!("file://{}", data_dir.join("objects").display()));
    // In production the secret comes from the environment, never from a file made on first start.
    check_environment(
        backend.env,
        &backend,
        Some(&SecretArgs { jwt_secret: std::env::var("COFEE_JWT_SECRET").ok() }),
    )?;
    let db = backend.connect().await?;
    let objects = backend.objects()?;
    let keys = JwtKeys::from_secret(&jwt_secret(&data_dir)?)
        .map_err(|e| CliError::bad_input(format!("COFEE_JWT_SECRET: {e}")))?
        .with_access_ttl(args.http.access_token_ttl_secs);
    let scratch = data_dir.join("tmp");
    let limits = args.limits.limits();
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::bad_input(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener.local_addr().map_err(|e| CliError::internal(e.to_string()))?;

    let (engine, note) = args.engine.resolve();
    let whisper_model = args.engine.whisper_model(&engine);
    if let Some(n) = note {
        eprintln!("note: {n}");
    }
    // The workers run in this process: their job signals reach the event streams directly
    // (or through Redis, when other replicas share it).
    let signals = args.http.job_signals(JobSignals::local())?;
    let stop = CancellationToken::new();
    let setup = WorkerSetup {
        db: db.clone(),
        objects: objects.clone(),
        engine,
        whisper_model,
        limits: limits.clone(),
        compositor: args.render.compositor(),
        chunking: args.chunks.chunking(),
        scratch: scratch.clone(),
        lease: Duration::from_secs(args.job_lease_secs.max(1)),
        shutdown_grace: Duration::from_secs(30),
        webhook_allow_private: args.webhook_allow_private,
        worker_id: worker_id("serve"),
        signals: signals.clone(),
        upload_expiry: args.limits.upload_expiry(),
    };
    let mut workers = setup.spawn(&[Queue::Transcribe], args.transcribe_concurrency, &stop);
    // A split render's job waits in its render slot while its chunks take the chunk slots.
    workers.extend(setup.spawn(
        &[Queue::Render, Queue::RenderChunk],
        args.render_concurrency,
        &stop,
    ));
    workers.extend(setup.spawn(&[Queue::Notify], 1, &stop));
    workers.extend(setup.spawn(&[Queue::Maintenance], 1, &stop));

    println!("Cofee is running at http://{addr} (data in {})", data_dir.display());
    let mut state = AppState::new(db.clone(), objects, keys, limits, scratch).with_signals(signals);
    state.cors_origins = args.http.cors_origins()?;
    state.rate_limits = args.http.rate_limits();
    state.quotas = args.http.quotas();
    state.rate_limiter = args.http.rate_limiter().await?;
    state.metrics = Some(cofee_server::telemetry::install());
    let gauges = [
        tokio::spawn(cofee_server::telemetry::watch_queues(db.clone(), Duration::from_secs(5))),
        tokio::spawn(cofee_server::telemetry::watch_pool(db, Duration::from_secs(5))),
    ];
    let shutdown = stopping_on_signal(state.stopping.clone());
    let result = serve(listener, router(state), shutdown).await;
    stop.cancel();
    gauges.iter().for_each(|g| g.abort());
    futures_util::future::join_all(workers).await;
    result.map_err(|e| CliError::internal(format!("server error: {e}")))
}
