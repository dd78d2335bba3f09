//! The durable job queue: jobs live in the database, next to the rows they belong to.
//!
//! Why our own queue rather than a crate: Cofee needs, on SQLite *and* PostgreSQL, leases with
//! heartbeats (a transcription can run for many minutes), progress written as the work goes,
//! cancellation that reaches the running worker, a `dead` state a person can retry, and enqueue in
//! the same transaction as the row a job belongs to. graphile_worker is PostgreSQL-only; apalis
//! 1.0 (two weeks old at the time of writing) has no progress or cancellation and tunes SQLite
//! for speed over durability; sqlxmq/underway are on an older sqlx. The semantics below fit in
//! one small module ([`crate::db`]'s queue, the same SQL on both backends), in the style of
//! pict-rs's queue.
//!
//! Semantics (each sentence is tested in `tests/queue.rs`):
//! - **Enqueue** inserts a `queued` job that is ready at `run_at` (now unless delayed). It can be
//!   part of the caller's transaction, so the job exists exactly when its row does.
//! - **Claim** atomically takes the oldest ready job of a queue: it becomes `running`, its
//!   `attempts` goes up by one, and it is leased to one worker until `lease_until`. Two workers
//!   never hold the same job at once.
//! - **Heartbeat** extends the lease and records progress. It fails with
//!   [`Heartbeat::Lost`] when the job is no longer this worker's (its lease expired and another
//!   worker took it): the worker must stop and throw its work away. It reports
//!   [`Heartbeat::CancelRequested`] when someone asked to cancel.
//! - **A worker that dies** stops heartbeating; once its lease has passed, the job is claimable
//!   again (at-least-once delivery). Handlers are therefore idempotent: re-running a render
//!   replaces its output.
//! - **Fail** puts the job back as `queued` with `run_at` pushed out by exponential backoff with
//!   jitter ([`backoff_ms`]), or moves it to `dead` after `max_attempts` — at once when the
//!   failure is the input's fault. A lease that expires on
//!   the last attempt also ends in `dead`.
//! - **Release** (a worker shutting down) puts a running job straight back in the queue without
//!   counting the attempt.
//! - **Complete** marks it `succeeded` — only if the caller still holds the lease.
//! - **Cancel** turns a queued job `cancelled` at once, and flags a running one so its worker
//!   stops (and then reports [`JobQueue::cancelled`]). A flagged job whose handler fails before
//!   its worker heard of the request ends `cancelled` too: the failure is the cancellation's
//!   doing (a render whose chunks were cancelled with it), not the job's.
//! - **Retry** puts a `dead` or `cancelled` job back in the queue with a fresh set of attempts.
//!
//! Durability: enqueue, cancel and retry commit synchronously. What a worker records about the
//! job it holds (claim, heartbeat, outcome) commits on PostgreSQL without waiting for the disk
//! (`synchronous_commit` off for that statement alone): a crash of the database server within a
//! fraction of a second of such a record (before the WAL writer, or any later synchronous
//! commit, flushes it) loses it and leaves the job as it was before — claimable again once its
//! lease is over, as if its worker had died, which at-least-once delivery covers. Nothing a
//! user did is lost: their writes commit synchronously, which flushes every record before them.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Dead,
    Cancelled,
}

impl JobState {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Dead => "dead",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn is_final(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Dead | Self::Cancelled)
    }
}

impl std::str::FromStr for JobState {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "succeeded" => Self::Succeeded,
            "dead" => Self::Dead,
            "cancelled" => Self::Cancelled,
            other => return Err(StoreError::Corrupt(format!("unknown job state {other:?}"))),
        })
    }
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub queue: String,
    pub kind: String,
    pub payload: serde_json::Value,
    /// The user the job acts for.
    pub owner_id: Option<Uuid>,
    /// The project it works on (event streams list a project's jobs by it).
    pub project_id: Option<Uuid>,
    pub max_attempts: u32,
    /// Delay before the job is ready, in milliseconds.
    pub delay_ms: i64,
    /// The request id of the request that caused this job (for log correlation).
    pub trace_context: Option<String>,
    /// The W3C `traceparent` of the span that enqueued it, when traces are exported.
    pub traceparent: Option<String>,
}

impl NewJob {
    pub fn new(queue: &str, kind: &str, payload: serde_json::Value) -> Self {
        Self {
            queue: queue.into(),
            kind: kind.into(),
            payload,
            owner_id: None,
            project_id: None,
            max_attempts: 5,
            delay_ms: 0,
            trace_context: None,
            traceparent: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub id: Uuid,
    pub queue: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub owner_id: Option<Uuid>,
    pub project_id: Option<Uuid>,
    pub state: JobState,
    pub attempts: u32,
    pub max_attempts: u32,
    pub run_at: i64,
    pub lease_until: Option<i64>,
    pub worker_id: Option<String>,
    pub progress: f64,
    pub error: Option<String>,
    pub cancel_requested: bool,
    pub trace_context: Option<String>,
    pub traceparent: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

impl Job {
    /// `new` as a worker holds it right after claiming it (first attempt, running): for tests
    /// of handlers and dispatch, which need a job without a queue.
    #[cfg(any(test, feature = "testing"))]
    pub fn claimed(new: NewJob) -> Self {
        Self {
            id: Uuid::now_v7(),
            queue: new.queue,
            kind: new.kind,
            payload: new.payload,
            owner_id: new.owner_id,
            project_id: new.project_id,
            state: JobState::Running,
            attempts: 1,
            max_attempts: new.max_attempts,
            run_at: 0,
            lease_until: None,
            worker_id: None,
            progress: 0.0,
            error: None,
            cancel_requested: false,
            trace_context: new.trace_context,
            traceparent: new.traceparent,
            created_at: 0,
            updated_at: 0,
            finished_at: None,
        }
    }
}

/// What a heartbeat learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heartbeat {
    /// Lease extended; carry on.
    Held,
    /// Lease extended, but someone asked to cancel: stop, then call [`JobQueue::cancelled`].
    CancelRequested,
    /// The job is no longer this worker's; stop without reporting.
    Lost,
}

/// Jobs waiting and the age of the oldest ready one, per queue (the autoscaling signal).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueDepth {
    pub queue: String,
    pub ready: u64,
    pub running: u64,
    pub oldest_ready_age_ms: Option<i64>,
}

/// Delay before attempt `attempts + 1` after a failure: 5 s × 2^(attempts−1), capped at one
/// hour, with ±20 % jitter so retries of many jobs do not arrive together.
pub fn backoff_ms(attempts: u32) -> i64 {
    let base = 5_000i64.saturating_mul(1i64 << attempts.saturating_sub(1).min(20)).min(3_600_000);
    let jitter = (base as f64 * (fastrand::f64() * 0.4 - 0.2)) as i64;
    base + jitter
}

#[async_trait]
pub trait JobQueue: Send + Sync {
    async fn enqueue(&self, job: NewJob) -> Result<Uuid, StoreError>;
    /// Takes the oldest ready job of `queue` for `worker_id`, leased for `lease_ms`.
    async fn claim(
        &self,
        queue: &str,
        worker_id: &str,
        lease_ms: i64,
    ) -> Result<Option<Job>, StoreError>;
    async fn heartbeat(
        &self,
        id: Uuid,
        worker_id: &str,
        lease_ms: i64,
        progress: f64,
    ) -> Result<Heartbeat, StoreError>;
    /// Returns `false` when the lease was lost (the result is not recorded).
    async fn complete(&self, id: Uuid, worker_id: &str) -> Result<bool, StoreError>;
    /// Records a failed attempt: back to the queue after a backoff, or `dead` when attempts are
    /// used up or `retry` is false (the input is at fault; running it again cannot help).
    async fn fail(
        &self,
        id: Uuid,
        worker_id: &str,
        error: &str,
        retry: bool,
    ) -> Result<JobState, StoreError>;
    /// Gives a job back untouched (a worker shutting down): queued again at once, and the
    /// attempt does not count.
    async fn release(&self, id: Uuid, worker_id: &str) -> Result<bool, StoreError>;
    /// The worker stopped because of a cancel request.
    async fn cancelled(&self, id: Uuid, worker_id: &str) -> Result<bool, StoreError>;
    /// Asks to cancel; returns the state after the request.
    async fn cancel(&self, id: Uuid) -> Result<JobState, StoreError>;
    /// Puts a dead or cancelled job back in the queue.
    async fn retry(&self, id: Uuid) -> Result<(), StoreError>;
    async fn get(&self, id: Uuid) -> Result<Job, StoreError>;
    /// Moves running jobs whose lease expired on their last attempt to `dead`; returns how many.
    async fn bury_expired(&self) -> Result<u64, StoreError>;
    async fn depth(&self) -> Result<Vec<QueueDepth>, StoreError>;
    /// Jobs `owner` started for `project`, newest first.
    async fn jobs_for_project(
        &self,
        owner: Uuid,
        project: Uuid,
        limit: u32,
    ) -> Result<Vec<Job>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        for a in 1..30 {
            let b = backoff_ms(a);
            let base = (5_000i64 << (a - 1).min(20)).min(3_600_000) as f64;
            assert!((base * 0.8..=base * 1.2).contains(&(b as f64)), "attempt {a}: {b}");
        }
        assert!(backoff_ms(2) > backoff_ms(1) / 2);
    }
}
