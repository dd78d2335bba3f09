//! What the store's tests share: a fixture per backend (a SQLite file, or a database of its own on
//! the PostgreSQL server) with a clock the test moves, and a macro running each test on both.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use cofee_store::queue::JobQueue;
use cofee_store::testing::PgTestDatabase;
use cofee_store::{Clock, Store};

#[derive(Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct Fixture {
    pub backend: Backend,
    _dir: tempfile::TempDir,
    pub path: std::path::PathBuf,
    /// (server URL, database name) for PostgreSQL.
    pub pg: Option<PgTestDatabase>,
    pub time: Arc<AtomicI64>,
}

impl Fixture {
    pub async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cofee.db");
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgTestDatabase::create().await),
        };
        Self { backend, _dir: dir, path, pg, time: Arc::new(AtomicI64::new(1_800_000_000_000)) }
    }

    pub fn clock(&self) -> Clock {
        let t = self.time.clone();
        Arc::new(move || t.load(Ordering::SeqCst))
    }

    /// A queue on the shared database with its own connection pool (as another process would have).
    pub async fn queue(&self) -> Arc<dyn JobQueue> {
        Arc::new(self.store().await)
    }

    pub async fn store(&self) -> Store {
        match self.backend {
            Backend::Sqlite => self.sqlite().await,
            Backend::Postgres => {
                let db = self.pg.as_ref().expect("postgres fixture");
                Store::connect_postgres(&db.url(), 4).await.unwrap().with_clock(self.clock())
            }
        }
    }

    pub async fn sqlite(&self) -> Store {
        Store::open_sqlite(&self.path).await.unwrap().with_clock(self.clock())
    }

    pub fn advance(&self, ms: i64) {
        self.time.fetch_add(ms, Ordering::SeqCst);
    }
}

/// Each listed test runs once per backend, as `NAME::sqlite` and `NAME::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                pub async fn sqlite() {
                    super::$name(crate::common::Fixture::new(crate::common::Backend::Sqlite).await).await
                }

                #[tokio::test]
                async fn postgres() {
                    super::$name(crate::common::Fixture::new(crate::common::Backend::Postgres).await).await
                }
            }
        )*
    };
}
