//! Webhooks from a running `cofee serve`: a job's outcome is delivered signed, and a receiver
//! that fails first gets the same delivery again after a backoff; a test delivery is sent once
//! and its answer reported.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::*;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

type Seen = Arc<Mutex<Vec<(HeaderMap, String)>>>;

#[test]
fn job_outcomes_are_delivered_signed_and_retried() {
    let mut served = Served::start_in(tempfile::tempdir().unwrap(), &["--webhook-allow-private"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (hook_url, seen) = receiver(StatusCode::INTERNAL_SERVER_ERROR).await;

        let http = reqwest::Client::new();
        let base = served.url.clone();
        let token = sign_up(&http, &base, "h@example.com").await;

        let r = http
            .post(format!("{base}/api/webhooks"))
            .bearer_auth(&token)
            .json(&json!({"url": "ftp://x", "events": ["job.exploded"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        let r = http
            .post(format!("{base}/api/webhooks"))
            .bearer_auth(&token)
            .json(&json!({"url": hook_url, "events": ["job.succeeded"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::CREATED);
        let secret = r.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_string();
        let listed: Value = http
            .get(format!("{base}/api/webhooks"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(listed[0].get("secret").is_none(), "the secret is shown once");

        let p: Value = http
            .post(format!("{base}/api/projects"))
            .bearer_auth(&token)
            .json(&json!({"name": "hooked"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let pid = p["id"].as_str().unwrap().to_string();
        http.put(format!("{base}/api/projects/{pid}/media"))
            .bearer_auth(&token)
            .body(std::fs::read(talk_mp4()).unwrap())
            .send()
            .await
            .unwrap();
        http.post(format!("{base}/api/projects/{pid}/transcribe"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();

        let started = Instant::now();
        while seen.lock().unwrap().len() < 2 {
            assert!(started.elapsed() < Duration::from_secs(90), "the delivery was not retried");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let all = seen.lock().unwrap().clone();
        assert_eq!(
            all[0].0["cofee-delivery"], all[1].0["cofee-delivery"],
            "the same delivery, again"
        );
        for (headers, body) in &all {
            assert_signed(headers, body, &secret);
            let event: Value = serde_json::from_str(body).unwrap();
            assert_eq!(
                (
                    event["type"].as_str(),
                    event["data"]["kind"].as_str(),
                    event["data"]["project_id"].as_str()
                ),
                (Some("job.succeeded"), Some("transcribe"), Some(pid.as_str()))
            );
        }
    });
    assert!(served.stop(10).success());
}

#[test]
fn a_test_delivery_is_sent_once_and_its_answer_reported() {
    let mut served = Served::start_in(tempfile::tempdir().unwrap(), &["--webhook-allow-private"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (hook_url, seen) = receiver(StatusCode::SERVICE_UNAVAILABLE).await;
        let http = reqwest::Client::new();
        let base = served.url.clone();
        let token = sign_up(&http, &base, "t@example.com").await;
        let hook: Value = http
            .post(format!("{base}/api/webhooks"))
            .bearer_auth(&token)
            .json(&json!({"url": hook_url, "events": ["job.dead"]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let (id, secret) = (hook["id"].as_str().unwrap(), hook["secret"].as_str().unwrap());
        let test = |token: String| {
            let (http, url) = (http.clone(), format!("{base}/api/webhooks/{id}/test"));
            async move { http.post(url).bearer_auth(token).send().await.unwrap() }
        };
        let other = sign_up(&http, &base, "other@example.com").await;
        assert_eq!(test(other).await.status(), reqwest::StatusCode::NOT_FOUND);

        // The receiver fails the first: the job ends dead with its answer, and is not retried.
        let ended = |job: Value| {
            let (http, base, token) = (http.clone(), base.clone(), token.clone());
            async move {
                let job = job["job_id"].as_str().unwrap().to_string();
                let started = Instant::now();
                loop {
                    let j: Value = http
                        .get(format!("{base}/api/jobs/{job}"))
                        .bearer_auth(&token)
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    if ["succeeded", "dead"].contains(&j["state"].as_str().unwrap()) {
                        return j;
                    }
                    assert!(started.elapsed() < Duration::from_secs(30), "the test never ended");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        let r = test(token.clone()).await;
        assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);
        let j = ended(r.json().await.unwrap()).await;
        assert_eq!(j["state"], "dead", "{j}");
        assert!(j["error"].as_str().unwrap().contains("503"), "the answer is reported: {j}");
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(seen.lock().unwrap().len(), 1, "a test delivery is not retried");

        let j = ended(test(token.clone()).await.json().await.unwrap()).await;
        assert_eq!(j["state"], "succeeded", "{j}");
        let (headers, body) = seen.lock().unwrap()[1].clone();
        assert_signed(&headers, &body, secret);
        let event: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (event["type"].as_str(), &event["data"]["test"]),
            (Some("webhook.test"), &json!(true))
        );
    });
    assert!(served.stop(10).success());
}

/// A webhook receiver on a random port that answers `first` to the first delivery and 200 to
/// the rest; its URL, and what it was sent.
async fn receiver(first: StatusCode) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let s2 = seen.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: String| {
            let seen = s2.clone();
            async move {
                let mut all = seen.lock().unwrap();
                all.push((headers, body));
                if all.len() == 1 { first } else { StatusCode::OK }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

async fn sign_up(http: &reqwest::Client, base: &str, email: &str) -> String {
    let creds = json!({"email": email, "password": "correct horse battery"});
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
    t["access_token"].as_str().unwrap().to_string()
}

/// `Cofee-Signature: t=…,v1=…` is the HMAC-SHA256 of `"t.body"` under `secret`.
fn assert_signed(headers: &HeaderMap, body: &str, secret: &str) {
    let sig = headers["cofee-signature"].to_str().unwrap();
    let (t, v1) = sig.split_once(',').unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    mac.verify_slice(&hex_decode(v1.strip_prefix("v1=").unwrap())).expect("a valid signature");
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}
