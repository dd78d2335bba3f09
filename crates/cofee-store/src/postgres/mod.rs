//! PostgreSQL backend: the same traits and semantics as [`crate::sqlite`], with claims made by
//! `SELECT … FOR UPDATE SKIP LOCKED` so any number of workers in any number of processes take
//! jobs without blocking one another. Its own migrations folder (no `sqlx::Any`).

mod queue;

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

    /// Brings the schema up to date (`cofee migrate`; never raced at API start-up).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATIONS.run(&self.pool).await?;
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

    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
