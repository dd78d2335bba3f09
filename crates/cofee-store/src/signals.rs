//! Wake-ups for whoever watches a project's jobs (the API's event stream). The job rows stay the
//! record: a signal only says "read them again", so a lost signal costs latency — a watcher also
//! re-reads on a slow timer — never correctness, and no job state travels outside the database.
//!
//! Where the signals reach: nowhere ([`JobSignals::none`]: API and workers are separate processes
//! without Redis, so watchers poll), this process ([`JobSignals::local`]: `cofee serve`, where
//! the workers share the API's process), or every process on one Redis ([`JobSignals::redis`]:
//! workers `PUBLISH` on the project's channel, each API replica holds one pattern subscription
//! and wakes its own watchers).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use thiserror::Error;
use tokio::sync::watch;
use uuid::Uuid;

use crate::StoreError;
use crate::queue::{Heartbeat, Job, JobQueue, JobState, NewJob, QueueDepth};

#[derive(Debug, Error)]
#[error("Redis for job signals: {0}")]
pub struct SignalError(#[from] redis::RedisError);

/// A publish waits this long at most; signals are best-effort.
const PUBLISH_TIMEOUT: Duration = Duration::from_millis(250);
/// The subscription pings Redis this often, so a connection that died silently is noticed.
const PING_EVERY: Duration = Duration::from_secs(15);
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct JobSignals {
    hub: Arc<Hub>,
    reach: Reach,
}

#[derive(Clone)]
enum Reach {
    None,
    Local,
    Redis {
        publisher: redis::aio::ConnectionManager,
        channel_prefix: String,
        subscribed: Arc<AtomicBool>,
        subscriber: Option<Arc<AbortOnDrop>>,
    },
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl JobSignals {
    /// Signals reach no other process: watchers must poll the rows.
    pub fn none() -> Self {
        Self { hub: Arc::default(), reach: Reach::None }
    }

    /// Signals reach every watcher in this process (workers and API in one process).
    pub fn local() -> Self {
        Self { hub: Arc::default(), reach: Reach::Local }
    }

    /// Signals go through the Redis at `url`, on channels under `prefix` (e.g. `cofee:`), and
    /// this process's watchers hear them: one pattern subscription, which reconnects on its own;
    /// while it is down, [`JobSignals::live`] says so. Nothing waits for Redis to answer: a
    /// process starts while it is down, and its signals flow once it is up.
    pub fn redis(url: &str, prefix: &str) -> Result<Self, SignalError> {
        let mut signals = Self::redis_publisher(url, prefix)?;
        if let Reach::Redis { channel_prefix, subscribed, subscriber, .. } = &mut signals.reach {
            let client = redis::Client::open(url).map_err(SignalError)?;
            let task = tokio::spawn(subscribe(
                client,
                format!("{channel_prefix}*"),
                signals.hub.clone(),
                subscribed.clone(),
            ));
            *subscriber = Some(Arc::new(AbortOnDrop(task)));
        }
        Ok(signals)
    }

    /// Signals go out through Redis, but this process watches none (a worker): no subscription.
    pub fn redis_publisher(url: &str, prefix: &str) -> Result<Self, SignalError> {
        let client = redis::Client::open(url).map_err(SignalError)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(PUBLISH_TIMEOUT * 4));
        let publisher = redis::aio::ConnectionManager::new_lazy_with_config(client, config)
            .map_err(SignalError)?;
        Ok(Self {
            hub: Arc::default(),
            reach: Reach::Redis {
                publisher,
                channel_prefix: format!("{prefix}jobs:"),
                subscribed: Arc::new(AtomicBool::new(false)),
                subscriber: None,
            },
        })
    }

    /// `none`, `local` or `redis`.
    pub fn backend(&self) -> &'static str {
        match self.reach {
            Reach::None => "none",
            Reach::Local => "local",
            Reach::Redis { .. } => "redis",
        }
    }

    /// Whether this process hears about every change right now (else watchers poll quickly).
    pub fn live(&self) -> bool {
        match &self.reach {
            Reach::None => false,
            Reach::Local => true,
            Reach::Redis { subscribed, .. } => subscribed.load(Ordering::Relaxed),
        }
    }

    /// Tells the project's watchers, wherever they are, that its jobs changed. Never waits on
    /// Redis: the publish runs on its own and a failure is only logged.
    pub fn notify(&self, project: &str) {
        match &self.reach {
            Reach::None => {}
            Reach::Local => self.hub.wake(project),
            // Redis sends the message back to this process's own subscription too.
            Reach::Redis { publisher, channel_prefix, .. } => {
                let (mut publisher, channel) =
                    (publisher.clone(), format!("{channel_prefix}{project}"));
                tokio::spawn(async move {
                    let sent = tokio::time::timeout(
                        PUBLISH_TIMEOUT,
                        redis::cmd("PUBLISH")
                            .arg(&channel)
                            .arg("")
                            .query_async::<i64>(&mut publisher),
                    )
                    .await;
                    match sent {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => tracing::debug!(error = %e, "job signal not published"),
                        Err(_) => tracing::debug!(
                            "job signal not published: Redis did not answer in time"
                        ),
                    }
                });
            }
        }
    }

    /// Wakes when the project's jobs may have changed.
    pub fn watch(&self, project: &str) -> ProjectWatch {
        ProjectWatch {
            changes: self.hub.watch(project),
            hub: self.hub.clone(),
            project: project.to_string(),
        }
    }
}

/// One watcher's wake-ups for one project; dropping it forgets the project when it was the last.
pub struct ProjectWatch {
    changes: watch::Receiver<u64>,
    hub: Arc<Hub>,
    project: String,
}

impl ProjectWatch {
    /// Resolves at the next signal (at once if one came since the last call).
    pub async fn changed(&mut self) {
        if self.changes.changed().await.is_err() {
            // The hub never drops a sender that has receivers; wait forever rather than spin.
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for ProjectWatch {
    fn drop(&mut self) {
        self.hub.forget(&self.project);
    }
}

/// The watchers of this process, by project.
#[derive(Default)]
struct Hub {
    projects: Mutex<HashMap<String, watch::Sender<u64>>>,
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Sender<u64>>> {
        self.projects.lock().expect("the watcher map is never poisoned")
    }

    fn watch(&self, project: &str) -> watch::Receiver<u64> {
        self.lock().entry(project.to_string()).or_insert_with(|| watch::channel(0).0).subscribe()
    }

    fn wake(&self, project: &str) {
        if let Some(sender) = self.lock().get(project) {
            sender.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// After a gap in the subscription nobody knows what was missed: everyone looks again.
    fn wake_all(&self) {
        for sender in self.lock().values() {
            sender.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// Called as a watcher goes: the project is dropped with its last watcher (whose receiver
    /// still counts while it is being dropped).
    fn forget(&self, project: &str) {
        let mut projects = self.lock();
        if projects.get(project).is_some_and(|s| s.receiver_count() <= 1) {
            projects.remove(project);
        }
    }
}

/// Holds one pattern subscription for the process and wakes the hub's watchers; reconnects
/// after any failure, and pings so that a connection that died silently is noticed.
async fn subscribe(
    client: redis::Client,
    pattern: String,
    hub: Arc<Hub>,
    subscribed: Arc<AtomicBool>,
) {
    loop {
        match listen(&client, &pattern, &hub, &subscribed).await {
            Ok(()) => tracing::warn!("job signal subscription closed by Redis; reconnecting"),
            Err(e) => {
                tracing::warn!(error = %e, "job signal subscription failed; event streams poll until it is back")
            }
        }
        subscribed.store(false, Ordering::Relaxed);
        tokio::time::sleep(RECONNECT_AFTER).await;
    }
}

async fn listen(
    client: &redis::Client,
    pattern: &str,
    hub: &Hub,
    subscribed: &AtomicBool,
) -> redis::RedisResult<()> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.psubscribe(pattern).await?;
    let (mut sink, mut messages) = pubsub.split();
    subscribed.store(true, Ordering::Relaxed);
    hub.wake_all();
    let prefix = pattern.trim_end_matches('*');
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            message = messages.next() => match message {
                Some(m) => hub.wake(m.get_channel_name().strip_prefix(prefix).unwrap_or_default()),
                None => return Ok(()),
            },
            _ = ping.tick() => {
                match tokio::time::timeout(PING_EVERY, sink.ping::<String>()).await {
                    Ok(answer) => { answer?; }
                    Err(_) => return Err(redis::RedisError::from((redis::ErrorKind::Io, "no answer to PING"))),
                }
            }
        }
    }
}

/// A [`JobQueue`] that signals the project's watchers after every change it makes to a job of
/// a project (jobs with a `project_id`).
pub struct SignallingQueue {
    inner: Arc<dyn JobQueue>,
    signals: JobSignals,
    /// The project of each job this process holds, so changes by job id can be signalled
    /// without reading the row back.
    held: Mutex<HashMap<Uuid, Uuid>>,
}

impl SignallingQueue {
    pub fn new(inner: Arc<dyn JobQueue>, signals: JobSignals) -> Self {
        Self { inner, signals, held: Mutex::default() }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Uuid>> {
        self.held.lock().expect("the held-jobs map is never poisoned")
    }

    /// Signals the project of a job this process holds; `release` forgets it.
    fn signal_held(&self, id: Uuid, release: bool) {
        let project = if release { self.held().remove(&id) } else { self.held().get(&id).copied() };
        if let Some(p) = project {
            self.signals.notify(&p.to_string());
        }
    }

    /// Signals the project of a job this process does not hold (one read of the row).
    async fn signal_by_id(&self, id: Uuid) {
        if let Ok(job) = self.inner.get(id).await
            && let Some(p) = job.project_id
        {
            self.signals.notify(&p.to_string());
        }
    }
}

#[async_trait]
impl JobQueue for SignallingQueue {
    async fn enqueue(&self, job: NewJob) -> Result<Uuid, StoreError> {
        let project = job.project_id;
        let id = self.inner.enqueue(job).await?;
        if let Some(p) = project {
            self.signals.notify(&p.to_string());
        }
        Ok(id)
    }

    async fn claim(
        &self,
        queue: &str,
        worker_id: &str,
        lease_ms: i64,
    ) -> Result<Option<Job>, StoreError> {
        let job = self.inner.claim(queue, worker_id, lease_ms).await?;
        if let Some(j) = &job
            && let Some(p) = j.project_id
        {
            self.held().insert(j.id, p);
            self.signals.notify(&p.to_string());
        }
        Ok(job)
    }

    async fn heartbeat(
        &self,
        id: Uuid,
        worker_id: &str,
        lease_ms: i64,
        progress: f64,
    ) -> Result<Heartbeat, StoreError> {
        let beat = self.inner.heartbeat(id, worker_id, lease_ms, progress).await?;
        self.signal_held(id, beat == Heartbeat::Lost);
        Ok(beat)
    }

    async fn complete(&self, id: Uuid, worker_id: &str) -> Result<bool, StoreError> {
        let done = self.inner.complete(id, worker_id).await;
        self.signal_held(id, true);
        done
    }

    async fn fail(
        &self,
        id: Uuid,
        worker_id: &str,
        error: &str,
        retry: bool,
    ) -> Result<JobState, StoreError> {
        let state = self.inner.fail(id, worker_id, error, retry).await;
        self.signal_held(id, true);
        state
    }

    async fn release(&self, id: Uuid, worker_id: &str) -> Result<bool, StoreError> {
        let released = self.inner.release(id, worker_id).await;
        self.signal_held(id, true);
        released
    }

    async fn cancelled(&self, id: Uuid, worker_id: &str) -> Result<bool, StoreError> {
        let done = self.inner.cancelled(id, worker_id).await;
        self.signal_held(id, true);
        done
    }

    async fn cancel(&self, id: Uuid) -> Result<JobState, StoreError> {
        let state = self.inner.cancel(id).await?;
        self.signal_by_id(id).await;
        Ok(state)
    }

    async fn retry(&self, id: Uuid) -> Result<(), StoreError> {
        self.inner.retry(id).await?;
        self.signal_by_id(id).await;
        Ok(())
    }

    async fn get(&self, id: Uuid) -> Result<Job, StoreError> {
        self.inner.get(id).await
    }

    async fn bury_expired(&self) -> Result<u64, StoreError> {
        self.inner.bury_expired().await
    }

    async fn depth(&self) -> Result<Vec<QueueDepth>, StoreError> {
        self.inner.depth().await
    }

    async fn jobs_for_project(
        &self,
        owner: Uuid,
        project: Uuid,
        limit: u32,
    ) -> Result<Vec<Job>, StoreError> {
        self.inner.jobs_for_project(owner, project, limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_local_signal_wakes_only_the_projects_watchers() {
        let signals = JobSignals::local();
        let (mut a, mut b) = (signals.watch("a"), signals.watch("b"));
        signals.notify("a");
        tokio::time::timeout(Duration::from_secs(1), a.changed()).await.expect("a's watcher wakes");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), b.changed()).await.is_err(),
            "b's watcher sleeps on"
        );
    }

    #[tokio::test]
    async fn a_project_is_forgotten_with_its_last_watcher() {
        let signals = JobSignals::local();
        let (first, second) = (signals.watch("p"), signals.watch("p"));
        drop(first);
        assert_eq!(signals.hub.lock().len(), 1, "one watcher is left");
        drop(second);
        assert!(signals.hub.lock().is_empty());
    }

    #[tokio::test]
    async fn signals_that_reach_nowhere_wake_nobody() {
        let signals = JobSignals::none();
        let mut w = signals.watch("p");
        signals.notify("p");
        assert!(!signals.live());
        assert!(tokio::time::timeout(Duration::from_millis(50), w.changed()).await.is_err());
    }
}
