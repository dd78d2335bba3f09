//! Connecting to the PostgreSQL backend, where migrations are a step of their own
//! (`cofee migrate`): the API and the workers only check that the schema is new enough.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use super::{Backend, Store};

/// How long a pooled connection may sit idle before it is pinged on its way out.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);
use crate::StoreError;

/// The PostgreSQL schema's migrations (public for the upgrade tests).
pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Connects with at most `max_connections` (keep the sum over all processes under the
    /// server's `max_connections`). Neither migrates nor checks the schema.
    pub async fn connect_postgres(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            // sqlx pings every connection it hands out: a round trip more for each query,
            // which halved a worker's claims a second. A connection that has just been used is
            // known to be alive; only one idle for a while (the server may have restarted or
            // closed it meanwhile) is pinged, and dropped if the ping fails.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_AFTER_IDLE {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect(url)
            .await?;
        Ok(Self::new(Backend::Postgres(pool)))
    }

    /// Brings a PostgreSQL schema up to date (`cofee migrate`; never raced at API start-up);
    /// returns how many migrations it applied. Concurrent runs are safe: sqlx takes an advisory
    /// lock. On SQLite, opening the store migrated it already.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        let Backend::Postgres(pool) = &self.pool else { return Ok(0) };
        let before = applied_version(pool).await?;
        MIGRATIONS.run(pool).await?;
        let after = applied_version(pool).await?;
        Ok(MIGRATIONS
            .iter()
            .filter(|m| {
                !m.migration_type.is_down_migration() && m.version > before && m.version <= after
            })
            .count())
    }

    /// Fails unless every migration this build knows is applied: the API and workers never
    /// migrate PostgreSQL, and must not run against an older schema.
    pub async fn check_schema(&self) -> Result<(), StoreError> {
        let Backend::Postgres(pool) = &self.pool else { return Ok(()) };
        let applied = applied_version(pool).await?;
        let needed = MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0);
        if applied < needed {
            return Err(StoreError::SchemaBehind { applied, needed });
        }
        Ok(())
    }
}

/// The newest migration applied, 0 for none.
async fn applied_version(pool: &PgPool) -> Result<i64, StoreError> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await?;
    if !exists {
        return Ok(0);
    }
    Ok(sqlx::query_scalar::<_, Option<i64>>(
        "SELECT MAX(version) FROM _sqlx_migrations WHERE success",
    )
    .fetch_one(pool)
    .await?
    .unwrap_or(0))
}
