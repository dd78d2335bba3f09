//! `bench/queue.sh`'s Cofee side: enqueues `--jobs` no-op jobs on a migrated database, then
//! drains them with the worker runtime that `cofee worker` runs (claim, heartbeat, complete, at
//! `--concurrency` at once) and prints one line of `key=value` pairs: the drain's jobs/s, how
//! many jobs ran more than once and how many never ran or did not end `succeeded`.
//!
//! The clock runs from the first job's run to the last's, as the Dramatiq side's does, so
//! neither the process's start-up nor the enqueueing is counted (the rate is the runs after the
//! first over that span).
//!
//! Usage: queue_drain --database-url postgres://… [--jobs N] [--concurrency C]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use cofee_jobs::Queue;
use cofee_store::DatabaseUrl;
use cofee_store::queue::{Job, JobQueue, JobState, NewJob};
use cofee_worker::{CancellationToken, JobContext, JobError, JobHandler, WorkerConfig};
use uuid::Uuid;

/// Counts each job's runs and the span between the first start and the last end.
#[derive(Default)]
struct Tally {
    runs: Mutex<HashMap<Uuid, u32>>,
    span: Mutex<Option<(Instant, Instant)>>,
}

#[async_trait]
impl JobHandler for Tally {
    async fn run(&self, job: &Job, _ctx: JobContext) -> Result<(), JobError> {
        let now = Instant::now();
        *self.runs.lock().unwrap().entry(job.id).or_default() += 1;
        let mut span = self.span.lock().unwrap();
        *span = Some(span.map_or((now, now), |(first, _)| (first, now)));
        Ok(())
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url: DatabaseUrl =
        arg(&args, "--database-url").expect("--database-url").parse().expect("a database URL");
    let jobs: usize = arg(&args, "--jobs").map_or(5000, |n| n.parse().expect("--jobs N"));
    let concurrency: usize =
        arg(&args, "--concurrency").map_or(2, |n| n.parse().expect("--concurrency N"));

    url.migrate().await.expect("migrations apply");
    let db = url.connect(concurrency as u32 + 4).await.expect("the database is reachable");
    let queue: Arc<dyn JobQueue> = db;
    let mut ids = Vec::with_capacity(jobs);
    for i in 0..jobs {
        let job = NewJob::new(Queue::Notify.name(), "noop", serde_json::json!({ "n": i }));
        ids.push(queue.enqueue(job).await.expect("enqueue"));
    }

    let tally = Arc::new(Tally::default());
    let shutdown = CancellationToken::new();
    let mut cfg = WorkerConfig::new(Queue::Notify, "queue-bench");
    cfg.concurrency = concurrency;
    cfg.poll_interval = Duration::from_millis(50);
    let worker =
        tokio::spawn(cofee_worker::run(queue.clone(), tally.clone(), cfg, shutdown.clone()));

    // Wait until every job ran once, or nothing has moved for 10 s.
    let (mut seen, mut since) = (0, Instant::now());
    loop {
        let done = tally.runs.lock().unwrap().len();
        if done == jobs || since.elapsed() > Duration::from_secs(10) {
            break;
        }
        if done != seen {
            (seen, since) = (done, Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A moment for the last completions to be written, then stop as `cofee worker` stops.
    tokio::time::sleep(Duration::from_millis(500)).await;
    shutdown.cancel();
    worker.await.expect("the worker stops");

    let runs = tally.runs.lock().unwrap().clone();
    let duplicates = runs.values().filter(|&&n| n > 1).count();
    let mut lost = 0;
    for id in &ids {
        let job = queue.get(*id).await.expect("the job exists");
        if !runs.contains_key(id) || job.state != JobState::Succeeded {
            lost += 1;
        }
    }
    let (first, last) = tally.span.lock().unwrap().expect("some job ran");
    let secs = (last - first).as_secs_f64();
    println!(
        "jobs={jobs} seconds={secs:.3} jobs_per_s={:.1} duplicates={duplicates} lost={lost}",
        (runs.len() - 1) as f64 / secs
    );
}
