//! [`JobQueue`] on SQLite. Semantics: see [`crate::queue`].

use async_trait::async_trait;
use sqlx::{FromRow, SqliteConnection};
use uuid::Uuid;

use super::SqliteStore;
use crate::StoreError;
use crate::queue::{Heartbeat, Job, JobQueue, JobState, NewJob, QueueDepth, backoff_ms};

#[derive(FromRow)]
struct JobRow {
    id: String,
    queue: String,
    kind: String,
    payload: String,
    owner_id: Option<String>,
    state: String,
    attempts: i64,
    max_attempts: i64,
    run_at: i64,
    lease_until: Option<i64>,
    worker_id: Option<String>,
    progress: f64,
    error: Option<String>,
    cancel_requested: i64,
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
            id: Uuid::parse_str(&r.id).map_err(|e| StoreError::Corrupt(format!("job id {:?}: {e}", r.id)))?,
            payload: serde_json::from_str(&r.payload).map_err(|e| StoreError::Corrupt(format!("job {} payload: {e}", r.id)))?,
            queue: r.queue,
            kind: r.kind,
            owner_id: r.owner_id,
            state: JobState::parse(&r.state)?,
            attempts: r.attempts as u32,
            max_attempts: r.max_attempts as u32,
            run_at: r.run_at,
            lease_until: r.lease_until,
            worker_id: r.worker_id,
            progress: r.progress,
            error: r.error,
            cancel_requested: r.cancel_requested != 0,
            trace_context: r.trace_context,
            traceparent: r.traceparent,
            created_at: r.created_at,
            updated_at: r.updated_at,
            finished_at: r.finished_at,
        })
    }
}

/// Enqueues on an open connection or transaction, so a job can be committed together with the
/// row it belongs to.
pub async fn enqueue_in(conn: &mut SqliteConnection, job: &NewJob, now: i64) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO jobs (id, queue, kind, payload, owner_id, state, attempts, max_attempts, run_at, trace_context, traceparent, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'queued', 0, ?6, ?7, ?8, ?9, ?10, ?10)",
    )
    .bind(id.to_string())
    .bind(&job.queue)
    .bind(&job.kind)
    .bind(job.payload.to_string())
    .bind(&job.owner_id)
    .bind(job.max_attempts.max(1) as i64)
    .bind(now + job.delay_ms.max(0))
    .bind(&job.trace_context)
    .bind(&job.traceparent)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(id)
}

#[async_trait]
impl JobQueue for SqliteStore {
    async fn enqueue(&self, job: NewJob) -> Result<Uuid, StoreError> {
        let mut conn = self.pool.acquire().await?;
        enqueue_in(&mut conn, &job, self.now()).await
    }

    async fn claim(&self, queue: &str, worker_id: &str, lease_ms: i64) -> Result<Option<Job>, StoreError> {
        self.bury_expired().await?;
        let now = self.now();
        let row: Option<JobRow> = sqlx::query_as(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, worker_id = ?1, lease_until = ?2 + ?3, updated_at = ?2
             WHERE id = (
                 SELECT id FROM jobs
                 WHERE queue = ?4 AND attempts < max_attempts AND cancel_requested = 0
                   AND ((state = 'queued' AND run_at <= ?2) OR (state = 'running' AND lease_until < ?2))
                 ORDER BY run_at, id LIMIT 1)
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
        let cancel: Option<i64> = sqlx::query_scalar(
            "UPDATE jobs SET lease_until = ?1 + ?2, progress = ?3, updated_at = ?1
             WHERE id = ?4 AND worker_id = ?5 AND state = 'running' RETURNING cancel_requested",
        )
        .bind(now)
        .bind(lease_ms)
        .bind(progress.clamp(0.0, 1.0))
        .bind(id.to_string())
        .bind(worker_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match cancel {
            None => Heartbeat::Lost,
            Some(0) => Heartbeat::Held,
            Some(_) => Heartbeat::CancelRequested,
        })
    }

    async fn complete(&self, id: Uuid, worker_id: &str) -> Result<bool, StoreError> {
        let now = self.now();
        let done = sqlx::query(
            "UPDATE jobs SET state = 'succeeded', progress = 1, lease_until = NULL, error = NULL, updated_at = ?1, finished_at = ?1
             WHERE id = ?2 AND worker_id = ?3 AND state = 'running'",
        )
        .bind(now)
        .bind(id.to_string())
        .bind(worker_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn fail(&self, id: Uuid, worker_id: &str, error: &str, retry: bool) -> Result<JobState, StoreError> {
        let now = self.now();
        let job = self.get(id).await?;
        let backoff = backoff_ms(job.attempts);
        let state: Option<String> = sqlx::query_scalar(
            "UPDATE jobs SET
                 state = CASE WHEN attempts >= max_attempts OR ?6 = 0 THEN 'dead' ELSE 'queued' END,
                 finished_at = CASE WHEN attempts >= max_attempts OR ?6 = 0 THEN ?1 END,
                 run_at = ?1 + ?2, error = ?3, worker_id = NULL, lease_until = NULL, updated_at = ?1
             WHERE id = ?4 AND worker_id = ?5 AND state = 'running' RETURNING state",
        )
        .bind(now)
        .bind(backoff)
        .bind(error)
        .bind(id.to_string())
        .bind(worker_id)
        .bind(i64::from(retry))
        .fetch_optional(&self.pool)
        .await?;
        match state {
            Some(s) => JobState::parse(&s),
            None => Ok(self.get(id).await?.state), // lease lost: someone else owns the outcome
        }
    }

    async fn release(&self, id: Uuid, worker_id: &str) -> Result<bool, StoreError> {
        let now = self.now();
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = MAX(attempts - 1, 0), worker_id = NULL, lease_until = NULL, run_at = ?1, updated_at = ?1
             WHERE id = ?2 AND worker_id = ?3 AND state = 'running'",
        )
        .bind(now)
        .bind(id.to_string())
        .bind(worker_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn cancelled(&self, id: Uuid, worker_id: &str) -> Result<bool, StoreError> {
        let now = self.now();
        let done = sqlx::query(
            "UPDATE jobs SET state = 'cancelled', lease_until = NULL, updated_at = ?1, finished_at = ?1
             WHERE id = ?2 AND worker_id = ?3 AND state = 'running'",
        )
        .bind(now)
        .bind(id.to_string())
        .bind(worker_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn cancel(&self, id: Uuid) -> Result<JobState, StoreError> {
        let now = self.now();
        let state: Option<String> = sqlx::query_scalar(
            "UPDATE jobs SET
                 cancel_requested = CASE WHEN state IN ('queued', 'running') THEN 1 ELSE cancel_requested END,
                 finished_at = CASE WHEN state = 'queued' THEN ?1 ELSE finished_at END,
                 state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
                 updated_at = ?1
             WHERE id = ?2 RETURNING state",
        )
        .bind(now)
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        JobState::parse(&state.ok_or(StoreError::NotFound)?)
    }

    async fn retry(&self, id: Uuid) -> Result<(), StoreError> {
        let now = self.now();
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_at = ?1, error = NULL, cancel_requested = 0, progress = 0,
                 worker_id = NULL, lease_until = NULL, finished_at = NULL, updated_at = ?1
             WHERE id = ?2 AND state IN ('dead', 'cancelled')",
        )
        .bind(now)
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            let job = self.get(id).await?;
            return Err(StoreError::Conflict(format!("job is {}; only dead or cancelled jobs can be retried", job.state.as_str())));
        }
        Ok(())
    }

    async fn get(&self, id: Uuid) -> Result<Job, StoreError> {
        let row: Option<JobRow> = sqlx::query_as("SELECT * FROM jobs WHERE id = ?1").bind(id.to_string()).fetch_optional(&self.pool).await?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn bury_expired(&self) -> Result<u64, StoreError> {
        let now = self.now();
        let done = sqlx::query(
            "UPDATE jobs SET
                 state = CASE WHEN cancel_requested = 1 THEN 'cancelled' ELSE 'dead' END,
                 error = CASE WHEN cancel_requested = 1 THEN error ELSE COALESCE(error || '; ', '') || 'worker lost on the last attempt' END,
                 lease_until = NULL, updated_at = ?1, finished_at = ?1
             WHERE state = 'running' AND lease_until < ?1 AND (attempts >= max_attempts OR cancel_requested = 1)",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn depth(&self) -> Result<Vec<QueueDepth>, StoreError> {
        let now = self.now();
        let rows: Vec<(String, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT queue,
                    COALESCE(SUM(state = 'queued' AND run_at <= ?1), 0),
                    COALESCE(SUM(state = 'running'), 0),
                    MIN(CASE WHEN state = 'queued' AND run_at <= ?1 THEN run_at END)
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
        let rows: Vec<JobRow> = sqlx::query_as("SELECT * FROM jobs WHERE owner_id = ?1 AND json_extract(payload, '$.project_id') = ?2 ORDER BY created_at DESC, id DESC LIMIT ?3")
            .bind(owner)
            .bind(project)
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Job::try_from).collect()
    }
}
