//! The only places where the SQL of the two backends differs. [`db_run!`](super::db_run) binds
//! the backend's dialect next to its pool or transaction, so a body written once picks the
//! right fragment.

use sqlx::{Pool, Postgres, Sqlite, Transaction};

pub trait Dialect {
    type Db: sqlx::Database;

    /// What ends the sub-select of a claim (whose jobs are `j`). PostgreSQL: `FOR UPDATE OF j SKIP
    /// LOCKED`, so concurrent
    /// claimers each lock a different row instead of queueing behind (or, under READ
    /// COMMITTED, re-checking) the same one. SQLite has no row locks: its single writer makes
    /// each `UPDATE … RETURNING` atomic already.
    fn claim_lock(&self) -> &'static str;

    /// A condition, to AND into the `WHERE` of what a worker records about a job it holds (its
    /// claim, heartbeats and outcome), that lets the statement's own transaction commit without
    /// waiting for the disk. PostgreSQL: `set_config('synchronous_commit', 'off', true)`
    /// (`SET LOCAL` inside the statement). See [`crate::queue`]'s durability paragraph for why
    /// that loses nothing the queue promises; the disk's flush was the largest cost of a claim
    /// and of a job's completion. SQLite: nothing (its commits stay `synchronous=FULL`).
    fn lazy_commit(&self) -> &'static str;

    /// What ends a read of rows this transaction will delete, skipping rows another one holds
    /// (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: nothing, its writer is alone).
    fn skip_locked(&self) -> &'static str;

    /// What ends a read of a row this transaction will delete, so that rows referring to it
    /// cannot be added meanwhile (PostgreSQL: `FOR UPDATE`, which a foreign-key check waits
    /// for; SQLite: nothing).
    fn delete_lock(&self) -> &'static str;

    /// What ends a read that later writes in the same transaction depend on (a project that
    /// must still exist when its render row is inserted). PostgreSQL: `FOR SHARE`, so a delete
    /// waits for the commit. SQLite: nothing — [`Dialect::begin_write`] holds the write lock.
    fn read_lock(&self) -> &'static str;

    /// Begins a transaction that reads and then writes. SQLite: `BEGIN IMMEDIATE`, which takes
    /// the write lock up front — a default (deferred) transaction that reads and then writes
    /// fails at once with SQLITE_BUSY_SNAPSHOT when another connection wrote in between; this one
    /// waits its turn. PostgreSQL: a plain `BEGIN` (row locks do the rest).
    fn begin_write(
        &self,
        pool: &Pool<Self::Db>,
    ) -> impl Future<Output = Result<Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

pub struct SqliteDialect;

pub struct PostgresDialect;

impl Dialect for SqliteDialect {
    type Db = Sqlite;

    fn claim_lock(&self) -> &'static str {
        ""
    }

    fn lazy_commit(&self) -> &'static str {
        ""
    }

    fn skip_locked(&self) -> &'static str {
        ""
    }

    fn delete_lock(&self) -> &'static str {
        ""
    }

    fn read_lock(&self) -> &'static str {
        ""
    }

    fn begin_write(
        &self,
        pool: &Pool<Sqlite>,
    ) -> impl Future<Output = Result<Transaction<'static, Sqlite>, sqlx::Error>> + Send {
        pool.begin_with("BEGIN IMMEDIATE")
    }
}

impl Dialect for PostgresDialect {
    type Db = Postgres;

    fn claim_lock(&self) -> &'static str {
        "FOR UPDATE OF j SKIP LOCKED"
    }

    fn lazy_commit(&self) -> &'static str {
        "AND set_config('synchronous_commit', 'off', true) IS NOT NULL"
    }

    fn skip_locked(&self) -> &'static str {
        "FOR UPDATE SKIP LOCKED"
    }

    fn delete_lock(&self) -> &'static str {
        "FOR UPDATE"
    }

    fn read_lock(&self) -> &'static str {
        "FOR SHARE"
    }

    fn begin_write(
        &self,
        pool: &Pool<Postgres>,
    ) -> impl Future<Output = Result<Transaction<'static, Postgres>, sqlx::Error>> + Send {
        pool.begin()
    }
}
