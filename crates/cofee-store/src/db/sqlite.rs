//! Opening the SQLite backend: one database file, WAL journal with `synchronous=FULL` (a
//! committed job survives power loss), foreign keys on, and a busy timeout so several processes
//! can share the file. Writers are serialised by SQLite itself, so each queue operation is one
//! atomic `UPDATE … RETURNING`.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{Backend, Store};
use crate::StoreError;

/// The SQLite schema's migrations (public for the upgrade tests).
pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl Store {
    /// Opens (creating if needed) the SQLite database at `path` and brings its schema up to
    /// date: one process owns the file, so it migrates in place.
    pub async fn open_sqlite(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        MIGRATIONS.run(&pool).await?;
        Ok(Self::new(Backend::Sqlite(pool)))
    }
}
