//! The `maintenance` queue: deleting the objects of deleted rows ([`DeleteObjects`]) and
//! expiring uploads nobody finished ([`ExpireUploads`]). Both are idempotent, so a run a crash
//! cut short is simply run again.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cofee_jobs::{BackgroundJob, DeleteObjects, ExpireUploads, JobOrigin, new_job, payload};
use cofee_store::Database;
use cofee_store::objects::Objects;
use cofee_store::queue::Job;

use crate::{JobContext, JobError, JobHandler};

/// Uploads expired per transaction; a backlog is worked off over several runs.
const EXPIRE_AT_ONCE: u32 = 500;

pub struct MaintenanceHandler {
    pub db: Arc<dyn Database>,
    pub objects: Objects,
    /// How long an upload may sit untouched before it is expired.
    pub upload_expiry: Duration,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl MaintenanceHandler {
    /// How often expiry runs: a quarter of the expiry age, between a minute and an hour.
    pub fn expiry_interval(&self) -> Duration {
        (self.upload_expiry / 4).clamp(Duration::from_secs(60), Duration::from_secs(3600))
    }

    /// Queues the next expiry run (unless one is waiting), `after` from now.
    pub async fn schedule_expiry(&self, after: Duration) -> Result<(), JobError> {
        let next = cofee_store::queue::NewJob {
            delay_ms: after.as_millis() as i64,
            ..new_job(&ExpireUploads {}, JobOrigin::default())
        };
        self.db.enqueue_unless_queued(next).await.map_err(JobError::retryable)?;
        Ok(())
    }

    async fn delete_objects(&self, job: DeleteObjects, ctx: &JobContext) -> Result<(), JobError> {
        let total = job.prefixes.len().max(1) as f64;
        for (done, prefix) in job.prefixes.iter().enumerate() {
            for key in self.objects.list(prefix).await.map_err(JobError::retryable)? {
                self.objects.delete(&key).await.map_err(JobError::retryable)?;
            }
            ctx.progress((done + 1) as f64 / total);
        }
        Ok(())
    }

    async fn expire_uploads(&self) -> Result<(), JobError> {
        // The next run is queued first, so a run that fails (storage or database down) does
        // not end the schedule.
        self.schedule_expiry(self.expiry_interval()).await?;
        let before = now_ms() - self.upload_expiry.as_millis() as i64;
        let cleanup =
            |ids: &[uuid::Uuid]| new_job(&DeleteObjects::uploads(ids), JobOrigin::default());
        loop {
            let expired = self
                .db
                .expire_uploads(before, EXPIRE_AT_ONCE, &cleanup)
                .await
                .map_err(JobError::retryable)?;
            if !expired.is_empty() {
                tracing::info!(count = expired.len(), "expired abandoned resumable uploads");
            }
            if expired.len() < EXPIRE_AT_ONCE as usize {
                break;
            }
        }
        // Direct uploads have no row: the object is the upload, and its age says it was
        // abandoned (a finished one is deleted when it is taken).
        let strays = self
            .objects
            .list_written_before("uploads/direct", before)
            .await
            .map_err(JobError::retryable)?;
        for key in &strays {
            self.objects.delete(key).await.map_err(JobError::retryable)?;
        }
        if !strays.is_empty() {
            tracing::info!(count = strays.len(), "expired abandoned direct uploads");
        }
        Ok(())
    }
}

#[async_trait]
impl JobHandler for MaintenanceHandler {
    async fn run(&self, job: &Job, ctx: JobContext) -> Result<(), JobError> {
        match job.kind.as_str() {
            DeleteObjects::KIND => {
                let p = payload::<DeleteObjects>(job).map_err(JobError::permanent)?;
                self.delete_objects(p, &ctx).await
            }
            ExpireUploads::KIND => self.expire_uploads().await,
            other => Err(JobError::permanent(format!("no maintenance job is called {other:?}"))),
        }
    }
}
