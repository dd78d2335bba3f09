//! The worker runtime: takes jobs from one queue and runs them with a [`JobHandler`], never more
//! than `concurrency` at once.
//!
//! While a job runs, a heartbeat renews its lease every third of the lease and writes the
//! progress the handler reports (sooner when progress moves, at most once a second). A cancel
//! request, a lost lease or a hard shutdown cancels the handler's [`CancellationToken`]
//! (handlers pass it to FFmpeg and the speech engines, which kill their child processes).
//! What happens to the job afterwards depends on why it stopped:
//! finished → `complete`; failed → `fail` (retried with backoff unless the input is at fault);
//! cancel requested → `cancelled`; shutdown → `release` (back to the queue, attempt not counted);
//! lease lost → nothing (another worker owns it now).
//!
//! Shutdown ([`run`]'s `shutdown` token): stop claiming at once, let running jobs finish within
//! `shutdown_grace`, then cancel and release the rest.

pub mod handlers;

use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use cofee_jobs::{BackgroundJob, Queue, trace};
use cofee_store::queue::{Heartbeat, Job, JobQueue, JobState};
use thiserror::Error;
use tokio::sync::{Semaphore, watch};
pub use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

/// Any error a handler meets, kept whole (its sources too).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Error)]
pub enum JobError {
    /// Worth another attempt (a crash, a timeout, a dependency that was down).
    #[error(transparent)]
    Retryable(BoxError),
    /// The job's input is at fault; running it again cannot help.
    #[error(transparent)]
    Permanent(BoxError),
}

impl JobError {
    /// An error worth another attempt: a message or an error of any layer.
    pub fn retryable(e: impl Into<BoxError>) -> Self {
        Self::Retryable(e.into())
    }

    /// An error running again cannot cure.
    pub fn permanent(e: impl Into<BoxError>) -> Self {
        Self::Permanent(e.into())
    }
}

/// What a handler gets besides the job.
#[derive(Clone)]
pub struct JobContext {
    /// Cancelled when the job must stop (cancel request, lost lease, shutdown).
    pub cancel: CancellationToken,
    progress: watch::Sender<f64>,
    stopped: Arc<Mutex<Option<StopReason>>>,
}

impl JobContext {
    /// A context for running a handler outside the runtime (tests): never cancelled by it.
    pub fn detached(cancel: CancellationToken) -> Self {
        Self { cancel, progress: watch::channel(0.0).0, stopped: Arc::default() }
    }

    /// Whether `cancel` fired because someone asked to cancel the job (not because the worker
    /// is shutting down or lost the job, after which the job runs again elsewhere).
    pub fn cancel_requested(&self) -> bool {
        *self.stopped.lock().expect("not poisoned") == Some(StopReason::CancelRequested)
    }

    /// Reports progress in `0..=1`; written to the job row with the next heartbeat.
    pub fn progress(&self, fraction: f64) {
        self.progress.send_replace(fraction.clamp(0.0, 1.0));
    }
}

/// Told about every job outcome a worker records (webhook fan-out uses it).
#[async_trait]
pub trait JobObserver: Send + Sync {
    async fn finished(&self, job: &Job, state: &str);
}

/// Runs the jobs of one queue, whatever their kind.
#[async_trait]
pub trait JobHandler: Send + Sync {
    async fn run(&self, job: &Job, ctx: JobContext) -> Result<(), JobError>;
}

/// Runs jobs of kind `J`, given their payload already read as a `J`.
#[async_trait]
pub trait Perform<J: BackgroundJob>: Send + Sync + 'static {
    async fn perform(&self, payload: J, job: &Job, ctx: JobContext) -> Result<(), JobError>;
}

/// The [`JobHandler`] for a queue of `J` jobs: each claimed job is read as a `J` through the
/// job contract (a job of another kind, or one whose payload is not a `J`, fails for good).
pub fn typed<J: BackgroundJob, H: Perform<J>>(handler: H) -> Arc<dyn JobHandler> {
    Arc::new(Typed { handler, kind: PhantomData::<fn() -> J> })
}

struct Typed<J, H> {
    handler: H,
    kind: PhantomData<fn() -> J>,
}

#[async_trait]
impl<J: BackgroundJob, H: Perform<J>> JobHandler for Typed<J, H> {
    async fn run(&self, job: &Job, ctx: JobContext) -> Result<(), JobError> {
        let payload = cofee_jobs::payload::<J>(job).map_err(JobError::permanent)?;
        self.handler.perform(payload, job, ctx).await
    }
}

/// The [`JobHandler`] for a queue of several kinds: each job goes to the handler of its kind
/// (read through the job contract like [`typed`]); a kind no handler was given fails for good.
/// For example `ByKind::new().with::<TranscribeJob, _>(transcribe).with::<WaveformJob, _>(peaks)`.
#[derive(Default)]
pub struct ByKind {
    handlers: Vec<(&'static str, Arc<dyn JobHandler>)>,
}

impl ByKind {
    pub fn new() -> Self {
        Self::default()
    }

    /// Jobs of kind `J` go to `handler`.
    pub fn with<J: BackgroundJob, H: Perform<J>>(mut self, handler: H) -> Self {
        self.handlers.push((J::KIND, typed::<J, H>(handler)));
        self
    }
}

#[async_trait]
impl JobHandler for ByKind {
    async fn run(&self, job: &Job, ctx: JobContext) -> Result<(), JobError> {
        match self.handlers.iter().find(|(kind, _)| *kind == job.kind) {
            Some((_, handler)) => handler.run(job, ctx).await,
            None => Err(JobError::permanent(format!(
                "no handler for {:?} jobs on the {} queue",
                job.kind, job.queue
            ))),
        }
    }
}

/// The shortest time between two heartbeats that carry new progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub queue: Queue,
    pub worker_id: String,
    pub concurrency: usize,
    pub lease: Duration,
    /// How long to wait before asking again when the queue was empty.
    pub poll_interval: Duration,
    pub shutdown_grace: Duration,
}

impl WorkerConfig {
    pub fn new(queue: Queue, worker_id: &str) -> Self {
        Self {
            queue,
            worker_id: worker_id.into(),
            concurrency: 1,
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_millis(500),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopReason {
    CancelRequested,
    LeaseLost,
    Shutdown,
}

/// Runs jobs from `cfg.queue` until `shutdown` is cancelled, then shuts down gracefully.
pub async fn run(
    queue: Arc<dyn JobQueue>,
    handler: Arc<dyn JobHandler>,
    cfg: WorkerConfig,
    shutdown: CancellationToken,
) {
    run_observed(queue, handler, cfg, shutdown, None).await;
}

/// [`run`], telling `observer` about each outcome.
pub async fn run_observed(
    queue: Arc<dyn JobQueue>,
    handler: Arc<dyn JobHandler>,
    cfg: WorkerConfig,
    shutdown: CancellationToken,
    observer: Option<Arc<dyn JobObserver>>,
) {
    let slots = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    let tracker = TaskTracker::new();
    let hard_stop = CancellationToken::new();
    loop {
        let permit = tokio::select! {
            () = shutdown.cancelled() => break,
            p = slots.clone().acquire_owned() => p.expect("the semaphore is never closed"),
        };
        match claim(&*queue, &cfg).await {
            Ok(Some(job)) => {
                let (queue, handler, cfg, hard_stop, observer, shutdown) = (
                    queue.clone(),
                    handler.clone(),
                    cfg.clone(),
                    hard_stop.clone(),
                    observer.clone(),
                    shutdown.clone(),
                );
                tracker.spawn(async move {
                    // The slot claims its next job itself while the queue has one, so a busy
                    // queue is claimed from by every slot at once rather than by this one loop
                    // (whose claims, one after another, would cap the jobs a second); an idle
                    // queue is still polled by the loop alone. The claim goes out as soon as
                    // the handler returns, while the job's outcome is being recorded.
                    let mut next = Some(job);
                    while let Some(job) = next.take() {
                        let (handler_done, handler_returned) = tokio::sync::oneshot::channel();
                        let claim = async {
                            let _ = handler_returned.await; // sent, or dropped: the job is over
                            if shutdown.is_cancelled() {
                                None
                            } else {
                                claim_next(&*queue, &cfg).await
                            }
                        };
                        let run = run_traced(
                            &queue,
                            &handler,
                            &cfg,
                            job,
                            &hard_stop,
                            &observer,
                            handler_done,
                        );
                        next = tokio::join!(run, claim).1;
                    }
                    drop(permit);
                });
            }
            Ok(None) => {
                drop(permit);
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(cfg.poll_interval) => {}
                }
            }
            Err(e) => {
                drop(permit);
                tracing::warn!(queue = %cfg.queue, error = %e, "claiming a job failed; retrying");
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(cfg.poll_interval * 4) => {}
                }
            }
        }
    }
    tracker.close();
    tracing::info!(queue = %cfg.queue, running = tracker.len(), "stopped claiming; waiting for running jobs");
    if tokio::time::timeout(cfg.shutdown_grace, tracker.wait()).await.is_err() {
        tracing::warn!(queue = %cfg.queue, running = tracker.len(), "grace period over; releasing unfinished jobs");
        hard_stop.cancel();
        tracker.wait().await;
    }
}

/// Runs one job inside a span that carries its identity and its request's trace.
async fn run_traced(
    queue: &Arc<dyn JobQueue>,
    handler: &Arc<dyn JobHandler>,
    cfg: &WorkerConfig,
    job: Job,
    hard_stop: &CancellationToken,
    observer: &Option<Arc<dyn JobObserver>>,
    handler_done: tokio::sync::oneshot::Sender<()>,
) {
    // Every log line of the job (handlers, FFmpeg's failures) carries the request that caused
    // it, across processes.
    let span = tracing::info_span!("job", otel.name = %format!("job {}", job.kind), otel.kind = "consumer", job = %job.id, kind = %job.kind, attempt = i64::from(job.attempts), request_id = job.trace_context.as_deref().unwrap_or("-"));
    trace::continue_trace(&span, job.traceparent.as_deref());
    run_one(
        queue.clone(),
        handler.clone(),
        cfg,
        job,
        hard_stop.clone(),
        observer.clone(),
        handler_done,
    )
    .instrument(span)
    .await;
}

/// Claims the oldest ready job of the worker's queue, leased for the worker's lease.
async fn claim(
    queue: &dyn JobQueue,
    cfg: &WorkerConfig,
) -> Result<Option<Job>, cofee_store::StoreError> {
    queue.claim(cfg.queue.name(), &cfg.worker_id, cfg.lease.as_millis() as i64).await
}

/// The queue's next ready job for a slot that just finished one; `None` when there is none (or
/// the claim failed: the polling loop then takes over, and logs what goes on failing).
async fn claim_next(queue: &dyn JobQueue, cfg: &WorkerConfig) -> Option<Job> {
    claim(queue, cfg).await.ok().flatten()
}

async fn run_one(
    queue: Arc<dyn JobQueue>,
    handler: Arc<dyn JobHandler>,
    cfg: &WorkerConfig,
    job: Job,
    hard_stop: CancellationToken,
    observer: Option<Arc<dyn JobObserver>>,
    handler_done: tokio::sync::oneshot::Sender<()>,
) {
    let id = job.id;
    let cancel = CancellationToken::new();
    let (progress, mut progress_rx) = watch::channel(job.progress);
    let reason: Arc<Mutex<Option<StopReason>>> = Arc::default();
    let stop = |why: StopReason| {
        let (reason, cancel) = (reason.clone(), cancel.clone());
        move || {
            reason.lock().expect("not poisoned").get_or_insert(why);
            cancel.cancel();
        }
    };

    let beat = {
        let (queue, worker, lease) = (queue.clone(), cfg.worker_id.clone(), cfg.lease);
        let (on_cancel, on_lost) = (stop(StopReason::CancelRequested), stop(StopReason::LeaseLost));
        let cancel = cancel.clone();
        tokio::spawn(async move {
            // A beat every third of the lease, and sooner (at most one a `PROGRESS_EVERY`) when
            // progress moved, so the row — which event streams read — shows progress as it goes.
            let every = lease / 3;
            let soonest = PROGRESS_EVERY.min(every);
            let (mut last_beat, mut watching) = (tokio::time::Instant::now(), true);
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep_until(last_beat + every) => {}
                    moved = progress_rx.changed(), if watching => {
                        if moved.is_err() {
                            watching = false; // the handler let go of its context
                            continue;
                        }
                        tokio::select! {
                            () = cancel.cancelled() => return,
                            () = tokio::time::sleep_until(last_beat + soonest) => {}
                        }
                    }
                }
                last_beat = tokio::time::Instant::now();
                let p = *progress_rx.borrow_and_update();
                match queue.heartbeat(id, &worker, lease.as_millis() as i64, p).await {
                    Ok(Heartbeat::Held) => {}
                    Ok(Heartbeat::CancelRequested) => return on_cancel(),
                    Ok(Heartbeat::Lost) => return on_lost(),
                    Err(e) => {
                        tracing::warn!(job = %id, error = %e, "heartbeat failed; will try again")
                    }
                }
            }
        })
    };
    let on_shutdown = stop(StopReason::Shutdown);
    let shutdown_watch = tokio::spawn(async move {
        hard_stop.cancelled().await;
        on_shutdown();
    });

    let ctx = JobContext { cancel: cancel.clone(), progress, stopped: reason.clone() };
    tracing::info!(attempt = job.attempts, "job started");
    let task = {
        let (handler, job) = (handler.clone(), job.clone());
        tokio::spawn(async move { handler.run(&job, ctx).await }.in_current_span())
    };
    let started = std::time::Instant::now();
    let result = match task.await {
        Ok(r) => r,
        Err(e) => Err(JobError::retryable(format!("the job handler crashed: {e}"))),
    };
    cancel.cancel(); // stops the heartbeat
    shutdown_watch.abort();
    let _ = beat.await;
    let _ = handler_done.send(()); // the slot may claim its next job while this one is recorded

    let worker = &cfg.worker_id;
    let why = *reason.lock().expect("not poisoned");
    let outcome = match (why, result) {
        (Some(StopReason::LeaseLost), _) => {
            tracing::warn!(job = %id, "lease lost; another worker has the job");
            return;
        }
        (Some(StopReason::CancelRequested), _) => {
            queue.cancelled(id, worker).await.map(|_| "cancelled")
        }
        (Some(StopReason::Shutdown), _) => queue.release(id, worker).await.map(|_| "released"),
        (None, Ok(())) => queue.complete(id, worker).await.map(|_| "succeeded"),
        // The job's error is shown to its owner: without the server's paths, which the log
        // line keeps (L7).
        (None, Err(JobError::Retryable(e))) => {
            // Said after the queue decided: on its last attempt a retryable failure is the end.
            let shown = cofee_core::redact::without_paths(&e.to_string());
            let state = queue.fail(id, worker, &shown, true).await;
            match &state {
                Ok(JobState::Dead) => {
                    tracing::warn!(job = %id, kind = %job.kind, error = %e, attempts = job.attempts, "job failed on its last attempt")
                }
                _ => {
                    tracing::warn!(job = %id, kind = %job.kind, error = %e, "job failed; it will be retried")
                }
            }
            state.map(|s| s.as_str())
        }
        (None, Err(JobError::Permanent(e))) => {
            tracing::warn!(job = %id, kind = %job.kind, error = %e, "job failed for good");
            let shown = cofee_core::redact::without_paths(&e.to_string());
            queue.fail(id, worker, &shown, false).await.map(|s| s.as_str())
        }
    };
    metrics::histogram!("job_duration_seconds", "queue" => job.queue.clone(), "kind" => job.kind.clone()).record(started.elapsed().as_secs_f64());
    match outcome {
        Ok(state) => {
            metrics::counter!("jobs_total", "queue" => job.queue.clone(), "kind" => job.kind.clone(), "outcome" => state).increment(1);
            tracing::info!(job = %id, kind = %job.kind, state, "job finished");
            if let Some(o) = observer {
                o.finished(&job, state).await;
            }
        }
        Err(e) => {
            tracing::error!(job = %id, error = %e, "could not record the job's outcome; its lease will expire and it will run again")
        }
    }
}

#[cfg(test)]
mod tests {
    use cofee_jobs::{RenderJob, TranscribeJob, WaveformJob, new_job};

    use super::*;

    struct Named(&'static str, Arc<Mutex<Vec<&'static str>>>);

    #[async_trait]
    impl<J: BackgroundJob> Perform<J> for Named {
        async fn perform(&self, _: J, _: &Job, _: JobContext) -> Result<(), JobError> {
            self.1.lock().unwrap().push(self.0);
            Ok(())
        }
    }

    fn claimed<J: BackgroundJob>(job: &J) -> Job {
        let mut job = Job::claimed(new_job(job, cofee_jobs::JobOrigin::default()));
        (job.owner_id, job.project_id) = (None, None);
        job
    }

    #[tokio::test]
    async fn each_kind_of_a_queue_goes_to_its_own_handler() {
        let ran = Arc::new(Mutex::new(Vec::new()));
        let handler = ByKind::new()
            .with::<TranscribeJob, _>(Named("transcribe", ran.clone()))
            .with::<WaveformJob, _>(Named("waveform", ran.clone()));
        let ctx = || JobContext::detached(CancellationToken::new());
        let transcribe = TranscribeJob { language: None, engine: None, replaces_version: None };
        handler.run(&claimed(&WaveformJob {}), ctx()).await.unwrap();
        handler.run(&claimed(&transcribe), ctx()).await.unwrap();
        assert_eq!(*ran.lock().unwrap(), ["waveform", "transcribe"]);
        let render = RenderJob { render_id: uuid::Uuid::now_v7(), preset: "fast".into(), crf: 20 };
        let refused = handler.run(&claimed(&render), ctx()).await;
        assert!(matches!(refused, Err(JobError::Permanent(_))), "a kind without a handler");
    }
}
