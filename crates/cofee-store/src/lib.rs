//! Persistence adapters: the durable job queue ([`queue`]), accounts/projects ([`accounts`]),
//! media ([`media`]), webhooks ([`webhooks`]) and saved styles ([`saved_styles`]) — their traits here, their SQL once in [`db`]
//! for SQLite and PostgreSQL alike — and object storage ([`objects`]).

pub mod accounts;
pub mod db;
pub mod housekeeping;
pub mod media;
pub mod objects;
pub mod queue;
pub mod saved_styles;
pub mod signals;
pub mod webhooks;

pub use db::Store;
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
    #[error(transparent)]
    Conflict(#[from] Conflict),
    #[error("object storage error: {0}")]
    Storage(#[source] object_store::Error),
    #[error("object storage error: {0}")]
    Files(#[source] std::io::Error),
    #[error(
        "the database schema is at migration {applied}, this build needs {needed}: run `cofee migrate` first"
    )]
    SchemaBehind { applied: i64, needed: i64 },
}

/// A write refused because the data moved on (HTTP 409/412 at the edge).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Conflict {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("the captions are at version {current}, not {expected}")]
    StaleVersion { current: i64, expected: i64 },
    #[error("job is {}; only dead or cancelled jobs can be retried", .0.as_str())]
    NotRetryable(queue::JobState),
    #[error("the upload moved on meanwhile")]
    UploadMoved,
}

/// Milliseconds since the Unix epoch, from a clock tests can move.
pub type Clock = std::sync::Arc<dyn Fn() -> i64 + Send + Sync>;

pub fn system_clock() -> Clock {
    std::sync::Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    })
}

/// Every store on one database: what a process needs to serve the API or run jobs.
#[async_trait::async_trait]
pub trait Database:
    accounts::Accounts
    + accounts::Projects
    + housekeeping::Housekeeping
    + media::MediaStore
    + queue::JobQueue
    + webhooks::Webhooks
    + saved_styles::SavedStyles
{
    /// Whether the database answers (readiness probes).
    async fn ping(&self) -> Result<(), StoreError>;
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// The connection pool right now (for metrics).
    fn pool_state(&self) -> PoolState;
}

/// How a database connection pool is used: open connections, of which idle, and the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

impl PoolState {
    fn of<DB: sqlx::Database>(pool: &sqlx::Pool<DB>) -> Self {
        Self {
            open: pool.size(),
            idle: pool.num_idle() as u32,
            max: pool.options().get_max_connections(),
        }
    }
}

/// Which database a `COFEE_DATABASE_URL` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl std::str::FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() {
                return Err(
                    "sqlite:// needs a file path, e.g. sqlite:///var/lib/cofee/cofee.db".into()
                );
            }
            Ok(Self::Sqlite(path.into()))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_string()))
        } else {
            Err("the database URL must start with sqlite:// or postgres://".into())
        }
    }
}

impl DatabaseUrl {
    /// Connects. SQLite is opened and migrated in place (one process owns the file); PostgreSQL
    /// is only connected, with at most `max_connections`, and must already be migrated
    /// (`cofee migrate`) — [`DatabaseUrl::migrate`] does that.
    pub async fn connect(
        &self,
        max_connections: u32,
    ) -> Result<std::sync::Arc<dyn Database>, StoreError> {
        self.connect_with(max_connections, db::DEFAULT_OWNER_SHARE).await
    }

    /// [`DatabaseUrl::connect`], claiming jobs with another owner share (see
    /// [`Store::with_owner_share`]).
    pub async fn connect_with(
        &self,
        max_connections: u32,
        owner_share: f64,
    ) -> Result<std::sync::Arc<dyn Database>, StoreError> {
        let store = match self {
            Self::Sqlite(path) => Store::open_sqlite(path).await?,
            Self::Postgres(url) => Store::connect_postgres(url, max_connections).await?,
        }
        .with_owner_share(owner_share);
        store.check_schema().await?;
        Ok(std::sync::Arc::new(store))
    }

    /// Brings the schema up to date; returns how many migrations were applied.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        match self {
            Self::Sqlite(path) => Store::open_sqlite(path).await.map(|_| 0),
            Self::Postgres(url) => Store::connect_postgres(url, 2).await?.migrate().await,
        }
    }
}

/// A store whose database the tests create and drop.
#[cfg(feature = "testing")]
pub mod testing;
