//! PostgreSQL backend: the same traits and semantics as [`crate::sqlite`] — accounts, projects,
//! media, renders, uploads, webhooks and the job queue — with claims made by
//! `SELECT … FOR UPDATE SKIP LOCKED` so any number of workers in any number of processes take
//! jobs without blocking one another. Its own migrations folder (no `sqlx::Any`).

mod accounts;
mod media;
mod queue;
mod webhooks;

pub use queue::enqueue_in;

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::{Clock, StoreError, system_clock};

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    clock: Clock,
}

impl PgStore {
    /// Connects with at most `max_connections` (keep the sum over all processes under the
    /// server's `max_connections`).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new().max_connections(max_connections).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
        Ok(Self { pool, clock: system_clock() })
    }

    /// Brings the schema up to date (`cofee migrate`; never raced at API start-up); returns how
    /// many migrations it applied. Concurrent runs are safe: sqlx takes an advisory lock.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        let before = self.applied_version().await?;
        MIGRATIONS.run(&self.pool).await?;
        let after = self.applied_version().await?;
        Ok(MIGRATIONS.iter().filter(|m| !m.migration_type.is_down_migration() && m.version > before && m.version <= after).count())
    }

    /// The newest migration applied, 0 for none.
    async fn applied_version(&self) -> Result<i64, StoreError> {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL").fetch_one(&self.pool).await?;
        if !exists {
            return Ok(0);
        }
        Ok(sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM _sqlx_migrations WHERE success").fetch_one(&self.pool).await?.unwrap_or(0))
    }

    /// Fails unless every migration this build knows is applied: the API and workers never
    /// migrate, and must not run against an older schema.
    pub async fn check_schema(&self) -> Result<(), StoreError> {
        let applied = self.applied_version().await?;
        let known = MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0);
        if applied < known {
            return Err(StoreError::Schema(format!("the database schema is at migration {applied}, this build needs {known}: run `cofee migrate` first")));
        }
        Ok(())
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

}

#[async_trait::async_trait]
impl crate::Database for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn pool_state(&self) -> crate::PoolState {
        crate::PoolState::of(&self.pool)
    }
}
