//! What the maintenance jobs ask of the database: expiring abandoned uploads, and keeping one
//! periodic job queued. Objects are never deleted here: rows go in a transaction that also
//! enqueues the job deleting their objects (see [`CleanupJob`]), so nothing is left behind
//! whichever step a crash interrupts.

use async_trait::async_trait;
use uuid::Uuid;

use crate::StoreError;
use crate::queue::NewJob;

/// Builds the job that deletes the objects of the rows being deleted, from the ids of the
/// resumable uploads that go with them.
pub type CleanupJob<'a> = &'a (dyn Fn(&[Uuid]) -> NewJob + Send + Sync);

#[async_trait]
pub trait Housekeeping: Send + Sync {
    /// Deletes up to `at_most` resumable uploads not written to since `idle_before` (unix ms),
    /// and in the same transaction enqueues `cleanup` for their pieces; returns their ids.
    async fn expire_uploads(
        &self,
        idle_before: i64,
        at_most: u32,
        cleanup: CleanupJob<'_>,
    ) -> Result<Vec<Uuid>, StoreError>;

    /// Enqueues `job` unless a job of its queue and kind is waiting already (a periodic job
    /// schedules its next run this way); returns the new job's id, if one was made.
    async fn enqueue_unless_queued(&self, job: NewJob) -> Result<Option<Uuid>, StoreError>;
}
