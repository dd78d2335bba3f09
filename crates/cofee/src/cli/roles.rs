//! The pieces the service roles share: job workers for a set of queues, the shutdown signal.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cofee_jobs::{AlignJob, Queue, TranscribeJob, WaveformJob};
use cofee_media::{Compositor, MediaLimits};
use cofee_pipeline::EngineSpec;
use cofee_store::Database;
use cofee_store::objects::Objects;
use cofee_store::queue::JobQueue;
use cofee_store::signals::{JobSignals, SignallingQueue};
use cofee_worker::handlers::{
    AlignHandler, Chunking, MaintenanceHandler, NotifyHandler, RenderChunkHandler, RenderHandler,
    TranscribeHandler, WaveformHandler, WebhookFanout,
};
use cofee_worker::{ByKind, CancellationToken, JobHandler, JobObserver, WorkerConfig, typed};
use tokio::task::JoinHandle;

/// Everything a job handler needs.
pub struct WorkerSetup {
    pub db: Arc<dyn Database>,
    pub objects: Objects,
    pub engine: EngineSpec,
    pub whisper_model: Option<PathBuf>,
    pub limits: MediaLimits,
    pub compositor: Compositor,
    /// When renders are split across workers.
    pub chunking: Chunking,
    pub scratch: PathBuf,
    pub lease: Duration,
    pub shutdown_grace: Duration,
    pub webhook_allow_private: bool,
    /// Names this process's claims (`host-pid`), for operators reading the jobs table.
    pub worker_id: String,
    /// Tell event streams when a job of a project changes (claims, progress, outcomes).
    pub signals: JobSignals,
    /// How long an upload may sit untouched before the maintenance queue expires it.
    pub upload_expiry: Duration,
}

impl WorkerSetup {
    /// What runs the jobs of `queue` (the kinds of job each queue holds are in `cofee_jobs`).
    fn handler(&self, queue: Queue) -> Arc<dyn JobHandler> {
        let (db, objects, limits, scratch) =
            (self.db.clone(), self.objects.clone(), self.limits.clone(), self.scratch.clone());
        match queue {
            // Transcriptions, and the waveforms of new media: both decode the audio.
            Queue::Transcribe => Arc::new(
                ByKind::new()
                    .with::<TranscribeJob, _>(TranscribeHandler {
                        media: db.clone(),
                        objects: objects.clone(),
                        engine: self.engine.clone(),
                        whisper_model: self.whisper_model.clone(),
                        limits: limits.clone(),
                        scratch: scratch.clone(),
                    })
                    .with::<AlignJob, _>(AlignHandler {
                        media: db.clone(),
                        objects: objects.clone(),
                        // Only whisper aligns, and only where this build has it.
                        whisper_model: self
                            .whisper_model
                            .clone()
                            .filter(|_| cfg!(feature = "whisper")),
                        limits: limits.clone(),
                        scratch: scratch.clone(),
                    })
                    .with::<WaveformJob, _>(WaveformHandler {
                        media: db,
                        objects,
                        limits,
                        scratch,
                    }),
            ),
            Queue::Render => typed(RenderHandler {
                media: db.clone(),
                queue: db,
                objects,
                limits,
                scratch,
                compositor: self.compositor.clone(),
                chunking: self.chunking,
            }),
            Queue::RenderChunk => typed(RenderChunkHandler {
                media: db,
                objects,
                limits,
                scratch,
                compositor: self.compositor.clone(),
            }),
            Queue::Notify => typed(NotifyHandler::new(db, self.webhook_allow_private)),
            Queue::Maintenance => Arc::new(self.maintenance()),
        }
    }

    fn maintenance(&self) -> MaintenanceHandler {
        MaintenanceHandler {
            db: self.db.clone(),
            objects: self.objects.clone(),
            upload_expiry: self.upload_expiry,
        }
    }

    /// Starts `concurrency` job slots on each queue (webhook deliveries get four times as many:
    /// they mostly wait on the network). Jobs that finish tell webhook subscribers.
    pub fn spawn(
        &self,
        queues: &[Queue],
        concurrency: usize,
        stop: &CancellationToken,
    ) -> Vec<JoinHandle<()>> {
        let fanout: Arc<dyn JobObserver> =
            Arc::new(WebhookFanout { webhooks: self.db.clone(), queue: self.db.clone() });
        let jobs: Arc<dyn JobQueue> =
            Arc::new(SignallingQueue::new(self.db.clone(), self.signals.clone()));
        if queues.contains(&Queue::Maintenance) {
            // Upload expiry schedules its own next run; the first is queued here (once, however
            // many workers start).
            let first = self.maintenance();
            tokio::spawn(async move {
                if let Err(e) = first.schedule_expiry(Duration::ZERO).await {
                    tracing::warn!(error = %e, "could not schedule upload expiry; the next start will");
                }
            });
        }
        queues
            .iter()
            .map(|&q| {
                let slots =
                    if q == Queue::Notify { concurrency.max(1) * 4 } else { concurrency.max(1) };
                let config = WorkerConfig {
                    concurrency: slots,
                    lease: self.lease,
                    poll_interval: Duration::from_millis(250),
                    shutdown_grace: self.shutdown_grace,
                    ..WorkerConfig::new(q, &self.worker_id)
                };
                let observer = (q != Queue::Notify).then(|| fanout.clone());
                tokio::spawn(cofee_worker::run_observed(
                    jobs.clone(),
                    self.handler(q),
                    config,
                    stop.clone(),
                    observer,
                ))
            })
            .collect()
    }
}

/// `host-pid`, unique enough to tell workers apart in the jobs table.
pub fn worker_id(role: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{role}-{host}-{}", std::process::id())
}

/// Resolves on SIGTERM or Ctrl-C, after cancelling `stopping` (an API's `AppState::stopping`:
/// its endless responses end, so that the server can drain).
pub async fn stopping_on_signal(stopping: CancellationToken) {
    shutdown_signal().await;
    stopping.cancel();
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler installs");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!("shutting down: finishing work in flight");
}
