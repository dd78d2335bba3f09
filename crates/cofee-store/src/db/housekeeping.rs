//! [`Housekeeping`] on both backends.

use async_trait::async_trait;
use sqlx::types::Json;
use uuid::Uuid;

use super::queue::{INSERT_JOB, insert_job};
use super::{Dialect as _, Id, Store, TextId, db_run, enqueue_in};
use crate::StoreError;
use crate::housekeeping::{CleanupJob, Housekeeping};
use crate::queue::NewJob;

#[async_trait]
impl Housekeeping for Store {
    async fn expire_uploads(
        &self,
        idle_before: i64,
        at_most: u32,
        cleanup: CleanupJob<'_>,
    ) -> Result<Vec<Uuid>, StoreError> {
        let now = self.now();
        let mut tx = self.write_transaction().await?;
        let ids: Vec<Id> = db_run!(&mut tx, |tx, dialect| {
            let sql = format!(
                "SELECT id FROM uploads WHERE updated_at < $1 ORDER BY updated_at LIMIT $2 {}",
                dialect.skip_locked()
            );
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(idle_before)
                .bind(i64::from(at_most))
                .fetch_all(&mut **tx)
                .await?
        });
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        for id in &ids {
            db_run!(&mut tx, |tx| {
                sqlx::query("DELETE FROM uploads WHERE id = $1")
                    .bind(*id)
                    .execute(&mut **tx)
                    .await?;
            });
        }
        let ids: Vec<Uuid> = ids.into_iter().map(Uuid::from).collect();
        enqueue_in(&mut tx, &cleanup(&ids), now).await?;
        tx.commit().await?;
        Ok(ids)
    }

    async fn enqueue_unless_queued(&self, job: NewJob) -> Result<Option<Uuid>, StoreError> {
        let (id, now) = (Uuid::now_v7(), self.now());
        let inserted = db_run!(&self.pool, |pool| {
            let sql = format!(
                "{INSERT_JOB} WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE queue = $2 AND kind = $3 AND state = 'queued')"
            );
            insert_job!(sqlx::AssertSqlSafe(sql), id, job, now).execute(pool).await?.rows_affected()
        });
        Ok((inserted > 0).then_some(id))
    }
}
