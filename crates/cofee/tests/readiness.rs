//! Readiness follows the database: a throwaway PostgreSQL of the test's own (`initdb` + `pg_ctl`
//! on a unix socket of its own, never the machine's shared server) is stopped under a running
//! worker and started again; `/health/ready` answers 503 while it is gone and 200 when it is
//! back, and the worker takes jobs again without a restart.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use cofee_jobs::{JobOrigin, WebhookDelivery};
use cofee_store::Store;
use cofee_store::queue::{JobQueue, JobState};
use common::*;
use serde_json::json;

fn objects_url(dir: &Path) -> String {
    format!("file://{}", dir.join("objects").display())
}

#[test]
fn readiness_follows_the_database_and_workers_resume_without_a_restart() {
    let pg = ThrowawayPostgres::start();
    let dir = tempfile::tempdir().unwrap();
    let env = [("COFEE_DATABASE_URL", pg.url()), ("COFEE_STORAGE_URL", objects_url(dir.path()))];
    let o = cofee_with_env(&["migrate"], &env);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut worker = Role::start(
        &[
            "worker",
            "--queues",
            "notify",
            "--listen",
            "127.0.0.1:0",
            "--scratch-dir",
            dir.path().join("tmp").to_str().unwrap(),
        ],
        &env,
    );

    let (code, body) = ready(&worker.url);
    assert_eq!((code, body["database"].as_str()), (200, Some("ok")), "{body}");

    pg.down();
    wait_for("readiness to report the database down", 20, || {
        let (code, body) = ready(&worker.url);
        code == 503 && body["database"] == "down" && body["storage"] == "ok"
    });

    // …and says so in its metrics, which the readiness alert watches.
    let dependency = |name: &str| {
        let out = Command::new("curl")
            .args(["-s", "-m", "5", &format!("{}/metrics", worker.url)])
            .output()
            .unwrap();
        metric(
            &String::from_utf8_lossy(&out.stdout),
            &format!("dependency_up{{dependency=\"{name}\"}}"),
        )
    };
    assert_eq!((dependency("database"), dependency("storage")), (Some(0.0), Some(1.0)));

    pg.up();
    wait_for("readiness to recover", 30, || ready(&worker.url).0 == 200);
    assert_eq!(dependency("database"), Some(1.0));

    // The same worker process takes new work: a webhook delivery for a webhook that does not
    // exist ends dead at once — proof it was claimed and run.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = Store::connect_postgres(&pg.url(), 2).await.unwrap();
        let id = store
            .enqueue(cofee_jobs::new_job(
                &WebhookDelivery {
                    webhook_id: uuid::Uuid::now_v7(),
                    event: "job.succeeded".into(),
                    data: json!({}),
                },
                JobOrigin::default(),
            ))
            .await
            .unwrap();
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let state = store.get(id).await.unwrap().state;
            if state != JobState::Queued && state != JobState::Running {
                break;
            }
            assert!(
                Instant::now() < until,
                "the worker did not take the job after the database came back"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    assert!(worker.stop(20).success());
}
