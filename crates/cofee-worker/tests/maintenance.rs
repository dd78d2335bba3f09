//! The maintenance queue leaves nothing behind (issue 14, item 4): a deleted project's objects
//! (media, thumbnail, renders, direct and resumable uploads) are deleted by the job committed
//! with its rows, however often it runs; abandoned uploads expire after their age, fresh ones
//! stay. On a local directory and on S3 (moto), listing what is left.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use cofee_jobs::{DeleteObjects, ExpireUploads, JobOrigin, Queue, new_job};
use cofee_store::accounts::{Accounts, Projects};
use cofee_store::media::MediaStore;
use cofee_store::objects::{Objects, S3Location};
use cofee_store::queue::{JobQueue, JobState};
use cofee_store::testing::MotoServer;
use cofee_store::{Database, Store};
use cofee_worker::handlers::MaintenanceHandler;
use cofee_worker::{WorkerConfig, run};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const DAY_MS: i64 = 86_400_000;

fn real_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

struct World {
    store: Arc<Store>,
    objects: Objects,
    /// The store's clock, which the test sets back to make rows old.
    clock: Arc<AtomicI64>,
    scratch: tempfile::TempDir,
}

impl World {
    async fn new(objects: Objects) -> Self {
        let scratch = tempfile::tempdir().unwrap();
        let clock = Arc::new(AtomicI64::new(real_now()));
        let c = clock.clone();
        let store = Store::open_sqlite(&scratch.path().join("cofee.db"))
            .await
            .unwrap()
            .with_clock(Arc::new(move || c.load(Ordering::SeqCst)));
        Self { store: Arc::new(store), objects, clock, scratch }
    }

    async fn put(&self, key: &str) {
        let file = self.scratch.path().join("bytes");
        std::fs::write(&file, key.as_bytes()).unwrap();
        self.objects.put_file(key, &file).await.unwrap();
    }

    /// A project with media, a thumbnail, a render and one direct and one resumable upload in
    /// progress (its pieces stored): everything a project can leave in storage.
    async fn project(&self, owner: Uuid, name: &str) -> (Uuid, Uuid) {
        let p = self.store.create_project(owner, name).await.unwrap().id;
        let upload = self.store.create_upload(owner, p, 100, Some("talk.mp4")).await.unwrap().id;
        for key in [
            format!("projects/{p}/source"),
            format!("projects/{p}/thumbnail.jpg"),
            format!("projects/{p}/renders/{}.mp4", Uuid::now_v7()),
            format!("uploads/direct/{p}/{}", Uuid::now_v7()),
            format!("uploads/{upload}/{:020}-{:020}", 0, 50),
        ] {
            self.put(&key).await;
        }
        (p, upload)
    }

    async fn keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        for prefix in ["projects", "uploads"] {
            keys.extend(self.objects.list(prefix).await.unwrap());
        }
        keys.sort();
        keys
    }

    /// Runs the maintenance queue until it has nothing ready (a worker as `cofee worker` runs it).
    async fn drain(&self, upload_expiry: Duration) {
        let handler = Arc::new(MaintenanceHandler {
            db: self.store.clone() as Arc<dyn Database>,
            objects: self.objects.clone(),
            upload_expiry,
        });
        let stop = CancellationToken::new();
        let config = WorkerConfig {
            poll_interval: Duration::from_millis(20),
            ..WorkerConfig::new(Queue::Maintenance, "w1")
        };
        // An expiry run now (in service, each run queues the next).
        self.store.enqueue(new_job(&ExpireUploads {}, JobOrigin::default())).await.unwrap();
        let worker = tokio::spawn(run(self.store.clone(), handler, config, stop.clone()));
        for _ in 0..500 {
            let depth = self.store.depth().await.unwrap();
            let busy =
                depth.iter().filter(|d| d.queue == "maintenance").any(|d| d.ready + d.running > 0);
            if !busy {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.cancel();
        worker.await.unwrap();
    }
}

async fn nothing_is_left_behind(w: World) {
    let owner = w.store.create_user("ada@example.com", "hash").await.unwrap().id;
    let (gone, gone_upload) = w.project(owner, "to delete").await;
    let (kept, kept_upload) = w.project(owner, "to keep").await;
    let kept_keys: Vec<String> = w
        .keys()
        .await
        .into_iter()
        .filter(|k| k.contains(&kept.to_string()) || k.contains(&kept_upload.to_string()))
        .collect();
    assert_eq!(kept_keys.len(), 5, "{kept_keys:?}");

    let cleanup =
        |uploads: &[Uuid]| new_job(&DeleteObjects::project(gone, uploads), JobOrigin::default());
    w.store.delete_project(owner, gone, &cleanup).await.unwrap();
    assert!(
        w.keys().await.iter().any(|k| k.contains(&gone_upload.to_string())),
        "objects go after the rows, by the job"
    );
    w.drain(Duration::from_secs(3600)).await;
    assert_eq!(
        w.keys().await,
        kept_keys,
        "the deleted project left nothing; the other lost nothing"
    );

    // Run again (as after a crash before the job was marked done): nothing to do, no error.
    let again = w
        .store
        .enqueue(new_job(&DeleteObjects::project(gone, &[gone_upload]), JobOrigin::default()))
        .await
        .unwrap();
    w.drain(Duration::from_secs(3600)).await;
    assert_eq!(w.store.get(again).await.unwrap().state, JobState::Succeeded);

    // An upload untouched for two days expires with its pieces; one made now stays.
    w.clock.store(real_now() - 2 * DAY_MS, Ordering::SeqCst);
    let stale = w.store.create_upload(owner, kept, 100, None).await.unwrap().id;
    w.clock.store(real_now(), Ordering::SeqCst);
    w.put(&format!("uploads/{stale}/{:020}-{:020}", 0, 10)).await;
    w.drain(Duration::from_secs(DAY_MS as u64 / 1000)).await;
    assert!(w.store.upload(owner, stale).await.is_err(), "the stale upload's row is gone");
    assert!(w.store.upload(owner, kept_upload).await.is_ok(), "a fresh upload stays");
    assert_eq!(w.keys().await, kept_keys, "the stale upload's pieces are gone, nothing else");

    // With an expiry of zero everything unfinished is abandoned: direct uploads (objects with
    // no row) go by their age too.
    tokio::time::sleep(Duration::from_millis(20)).await;
    w.drain(Duration::ZERO).await;
    let left = w.keys().await;
    assert!(left.iter().all(|k| k.starts_with("projects/")), "no upload is left: {left:?}");
    assert_eq!(left.len(), 3, "the kept project's media, thumbnail and render: {left:?}");
}

#[tokio::test]
async fn nothing_is_left_behind_in_a_local_directory() {
    let root = tempfile::tempdir().unwrap();
    nothing_is_left_behind(World::new(Objects::local(root.path()).unwrap()).await).await;
}

#[tokio::test]
async fn nothing_is_left_behind_on_s3() {
    let moto = MotoServer::start();
    moto.create_bucket("media");
    let mut location = S3Location::parse(
        "s3://media/tenant",
        "us-east-1",
        Some(format!("http://127.0.0.1:{}", moto.port)),
        None,
    )
    .unwrap();
    location.credentials = Some(("cofee-test".into(), "cofee-test-secret-key".into()));
    nothing_is_left_behind(World::new(Objects::s3(&location).unwrap()).await).await;
    assert_eq!(moto.count("media", "tenant/uploads/"), 0);
}
