//! `cofee serve` as a process: it starts, says where, answers, and stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn serve_starts_answers_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cofee"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("COFEE_JWT_SECRET")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let ready: serde_json::Value = rt.block_on(async {
        reqwest::get(format!("{url}/health/ready")).await.unwrap().json().await.unwrap()
    });
    assert_eq!(ready["status"], "ok");

    let secret = dir.path().join("jwt.secret");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&secret).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "the generated secret is private");
    assert!(dir.path().join("cofee.db").exists());

    // A browser watching a project's events: an endless response, which must not hold the
    // shutdown up — it ends, and the browser's EventSource reconnects elsewhere.
    let events = rt.block_on(async {
        let http = reqwest::Client::new();
        let creds =
            serde_json::json!({"email": "ada@example.com", "password": "correct horse battery"});
        http.post(format!("{url}/api/auth/register")).json(&creds).send().await.unwrap();
        let tokens: serde_json::Value = http
            .post(format!("{url}/api/auth/login"))
            .json(&creds)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = tokens["access_token"].as_str().unwrap().to_string();
        let project: serde_json::Value = http
            .post(format!("{url}/api/projects"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"name": "talk"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let r = http
            .get(format!("{url}/api/projects/{}/events", project["id"].as_str().unwrap()))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r
    });
    let ended = rt.spawn(async move {
        use futures_util::StreamExt;
        let mut body = events.bytes_stream();
        while let Some(Ok(_)) = body.next().await {}
    });

    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exits cleanly: {status}");
            rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), ended).await })
                .expect("the event stream ended")
                .unwrap();
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    panic!("cofee serve did not stop within 5 s of SIGTERM");
}
