//! Persistence adapters: the durable job queue ([`queue`]) and accounts/projects ([`accounts`]),
//! on SQLite ([`sqlite`]); the queue also on PostgreSQL ([`postgres`]), the rest follows. Each
//! backend has its own migrations folder and its own implementation — no `sqlx::Any` (it cannot
//! express both dialects or their types).

pub mod accounts;
pub mod media;
pub mod objects;
pub mod postgres;
pub mod queue;
pub mod sqlite;
pub mod webhooks;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("object storage error: {0}")]
    Storage(String),
}

/// Milliseconds since the Unix epoch, from a clock tests can move.
pub type Clock = std::sync::Arc<dyn Fn() -> i64 + Send + Sync>;

pub fn system_clock() -> Clock {
    std::sync::Arc::new(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64))
}
