//! The worker runtime against a real SQLite queue.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use cofee_jobs::Queue;
use cofee_store::Store;
use cofee_store::queue::{Job, JobQueue, JobState, NewJob};
use cofee_worker::{JobContext, JobError, JobHandler, WorkerConfig, run};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// Sleeps `ms` in steps (reporting progress), or fails as the payload says; can be made to wait
/// until cancelled.
#[derive(Default)]
struct TestHandler {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    runs: AtomicUsize,
}

#[async_trait]
impl JobHandler for TestHandler {
    async fn run(&self, job: &Job, ctx: JobContext) -> Result<(), JobError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let result = async {
            match job.payload["do"].as_str().unwrap_or("sleep") {
                "fail" => Err(JobError::Retryable("flaky".into())),
                "reject" => Err(JobError::Permanent("not a video".into())),
                "panic" => panic!("handler bug"),
                "forever" => {
                    for step in 0.. {
                        ctx.progress((step as f64 / 100.0).min(0.9));
                        tokio::select! {
                            () = ctx.cancel.cancelled() => return Err(JobError::Retryable("cancelled".into())),
                            () = tokio::time::sleep(Duration::from_millis(20)) => {}
                        }
                    }
                    unreachable!()
                }
                _ => {
                    tokio::time::sleep(Duration::from_millis(40)).await;
                    Ok(())
                }
            }
        }
        .await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        result
    }
}

async fn setup() -> (tempfile::TempDir, Arc<Store>, Arc<TestHandler>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_sqlite(&dir.path().join("q.db")).await.unwrap());
    (dir, store, Arc::new(TestHandler::default()))
}

fn config(concurrency: usize) -> WorkerConfig {
    WorkerConfig {
        concurrency,
        lease: Duration::from_millis(300),
        poll_interval: Duration::from_millis(20),
        shutdown_grace: Duration::from_millis(300),
        ..WorkerConfig::new(Queue::Render, "w1")
    }
}

async fn wait_for(store: &Store, id: uuid::Uuid, pred: impl Fn(&Job) -> bool) -> Job {
    for _ in 0..300 {
        let j = store.get(id).await.unwrap();
        if pred(&j) {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("job {id} never reached the expected state: {:?}", store.get(id).await.unwrap());
}

#[tokio::test]
async fn runs_every_job_with_no_more_than_the_configured_concurrency() {
    let (_d, store, handler) = setup().await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(store.enqueue(NewJob::new("render", "t", json!({}))).await.unwrap());
    }
    let stop = CancellationToken::new();
    let worker = tokio::spawn(run(store.clone(), handler.clone(), config(3), stop.clone()));
    for id in &ids {
        wait_for(&store, *id, |j| j.state == JobState::Succeeded).await;
    }
    stop.cancel();
    worker.await.unwrap();
    assert_eq!(handler.runs.load(Ordering::SeqCst), 12);
    let max = handler.max_in_flight.load(Ordering::SeqCst);
    assert!((2..=3).contains(&max), "ran {max} at once with concurrency 3");
}

#[tokio::test]
async fn progress_is_written_and_a_cancel_request_stops_the_handler() {
    let (_d, store, handler) = setup().await;
    let id = store.enqueue(NewJob::new("render", "t", json!({"do": "forever"}))).await.unwrap();
    let stop = CancellationToken::new();
    let worker = tokio::spawn(run(store.clone(), handler.clone(), config(1), stop.clone()));
    wait_for(&store, id, |j| j.progress > 0.0).await;
    assert_eq!(store.cancel(id).await.unwrap(), JobState::Running);
    let j = wait_for(&store, id, |j| j.state.is_final()).await;
    assert_eq!(j.state, JobState::Cancelled);
    assert_eq!(handler.in_flight.load(Ordering::SeqCst), 0, "the handler returned");
    stop.cancel();
    worker.await.unwrap();
}

#[tokio::test]
async fn moving_progress_is_written_about_once_a_second_not_once_a_lease_third() {
    let (_d, store, handler) = setup().await;
    let id = store.enqueue(NewJob::new("render", "t", json!({"do": "forever"}))).await.unwrap();
    let stop = CancellationToken::new();
    // A 30 s lease: the renewal alone would write progress every 10 s.
    let cfg = WorkerConfig { lease: Duration::from_secs(30), ..config(1) };
    let worker = tokio::spawn(run(store.clone(), handler.clone(), cfg, stop.clone()));
    // When the row's progress changes, as a reader polling every 20 ms sees it.
    let started = std::time::Instant::now();
    let (mut seen, mut writes) = (0.0, Vec::new());
    while writes.len() < 2 && started.elapsed() < Duration::from_secs(4) {
        let p = store.get(id).await.unwrap().progress;
        if p != seen {
            (seen, writes) = (p, [writes, vec![started.elapsed()]].concat());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(writes.len(), 2, "progress written {} time(s) in 4 s", writes.len());
    // …and not more often than once a second, though the handler reports every 20 ms.
    assert!(writes[1] - writes[0] >= Duration::from_millis(800), "writes at {writes:?}");
    stop.cancel();
    worker.await.unwrap();
}

#[tokio::test]
async fn shutdown_releases_what_cannot_finish_in_the_grace_period() {
    let (_d, store, handler) = setup().await;
    let long = store.enqueue(NewJob::new("render", "t", json!({"do": "forever"}))).await.unwrap();
    let stop = CancellationToken::new();
    let worker = tokio::spawn(run(store.clone(), handler.clone(), config(1), stop.clone()));
    wait_for(&store, long, |j| j.state == JobState::Running).await;
    let queued_later = store.enqueue(NewJob::new("render", "t", json!({}))).await.unwrap();
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(5), worker)
        .await
        .expect("shuts down within the grace period")
        .unwrap();
    let j = store.get(long).await.unwrap();
    assert_eq!(
        (j.state, j.attempts, j.worker_id),
        (JobState::Queued, 0, None),
        "released, not lost, attempt not counted"
    );
    assert_eq!(
        store.get(queued_later).await.unwrap().state,
        JobState::Queued,
        "nothing new claimed after shutdown began"
    );
}

#[tokio::test]
async fn failures_are_retried_rejections_and_crashes_are_recorded() {
    let (_d, store, handler) = setup().await;
    let flaky = store.enqueue(NewJob::new("render", "t", json!({"do": "fail"}))).await.unwrap();
    let bad = store.enqueue(NewJob::new("render", "t", json!({"do": "reject"}))).await.unwrap();
    let bug = store.enqueue(NewJob::new("render", "t", json!({"do": "panic"}))).await.unwrap();
    let stop = CancellationToken::new();
    let worker = tokio::spawn(run(store.clone(), handler.clone(), config(2), stop.clone()));
    let j = wait_for(&store, flaky, |j| j.attempts == 1 && j.state == JobState::Queued).await;
    assert_eq!(j.error.as_deref(), Some("flaky"));
    let j = wait_for(&store, bad, |j| j.state == JobState::Dead).await;
    assert_eq!((j.attempts, j.error.as_deref()), (1, Some("not a video")));
    let j = wait_for(&store, bug, |j| j.error.is_some()).await;
    assert!(j.error.unwrap().contains("crashed"));
    stop.cancel();
    worker.await.unwrap();
}
