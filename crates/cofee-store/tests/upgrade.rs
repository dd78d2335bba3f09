//! A database the previous release made, with its jobs in it, upgrades in place, and keeps
//! working while processes of both releases share it during a rollout: jobs enqueued the old
//! way (the project only inside the payload, the owner as text) are found by their project and
//! claimed with their project and owner, before and after the migration. On SQLite and on
//! PostgreSQL.

use cofee_store::Store;
use cofee_store::queue::JobQueue;
use cofee_store::testing::PgTestDatabase;
use uuid::Uuid;

/// The last migration of a release before jobs named their project in a column, per backend
/// (every later migration is applied on top).
const SQLITE_BEFORE: i64 = 8;
const POSTGRES_BEFORE: i64 = 3;

/// The insert the previous release made for a render job (its queue module, by hand).
fn old_insert(id: Uuid, owner: Uuid, project: Uuid) -> String {
    let payload = serde_json::json!({"project_id": project, "render_id": Uuid::now_v7(), "preset": "veryfast", "crf": 20});
    format!(
        "INSERT INTO jobs (id, queue, kind, payload, owner_id, state, attempts, max_attempts, run_at, created_at, updated_at)
         VALUES ('{id}', 'render', 'render', '{payload}', '{owner}', 'queued', 0, 5, 0, 0, 0)"
    )
}

async fn check_upgraded(store: &Store, before: Uuid, during: Uuid, owner: Uuid, project: Uuid) {
    let listed: Vec<Uuid> =
        store.jobs_for_project(owner, project, 10).await.unwrap().iter().map(|j| j.id).collect();
    assert_eq!(listed.len(), 2, "both old-style jobs are the project's: {listed:?}");
    assert!(listed.contains(&before) && listed.contains(&during));
    for _ in 0..2 {
        let job =
            store.claim("render", "w1", 30_000).await.unwrap().expect("an old-style job to claim");
        assert_eq!((job.owner_id, job.project_id), (Some(owner), Some(project)));
    }
}

#[tokio::test]
async fn a_sqlite_file_of_the_previous_release_upgrades_with_its_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cofee.db");
    let (before, during, owner, project) =
        (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let old = sqlx::SqlitePool::connect(&url).await.unwrap();
    cofee_store::db::sqlite::MIGRATIONS.run_to(SQLITE_BEFORE, &old).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(old_insert(before, owner, project)))
        .execute(&old)
        .await
        .unwrap();

    let store = Store::open_sqlite(&path).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(old_insert(during, owner, project)))
        .execute(&old)
        .await
        .unwrap();
    check_upgraded(&store, before, during, owner, project).await;
}

#[tokio::test]
async fn a_postgres_database_of_the_previous_release_upgrades_with_its_jobs() {
    let db = PgTestDatabase::create_empty().await;
    let (before, during, owner, project) =
        (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let old = sqlx::PgPool::connect(&db.url()).await.unwrap();
    cofee_store::db::postgres::MIGRATIONS.run_to(POSTGRES_BEFORE, &old).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(old_insert(before, owner, project)))
        .execute(&old)
        .await
        .unwrap();

    let store = Store::connect_postgres(&db.url(), 2).await.unwrap();
    let newer =
        cofee_store::db::postgres::MIGRATIONS.iter().filter(|m| m.version > POSTGRES_BEFORE);
    assert_eq!(store.migrate().await.unwrap(), newer.count());
    store.check_schema().await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(old_insert(during, owner, project)))
        .execute(&old)
        .await
        .unwrap();
    check_upgraded(&store, before, during, owner, project).await;
}
