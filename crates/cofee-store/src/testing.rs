//! Throwaway PostgreSQL databases for tests: one per test, created on the server at
//! `COFEE_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`), migrated, and
//! dropped when the guard goes — tests never assume an empty server or share state.

use crate::postgres::PgStore;

pub fn pg_admin_url() -> String {
    std::env::var("COFEE_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// `url` with its database name replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// A migrated database of its own; dropped (with its connections) on drop.
pub struct PgTestDatabase {
    admin: String,
    name: String,
}

impl PgTestDatabase {
    pub async fn create() -> Self {
        let db = Self::create_empty().await;
        PgStore::connect(&db.url(), 1).await.unwrap().migrate().await.expect("migrations apply");
        db
    }

    /// A database with no schema at all (for testing `cofee migrate`).
    pub async fn create_empty() -> Self {
        let admin = pg_admin_url();
        let name = format!("cofee_test_{}", uuid::Uuid::now_v7().simple());
        let conn = PgStore::connect(&admin, 1).await.expect("PostgreSQL is reachable (set COFEE_TEST_PG_URL)");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(conn.pool()).await.expect("CREATE DATABASE");
        Self { admin, name }
    }

    pub fn url(&self) -> String {
        with_database(&self.admin, &self.name)
    }
}

impl Drop for PgTestDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop cannot await: a runtime of its own, on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            rt.block_on(async {
                if let Ok(conn) = PgStore::connect(&admin, 1).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(conn.pool()).await;
                }
            });
        })
        .join();
    }
}
