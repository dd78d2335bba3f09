//! The stores on a relational database: every query written once, run on SQLite or PostgreSQL.
//!
//! How: [`Store`] holds a [`Backend`] — a SQLite or a PostgreSQL pool — and each method's body
//! is written once inside [`db_run!`], which expands it for both (the approach of vaultwarden's
//! `db_run!`). The SQL text is the same for both: `$1`-style placeholders (SQLite takes them as
//! well), SQL both dialects accept (`RETURNING`, `ON CONFLICT … DO UPDATE`, `FILTER`, `CASE`,
//! `TRUE`/`FALSE`), and values whose encoding each backend decides ([`Id`]: UUID on PostgreSQL,
//! hyphenated text on SQLite; booleans: `BOOLEAN` / `INTEGER`; JSON: `JSONB` / `TEXT`). Where
//! the dialects must differ, the difference is one method of [`Dialect`], implemented per pool
//! type, which the shared body calls: a claim's row lock, a read lock, and how a writing
//! transaction begins.
//!
//! Why not the alternatives: `sqlx::Any` carries no UUID or JSON values and cannot take
//! per-backend fragments; code generic over `sqlx::Database` needs a bound per bound value type
//! and per executor on every function, longer than the queries; a second copy per backend is what
//! this replaced (the copies had drifted: an index on one side only).
//!
//! Migrations stay one folder per backend (DDL types differ); `tests/schema_parity.rs` holds the
//! two schemas to each other.

mod accounts;
mod dialect;
mod housekeeping;
mod id;
mod media;
pub mod postgres;
mod queue;
mod saved_styles;
pub mod sqlite;
mod webhooks;

pub use dialect::Dialect;
pub use id::{Id, TextId};
use queue::JobRow;
pub use queue::enqueue_in;

use crate::{Clock, StoreError, system_clock};

/// One value per backend: a pool, a transaction.
#[derive(Debug, Clone)]
pub enum Backend<S, P> {
    Sqlite(S),
    Postgres(P),
}

/// The connection pool of one of the two backends.
pub type Pool = Backend<sqlx::SqlitePool, sqlx::PgPool>;

/// A transaction that writes (see [`Dialect::begin_write`]), on either backend.
pub type WriteTx =
    Backend<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Transaction<'static, sqlx::Postgres>>;

/// `db_run!(on, |x| body)` runs `body` on whichever backend `on` (a [`Backend`]) holds, with `x`
/// bound to its value — and in `db_run!(on, |x, d| body)`, `d` to its [`Dialect`]. The body is
/// compiled once per backend, so everything in it must work on both.
macro_rules! db_run {
    ($on:expr, |$x:ident| $body:expr) => {
        match $on {
            $crate::db::Backend::Sqlite($x) => $body,
            $crate::db::Backend::Postgres($x) => $body,
        }
    };
    ($on:expr, |$x:ident, $d:ident| $body:expr) => {
        match $on {
            $crate::db::Backend::Sqlite($x) => {
                let $d = $crate::db::dialect::SqliteDialect;
                $body
            }
            $crate::db::Backend::Postgres($x) => {
                let $d = $crate::db::dialect::PostgresDialect;
                $body
            }
        }
    };
}
pub(crate) use db_run;

impl WriteTx {
    pub async fn commit(self) -> Result<(), StoreError> {
        db_run!(self, |tx| {
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        db_run!(self, |tx| {
            tx.rollback().await?;
        });
        Ok(())
    }
}

/// Accounts, projects, media, renders, uploads, webhooks and the job queue on one database.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    clock: Clock,
    owner_share: f64,
    /// When a claim of this store last buried expired jobs (see `claim`).
    buried_at: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

/// The share of a queue's running jobs one owner may hold while other owners' jobs wait
/// (fair claiming), unless configured otherwise.
pub const DEFAULT_OWNER_SHARE: f64 = 0.5;

impl Store {
    fn new(pool: Pool) -> Self {
        Self {
            pool,
            clock: system_clock(),
            owner_share: DEFAULT_OWNER_SHARE,
            buried_at: std::sync::Arc::new(i64::MIN.into()),
        }
    }

    /// The same store claiming so that one owner holds at most `share` (0 to 1) of a queue's
    /// running jobs while others' wait; 1 claims strictly first in, first out.
    pub fn with_owner_share(mut self, share: f64) -> Self {
        self.owner_share = share.clamp(0.0, 1.0);
        self
    }

    /// The same store with another clock (tests move time to expire leases).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    /// A transaction for a read followed by writes (see [`Dialect::begin_write`]).
    pub async fn write_transaction(&self) -> Result<WriteTx, StoreError> {
        Ok(match &self.pool {
            Backend::Sqlite(p) => Backend::Sqlite(dialect::SqliteDialect.begin_write(p).await?),
            Backend::Postgres(p) => {
                Backend::Postgres(dialect::PostgresDialect.begin_write(p).await?)
            }
        })
    }
}

#[async_trait::async_trait]
impl crate::Database for Store {
    async fn ping(&self) -> Result<(), StoreError> {
        db_run!(&self.pool, |pool| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    fn backend(&self) -> &'static str {
        match self.pool {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    fn pool_state(&self) -> crate::PoolState {
        db_run!(&self.pool, |pool| crate::PoolState::of(pool))
    }
}

impl Store {
    /// Runs `sql`, a delete of row `$1` scoped to its owner `$2`: [`StoreError::NotFound`]
    /// when there is no such row or it is someone else's.
    async fn delete_owned(
        &self,
        sql: &'static str,
        id: uuid::Uuid,
        owner: uuid::Uuid,
    ) -> Result<(), StoreError> {
        touched(db_run!(&self.pool, |pool| {
            sqlx::query(sql).bind(Id(id)).bind(Id(owner)).execute(pool).await?.rows_affected()
        }))
    }
}

/// A unique-constraint violation, told apart from other database errors.
fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// `Err(NotFound)` unless a write touched a row (writes scoped to an owner touch none when the
/// row is someone else's).
fn touched(rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}
