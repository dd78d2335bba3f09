//! [`JobQueue`] on both backends. Semantics: see [`crate::queue`]. The dialect differences are
//! the claim's row lock ([`Dialect::claim_lock`]) and the worker's records committing without
//! waiting for the disk ([`Dialect::lazy_commit`]).

use std::sync::atomic::Ordering;

use async_trait::async_trait;
use sqlx::types::Json;
use uuid::Uuid;

use super::{Dialect as _, Id, Store, TextId, WriteTx, db_run};
use crate::StoreError;
use crate::queue::{Heartbeat, Job, JobQueue, JobState, NewJob, QueueDepth, backoff_ms};

/// How often claims bury jobs whose lease expired on their last attempt, at most.
const BURY_EVERY_MS: i64 = 1000;

#[derive(sqlx::FromRow)]
pub(super) struct JobRow {
    id: Id,
    queue: String,
    kind: String,
    payload: Json<serde_json::Value>,
    owner_id: Option<TextId>,
    project_id: Option<Id>,
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
            id: r.id.0,
            queue: r.queue,
            kind: r.kind,
            payload: r.payload.0,
            owner_id: r.owner_id.map(|o| o.0),
            project_id: r.project_id.map(Uuid::from),
            state: r.state.parse()?,
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

/// The insert of a new job (an `INSERT … SELECT`, so a condition can follow).
pub(super) const INSERT_JOB: &str = "INSERT INTO jobs (id, queue, kind, payload, owner_id, project_id, state, attempts, max_attempts,
                               run_at, trace_context, traceparent, created_at, updated_at)
     SELECT $1, $2, $3, $4, $5, $6, 'queued', 0, $7, $8, $9, $10, $11, $11";

/// An insert of a new job ([`INSERT_JOB`], maybe with a condition) bound for whichever backend
/// runs it (a macro: the binds are the same on both, their encodings not).
macro_rules! insert_job {
    ($sql:expr, $id:expr, $job:expr, $now:expr) => {
        sqlx::query($sql)
            .bind(Id($id))
            .bind(&$job.queue)
            .bind(&$job.kind)
            .bind(Json(&$job.payload))
            .bind($job.owner_id.map(TextId))
            .bind($job.project_id.map(Id))
            .bind($job.max_attempts.max(1) as i32)
            .bind($now + $job.delay_ms.max(0))
            .bind(&$job.trace_context)
            .bind(&$job.traceparent)
            .bind($now)
    };
}
pub(super) use insert_job;

/// Enqueues in the caller's transaction, so the job commits (or rolls back) with the rows it
/// belongs to.
pub async fn enqueue_in(tx: &mut WriteTx, job: &NewJob, now: i64) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    db_run!(tx, |tx| {
        insert_job!(INSERT_JOB, id, job, now).execute(&mut **tx).await?;
    });
    Ok(id)
}

#[async_trait]
impl JobQueue for Store {
    async fn enqueue(&self, job: NewJob) -> Result<Uuid, StoreError> {
        let (id, now) = (Uuid::now_v7(), self.now());
        db_run!(&self.pool, |pool| {
            insert_job!(INSERT_JOB, id, job, now).execute(pool).await?;
        });
        Ok(id)
    }

    async fn claim(
        &self,
        queue: &str,
        worker_id: &str,
        lease_ms: i64,
    ) -> Result<Option<Job>, StoreError> {
        let now = self.now();
        // Burying is bookkeeping (no claim takes those jobs anyway), so a claim does it when a
        // second has passed since this store's last burial rather than every time: draining a
        // queue of short jobs costs one statement a claim.
        let last = self.buried_at.load(Ordering::Relaxed);
        if !(0..BURY_EVERY_MS).contains(&now.saturating_sub(last))
            && self
                .buried_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.bury_expired().await?;
        }
        let row: Option<JobRow> = db_run!(&self.pool, |pool, dialect| {
            // Fair claiming: an owner already holding its share of the queue's running jobs
            // (`owner_share` of them, counting the one being claimed) goes behind everyone
            // else's waiting jobs; with nobody else waiting it takes the slot anyway. Each of the
            // two looks walks the `jobs_claimable` index oldest first and stops at the first job
            // it may take (a sort of every ready job would make draining a long queue quadratic).
            let ready = "j.queue = $4 AND j.state IN ('queued', 'running') AND j.run_at <= $2
                         AND (j.state = 'queued' OR j.lease_until < $2)
                         AND j.attempts < j.max_attempts AND NOT j.cancel_requested";
            let (lock, lazy_commit) = (dialect.claim_lock(), dialect.lazy_commit());
            let sql = format!(
                "WITH running AS (
                     SELECT owner_id, COUNT(*) AS n FROM jobs
                     WHERE queue = $4 AND state = 'running' AND lease_until >= $2
                     GROUP BY owner_id),
                 saturated AS (
                     SELECT owner_id FROM running
                     WHERE n >= $5 * ((SELECT COALESCE(SUM(n), 0) FROM running) + 1))
                 UPDATE jobs SET state = 'running', attempts = attempts + 1, worker_id = $1, lease_until = $2 + $3, updated_at = $2
                 WHERE id = COALESCE(
                     (SELECT j.id FROM jobs j
                      WHERE {ready} AND NOT EXISTS (SELECT 1 FROM saturated s WHERE s.owner_id = j.owner_id)
                      ORDER BY j.run_at, j.id LIMIT 1 {lock}),
                     (SELECT j.id FROM jobs j WHERE {ready} ORDER BY j.run_at, j.id LIMIT 1 {lock}))
                   {lazy_commit}
                 RETURNING *"
            );
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(worker_id)
                .bind(now)
                .bind(lease_ms)
                .bind(queue)
                .bind(self.owner_share)
                .fetch_optional(pool)
                .await?
        });
        row.map(Job::try_from).transpose()
    }

    async fn heartbeat(
        &self,
        id: Uuid,
        worker_id: &str,
        lease_ms: i64,
        progress: f64,
    ) -> Result<Heartbeat, StoreError> {
        let now = self.now();
        let cancel: Option<bool> = db_run!(&self.pool, |pool, dialect| {
            sqlx::query_scalar(
            sqlx::AssertSqlSafe(format!(
                "UPDATE jobs SET lease_until = $1 + $2, progress = $3, updated_at = $1
                 WHERE id = $4 AND worker_id = $5 AND state = 'running' {} RETURNING cancel_requested",
                dialect.lazy_commit()
            ))
        )
        .bind(now)
        .bind(lease_ms)
        .bind(progress.clamp(0.0, 1.0))
        .bind(Id(id))
        .bind(worker_id)
        .fetch_optional(pool)
        .await?
        });
        Ok(match cancel {
            None => Heartbeat::Lost,
            Some(false) => Heartbeat::Held,
            Some(true) => Heartbeat::CancelRequested,
        })
    }

    async fn complete(&self, id: Uuid, worker_id: &str) -> Result<bool, StoreError> {
        self.finish_held(
            "UPDATE jobs SET state = 'succeeded', progress = 1, lease_until = NULL, error = NULL, updated_at = $1, finished_at = $1
             WHERE id = $2 AND worker_id = $3 AND state = 'running'",
            id,
            worker_id,
        )
        .await
    }

    async fn fail(
        &self,
        id: Uuid,
        worker_id: &str,
        error: &str,
        retry: bool,
    ) -> Result<JobState, StoreError> {
        let now = self.now();
        let backoff = backoff_ms(self.get(id).await?.attempts);
        let state: Option<String> = db_run!(&self.pool, |pool, dialect| {
            sqlx::query_scalar(
            sqlx::AssertSqlSafe(format!(
                "UPDATE jobs SET
                     state = CASE WHEN cancel_requested THEN 'cancelled'
                                  WHEN attempts >= max_attempts OR NOT $6 THEN 'dead' ELSE 'queued' END,
                     finished_at = CASE WHEN cancel_requested OR attempts >= max_attempts OR NOT $6 THEN $1 END,
                     run_at = $1 + $2, error = CASE WHEN cancel_requested THEN error ELSE $3 END,
                     worker_id = NULL, lease_until = NULL, updated_at = $1
                 WHERE id = $4 AND worker_id = $5 AND state = 'running' {} RETURNING state",
                dialect.lazy_commit()
            ))
        )
        .bind(now)
        .bind(backoff)
        .bind(error)
        .bind(Id(id))
        .bind(worker_id)
        .bind(retry)
        .fetch_optional(pool)
        .await?
        });
        match state {
            Some(s) => s.parse(),
            None => Ok(self.get(id).await?.state), // lease lost: someone else owns the outcome
        }
    }

    async fn release(&self, id: Uuid, worker_id: &str) -> Result<bool, StoreError> {
        self.finish_held(
            "UPDATE jobs SET state = 'queued', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,
                 worker_id = NULL, lease_until = NULL, run_at = $1, updated_at = $1
             WHERE id = $2 AND worker_id = $3 AND state = 'running'",
            id,
            worker_id,
        )
        .await
    }

    async fn cancelled(&self, id: Uuid, worker_id: &str) -> Result<bool, StoreError> {
        self.finish_held(
            "UPDATE jobs SET state = 'cancelled', lease_until = NULL, updated_at = $1, finished_at = $1
             WHERE id = $2 AND worker_id = $3 AND state = 'running'",
            id,
            worker_id,
        )
        .await
    }

    async fn cancel(&self, id: Uuid) -> Result<JobState, StoreError> {
        let state: Option<String> = db_run!(&self.pool, |pool| {
            sqlx::query_scalar(
            "UPDATE jobs SET
                 cancel_requested = CASE WHEN state IN ('queued', 'running') THEN TRUE ELSE cancel_requested END,
                 finished_at = CASE WHEN state = 'queued' THEN $1 ELSE finished_at END,
                 state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
                 updated_at = $1
             WHERE id = $2 RETURNING state",
        )
        .bind(self.now())
        .bind(Id(id))
        .fetch_optional(pool)
        .await?
        });
        state.ok_or(StoreError::NotFound)?.parse()
    }

    async fn retry(&self, id: Uuid) -> Result<(), StoreError> {
        let done = db_run!(&self.pool, |pool| {
            sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $1, error = NULL, cancel_requested = FALSE, progress = 0,
                 worker_id = NULL, lease_until = NULL, finished_at = NULL, updated_at = $1
             WHERE id = $2 AND state IN ('dead', 'cancelled')",
        )
        .bind(self.now())
        .bind(Id(id))
        .execute(pool)
        .await?
        .rows_affected()
        });
        if done == 0 {
            let job = self.get(id).await?;
            return Err(crate::Conflict::NotRetryable(job.state).into());
        }
        Ok(())
    }

    async fn get(&self, id: Uuid) -> Result<Job, StoreError> {
        let row: Option<JobRow> =
            db_run!(&self.pool, |pool| sqlx::query_as("SELECT * FROM jobs WHERE id = $1")
                .bind(Id(id))
                .fetch_optional(pool)
                .await?);
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn bury_expired(&self) -> Result<u64, StoreError> {
        Ok(db_run!(&self.pool, |pool| {
            sqlx::query(
            "UPDATE jobs SET
                 state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'dead' END,
                 error = CASE WHEN cancel_requested THEN error ELSE COALESCE(error || '; ', '') || 'worker lost on the last attempt' END,
                 lease_until = NULL, updated_at = $1, finished_at = $1
             WHERE state = 'running' AND lease_until < $1 AND (attempts >= max_attempts OR cancel_requested)",
        )
        .bind(self.now())
        .execute(pool)
        .await?
        .rows_affected()
        }))
    }

    async fn depth(&self) -> Result<Vec<QueueDepth>, StoreError> {
        let now = self.now();
        let rows: Vec<(String, i64, i64, Option<i64>)> =
            db_run!(&self.pool, |pool| sqlx::query_as(
                "SELECT queue,
                    COUNT(*) FILTER (WHERE state = 'queued' AND run_at <= $1),
                    COUNT(*) FILTER (WHERE state = 'running'),
                    MIN(run_at) FILTER (WHERE state = 'queued' AND run_at <= $1)
             FROM jobs WHERE state IN ('queued', 'running') GROUP BY queue ORDER BY queue",
            )
            .bind(now)
            .fetch_all(pool)
            .await?);
        Ok(rows
            .into_iter()
            .map(|(queue, ready, running, oldest)| QueueDepth {
                queue,
                ready: ready as u64,
                running: running as u64,
                oldest_ready_age_ms: oldest.map(|t| now - t),
            })
            .collect())
    }

    async fn jobs_for_project(
        &self,
        owner: Uuid,
        project: Uuid,
        limit: u32,
    ) -> Result<Vec<Job>, StoreError> {
        let rows: Vec<JobRow> = db_run!(&self.pool, |pool| {
            sqlx::query_as(
            "SELECT * FROM jobs WHERE owner_id = $1 AND project_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(TextId(owner))
        .bind(Id(project))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?
        });
        rows.into_iter().map(Job::try_from).collect()
    }
}

impl Store {
    /// Runs `sql` — an update of a job `worker_id` holds, taking `$1` now, `$2` the job and `$3`
    /// the worker — and says whether the job was still theirs.
    async fn finish_held(
        &self,
        sql: &'static str,
        id: Uuid,
        worker_id: &str,
    ) -> Result<bool, StoreError> {
        let done = db_run!(&self.pool, |pool, dialect| sqlx::query(sqlx::AssertSqlSafe(format!(
            "{sql} {}",
            dialect.lazy_commit()
        )))
        .bind(self.now())
        .bind(Id(id))
        .bind(worker_id)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(done == 1)
    }
}
