//! SQLite backend: one database file, WAL journal with `synchronous=FULL` (a committed job
//! survives power loss), foreign keys on, and a busy timeout so several processes can share
//! the file. Writers are serialised by SQLite itself, so each queue operation is one atomic
//! `UPDATE … RETURNING`.

mod accounts;
mod media;
mod queue;
mod webhooks;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::{Clock, StoreError, system_clock};

pub use queue::enqueue_in;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    clock: Clock,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        MIGRATIONS.run(&pool).await?;
        Ok(Self { pool, clock: system_clock() })
    }

    /// The same store with another clock (tests move time to expire leases).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    /// A transaction that takes the write lock up front (`BEGIN IMMEDIATE`). A default
    /// (deferred) transaction that reads and then writes fails with SQLITE_BUSY_SNAPSHOT — no
    /// waiting — when another connection wrote in between; this one waits its turn instead.
    pub async fn write_transaction(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

}

#[async_trait::async_trait]
impl crate::Database for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn pool_state(&self) -> crate::PoolState {
        crate::PoolState::of(&self.pool)
    }
}
