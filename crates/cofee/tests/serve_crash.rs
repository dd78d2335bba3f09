//! A `cofee serve` process killed (SIGKILL) in the middle of a render, then started again: the
//! render is taken up after its lease expires and completes exactly once.

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn wait_job(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    job: &str,
    until: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let r = http.get(format!("{base}/api/jobs/{job}")).bearer_auth(token).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "polling five times a second stays inside the rate limit"
        );
        let j: Value = r.json().await.unwrap();
        if until(&j) {
            return j;
        }
        assert!(started.elapsed() < Duration::from_secs(240), "job never got there: {j}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[test]
fn a_render_interrupted_by_a_killed_process_completes_exactly_once() {
    let lease = ["--job-lease-secs", "2"];
    let mut first = Served::start_in(tempfile::tempdir().unwrap(), &lease);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    let (token, pid, render_job, render_id) = rt.block_on(async {
        let base = first.url.clone();
        let creds = json!({"email": "a@example.com", "password": "correct horse battery"});
        http.post(format!("{base}/api/auth/register")).json(&creds).send().await.unwrap();
        let t: Value = http
            .post(format!("{base}/api/auth/login"))
            .json(&creds)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = t["access_token"].as_str().unwrap().to_string();
        let p: Value = http
            .post(format!("{base}/api/projects"))
            .bearer_auth(&token)
            .json(&json!({"name": "crash"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let pid = p["id"].as_str().unwrap().to_string();
        let r = http
            .put(format!("{base}/api/projects/{pid}/media"))
            .bearer_auth(&token)
            .body(std::fs::read(talk_mp4()).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let j: Value = http
            .post(format!("{base}/api/projects/{pid}/transcribe"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        wait_job(&http, &base, &token, j["job_id"].as_str().unwrap(), |j| {
            j["state"] == "succeeded"
        })
        .await;
        // A slow preset so the render is surely still running when the process dies.
        let r: Value = http
            .post(format!("{base}/api/projects/{pid}/renders"))
            .bearer_auth(&token)
            .json(&json!({"preset": "slow"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let job = r["job_id"].as_str().unwrap().to_string();
        let running = wait_job(&http, &base, &token, &job, |j| {
            j["state"] == "running" && j["progress"].as_f64().unwrap_or(0.0) > 0.0
        })
        .await;
        assert_eq!(running["attempts"], 1);
        (token, pid, job, r["render_id"].as_str().unwrap().to_string())
    });
    first.kill(); // SIGKILL: no shutdown, no release

    let dir = std::mem::replace(&mut first.dir, tempfile::tempdir().unwrap());
    let mut second = Served::start_in(dir, &lease);
    rt.block_on(async {
        let base = second.url.clone();
        let done = wait_job(&http, &base, &token, &render_job, |j| {
            j["state"] != "queued" && j["state"] != "running"
        })
        .await;
        assert_eq!(
            (done["state"].as_str(), done["attempts"].as_u64()),
            (Some("succeeded"), Some(2)),
            "taken up again once: {done}"
        );
        let renders: Value = http
            .get(format!("{base}/api/projects/{pid}/renders"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(renders.as_array().unwrap().len(), 1, "one render row");
        let r = http
            .get(format!("{base}/api/renders/{render_id}/download"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let out = second.dir.path().join("check.mp4");
        std::fs::write(&out, r.bytes().await.unwrap()).unwrap();
        assert!(
            (probe_duration(&out) - probe_duration(&talk_mp4())).abs() <= 0.1,
            "a complete video"
        );
    });
    let objects: Vec<_> =
        std::fs::read_dir(second.dir.path().join(format!("objects/projects/{pid}/renders")))
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
    assert_eq!(objects.len(), 1, "exactly one output object: {objects:?}");
    assert!(second.stop(30).success());
}
