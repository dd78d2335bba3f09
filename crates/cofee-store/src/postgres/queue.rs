//! [`JobQueue`] on PostgreSQL. Semantics: see [`crate::queue`].

use async_trait::async_trait;
use sqlx::FromRow;
use uuid::Uuid;

use super::PgStore;
use crate::StoreError;
use crate::queue::{Heartbeat, Job, JobQueue, JobState, NewJob, QueueDepth, backoff_ms};

#[derive(FromRow)]
struct JobRow {
    id: Uuid,
    queue: String,
    kind: String,
    payload: serde_json::Value,
    owner_id: Option<String>,
    state: String,
    attempts: i32,
    max_attempts: i32,
    run_at: i64,
    lease_until: Option<i64>,
    worker_id: Option<String>,
    progress: f64,
    error: Option<String>,
    cancel_requested: bool,
    trace_context: Option<String>,
    traceparent: Option<String>,
    created_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
}

impl TryFrom<JobRow> for Job {
    type Error = StoreError;

    fn try_from(r: JobRow) -> Result<Self, StoreError> {
        Ok(Job {
            id: r.id,
            queue: r.queue,
            kind: r.kind,
            payload: r.payload,
            owner_id: r.owner_id,
            state: JobState::parse(&r.state)?,
            attempts: r.attempts as u32,
            max_attempts: r.max_attempts as u32,
            run_at: r.run_at,
            lease_until: r.lease_until,
            worker_id: r.worker_id,
            progress: r.progress,
            error: r.error,
            cancel_requested: r.cancel_requested,
            trace_context: r.trace_context,
            traceparent: r.traceparent,
            created_at: r.created_at,
            updated_at: r.updated_at,
            finished_at: r.finished_at,
        })
    }
}

/// Enqueues on a connection or transaction, so a job commits together with its row.
pub async fn enqueue_in(conn: &mut sqlx::PgConnection, job: &NewJob, now: i64) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO jobs (id, queue, kind, payload, owner_id, state, attempts, max_attempts, run_at, trace_context, traceparent, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $7, $8, $9, $10, $10)",
    )
    .bind(id)
    .bind(&job.queue)
    .bind(&job.kind)
    .bind(&job.payload)
    .bind(&job.owner_id)
    .bind(job.max_attempts.max(1) as i32)
    .bind(now + job.delay_ms.max(0))
    .bind(&job.trace_context)
    .bind(&job.traceparent)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(id)
}

#[async_trait]
impl JobQueue for PgStore {
    async fn enqueue(&self, job: NewJob) -> Result<Uuid, StoreError> {
        let mut conn = self.pool.acquire().await?;
        enqueue_in(&mut conn, &job, self.now()).await
    }

    async fn claim(&self, queue: &str, worker_id: &str, lease_ms: i64) -> Result<Option<Job>, StoreError> {
        self.bury_expired().await?;
        let now = self.now();
        let row: Option<JobRow> = sqlx::query_as(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, worker_id = $1, lease_until = $2 + $3, updated_at = $2
             WHERE id = (
                 SELECT id FROM jobs
                 WHERE queue = $4 AND attempts < max_attempts AND NOT cancel_requested
                   AND ((state = 'queued' AND run_at <= $2) OR (state = 'running' AND lease_until < $2))
                 ORDER BY run_at, id LIMIT 1
                 FOR UPDATE SKIP LOCKED)
             RETURNING *",
        )
        .bind(worker_id)
        .bind(now)
        .bind(lease_ms)
        .bind(queue)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Job::try_from).transpose()
    }

    async fn heartbeat(&self, id: Uuid, worker_id: &str, lease_ms: i64, progress: f64) -> Result<Heartbeat, StoreError> {
        let now = self.now();
        let cancel: Option<bool> = sqlx::query_scalar(
            "UPDATE jobs SET lease_until = $1 + $2, progress = $3, updated_at = $1
             WHERE id = $4 AND worker_id = $5 AND state = 'running' RETURNING cancel_requested",
        )
        .bind(now)
        .bind(lease_ms)
        .bind(progress.clamp(0.0, 1.0))
        .bind(id)
        .bind(worker_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match cancel {
            None => Heartbeat::Lost,
            Some(false) => Heartbeat::Held,
            Some(true) => Heartbeat::CancelRequested,
        })
    }

    async fn complete(&self, id: Uuid, worker_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'succeeded', progress = 1, lease_until = NULL, error = NULL, updated_at = $1, finished_at = $1
             WHERE id = $2 AND worker_id = $3 AND state = 'running'",
        )
        .bind(self.now())
        .bind(id)
        .bind(worker_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn fail(&self, id: Uuid, worker_id: &str, error: &str, retry: bool) -> Result<JobState, StoreError> {
        let now = self.now();
        let backoff = backoff_ms(self.get(id).await?.attempts);
        let state: Option<String> = sqlx::query_scalar(
            "UPDATE jobs SET
                 state = CASE WHEN attempts >= max_attempts OR NOT $6 THEN 'dead' ELSE 'queued' END,
                 finished_at = CASE WHEN attempts >= max_attempts OR NOT $6 THEN $1 END,
                 run_at = $1 + $2, error = $3, worker_id = NULL, lease_until = NULL, updated_at = $1
             WHERE id = $4 AND worker_id = $5 AND state = 'running' RETURNING state",
        )
        .bind(now)
        .bind(backoff)
        .bind(error)
        .bind(id)
        .bind(worker_id)
        .bind(retry)
        .fetch_optional(&self.pool)
        .await?;
        match state {
            Some(s) => JobState::parse(&s),
            None => Ok(self.get(id).await?.state),
        }
    }

    async fn release(&self, id: Uuid, worker_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = GREATEST(attempts - 1, 0), worker_id = NULL, lease_until = NULL, run_at = $1, updated_at = $1
             WHERE id = $2 AND worker_id = $3 AND state = 'running'",
        )
        .bind(self.now())
        .bind(id)
        .bind(worker_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn cancelled(&self, id: Uuid, worker_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'cancelled', lease_until = NULL, updated_at = $1, finished_at = $1
             WHERE id = $2 AND worker_id = $3 AND state = 'running'",
        )
        .bind(self.now())
        .bind(id)
        .bind(worker_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn cancel(&self, id: Uuid) -> Result<JobState, StoreError> {
        let state: Option<String> = sqlx::query_scalar(
            "UPDATE jobs SET
                 cancel_requested = CASE WHEN state IN ('queued', 'running') THEN TRUE ELSE cancel_requested END,
                 finished_at = CASE WHEN state = 'queued' THEN $1 ELSE finished_at END,
                 state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
                 updated_at = $1
             WHERE id = $2 RETURNING state",
        )
        .bind(self.now())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        JobState::parse(&state.ok_or(StoreError::NotFound)?)
    }

    async fn retry(&self, id: Uuid) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $1, error = NULL, cancel_requested = FALSE, progress = 0,
                 worker_id = NULL, lease_until = NULL, finished_at = NULL, updated_at = $1
             WHERE id = $2 AND state IN ('dead', 'cancelled')",
        )
        .bind(self.now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            let job = self.get(id).await?;
            return Err(StoreError::Conflict(format!("job is {}; only dead or cancelled jobs can be retried", job.state.as_str())));
        }
        Ok(())
    }

    async fn get(&self, id: Uuid) -> Result<Job, StoreError> {
        let row: Option<JobRow> = sqlx::query_as("SELECT * FROM jobs WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn bury_expired(&self) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET
                 state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'dead' END,
                 error = CASE WHEN cancel_requested THEN error ELSE COALESCE(error || '; ', '') || 'worker lost on the last attempt' END,
                 lease_until = NULL, updated_at = $1, finished_at = $1
             WHERE state = 'running' AND lease_until < $1 AND (attempts >= max_attempts OR cancel_requested)",
        )
        .bind(self.now())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn depth(&self) -> Result<Vec<QueueDepth>, StoreError> {
        let now = self.now();
        let rows: Vec<(String, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT queue,
                    COUNT(*) FILTER (WHERE state = 'queued' AND run_at <= $1),
                    COUNT(*) FILTER (WHERE state = 'running'),
                    MIN(run_at) FILTER (WHERE state = 'queued' AND run_at <= $1)
             FROM jobs WHERE state IN ('queued', 'running') GROUP BY queue ORDER BY queue",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(queue, ready, running, oldest)| QueueDepth { queue, ready: ready as u64, running: running as u64, oldest_ready_age_ms: oldest.map(|t| now - t) })
            .collect())
    }

    async fn jobs_for_project(&self, owner: &str, project: &str, limit: u32) -> Result<Vec<Job>, StoreError> {
        let rows: Vec<JobRow> = sqlx::query_as("SELECT * FROM jobs WHERE owner_id = $1 AND payload ->> 'project_id' = $2 ORDER BY created_at DESC, id DESC LIMIT $3")
            .bind(owner)
            .bind(project)
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Job::try_from).collect()
    }
}
