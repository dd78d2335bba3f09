//! The scaled-out shape under load and under failure: `cofee migrate`, one `cofee api`, three
//! `cofee worker`s on a PostgreSQL of the test's own (`initdb` + `pg_ctl`, never the machine's
//! shared server) and S3 (moto); 30 projects transcribed and rendered at once; one worker
//! SIGKILLed and one SIGTERMed while renders run. Every job ends succeeded, each project has
//! exactly one render and one output object — nothing lost, nothing done twice —, the killed
//! worker's render is taken over after its lease, the stopped worker's is released and finished
//! elsewhere, and the queue-depth gauge rose and fell back to zero. Every job's log lines in the
//! workers carry the id of the API request that caused it. Then PostgreSQL stops: the API's and
//! the worker's readiness answer 503, and 200 again when it is back, and the same processes take
//! new work without a restart.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cofee_store::Store;
use cofee_store::queue::{JobQueue, JobState};
use cofee_store::testing::MotoServer;
use common::*;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PROJECTS: usize = 30;

/// Four seconds of real speech over a small test picture.
fn short_clip() -> std::path::PathBuf {
    let out = fixtures_dir().join("short talk.mp4");
    if !out.exists() {
        let tmp = fixtures_dir().join(format!(".short-{}.mp4", std::process::id()));
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=360x640:r=25",
            "-i",
            speech_wav().to_str().unwrap(),
            "-t",
            "4",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            tmp.to_str().unwrap(),
        ]);
        std::fs::rename(&tmp, &out).unwrap();
    }
    out
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    /// Sends a request as a well-behaved client does: over its rate limit (30 projects at once
    /// are), it waits as long as `Retry-After` says and tries again.
    async fn send(&self, request: impl Fn() -> reqwest::RequestBuilder) -> reqwest::Response {
        loop {
            let r = request().bearer_auth(&self.token).send().await.unwrap();
            if r.status() != StatusCode::TOO_MANY_REQUESTS {
                return r;
            }
            let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
            tokio::time::sleep(Duration::from_secs(wait)).await;
        }
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let r = self.send(|| self.http.post(format!("{}{path}", self.base)).json(&body)).await;
        assert!(r.status().is_success(), "POST {path}: {}", r.status());
        r.json().await.unwrap()
    }

    async fn job_state(&self, id: &str) -> (String, i64) {
        let j: Value = self
            .send(|| self.http.get(format!("{}/api/jobs/{id}", self.base)))
            .await
            .json()
            .await
            .unwrap();
        (j["state"].as_str().unwrap_or("?").to_string(), j["attempts"].as_i64().unwrap_or(0))
    }

    /// Waits until every job has ended; returns (state, attempts) per job.
    async fn wait_all(&self, jobs: &[String], secs: u64) -> Vec<(String, i64)> {
        let until = Instant::now() + Duration::from_secs(secs);
        loop {
            let states = join_all(jobs.iter().map(|j| self.job_state(j))).await;
            if states.iter().all(|(s, _)| !matches!(s.as_str(), "queued" | "running")) {
                return states;
            }
            assert!(
                Instant::now() < until,
                "jobs still open after {secs} s: {:?}",
                states.iter().filter(|(s, _)| s == "queued" || s == "running").count()
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

#[test]
fn thirty_projects_three_workers_one_killed_one_stopped_nothing_lost_nothing_twice() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = ThrowawayPostgres::start();
    let moto = MotoServer::start();
    moto.create_bucket("media");
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("COFEE_DATABASE_URL", db.url()),
        ("COFEE_STORAGE_URL", "s3://media/scale".to_string()),
        ("COFEE_S3_ENDPOINT", moto.endpoint()),
        ("AWS_ACCESS_KEY_ID", "cofee-test".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "cofee-test-secret-key".to_string()),
        // Short leases, so the killed worker's jobs come back within seconds.
        ("COFEE_JOB_LEASE_SECS", "3".to_string()),
        ("COFEE_SHUTDOWN_GRACE_SECS", "0".to_string()),
    ];
    let o = cofee_with_env(&["migrate"], &env);
    assert!(o.status.success(), "{}", stderr(&o));
    let log = |name: &str| dir.path().join(format!("{name}.log"));
    let mut api = Role::start_logged(
        &[
            "api",
            "--listen",
            "127.0.0.1:0",
            "--scratch-dir",
            dir.path().join("api").to_str().unwrap(),
        ],
        &env,
        &log("api"),
    );
    let mut workers: Vec<Role> = (0..3)
        .map(|i| {
            Role::start_logged(
                &[
                    "worker",
                    "--listen",
                    "127.0.0.1:0",
                    "--concurrency",
                    "2",
                    "--engine",
                    "sphinx",
                    "--scratch-dir",
                    dir.path().join(format!("w{i}")).to_str().unwrap(),
                ],
                &env,
                &log(&format!("worker{i}")),
            )
        })
        .collect();

    let (c, projects) = rt.block_on(async {
        let http = reqwest::Client::new();
        let creds = json!({"email": "load@example.com", "password": "correct horse battery"});
        assert_eq!(
            http.post(format!("{}/api/auth/register", api.url))
                .json(&creds)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::CREATED
        );
        let t: Value = http
            .post(format!("{}/api/auth/login", api.url))
            .json(&creds)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let c = Client {
            http: http.clone(),
            base: api.url.clone(),
            token: t["access_token"].as_str().unwrap().to_string(),
        };

        // The API's queue gauge, sampled all along.
        let samples = Arc::new(Mutex::new(Vec::<f64>::new()));
        let sampler = {
            let (samples, url, http) =
                (samples.clone(), format!("{}/metrics", api.url), http.clone());
            tokio::spawn(async move {
                loop {
                    if let Ok(r) = http.get(&url).send().await {
                        let text = r.text().await.unwrap_or_default();
                        let depth =
                            common::metric(&text, r#"queue_ready_jobs{queue="transcribe"}"#)
                                .unwrap_or(0.0)
                                + common::metric(&text, r#"queue_ready_jobs{queue="render"}"#)
                                    .unwrap_or(0.0);
                        samples.lock().unwrap().push(depth);
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            })
        };

        let video = std::fs::read(short_clip()).unwrap();
        let projects: Vec<String> = join_all((0..PROJECTS).map(|i| {
            let (c, video) = (&c, video.clone());
            async move {
                let p = c.post("/api/projects", json!({"name": format!("talk {i}")})).await;
                let pid = p["id"].as_str().unwrap().to_string();
                let r = c
                    .send(|| {
                        c.http
                            .put(format!("{}/api/projects/{pid}/media", c.base))
                            .header("x-file-name", "talk.mp4")
                            .body(video.clone())
                    })
                    .await;
                assert_eq!(r.status(), StatusCode::CREATED, "upload {i}");
                pid
            }
        }))
        .await;

        let transcribes: Vec<String> = join_all(projects.iter().map(|pid| {
            let c = &c;
            async move { c.post(&format!("/api/projects/{pid}/transcribe"), json!({})).await }
        }))
        .await
        .iter()
        .map(|j| j["job_id"].as_str().unwrap().to_string())
        .collect();
        let states = c.wait_all(&transcribes, 300).await;
        assert!(
            states.iter().all(|(s, attempts)| s == "succeeded" && *attempts == 1),
            "every transcription succeeded, each in one attempt: {states:?}"
        );

        // A style frame reads the media where it lies in the bucket (FFmpeg seeking through
        // a URL signed for the service), not a copy: a PNG of the video's proportions.
        let r = c
            .send(|| {
                c.http
                    .post(format!("{}/api/projects/{}/style/frame", c.base, projects[0]))
                    .json(&json!({"t": 1.0, "width": 180, "style": {"base": "bold-pop"}}))
            })
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let png = r.bytes().await.unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let (w, h) = (
            u32::from_be_bytes(png[16..20].try_into().unwrap()),
            u32::from_be_bytes(png[20..24].try_into().unwrap()),
        );
        assert_eq!((w, h), (180, 320), "9:16 like the clip");

        let renders: Vec<String> = join_all(projects.iter().map(|pid| {
            let c = &c;
            async move {
                c.post(&format!("/api/projects/{pid}/renders"), json!({"preset": "slower"})).await
            }
        }))
        .await
        .iter()
        .map(|j| j["job_id"].as_str().unwrap().to_string())
        .collect();
        // Failure while renders run: a worker with a render in hand dies outright (SIGKILL), and
        // another with a render in hand is asked to stop (SIGTERM, no grace: it must release).
        let store = Store::connect_postgres(&db.url(), 2).await.unwrap();
        let render_ids: Vec<uuid::Uuid> = renders.iter().map(|r| r.parse().unwrap()).collect();
        let holding = |pid: u32| {
            let (store, render_ids) = (&store, &render_ids);
            async move {
                let until = Instant::now() + Duration::from_secs(120);
                loop {
                    for id in render_ids {
                        let job = store.get(*id).await.unwrap();
                        if job.state == JobState::Running
                            && job
                                .worker_id
                                .as_deref()
                                .is_some_and(|w| w.ends_with(&format!("-{pid}")))
                        {
                            return *id;
                        }
                    }
                    assert!(Instant::now() < until, "worker {pid} never held a render");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        let killed_job = holding(workers[0].child.id()).await;
        workers[0].child.kill().unwrap();
        workers[0].child.wait().unwrap();
        let released_job = holding(workers[1].child.id()).await;
        assert!(
            workers[1].stop(20).success(),
            "SIGTERM ends a worker cleanly, releasing what it could not finish"
        );
        eprintln!("killed worker held {killed_job}, stopped worker held {released_job}");

        let states = c.wait_all(&renders, 300).await;
        assert!(states.iter().all(|(s, _)| s == "succeeded"), "every render succeeded: {states:?}");
        let killed = store.get(killed_job).await.unwrap();
        assert_eq!(
            (killed.state, killed.attempts),
            (JobState::Succeeded, 2),
            "the killed worker's render was taken over once the lease expired"
        );
        let released = store.get(released_job).await.unwrap();
        assert_eq!(
            released.state,
            JobState::Succeeded,
            "the released render was finished by another worker"
        );
        let stopped_pid = format!("-{}", workers[1].child.id());
        let finisher = released.worker_id.clone().expect("the worker that finished it is recorded");
        assert!(!finisher.ends_with(&stopped_pid), "not by the stopped one: {finisher}");

        // Exactly once: one render per project, each finished, and exactly four objects per
        // project (source, thumbnail, waveform, render) in the bucket.
        for pid in &projects {
            let list: Value = c
                .send(|| c.http.get(format!("{}/api/projects/{pid}/renders", c.base)))
                .await
                .json()
                .await
                .unwrap();
            let list = list.as_array().unwrap();
            assert_eq!(list.len(), 1, "one render for {pid}: {list:?}");
            assert!(
                list[0]["output_key"].is_string() || list[0]["finished_at"].is_number(),
                "finished: {list:?}"
            );
            assert_eq!(
                moto.count("media", &format!("scale/projects/{pid}/")),
                4,
                "objects of {pid}"
            );
        }

        // The gauge saw the backlog and saw it drain (it refreshes every 5 s).
        tokio::time::sleep(Duration::from_secs(6)).await;
        sampler.abort();
        let samples = samples.lock().unwrap().clone();
        let peak = samples.iter().cloned().fold(0.0, f64::max);
        assert!(peak >= 2.0, "queue depth rose under load: {samples:?}");
        assert_eq!(samples.last().copied(), Some(0.0), "and fell back to zero: {samples:?}");
        (c, projects)
    });

    // Every job the workers finished carries the request that caused it, which the API logged.
    let api_requests: std::collections::HashSet<String> = json_lines(&log("api"))
        .iter()
        // Requests that cause jobs: transcriptions and renders (POST), uploads (PUT: the waveform).
        .filter(|l| l["span"]["method"] == "POST" || l["span"]["method"] == "PUT")
        .filter_map(|l| l["span"]["request_id"].as_str().map(str::to_string))
        .collect();
    let finished: Vec<String> = (0..3)
        .flat_map(|i| json_lines(&log(&format!("worker{i}"))))
        .filter(|l| l["message"] == "job finished" && l["state"] == "succeeded")
        // Upload expiry is the workers' own schedule, caused by no request.
        .filter(|l| l["kind"] != "expire_uploads")
        .map(|l| l["span"]["request_id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        finished.len() >= 2 * PROJECTS,
        "every transcription and render finished in a worker's log: {}",
        finished.len()
    );
    let strays: Vec<&String> = finished.iter().filter(|rid| !api_requests.contains(*rid)).collect();
    assert!(strays.is_empty(), "jobs whose request id is not in the API's log: {strays:?}");

    // PostgreSQL goes away under the running API and worker, and comes back.
    let (api_url, worker_url) = (api.url.clone(), workers[2].url.clone());
    db.down();
    wait_for("the API and the worker to report the database down", 20, || {
        [&api_url, &worker_url].iter().all(|u| {
            let (code, body) = ready(u);
            code == 503 && body["database"] == "down" && body["storage"] == "ok"
        })
    });
    db.up();
    wait_for("readiness to recover", 30, || {
        ready(&api_url).0 == 200 && ready(&worker_url).0 == 200
    });
    rt.block_on(async {
        // The same processes take new work: another render of the first project.
        let job = c.post(&format!("/api/projects/{}/renders", projects[0]), json!({})).await;
        let states = c.wait_all(&[job["job_id"].as_str().unwrap().to_string()], 120).await;
        assert_eq!(states[0].0, "succeeded", "a render after the database came back: {states:?}");
    });
    assert!(workers[2].stop(20).success());
    assert!(api.stop(10).success());
}
