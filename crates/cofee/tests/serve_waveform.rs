//! The editor's waveform end to end, on a real `cofee serve`: a video with two seconds of tone
//! and two of silence is uploaded, its waveform job runs in the service's worker, and
//! `GET /api/projects/{id}/waveform` answers audiowaveform data showing the tone and the
//! silence — to its owner only, cached by `ETag`, and gone with the project. A video without
//! sound gets a flat waveform.

mod common;

use std::time::{Duration, Instant};

use cofee_core::waveform::decode;
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn token(http: &reqwest::Client, base: &str, email: &str) -> String {
    let creds = json!({"email": email, "password": "correct horse battery"});
    let r = http.post(format!("{base}/api/auth/register")).json(&creds).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
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

/// 4 s of 160×120 video; a 440 Hz tone at half scale for 2 s, then 2 s of digital silence.
fn tone_then_silence(dir: &std::path::Path) -> Vec<u8> {
    let path = dir.join("tone.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=160x120:r=10:d=4",
        "-f",
        "lavfi",
        "-i",
        "sine=f=440:d=2:sample_rate=48000,volume=4",
        "-f",
        "lavfi",
        "-i",
        "anullsrc=r=48000:cl=mono:d=2",
        "-filter_complex",
        "[1:a][2:a]concat=n=2:v=0:a=1[a]",
        "-map",
        "0:v",
        "-map",
        "[a]",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:a",
        "aac",
        path.to_str().unwrap(),
    ]);
    std::fs::read(path).unwrap()
}

#[test]
fn an_uploaded_video_gets_a_waveform_of_its_sound_for_its_owner() {
    let mut served = Served::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (base, data) = (served.url.clone(), served.dir.path().to_path_buf());
    rt.block_on(async move {
        let http = reqwest::Client::new();
        let alice = token(&http, &base, "alice@example.com").await;
        let mallory = token(&http, &base, "mallory@example.com").await;
        let p: Value = http
            .post(format!("{base}/api/projects"))
            .bearer_auth(&alice)
            .json(&json!({"name": "tone"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let pid = p["id"].as_str().unwrap().to_string();
        let waveform = format!("{base}/api/projects/{pid}/waveform");

        let r = http.get(&waveform).bearer_auth(&alice).send().await.unwrap();
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["type"], "/problems/no-media", "{problem}");

        let r = http
            .put(format!("{base}/api/projects/{pid}/media"))
            .bearer_auth(&alice)
            .body(tone_then_silence(&data))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let media: Value = r.json().await.unwrap();
        let duration = media["duration_secs"].as_f64().unwrap();

        // Computed by the worker, off the request path: `not-ready` until then.
        let started = Instant::now();
        let r = loop {
            let r = http.get(&waveform).bearer_auth(&alice).send().await.unwrap();
            if r.status() != StatusCode::CONFLICT {
                break r;
            }
            let p: Value = r.json().await.unwrap();
            assert_eq!(p["type"], "/problems/not-ready", "{p}");
            assert!(started.elapsed() < Duration::from_secs(30), "no waveform yet: {p}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "application/octet-stream");
        assert_eq!(r.headers()["cache-control"], "private, no-cache");
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        let bytes = r.bytes().await.unwrap();
        assert_eq!(&bytes[..8], [2, 0, 0, 0, 1, 0, 0, 0], "version 2, 8-bit");

        let w = decode(&bytes).unwrap();
        assert_eq!((w.sample_rate, w.samples_per_pixel, w.channels, w.bits), (16_000, 160, 1, 8));
        let expected = (duration * 100.0).round() as i64;
        assert!(
            (w.len() as i64 - expected).abs() <= 2,
            "{} pixels for {duration} s (100 a second)",
            w.len()
        );
        let peak = |i: usize| {
            let (min, max) = w.pixel(0, i).unwrap();
            min.unsigned_abs().max(max.unsigned_abs())
        };
        // A half-scale tone reaches ±64 of ±128; the encoder's start-up and the cut at 2 s
        // are left out.
        assert!((10..190).all(|i| peak(i) > 40), "the tone: {:?}", &w.peaks[10..190]);
        assert!((220..w.len() - 5).all(|i| peak(i) <= 1), "the silence: {:?}", &w.peaks[220..]);

        // Unchanged: the cached copy is still good, without the bytes again.
        let r = http
            .get(&waveform)
            .bearer_auth(&alice)
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);

        let r = http.get(&waveform).bearer_auth(&mallory).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "another user's project");

        // A video without sound has a flat waveform for its whole duration.
        let silent = data.join("silent.mp4");
        ffmpeg(
            &["-f", "lavfi", "-i", "testsrc2=s=160x120:r=10:d=3", "-c:v", "libx264"]
                .into_iter()
                .chain(["-preset", "ultrafast", silent.to_str().unwrap()])
                .collect::<Vec<_>>(),
        );
        let p: Value = http
            .post(format!("{base}/api/projects"))
            .bearer_auth(&alice)
            .json(&json!({"name": "silent"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let silent_pid = p["id"].as_str().unwrap().to_string();
        let r = http
            .put(format!("{base}/api/projects/{silent_pid}/media"))
            .bearer_auth(&alice)
            .body(std::fs::read(&silent).unwrap())
            .send()
            .await
            .unwrap();
        let media: Value = r.json().await.unwrap();
        assert_eq!(media["has_audio"], false, "{media}");
        let started = Instant::now();
        let flat = loop {
            let r = http
                .get(format!("{base}/api/projects/{silent_pid}/waveform"))
                .bearer_auth(&alice)
                .send()
                .await
                .unwrap();
            if r.status() == StatusCode::OK {
                break decode(&r.bytes().await.unwrap()).unwrap();
            }
            assert!(started.elapsed() < Duration::from_secs(30), "no waveform for silent video");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let expected = (media["duration_secs"].as_f64().unwrap() * 100.0).round() as i64;
        assert!((flat.len() as i64 - expected).abs() <= 2, "{} pixels", flat.len());
        assert!(flat.peaks.iter().all(|&p| p == (0, 0)));

        // Deleting the project deletes the waveform with its other objects.
        let stored = data.join(format!("objects/projects/{pid}/waveform.dat"));
        assert!(stored.is_file());
        let r = http.delete(format!("{base}/api/projects/{pid}")).bearer_auth(&alice).send();
        assert_eq!(r.await.unwrap().status(), StatusCode::NO_CONTENT);
        let started = Instant::now();
        while stored.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the waveform outlived its project"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    assert!(served.stop(10).success());
}
