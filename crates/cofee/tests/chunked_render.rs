//! One render on several workers: `cofee api` and two `cofee worker`s on PostgreSQL (a database
//! of the test's own) and shared storage, renders split into 3-second chunks. A worker holding a
//! chunk is killed (SIGKILL): the chunk runs again once its lease is over, the render waits for
//! it, its progress runs as the chunks', and the joined MP4 has every frame of the source, its
//! duration and its audio, stored once, with the chunks cleaned away. A second render is
//! cancelled while its chunks run: every chunk stops with it and it leaves no output.

mod common;

use std::time::{Duration, Instant};

use cofee_store::Store;
use cofee_store::media::MediaStore;
use cofee_store::queue::{JobQueue, JobState};
use cofee_store::testing::PgTestDatabase;
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const SECS: u32 = 12;

/// 12 s of moving picture over real speech, a keyframe every second.
fn clip(dir: &std::path::Path) -> std::path::PathBuf {
    let out = dir.join("talk.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=360x640:r=25",
        "-stream_loop",
        "-1",
        "-i",
        speech_wav().to_str().unwrap(),
        "-t",
        &SECS.to_string(),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-x264-params",
        "keyint=25:min-keyint=25:scenecut=0",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
        out.to_str().unwrap(),
    ]);
    out
}

fn ffprobe(path: &std::path::Path, args: &[&str]) -> String {
    let o = std::process::Command::new("ffprobe")
        .args(["-v", "error"])
        .args(args)
        .args(["-of", "csv=p=0", path.to_str().unwrap()])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut r = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        assert!(r.status().is_success(), "{method} {path}: {}", r.status());
        r.json().await.unwrap_or(Value::Null)
    }

    async fn job(&self, id: &str) -> Value {
        self.call(reqwest::Method::GET, &format!("/api/jobs/{id}"), None).await
    }
}

/// The chunk jobs of `render`, once it has been split.
async fn chunks_of(store: &Store, render: uuid::Uuid) -> Vec<cofee_store::queue::Job> {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let chunks = store.render_chunks(render).await.unwrap();
        if !chunks.is_empty() {
            return chunks;
        }
        assert!(Instant::now() < until, "the render was never split");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn a_render_split_across_workers_survives_a_killed_worker_and_cancels_as_one() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(PgTestDatabase::create());
    let dir = tempfile::tempdir().unwrap();
    let objects = dir.path().join("objects");
    std::fs::create_dir_all(&objects).unwrap();
    let env = [
        ("COFEE_DATABASE_URL", db.url()),
        ("COFEE_STORAGE_URL", format!("file://{}", objects.display())),
        ("COFEE_JOB_LEASE_SECS", "2".to_string()),
        ("COFEE_SHUTDOWN_GRACE_SECS", "0".to_string()),
        ("COFEE_RENDER_CHUNK_SECS", "3".to_string()),
    ];
    let log = |name: &str| dir.path().join(format!("{name}.log"));
    let api = Role::start_logged(
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
    let worker = |i: usize| {
        Role::start_logged(
            &[
                "worker",
                "--listen",
                "127.0.0.1:0",
                "--queues",
                "render,render_chunk,maintenance",
                "--scratch-dir",
                dir.path().join(format!("w{i}")).to_str().unwrap(),
            ],
            &env,
            &log(&format!("worker{i}")),
        )
    };
    let mut workers = vec![worker(0), worker(1)];
    let source = clip(dir.path());

    rt.block_on(async {
        let store = Store::connect_postgres(&db.url(), 2).await.unwrap();
        let http = reqwest::Client::new();
        let creds = json!({"email": "long@example.com", "password": "correct horse battery"});
        let r = http.post(format!("{}/api/auth/register", api.url)).json(&creds).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let t: Value =
            http.post(format!("{}/api/auth/login", api.url)).json(&creds).send().await.unwrap().json().await.unwrap();
        let c = Api { http: http.clone(), base: api.url.clone(), token: t["access_token"].as_str().unwrap().into() };
        let p = c.call(reqwest::Method::POST, "/api/projects", Some(json!({"name": "long talk"}))).await;
        let pid = p["id"].as_str().unwrap().to_string();
        let r = http
            .put(format!("{}/api/projects/{pid}/media", c.base))
            .bearer_auth(&c.token)
            .header("x-file-name", "talk.mp4")
            .body(std::fs::read(&source).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        // A caption every second, so every chunk draws some and some run across a join.
        let words: Vec<Value> = (0..SECS * 2)
            .map(|i| json!({"text": format!("word{i}"), "start": f64::from(i) * 0.5 + 0.1, "end": f64::from(i) * 0.5 + 0.55}))
            .collect();
        let r = http
            .put(format!("{}/api/projects/{pid}/captions", c.base))
            .bearer_auth(&c.token)
            .header("if-match", "\"v0\"")
            .json(&json!({"language": "en", "words": words}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());

        // The first render: a worker holding one of its chunks dies.
        let started = c.call(reqwest::Method::POST, &format!("/api/projects/{pid}/renders"), Some(json!({"preset": "medium"}))).await;
        let (job_id, render_id) = (started["job_id"].as_str().unwrap().to_string(), started["render_id"].as_str().unwrap().to_string());
        let chunks = chunks_of(&store, render_id.parse().unwrap()).await;
        assert_eq!(chunks.len(), 4, "12 s in 3 s chunks");
        let victim = workers[0].child.id();
        let until = Instant::now() + Duration::from_secs(60);
        let killed_chunk = loop {
            let held = store.render_chunks(render_id.parse().unwrap()).await.unwrap().into_iter().find(|j| {
                j.state == JobState::Running && j.worker_id.as_deref().is_some_and(|w| w.ends_with(&format!("-{victim}")))
            });
            if let Some(j) = held {
                break j.id;
            }
            assert!(Instant::now() < until, "worker 0 never held a chunk");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        workers[0].child.kill().unwrap();
        workers[0].child.wait().unwrap();
        workers.push(worker(2));
        let mut seen = Vec::new();
        let until = Instant::now() + Duration::from_secs(240);
        let render = loop {
            let j = c.job(&job_id).await;
            seen.push(j["progress"].as_f64().unwrap_or(0.0));
            if !matches!(j["state"].as_str(), Some("queued" | "running")) {
                break j;
            }
            assert!(Instant::now() < until, "the render never ended: {j}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(render["state"], "succeeded", "{render}");
        let chunk_jobs = store.render_chunks(render_id.parse().unwrap()).await.unwrap();
        for j in &chunk_jobs {
            assert_eq!(j.state, JobState::Succeeded, "chunk {}", j.id);
            let expected = if j.id == killed_chunk { 2 } else { 1 };
            assert_eq!(j.attempts, expected, "the killed worker's chunk ran again, the others once");
        }
        assert!(
            seen.iter().any(|p| *p > 0.05 && *p < 0.9),
            "progress moved as the chunks did: {seen:?}"
        );
        assert!(seen.windows(2).all(|w| w[1] >= w[0] - 1e-9), "progress never went back: {seen:?}");

        // The joined render: every frame, the duration and the audio of the source, stored once.
        let out = objects.join(format!("projects/{pid}/renders/{render_id}.mp4"));
        let frames = ffprobe(&out, &["-select_streams", "v", "-count_packets", "-show_entries", "stream=nb_read_packets"]);
        assert_eq!(frames, (SECS * 25).to_string(), "every frame once");
        let duration = |p: &std::path::Path| ffprobe(p, &["-show_entries", "format=duration"]).parse::<f64>().unwrap();
        assert!((duration(&out) - duration(&source)).abs() < 0.05, "{} vs {}", duration(&out), duration(&source));
        assert_eq!(
            ffprobe(&out, &["-select_streams", "a", "-show_entries", "packet=pts,size"]),
            ffprobe(&source, &["-select_streams", "a", "-show_entries", "packet=pts,size"]),
            "the source's audio, copied once in sync"
        );
        let renders = c.call(reqwest::Method::GET, &format!("/api/projects/{pid}/renders"), None).await;
        assert_eq!(renders.as_array().unwrap().len(), 1);
        let pieces = objects.join(format!("projects/{pid}/renders/{render_id}"));
        wait_for("the chunks to be cleaned away", 30, || {
            std::fs::read_dir(&pieces).map_or(true, |mut d| d.next().is_none())
        });
        assert!(out.exists(), "the render stays when its chunks go");

        // The second render, cancelled while its chunks run.
        let started = c.call(reqwest::Method::POST, &format!("/api/projects/{pid}/renders"), Some(json!({"preset": "slower"}))).await;
        let (job_id, render_id) = (started["job_id"].as_str().unwrap().to_string(), started["render_id"].as_str().unwrap().to_string());
        let render_uuid: uuid::Uuid = render_id.parse().unwrap();
        chunks_of(&store, render_uuid).await;
        let until = Instant::now() + Duration::from_secs(60);
        while !store.render_chunks(render_uuid).await.unwrap().iter().any(|j| j.state == JobState::Running) {
            assert!(Instant::now() < until, "no chunk ever ran");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        c.call(reqwest::Method::POST, &format!("/api/jobs/{job_id}/cancel"), None).await;
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            let render = store.get(job_id.parse().unwrap()).await.unwrap();
            let chunks = store.render_chunks(render_uuid).await.unwrap();
            if render.state.is_final() && chunks.iter().all(|j| j.state.is_final()) {
                assert_eq!(render.state, JobState::Cancelled);
                assert!(
                    chunks.iter().any(|j| j.state == JobState::Cancelled),
                    "the chunks stopped with the render: {:?}",
                    chunks.iter().map(|j| j.state).collect::<Vec<_>>()
                );
                assert!(chunks.iter().all(|j| matches!(j.state, JobState::Cancelled | JobState::Succeeded)));
                break;
            }
            assert!(Instant::now() < until, "the cancelled render's chunks did not stop");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(!objects.join(format!("projects/{pid}/renders/{render_id}.mp4")).exists(), "no output");
    });
    drop(workers);
    drop(api);
}
