//! The queue's promises (see `src/queue.rs`), each checked on SQLite (a real database file) and
//! on PostgreSQL (a database made for the test on the server at `COFEE_TEST_PG_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`, dropped afterwards).

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use cofee_store::db::enqueue_in;
use cofee_store::queue::{Heartbeat, JobQueue, JobState, NewJob};
use cofee_store::{Conflict, StoreError};
use serde_json::json;

mod common;

use common::{Backend, Fixture};

const LEASE: i64 = 30_000;

on_both_backends!(
    a_claimed_job_is_leased_to_one_worker,
    many_workers_on_several_connections_run_each_job_exactly_once,
    a_dead_workers_job_is_taken_again_and_the_old_worker_is_fenced_off,
    failures_back_off_then_die_and_can_be_retried_by_hand,
    a_lease_lost_on_the_last_attempt_ends_dead,
    cancellation_reaches_queued_and_running_jobs,
    a_cancel_requested_job_whose_worker_died_ends_cancelled,
    a_cancel_requested_job_that_fails_ends_cancelled_not_dead,
    depth_reports_ready_running_and_the_oldest_wait,
    bad_input_dies_at_once_and_released_jobs_do_not_lose_an_attempt,
    the_claimed_job_carries_its_origin,
    enqueue_commits_with_the_callers_transaction,
    one_owner_cannot_hold_more_than_its_share_while_others_wait,
);

fn job(queue: &str) -> NewJob {
    NewJob::new(queue, "test", json!({"n": 1}))
}

async fn a_claimed_job_is_leased_to_one_worker(f: Fixture) {
    let q = f.queue().await;
    let id = q.enqueue(job("render")).await.unwrap();
    assert!(q.claim("transcribe", "w1", LEASE).await.unwrap().is_none(), "queues are separate");
    let j = q.claim("render", "w1", LEASE).await.unwrap().unwrap();
    assert_eq!(
        (j.id, j.state, j.attempts, j.worker_id.as_deref()),
        (id, JobState::Running, 1, Some("w1"))
    );
    assert_eq!(j.lease_until, Some((f.time.load(Ordering::SeqCst)) + LEASE));
    assert!(
        q.claim("render", "w2", LEASE).await.unwrap().is_none(),
        "a leased job is not handed out twice"
    );
}

/// The request id and trace context of whatever enqueued a job reach the worker that claims it.
async fn the_claimed_job_carries_its_origin(f: Fixture) {
    let q = f.queue().await;
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let origin = NewJob {
        trace_context: Some("req-1".into()),
        traceparent: Some(traceparent.into()),
        ..job("render")
    };
    q.enqueue(origin).await.unwrap();
    q.enqueue(job("render")).await.unwrap();
    let j = q.claim("render", "w1", LEASE).await.unwrap().unwrap();
    assert_eq!(
        (j.trace_context.as_deref(), j.traceparent.as_deref()),
        (Some("req-1"), Some(traceparent))
    );
    let j = q.claim("render", "w1", LEASE).await.unwrap().unwrap();
    assert_eq!((j.trace_context, j.traceparent), (None, None));
}

async fn enqueue_commits_with_the_callers_transaction(f: Fixture) {
    let q = f.store().await;
    let mut tx = q.write_transaction().await.unwrap();
    let id = enqueue_in(&mut tx, &job("render"), 0).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(
        matches!(q.get(id).await, Err(StoreError::NotFound)),
        "rolled back with the transaction"
    );
    let mut tx = q.write_transaction().await.unwrap();
    let id = enqueue_in(&mut tx, &job("render"), 0).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(q.get(id).await.unwrap().state, JobState::Queued);
}

async fn many_workers_on_several_connections_run_each_job_exactly_once(f: Fixture) {
    let q = f.queue().await;
    let mut ids = Vec::new();
    for _ in 0..120 {
        ids.push(q.enqueue(job("render")).await.unwrap());
    }
    let mut tasks = Vec::new();
    for s in 0..3 {
        let store = f.queue().await;
        for w in 0..4 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let me = format!("w{s}.{w}");
                let mut done = Vec::new();
                while let Some(j) = store.claim("render", &me, LEASE).await.unwrap() {
                    assert!(store.complete(j.id, &me).await.unwrap());
                    done.push(j.id);
                }
                done
            }));
        }
    }
    let mut runs: HashMap<uuid::Uuid, u32> = HashMap::new();
    for t in tasks {
        for id in t.await.unwrap() {
            *runs.entry(id).or_default() += 1;
        }
    }
    assert_eq!(runs.len(), ids.len());
    assert!(runs.values().all(|n| *n == 1), "each job ran once");
    for id in ids {
        let j = q.get(id).await.unwrap();
        assert_eq!((j.state, j.attempts, j.progress), (JobState::Succeeded, 1, 1.0));
    }
}

async fn a_dead_workers_job_is_taken_again_and_the_old_worker_is_fenced_off(f: Fixture) {
    let q = f.queue().await;
    let id = q.enqueue(job("render")).await.unwrap();
    q.claim("render", "w1", LEASE).await.unwrap().unwrap();
    f.advance(LEASE / 2);
    assert_eq!(q.heartbeat(id, "w1", LEASE, 0.25).await.unwrap(), Heartbeat::Held);
    assert_eq!(q.get(id).await.unwrap().progress, 0.25, "progress is written as the work goes");
    f.advance(LEASE - 1);
    assert!(
        q.claim("render", "w2", LEASE).await.unwrap().is_none(),
        "the heartbeat extended the lease"
    );
    f.advance(2); // w1 stopped heartbeating: its lease has now passed
    let again = q.claim("render", "w2", LEASE).await.unwrap().unwrap();
    assert_eq!((again.id, again.attempts), (id, 2));
    assert_eq!(q.heartbeat(id, "w1", LEASE, 0.5).await.unwrap(), Heartbeat::Lost);
    assert!(!q.complete(id, "w1").await.unwrap(), "a fenced-off worker's result is not recorded");
    assert!(q.complete(id, "w2").await.unwrap());
    assert_eq!(q.get(id).await.unwrap().state, JobState::Succeeded);
}

async fn failures_back_off_then_die_and_can_be_retried_by_hand(f: Fixture) {
    let q = f.queue().await;
    let id = q.enqueue(NewJob { max_attempts: 2, ..job("transcribe") }).await.unwrap();
    q.claim("transcribe", "w1", LEASE).await.unwrap().unwrap();
    assert_eq!(q.fail(id, "w1", "ffmpeg exploded", true).await.unwrap(), JobState::Queued);
    let j = q.get(id).await.unwrap();
    assert!(j.run_at >= f.time.load(Ordering::SeqCst) + 4_000, "backed off");
    assert_eq!(j.error.as_deref(), Some("ffmpeg exploded"));
    assert!(q.claim("transcribe", "w1", LEASE).await.unwrap().is_none(), "not before its backoff");
    f.advance(60_000);
    q.claim("transcribe", "w2", LEASE).await.unwrap().unwrap();
    assert_eq!(q.fail(id, "w2", "again", true).await.unwrap(), JobState::Dead);
    f.advance(3_600_000);
    assert!(q.claim("transcribe", "w1", LEASE).await.unwrap().is_none(), "dead jobs stay dead");
    q.retry(id).await.unwrap();
    let j = q.claim("transcribe", "w1", LEASE).await.unwrap().unwrap();
    assert_eq!((j.attempts, j.error), (1, None));
    assert!(q.complete(id, "w1").await.unwrap());
    assert!(matches!(
        q.retry(id).await,
        Err(StoreError::Conflict(Conflict::NotRetryable(JobState::Succeeded)))
    ));
}

async fn a_lease_lost_on_the_last_attempt_ends_dead(f: Fixture) {
    let q = f.queue().await;
    let id = q.enqueue(NewJob { max_attempts: 1, ..job("render") }).await.unwrap();
    q.claim("render", "w1", LEASE).await.unwrap().unwrap();
    f.advance(LEASE + 1);
    assert!(q.claim("render", "w2", LEASE).await.unwrap().is_none());
    let j = q.get(id).await.unwrap();
    assert_eq!(j.state, JobState::Dead);
    assert!(j.error.unwrap().contains("worker lost"));
}

async fn cancellation_reaches_queued_and_running_jobs(f: Fixture) {
    let q = f.queue().await;
    let first = q.enqueue(job("render")).await.unwrap();
    let second = q.enqueue(job("render")).await.unwrap();
    f.advance(1);
    let j = q.claim("render", "w1", LEASE).await.unwrap().unwrap();
    assert_eq!(j.id, first, "oldest first");
    assert_eq!(
        q.cancel(second).await.unwrap(),
        JobState::Cancelled,
        "a queued job is cancelled at once"
    );
    assert!(q.claim("render", "w2", LEASE).await.unwrap().is_none());
    assert_eq!(q.cancel(first).await.unwrap(), JobState::Running, "a running job is asked to stop");
    assert_eq!(q.heartbeat(first, "w1", LEASE, 0.5).await.unwrap(), Heartbeat::CancelRequested);
    assert!(q.cancelled(first, "w1").await.unwrap());
    assert_eq!(q.get(first).await.unwrap().state, JobState::Cancelled);
    assert!(matches!(q.cancel(uuid::Uuid::now_v7()).await, Err(StoreError::NotFound)));
}

async fn a_cancel_requested_job_whose_worker_died_ends_cancelled(f: Fixture) {
    let q = f.queue().await;
    let id = q.enqueue(job("render")).await.unwrap();
    q.claim("render", "w1", LEASE).await.unwrap().unwrap();
    q.cancel(id).await.unwrap();
    f.advance(LEASE + 1);
    assert!(q.claim("render", "w2", LEASE).await.unwrap().is_none(), "not run again");
    assert_eq!(q.get(id).await.unwrap().state, JobState::Cancelled);
}

async fn a_cancel_requested_job_that_fails_ends_cancelled_not_dead(f: Fixture) {
    let q = f.queue().await;
    let id = q.enqueue(job("render")).await.unwrap();
    q.claim("render", "w1", LEASE).await.unwrap().unwrap();
    q.cancel(id).await.unwrap();
    // The handler failed (say, because the cancellation stopped what it waited for) before the
    // worker's heartbeat brought the request.
    assert_eq!(
        q.fail(id, "w1", "chunk 2 of 4 was cancelled", false).await.unwrap(),
        JobState::Cancelled
    );
    let j = q.get(id).await.unwrap();
    assert_eq!((j.state, j.error), (JobState::Cancelled, None));
    assert!(j.finished_at.is_some());
    // Without a request a failure is still a failure.
    let other = q.enqueue(job("render")).await.unwrap();
    q.claim("render", "w1", LEASE).await.unwrap().unwrap();
    assert_eq!(q.fail(other, "w1", "bad input", false).await.unwrap(), JobState::Dead);
}

async fn depth_reports_ready_running_and_the_oldest_wait(f: Fixture) {
    let q = f.queue().await;
    q.enqueue(job("render")).await.unwrap();
    f.advance(5_000);
    q.enqueue(job("render")).await.unwrap();
    q.enqueue(NewJob { delay_ms: 60_000, ..job("render") }).await.unwrap();
    q.enqueue(job("notify")).await.unwrap();
    q.claim("notify", "w", LEASE).await.unwrap().unwrap();
    let d = q.depth().await.unwrap();
    let render = d.iter().find(|d| d.queue == "render").unwrap();
    assert_eq!((render.ready, render.running, render.oldest_ready_age_ms), (2, 0, Some(5_000)));
    let notify = d.iter().find(|d| d.queue == "notify").unwrap();
    assert_eq!((notify.ready, notify.running), (0, 1));
}

#[tokio::test]
async fn the_database_is_durable_by_configuration() {
    let f = Fixture::new(Backend::Sqlite).await;
    let q = f.sqlite().await;
    let cofee_store::db::Backend::Sqlite(pool) = q.pool() else { unreachable!("a SQLite store") };
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(pool).await.unwrap();
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(pool).await.unwrap();
    assert_eq!((mode.as_str(), sync), ("wal", 2), "WAL with synchronous=FULL");
}

async fn bad_input_dies_at_once_and_released_jobs_do_not_lose_an_attempt(f: Fixture) {
    let q = f.queue().await;
    let id = q.enqueue(job("render")).await.unwrap();
    q.claim("render", "w1", LEASE).await.unwrap().unwrap();
    assert_eq!(q.fail(id, "w1", "not a video", false).await.unwrap(), JobState::Dead);
    let id = q.enqueue(job("render")).await.unwrap();
    q.claim("render", "w1", LEASE).await.unwrap().unwrap();
    assert!(q.release(id, "w1").await.unwrap());
    let j = q.claim("render", "w2", LEASE).await.unwrap().unwrap();
    assert_eq!((j.id, j.attempts), (id, 1), "available at once, attempt not counted");
}

#[tokio::test]
async fn read_then_write_transactions_wait_for_each_other_instead_of_failing() {
    let f = Fixture::new(Backend::Sqlite).await;
    let q = f.sqlite().await;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = f.sqlite().await; // separate connection pools, as separate processes would have
        tasks.push(tokio::spawn(async move {
            for _ in 0..25 {
                // Read, then write, in one transaction (as creating a render does).
                let mut tx = store.write_transaction().await.unwrap();
                let cofee_store::db::Backend::Sqlite(read) = &mut tx else {
                    unreachable!("a SQLite store")
                };
                let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs")
                    .fetch_one(&mut **read)
                    .await
                    .unwrap();
                enqueue_in(&mut tx, &NewJob::new("render", "t", json!({})), 0).await.unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(q.depth().await.unwrap()[0].ready, 100);
}

/// M2: a queue of one owner's jobs does not make a later owner's job wait behind all of it;
/// with nobody else waiting, the first owner takes every slot.
async fn one_owner_cannot_hold_more_than_its_share_while_others_wait(f: Fixture) {
    let q = f.queue().await;
    let (heavy, light) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let mut owners = HashMap::new();
    for (owner, n) in [(heavy, 3), (light, 1)] {
        for _ in 0..n {
            let id = q.enqueue(NewJob { owner_id: Some(owner), ..job("render") }).await.unwrap();
            owners.insert(id, owner);
            f.advance(1);
        }
    }
    let mut order = Vec::new();
    while let Some(j) = q.claim("render", &format!("w{}", order.len()), LEASE).await.unwrap() {
        order.push(owners[&j.id]);
    }
    assert_eq!(
        order,
        [heavy, light, heavy, heavy],
        "at the default share (half), the light owner's job is claimed second, not last"
    );
}
