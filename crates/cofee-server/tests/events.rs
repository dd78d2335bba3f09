//! A project's event stream (`GET /api/projects/{id}/events`) as the web app sees it while a
//! worker elsewhere runs the project's job. The "worker" here is a job queue of its own on the
//! same database, with job signals of its own (another process's view).
//!
//! With Redis (the machine's, `COFEE_TEST_REDIS_URL`; channels under a prefix of the test's own)
//! the stream hears each change by signal, well inside its 5 s safety-net read; a change that
//! bypasses the signals still arrives by that read. Without Redis, the stream polls and still
//! shows every change. And when Redis goes away (a server the test starts and kills), streams
//! fall back to polling, and hear signals again when it returns.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cofee_jobs::{JobOrigin, Queue, RenderJob};
use cofee_server::{AppState, JwtKeys, router, serve};
use cofee_store::Database;
use cofee_store::Store;
use cofee_store::queue::JobQueue;
use cofee_store::signals::{JobSignals, ProjectWatch, SignallingQueue};
use cofee_store::testing::{RedisSocket, RedisTestServer};
use futures_util::StreamExt;
use serde_json::{Value, json};

/// Inside the stream's 5 s safety-net read: an event this quick came by signal (or by polling,
/// where no signals reach the API).
const PROMPT: Duration = Duration::from_millis(2500);

fn redis_url() -> String {
    std::env::var("COFEE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

struct App {
    base: String,
    http: reqwest::Client,
    db: Arc<dyn Database>,
    _dir: tempfile::TempDir,
}

async fn spawn_app(signals: JobSignals) -> App {
    spawn_app_with(signals, JwtKeys::from_secret(&[42u8; 32]).unwrap()).await
}

async fn spawn_app_with(signals: JobSignals, keys: JwtKeys) -> App {
    let dir = tempfile::tempdir().unwrap();
    let db: Arc<dyn Database> =
        Arc::new(Store::open_sqlite(&dir.path().join("cofee.db")).await.unwrap());
    let objects = cofee_store::objects::Objects::local(&dir.path().join("objects")).unwrap();
    let state =
        AppState::new(db.clone(), objects, keys, Default::default(), dir.path().join("tmp"))
            .with_signals(signals);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, router(state), std::future::pending()));
    App { base, http: reqwest::Client::new(), db, _dir: dir }
}

/// An owner with a project; returns (owner id, project id, access token).
async fn project(app: &App) -> (String, String, String) {
    let creds = json!({"email": "ada@example.com", "password": "correct horse battery"});
    let user: Value = app
        .http
        .post(format!("{}/api/auth/register", app.base))
        .json(&creds)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tokens: Value = app
        .http
        .post(format!("{}/api/auth/login", app.base))
        .json(&creds)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = tokens["access_token"].as_str().unwrap().to_string();
    let p: Value = app
        .http
        .post(format!("{}/api/projects", app.base))
        .bearer_auth(&token)
        .json(&json!({"name": "talk"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (user["id"].as_str().unwrap().into(), p["id"].as_str().unwrap().into(), token)
}

/// The `job` events of one stream, as JSON, one at a time.
struct Events {
    body: futures_util::stream::BoxStream<'static, reqwest::Result<String>>,
    buffer: String,
}

impl Events {
    async fn open(app: &App, project: &str, token: &str) -> Self {
        let r = app
            .http
            .get(format!("{}/api/projects/{project}/events", app.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["content-type"], "text/event-stream");
        Self {
            body: r
                .bytes_stream()
                .map(|chunk| chunk.map(|b| String::from_utf8_lossy(&b).into_owned()))
                .boxed(),
            buffer: String::new(),
        }
    }

    /// The next event, and how long it took to come; panics after `within`.
    async fn next(&mut self, within: Duration) -> (Value, Duration) {
        let started = Instant::now();
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:")) {
                    return (serde_json::from_str(data.trim()).unwrap(), started.elapsed());
                }
                continue; // a keep-alive comment
            }
            let left = within.checked_sub(started.elapsed()).unwrap_or_default();
            match tokio::time::timeout(left, self.body.next()).await {
                Ok(Some(chunk)) => self.buffer.push_str(&chunk.unwrap()),
                Ok(None) => panic!("the event stream ended"),
                Err(_) => panic!("no event within {within:?}"),
            }
        }
    }

    /// The stream's last event (its data), which must come within `within` and be followed by
    /// the end of the stream.
    async fn last(&mut self, within: Duration) -> Value {
        let started = Instant::now();
        let mut last = Value::Null;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:")) {
                    last = serde_json::from_str(data.trim()).unwrap();
                }
            }
            let left = within.checked_sub(started.elapsed()).unwrap_or_default();
            match tokio::time::timeout(left, self.body.next()).await {
                Ok(Some(chunk)) => self.buffer.push_str(&chunk.unwrap()),
                Ok(None) => return last,
                Err(_) => panic!("the stream did not end within {within:?} (last event {last})"),
            }
        }
    }

    /// The next event, which must say `state` and `progress`, within `within`.
    async fn expect(&mut self, state: &str, progress: f64, within: Duration) {
        let (e, took) = self.next(within).await;
        assert_eq!(
            (e["state"].as_str(), e["progress"].as_f64()),
            (Some(state), Some(progress)),
            "{e}"
        );
        assert!(took <= within, "{state} {progress} took {took:?}");
    }
}

/// Signals `project` from `from` until `watch` hears one (10 s at most). The publishing
/// connection reconnects on its own after a failed publish, and signals are best-effort, so the
/// first ones after Redis comes (back) may be lost.
async fn until_heard(from: &JobSignals, watch: &mut ProjectWatch, project: &str) {
    for attempt in 1.. {
        from.notify(project);
        if tokio::time::timeout(Duration::from_millis(500), watch.changed()).await.is_ok() {
            return;
        }
        assert!(attempt < 20, "signals do not reach the watcher");
    }
}

async fn until_live(signals: &JobSignals) {
    let started = Instant::now();
    while !signals.live() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the job signal subscription did not come up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A job of the project goes queued → running → 40 % → 60 % (written behind the signals' back)
/// → succeeded, run by a "worker" queue with `worker_signals`; the stream must show each step,
/// the signalled ones within `PROMPT`.
async fn a_job_runs_while_the_stream_watches(app: &App, worker_signals: JobSignals) {
    let (owner, project, token) = project(app).await;
    let worker = SignallingQueue::new(app.db.clone(), worker_signals);
    let origin = JobOrigin {
        owner: owner.parse().ok(),
        project: project.parse().ok(),
        ..JobOrigin::default()
    };
    let job = cofee_jobs::new_job(
        &RenderJob { render_id: uuid::Uuid::now_v7(), preset: "veryfast".into(), crf: 20 },
        origin,
    );
    let id = worker.enqueue(job).await.unwrap();
    let mut events = Events::open(app, &project, &token).await;
    events.expect("queued", 0.0, PROMPT).await;

    assert!(worker.claim(Queue::Render.name(), "w1", 60_000).await.unwrap().is_some());
    events.expect("running", 0.0, PROMPT).await;
    worker.heartbeat(id, "w1", 60_000, 0.4).await.unwrap();
    events.expect("running", 0.4, PROMPT).await;
    // No signal: only the stream's safety-net read (every 5 s) can find this one.
    app.db.heartbeat(id, "w1", 60_000, 0.6).await.unwrap();
    events.expect("running", 0.6, Duration::from_secs(8)).await;
    assert!(worker.complete(id, "w1").await.unwrap());
    events.expect("succeeded", 1.0, PROMPT).await;
}

/// L6: a stream does not outlive the access token it was opened with.
#[tokio::test]
async fn a_stream_ends_when_its_access_token_expires() {
    let keys = JwtKeys::from_secret(&[42u8; 32]).unwrap().with_access_ttl(2);
    let app = spawn_app_with(JobSignals::local(), keys).await;
    let (_, project, token) = project(&app).await;
    let mut events = Events::open(&app, &project, &token).await;
    let opened = Instant::now();
    let last = events.last(Duration::from_secs(6)).await;
    assert_eq!(last["reason"], "credential-expired", "{last}");
    assert!(opened.elapsed() <= Duration::from_secs(4), "ended after {:?}", opened.elapsed());
}

/// L6: nor the project it watches.
#[tokio::test]
async fn a_stream_ends_when_its_project_is_deleted() {
    let app = spawn_app(JobSignals::local()).await;
    let (_, project, token) = project(&app).await;
    let mut events = Events::open(&app, &project, &token).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = app
        .http
        .delete(format!("{}/api/projects/{project}", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::NO_CONTENT);
    let last = events.last(Duration::from_secs(2)).await;
    assert_eq!(last["reason"], "project-deleted", "{last}");
}

#[tokio::test]
async fn with_redis_the_stream_hears_a_worker_elsewhere_by_signal() {
    let prefix = format!("cofee-test-{}:", uuid::Uuid::now_v7());
    let (api_signals, worker_signals) = (
        JobSignals::redis(&redis_url(), &prefix).unwrap(),
        JobSignals::redis_publisher(&redis_url(), &prefix).unwrap(),
    );
    until_live(&api_signals).await;
    let app = spawn_app(api_signals).await;
    a_job_runs_while_the_stream_watches(&app, worker_signals).await;
}

#[tokio::test]
async fn without_redis_the_stream_polls() {
    let app = spawn_app(JobSignals::none()).await;
    a_job_runs_while_the_stream_watches(&app, JobSignals::none()).await;
}

#[tokio::test]
async fn a_process_starts_while_redis_is_down_and_signals_once_it_is_up() {
    let socket = RedisSocket::new(); // nothing listens there yet
    let url = socket.url();
    let started = Instant::now();
    let (a, b) = (
        JobSignals::redis(&url, "cofee:").unwrap(),
        JobSignals::redis_publisher(&url, "cofee:").unwrap(),
    );
    b.notify("p1"); // lost, and no wait
    assert!(started.elapsed() < Duration::from_millis(100), "nothing waits for Redis");
    assert!(!a.live());
    let _redis = RedisTestServer::start_at(socket);
    until_live(&a).await;
    let mut watched = a.watch("p1");
    until_heard(&b, &mut watched, "p1").await;
}

#[tokio::test]
async fn when_redis_goes_away_signals_stop_and_come_back_with_it() {
    // `a` watches (an API), `b` only publishes (a worker).
    let redis = RedisTestServer::start();
    let (a, b) = (
        JobSignals::redis(&redis.url(), "cofee:").unwrap(),
        JobSignals::redis_publisher(&redis.url(), "cofee:").unwrap(),
    );
    until_live(&a).await;
    assert!(!b.live(), "a publisher hears nothing");
    let (mut watched, mut other) = (a.watch("p1"), a.watch("p2"));
    b.notify("p1");
    tokio::time::timeout(PROMPT, watched.changed()).await.expect("a signal from the other process");
    assert!(
        tokio::time::timeout(Duration::from_millis(300), other.changed()).await.is_err(),
        "another project's watcher sleeps on"
    );

    let socket = redis.stop();
    let started = Instant::now();
    while a.live() {
        assert!(started.elapsed() < Duration::from_secs(5), "the lost subscription went unnoticed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let started = Instant::now();
    b.notify("p1"); // while Redis is down: neither an error nor a wait
    assert!(started.elapsed() < Duration::from_millis(100));

    let _redis = RedisTestServer::start_at(socket);
    until_live(&a).await;
    // Whatever was missed meanwhile: every watcher looks again once the subscription is back.
    tokio::time::timeout(PROMPT, other.changed()).await.expect("a wake-up after the gap");
    tokio::time::timeout(PROMPT, watched.changed()).await.expect("a wake-up after the gap");
    until_heard(&b, &mut watched, "p1").await;
}
