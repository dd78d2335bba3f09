//! The API over HTTP: the real router on a random port, a fresh database per test. Every test
//! runs twice, as `NAME::sqlite` (a new SQLite file) and `NAME::postgres` (a new database on the
//! PostgreSQL server at `COFEE_TEST_PG_URL`, dropped afterwards).

use std::sync::Arc;
use std::time::Duration;

use cofee_server::{AppState, JwtKeys, router, serve};
use cofee_store::Database;
use cofee_store::Store;
use cofee_store::testing::PgTestDatabase;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct App {
    base: String,
    http: reqwest::Client,
    db: Arc<dyn Database>,
    _dir: tempfile::TempDir,
    _pg: Option<PgTestDatabase>,
}

enum Backend {
    Sqlite,
    Postgres,
}

async fn spawn_app(backend: Backend) -> App {
    spawn_app_with(backend, |_| {}).await
}

async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut AppState)) -> App {
    let dir = tempfile::tempdir().unwrap();
    let (db, pg): (Arc<dyn Database>, _) = match backend {
        Backend::Sqlite => {
            (Arc::new(Store::open_sqlite(&dir.path().join("cofee.db")).await.unwrap()), None)
        }
        Backend::Postgres => {
            let pg = PgTestDatabase::create().await;
            (cofee_store::DatabaseUrl::Postgres(pg.url()).connect(4).await.unwrap(), Some(pg))
        }
    };
    let objects = cofee_store::objects::Objects::local(&dir.path().join("objects")).unwrap();
    let mut state = AppState::new(
        db.clone(),
        objects,
        JwtKeys::from_secret(&[42u8; 32]).unwrap(),
        Default::default(),
        dir.path().join("tmp"),
    );
    state.cors_origins =
        cofee_server::cors_origins(&["https://app.example.com".to_string()]).unwrap();
    configure(&mut state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, router(state), std::future::pending()));
    App { base, http: reqwest::Client::new(), db, _dir: dir, _pg: pg }
}

/// M2: quotas per user, reported and refused with a problem naming what was exceeded; another
/// user's are their own.
async fn quotas_are_reported_and_refused_naming_what_was_exceeded(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.quotas = cofee_server::Quotas {
            projects: Some(2),
            stored_bytes: Some(1_000_000),
            open_uploads: Some(1),
            active_jobs: Some(1),
        }
    })
    .await;
    let (alice, _) = app.user("alice@example.com").await;
    let (bob, _) = app.user("bob@example.com").await;
    let (_, usage) = app.get("/api/me/usage", &alice).await;
    assert_eq!(usage["projects"], json!({"used": 0, "limit": 2}), "{usage}");
    let mut ids = Vec::new();
    for name in ["one", "two"] {
        let (s, p) = app.post("/api/projects", Some(&alice), json!({"name": name})).await;
        assert_eq!(s, StatusCode::CREATED);
        ids.push(p["id"].as_str().unwrap().to_string());
    }
    let (s, p) = app.post("/api/projects", Some(&alice), json!({"name": "three"})).await;
    assert_eq!(
        (s, p["type"].as_str()),
        (StatusCode::FORBIDDEN, Some("/problems/quota-exceeded")),
        "{p}"
    );
    assert!(p["detail"].as_str().unwrap().contains("projects — 2 used of 2"), "{p}");
    assert_eq!(
        app.post("/api/projects", Some(&bob), json!({"name": "bob's"})).await.0,
        StatusCode::CREATED
    );

    let tus = |length: u64| {
        let meta = format!("project_id {}", base64_encode(ids[0].as_bytes()));
        app.http
            .post(format!("{}/api/uploads", app.base))
            .bearer_auth(&alice)
            .header("tus-resumable", "1.0.0")
            .header("upload-length", length.to_string())
            .header("upload-metadata", meta)
            .send()
    };
    let r = tus(2_000_000).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let p: Value = r.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("stored bytes"), "{p}");
    assert_eq!(tus(400_000).await.unwrap().status(), StatusCode::CREATED);
    let r = tus(400_000).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "one open upload at most");
    let p: Value = r.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("open uploads"), "{p}");
    let (_, usage) = app.get("/api/me/usage", &alice).await;
    assert_eq!(
        (
            usage["stored_bytes"].clone(),
            usage["open_uploads"]["used"].clone(),
            usage["active_jobs"]["limit"].clone()
        ),
        (json!({"used": 400_000, "limit": 1_000_000}), json!(1), json!(1)),
        "{usage}"
    );
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn quotas_on_sqlite() {
    quotas_are_reported_and_refused_naming_what_was_exceeded(Backend::Sqlite).await
}

#[tokio::test]
async fn quotas_on_postgres() {
    quotas_are_reported_and_refused_naming_what_was_exceeded(Backend::Postgres).await
}

/// Each listed test runs once per backend, as `NAME::sqlite` and `NAME::postgres`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name(super::spawn_app(super::Backend::Sqlite).await).await
                }

                #[tokio::test]
                async fn postgres() {
                    super::$name(super::spawn_app(super::Backend::Postgres).await).await
                }
            }
        )*
    };
}

impl App {
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut r = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let resp =
            self.http.get(format!("{}{path}", self.base)).bearer_auth(token).send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Uploads [`App::clip`] as a project's media.
    async fn upload_clip(&self, token: &str, pid: &str) {
        let r = self
            .http
            .put(format!("{}/api/projects/{pid}/media", self.base))
            .bearer_auth(token)
            .body(self.clip())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }

    /// A 3 s 320×240 MP4 with sound, made with FFmpeg.
    fn clip(&self) -> Vec<u8> {
        let path = self._dir.path().join("clip.mp4");
        let made = std::process::Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=s=320x240:r=25:d=3",
                "-f",
                "lavfi",
                "-i",
                "sine=d=3",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-c:a",
                "aac",
                "-shortest",
            ])
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success());
        std::fs::read(&path).unwrap()
    }

    /// Registers and signs in; returns (access, refresh).
    async fn user(&self, email: &str) -> (String, String) {
        let (s, _) = self
            .post(
                "/api/auth/register",
                None,
                json!({"email": email, "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, t) = self
            .post(
                "/api/auth/login",
                None,
                json!({"email": email, "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{t}");
        (t["access_token"].as_str().unwrap().into(), t["refresh_token"].as_str().unwrap().into())
    }
}

/// The editor shows the captions page by page as the render lays them out in the project's style.
async fn the_captions_come_in_pages_as_the_style_lays_them_out(app: App) {
    let (alice, _) = app.user("alice@example.com").await;
    let (_, p) = app.post("/api/projects", Some(&alice), json!({"name": "pages"})).await;
    let pid: uuid::Uuid = p["id"].as_str().unwrap().parse().unwrap();
    // Two sentences with a long pause between them: two pages at least, in order, covering
    // every word once.
    let words: Vec<Value> = ["Hello", "there.", "How", "are", "you", "today?"]
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let start = i as f64 * 0.4 + if i >= 2 { 2.0 } else { 0.0 };
            json!({"text": w, "start": start, "end": start + 0.3})
        })
        .collect();
    app.db.save_transcript(pid, &json!({"words": words}).to_string()).await.unwrap();
    let (s, pages) = app.get(&format!("/api/projects/{pid}/captions/pages"), &alice).await;
    assert_eq!(s, StatusCode::OK, "{pages}");
    let pages = pages["pages"].as_array().unwrap().clone();
    assert!(pages.len() >= 2, "{pages:?}");
    let mut next = 0;
    for page in &pages {
        for line in page["lines"].as_array().unwrap() {
            assert_eq!(line["from"].as_u64(), Some(next), "{pages:?}");
            next = line["to"].as_u64().unwrap();
        }
    }
    assert_eq!(next, 6, "every word once: {pages:?}");
    assert_eq!(
        pages[0]["lines"].as_array().unwrap().last().unwrap()["to"],
        2,
        "the pause starts a page"
    );
    // A person's page breaks win: joined across the pause, split before "you".
    let etag = app
        .http
        .get(format!("{}/api/projects/{pid}/captions", app.base))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .headers()["etag"]
        .clone();
    let mut words = words;
    words[2]["page_break"] = json!(false);
    words[4]["page_break"] = json!(true);
    let r = app
        .http
        .put(format!("{}/api/projects/{pid}/captions", app.base))
        .bearer_auth(&alice)
        .header("if-match", etag)
        .json(&json!({"words": words}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let saved: Value = r.json().await.unwrap();
    assert_eq!(saved["words"][2]["page_break"], json!(false), "kept as sent: {saved}");
    let (_, pages) = app.get(&format!("/api/projects/{pid}/captions/pages"), &alice).await;
    let firsts: Vec<u64> = pages["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["lines"][0]["from"].as_u64().unwrap())
        .collect();
    assert_eq!(firsts, [0, 4], "{pages}");
    let (bob, _) = app.user("bob@example.com").await;
    assert_eq!(
        app.get(&format!("/api/projects/{pid}/captions/pages"), &bob).await.0,
        StatusCode::NOT_FOUND
    );
}

/// The replacements kept on a project: stored whole, checked, the owner's alone.
async fn a_projects_replacements_are_kept_checked_and_its_owners_alone(app: App) {
    let (alice, _) = app.user("alice@example.com").await;
    let (bob, _) = app.user("bob@example.com").await;
    let (_, p) = app.post("/api/projects", Some(&alice), json!({"name": "brand"})).await;
    let path = format!("/api/projects/{}/replacements", p["id"].as_str().unwrap());
    let put = async |token: &str, body: Value| {
        let r = app
            .http
            .put(format!("{}{path}", app.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json::<Value>().await.unwrap_or(Value::Null))
    };
    assert_eq!(app.get(&path, &alice).await.1, json!({"replacements": []}));
    let list = json!({"replacements": [
        {"find": "cofee", "replace": "Cofee", "match_case": false},
        {"find": "gonna", "replace": "going to", "match_case": true},
    ]});
    assert_eq!(put(&alice, list.clone()).await, (StatusCode::OK, list.clone()));
    assert_eq!(app.get(&path, &alice).await.1, list);
    let (s, problem) =
        put(&alice, json!({"replacements": [{"find": "two words", "replace": "x"}]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "replacements[0].find", "{problem}");
    assert_eq!(app.get(&path, &alice).await.1, list, "a refused list changes nothing");
    assert_eq!(app.get(&path, &bob).await.0, StatusCode::NOT_FOUND);
    assert_eq!(put(&bob, list).await.0, StatusCode::NOT_FOUND);
}

/// An SRT or WebVTT file from elsewhere: read in its own encoding, each cue a page, bad blocks
/// skipped and named; or its text aligned with the words there are, which keep their times.
async fn caption_files_are_imported_in_their_encoding_cue_by_cue(app: App) {
    let (alice, _) = app.user("alice@example.com").await;
    let (bob, _) = app.user("bob@example.com").await;
    let (_, p) = app.post("/api/projects", Some(&alice), json!({"name": "imported"})).await;
    let pid = p["id"].as_str().unwrap().to_string();
    let import = async |token: &str, query: &str, etag: &str, body: Vec<u8>| {
        let r = app
            .http
            .post(format!("{}/api/projects/{pid}/captions/import{query}", app.base))
            .bearer_auth(token)
            .header("if-match", etag)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json::<Value>().await.unwrap_or(Value::Null))
    };
    // Windows-1252 (é is 0xE9, à is 0xE0), CRLF, a block with unreadable times in the middle.
    let srt = "1\r\n00:00:01,000 --> 00:00:02,000\r\nCaf\u{e9} d\u{e9}j\u{e0} pr\u{ea}t\r\n\r\n\
               2\r\n00:00:02,000 --> soon\r\nlost\r\n\r\n\
               3\r\n00:00:02,000 --> 00:00:03,000\r\nvoil\u{e0} le caf\u{e9}\r\n";
    let latin1: Vec<u8> = srt.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
    assert_eq!(import(&bob, "", "\"v0\"", latin1.clone()).await.0, StatusCode::NOT_FOUND);
    let (s, report) = import(&alice, "", "\"v0\"", latin1.clone()).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(
        (&report["format"], &report["encoding"], &report["cues"], &report["words"]),
        (&json!("srt"), &json!("windows-1252"), &json!(2), &json!(6)),
        "{report}"
    );
    assert!(report["skipped"][0].as_str().unwrap().contains("line 6"), "{report}");
    let (_, doc) = app.get(&format!("/api/projects/{pid}/captions"), &alice).await;
    let texts: Vec<&str> =
        doc["words"].as_array().unwrap().iter().map(|w| w["text"].as_str().unwrap()).collect();
    assert_eq!(texts.join(" "), "Café déjà prêt voilà le café");
    let (_, pages) = app.get(&format!("/api/projects/{pid}/captions/pages"), &alice).await;
    let starts: Vec<u64> = pages["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["start_ms"].as_u64().unwrap())
        .collect();
    assert_eq!(starts, [1000, 2000], "each cue a page from its own start: {pages}");
    assert_eq!(import(&alice, "", "\"v0\"", latin1).await.0, StatusCode::PRECONDITION_FAILED);

    // Re-timing: the recognised words keep their times; the file fixes a word and sets pages.
    let recognised = json!({"words": [
        {"text": "so", "start": 0.5, "end": 0.7}, {"text": "here", "start": 0.7, "end": 1.1},
        {"text": "we", "start": 1.3, "end": 1.4}, {"text": "goo", "start": 1.4, "end": 1.9}]});
    let r = app
        .http
        .put(format!("{}/api/projects/{pid}/captions", app.base))
        .bearer_auth(&alice)
        .header("if-match", "\"v1\"")
        .json(&recognised)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let vtt = "WEBVTT\n\n00:00.000 --> 00:01.000\nSo here\n\n00:01.000 --> 00:02.000\nwe go\n";
    let (s, report) = import(&alice, "?mode=retime", "\"v2\"", vtt.into()).await;
    assert_eq!((s, &report["format"]), (StatusCode::OK, &json!("vtt")), "{report}");
    let (_, doc) = app.get(&format!("/api/projects/{pid}/captions"), &alice).await;
    let words: Vec<(&str, f64, Option<bool>)> = doc["words"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (w["text"].as_str().unwrap(), w["start"].as_f64().unwrap(), w["page_break"].as_bool())
        })
        .collect();
    assert_eq!(
        words,
        [
            ("So", 0.5, Some(true)),
            ("here", 0.7, Some(false)),
            ("we", 1.3, Some(true)),
            ("go", 1.4, Some(false))
        ],
        "each cue a page, whole: {doc}"
    );
    let (s, problem) =
        import(&alice, "", "\"v3\"", b"just some notes\nnothing timed\n".to_vec()).await;
    assert_eq!(
        (s, problem["type"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("/problems/invalid-captions")),
        "{problem}"
    );
    let (s, _) = import(&alice, "?mode=sideways", "\"v3\"", vtt.into()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Letters rather than sentences fit two code pages: the user previews the file in the one
    // they name (nothing saved, no If-Match), then imports it so.
    let letters = "1\r\n00:00:00,500 --> 00:00:01,000\r\n\u{c0}\u{e0} \u{c6}\u{e6} \u{d0}\u{f0} \u{a3}\r\n\r\n\
                   2\r\n00:00:01,000 --> 00:00:01,500\r\n\u{de}\u{fe}\r\n";
    let cp1252: Vec<u8> = letters.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
    let (s, report) =
        import(&alice, "?preview=true&encoding=Windows-1252", "", cp1252.clone()).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(
        (&report["version"], &report["encoding"], &report["encoding_detected"], &report["cues"]),
        (&json!(3), &json!("windows-1252"), &json!(false), &json!(2)),
        "{report}"
    );
    assert_eq!(report["sample"], json!(["Àà Ææ Ðð £", "Þþ"]), "{report}");
    let (_, doc) = app.get(&format!("/api/projects/{pid}/captions"), &alice).await;
    assert_eq!(doc["words"].as_array().unwrap().len(), 4, "a preview saves nothing: {doc}");
    assert_eq!(import(&bob, "?preview=true", "", cp1252.clone()).await.0, StatusCode::NOT_FOUND);
    for wrong in ["klingon", "cp1252", ""] {
        let query = format!("?preview=true&encoding={wrong}");
        let (s, problem) = import(&alice, &query, "", cp1252.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{wrong:?}: an alias or nothing is not a name");
        assert!(problem["detail"].as_str().unwrap().contains(&format!("{wrong:?}")), "{problem}");
    }
    let (s, report) = import(&alice, "?encoding=windows-1252", "\"v3\"", cp1252).await;
    assert_eq!((s, &report["version"]), (StatusCode::OK, &json!(4)), "{report}");
    let (_, doc) = app.get(&format!("/api/projects/{pid}/captions"), &alice).await;
    let texts: Vec<&str> =
        doc["words"].as_array().unwrap().iter().map(|w| w["text"].as_str().unwrap()).collect();
    assert_eq!(texts.join(" "), "Àà Ææ Ðð £ Þþ");

    // The captions' language guides detection: Thai captions, a Thai file in Windows-874
    // (read as Windows-1252 without the hint).
    let thai = include_bytes!(
        "../../cofee-core/tests/captions-from-the-wild/juvoplayer/media_player_subs_windows-874.srt"
    );
    let r = app
        .http
        .put(format!("{}/api/projects/{pid}/captions", app.base))
        .bearer_auth(&alice)
        .header("if-match", "\"v4\"")
        .json(&json!({"language": "th", "words": [{"text": "สวัสดี", "start": 0.5, "end": 1.0}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (s, report) = import(&alice, "?preview=true", "", thai.to_vec()).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(
        (&report["encoding"], &report["encoding_detected"]),
        (&json!("windows-874"), &json!(true))
    );
    assert!(report["sample"][0].as_str().unwrap().starts_with("[Thai] 0.5: กข ฃค"), "{report}");
}

/// The account screen: a new password ends the other sessions; deleting the account takes
/// everything in it; API tokens can do neither.
async fn a_password_change_ends_other_sessions_and_an_account_can_be_deleted(app: App) {
    let (alice, refresh) = app.user("alice@example.com").await;
    let (s, me) = app.get("/api/me", &alice).await;
    assert_eq!((s, me["email"].as_str()), (StatusCode::OK, Some("alice@example.com")));
    let send = async |method: reqwest::Method, path: &str, token: &str, body: Value| {
        let r = app
            .http
            .request(method, format!("{}{path}", app.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json::<Value>().await.unwrap_or(Value::Null))
    };
    let (s, p) = send(
        reqwest::Method::PUT,
        "/api/me/password",
        &alice,
        json!({"current_password": "not it at all", "new_password": "a new horse battery"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (_, token) = app.post("/api/tokens", Some(&alice), json!({"name": "script"})).await;
    let secret = token["secret"].as_str().unwrap().to_string();
    let (s, _) = send(
        reqwest::Method::PUT,
        "/api/me/password",
        &secret,
        json!({"current_password": "correct horse battery", "new_password": "a new horse battery"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "an API token cannot change the password");
    let (s, fresh) = send(
        reqwest::Method::PUT,
        "/api/me/password",
        &alice,
        json!({"current_password": "correct horse battery", "new_password": "a new horse battery"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.post("/api/auth/refresh", None, json!({"refresh_token": refresh})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the other session ended");
    let (s, _) =
        app.post("/api/auth/refresh", None, json!({"refresh_token": fresh["refresh_token"]})).await;
    assert_eq!(s, StatusCode::OK, "the client that changed it has a new session");
    let (s, _) = app
        .post(
            "/api/auth/login",
            None,
            json!({"email": "alice@example.com", "password": "a new horse battery"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "the new password works");

    let (_, p) = app.post("/api/projects", Some(&alice), json!({"name": "doomed"})).await;
    let (s, _) = send(
        reqwest::Method::DELETE,
        "/api/me",
        &alice,
        json!({"current_password": "a new horse battery"}),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let pid: uuid::Uuid = p["id"].as_str().unwrap().parse().unwrap();
    let owner = me["id"].as_str().unwrap().parse().unwrap();
    assert!(app.db.project(owner, pid).await.is_err(), "the project went with the account");
    let (s, _) = app
        .post(
            "/api/auth/login",
            None,
            json!({"email": "alice@example.com", "password": "a new horse battery"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the account is gone");
    assert_eq!(
        app.get("/api/projects", &secret).await.0,
        StatusCode::UNAUTHORIZED,
        "and its API tokens"
    );
}

/// Every job's end goes to each of its owner's webhooks, so an account has a bounded number.
async fn an_account_has_at_most_twenty_webhooks(app: App) {
    let (alice, _) = app.user("alice@example.com").await;
    for i in 0..20 {
        let hook =
            json!({"url": format!("https://hooks.example.com/{i}"), "events": ["job.succeeded"]});
        assert_eq!(app.post("/api/webhooks", Some(&alice), hook).await.0, StatusCode::CREATED);
    }
    let hook =
        json!({"url": "https://hooks.example.com/one-too-many", "events": ["job.succeeded"]});
    let (s, p) = app.post("/api/webhooks", Some(&alice), hook).await;
    assert_eq!(
        (s, p["type"].as_str()),
        (StatusCode::FORBIDDEN, Some("/problems/quota-exceeded")),
        "{p}"
    );
    assert!(p["detail"].as_str().unwrap().contains("at most 20"), "{p}");
}

/// L7: a refused file is told what is wrong with it, never where the server keeps it.
async fn a_file_that_is_not_a_video_is_refused_without_server_paths(app: App) {
    let (alice, _) = app.user("alice@example.com").await;
    let (_, p) = app.post("/api/projects", Some(&alice), json!({"name": "notes"})).await;
    let r = app
        .http
        .put(format!("{}/api/projects/{}/media", app.base, p["id"].as_str().unwrap()))
        .bearer_auth(&alice)
        .body("these are my meeting notes, not a video\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = r.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("not a video or audio file"), "{problem}");
    let dir = app._dir.path().to_str().unwrap();
    assert!(!detail.contains(dir) && !detail.contains("/tmp/"), "a server path in {detail:?}");
}

async fn register_validates_and_refuses_duplicates_with_problem_json(app: App) {
    let resp = app
        .http
        .post(format!("{}/api/auth/register", app.base))
        .json(&json!({"email": "nope", "password": "short"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let p: Value = resp.json().await.unwrap();
    let fields: Vec<&str> =
        p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["email", "password"]);
    app.user("Ada@Example.com").await;
    let (s, p) = app
        .post(
            "/api/auth/register",
            None,
            json!({"email": "ada@example.com", "password": "another long one"}),
        )
        .await;
    assert_eq!((s, p["status"].as_u64()), (StatusCode::CONFLICT, Some(409)));
}

/// Each kind of problem has a `type` of its own, and the `type` resolves to what it means.
async fn problem_types_name_the_kind_of_error_and_resolve_to_a_description(app: App) {
    let (_, invalid) =
        app.post("/api/auth/register", None, json!({"email": "nope", "password": "short"})).await;
    let missing = app
        .http
        .get(format!("{}/api/projects/{}", app.base, uuid::Uuid::now_v7()))
        .bearer_auth(app.user("grace@example.com").await.0)
        .send()
        .await
        .unwrap();
    let missing: Value = missing.json().await.unwrap();
    assert_eq!(
        (invalid["type"].as_str(), missing["type"].as_str()),
        (Some("/problems/invalid-input"), Some("/problems/not-found"))
    );
    let about: Value = app
        .http
        .get(format!("{}{}", app.base, missing["type"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (about["type"].as_str(), about["status"].as_u64(), about["title"].as_str()),
        (Some("/problems/not-found"), Some(404), missing["title"].as_str())
    );
    let unknown = app.http.get(format!("{}/problems/no-such-kind", app.base)).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

async fn wrong_passwords_and_unknown_users_get_the_same_answer(app: App) {
    app.user("bob@example.com").await;
    let (s1, p1) = app
        .post(
            "/api/auth/login",
            None,
            json!({"email": "bob@example.com", "password": "wrong password!"}),
        )
        .await;
    let (s2, p2) = app
        .post(
            "/api/auth/login",
            None,
            json!({"email": "nobody@example.com", "password": "wrong password!"}),
        )
        .await;
    assert_eq!((s1, s2), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert_eq!(p1["detail"], p2["detail"]);
    let (s, _) = app.get("/api/projects", "not-a-token").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

async fn sign_in_attempts_for_one_account_are_throttled_with_retry_after(app: App) {
    app.user("victim@example.com").await; // one successful sign-in
    let wrong = json!({"email": "Victim@Example.com", "password": "not the password"});
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = app
            .http
            .post(format!("{}/api/auth/login", app.base))
            .json(&wrong)
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=60).contains(&retry), "Retry-After {retry}");
            assert_eq!(r.headers()["content-type"], "application/problem+json");
        }
    }
    // Five failures a minute per account and address (the successful sign-in is not counted):
    // then 429 from this address, whatever the password.
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
    let right = json!({"email": "victim@example.com", "password": "correct horse battery"});
    let r =
        app.http.post(format!("{}/api/auth/login", app.base)).json(&right).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits, from this address"
    );
    // Other accounts are not affected.
    let other = json!({"email": "someone@example.com", "password": "not the password"});
    let r =
        app.http.post(format!("{}/api/auth/login", app.base)).json(&other).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

async fn cross_origin_calls_only_from_configured_origins_and_bodies_are_bounded(app: App) {
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, format!("{}/api/projects", app.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization,content-type")
            .send()
    };
    let r = preflight("https://app.example.com").await.unwrap();
    assert_eq!(
        r.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap()),
        Some("https://app.example.com")
    );
    assert!(
        r.headers()["access-control-allow-headers"].to_str().unwrap().contains("authorization")
    );
    let r = preflight("https://evil.example.net").await.unwrap();
    assert!(
        r.headers().get("access-control-allow-origin").is_none(),
        "other origins get no CORS grant"
    );
    let r = app
        .http
        .get(format!("{}/api/styles", app.base))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "https://app.example.com");
    assert!(
        r.headers()["access-control-expose-headers"].to_str().unwrap().contains("x-request-id")
    );

    // A JSON body larger than the limit is refused before it is read whole.
    let (token, _) = app.user("big@example.com").await;
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(cofee_server::WHOLE_BODY_LIMIT + 1));
    let r = app
        .http
        .post(format!("{}/api/projects", app.base))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Small JSON routes take far less than captions do: a sign-in of 100 KiB is refused, the
    // same size of captions text is taken.
    let padded = json!({"email": "big@example.com", "password": "x".repeat(100 << 10)}).to_string();
    let r = app
        .http
        .post(format!("{}/api/auth/login", app.base))
        .header("content-type", "application/json")
        .body(padded)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let (_, p) = app.post("/api/projects", Some(&token), json!({"name": "long talk"})).await;
    let words: Vec<Value> = (0..4000).map(|i| json!({"text": format!("word{i}"), "start": i as f64 * 0.5, "end": i as f64 * 0.5 + 0.4})).collect();
    let r = app
        .http
        .put(format!("{}/api/projects/{}/captions", app.base, p["id"].as_str().unwrap()))
        .bearer_auth(&token)
        .json(&json!({"words": words}))
        .send()
        .await
        .unwrap();
    assert_ne!(
        r.status(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "{} KiB of captions are within their limit",
        serde_json::to_vec(&json!({"words": words})).unwrap().len() >> 10
    );
    assert!(
        cofee_server::cors_origins(&["*".into()]).is_err()
            && cofee_server::cors_origins(&["https://a.example/x".into()]).is_err()
    );
}

async fn refresh_tokens_rotate_and_reuse_revokes_the_family(app: App) {
    let (_, r1) = app.user("cy@example.com").await;
    let (s, t2) = app.post("/api/auth/refresh", None, json!({"refresh_token": r1})).await;
    assert_eq!(s, StatusCode::OK);
    let r2 = t2["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    let (s, _) = app.get("/api/projects", t2["access_token"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::OK, "the new access token works");
    // r1 was spent: presenting it again looks like theft, so r2 dies with it.
    let (s, p) = app.post("/api/auth/refresh", None, json!({"refresh_token": r1})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(p["detail"].as_str().unwrap().contains("already used"));
    let (s, _) = app.post("/api/auth/refresh", None, json!({"refresh_token": r2})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the whole family was revoked");
    // Logout ends a session the same way.
    let (_, r3) = app.user("dee@example.com").await;
    let resp = app
        .http
        .post(format!("{}/api/auth/logout", app.base))
        .json(&json!({"refresh_token": r3}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (s, _) = app.post("/api/auth/refresh", None, json!({"refresh_token": r3})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

async fn projects_belong_to_their_owner_and_others_get_404(app: App) {
    let (alice, _) = app.user("alice@example.com").await;
    let (mallory, _) = app.user("mallory@example.com").await;
    let (s, p) = app.post("/api/projects", Some(&alice), json!({"name": "  Launch video  "})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(p["name"], "Launch video");
    assert!(p.get("owner_id").is_none(), "owners are not exposed");
    let id = p["id"].as_str().unwrap().to_string();
    let (s, list) = app.get("/api/projects", &alice).await;
    assert_eq!((s, list.as_array().unwrap().len()), (StatusCode::OK, 1));
    let (_, list) = app.get("/api/projects", &mallory).await;
    assert!(list.as_array().unwrap().is_empty());
    for req in [
        app.http.get(format!("{}/api/projects/{id}", app.base)),
        app.http
            .patch(format!("{}/api/projects/{id}", app.base))
            .json(&json!({"name": "mine now"})),
        app.http.delete(format!("{}/api/projects/{id}", app.base)),
    ] {
        let resp = req.bearer_auth(&mallory).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    }
    let resp = app
        .http
        .patch(format!("{}/api/projects/{id}", app.base))
        .bearer_auth(&alice)
        .json(&json!({"name": "Launch v2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (s, p) = app.get(&format!("/api/projects/{id}"), &alice).await;
    assert_eq!((s, p["name"].as_str()), (StatusCode::OK, Some("Launch v2")));
    let (s, _) = app.get("/api/projects/not-a-uuid", &alice).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, p) = app.post("/api/projects", Some(&alice), json!({"name": ""})).await;
    assert_eq!(
        (s, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("name"))
    );
    let resp = app
        .http
        .delete(format!("{}/api/projects/{id}", app.base))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (s, _) = app.get(&format!("/api/projects/{id}"), &alice).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn health_and_request_ids(app: App) {
    let resp = app
        .http
        .get(format!("{}/health/ready", app.base))
        .header("x-request-id", "req-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["x-request-id"], "req-123", "echoed back");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    let resp = app.http.get(format!("{}/health/live", app.base)).send().await.unwrap();
    assert!(resp.headers().contains_key("x-request-id"), "made when absent");
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
    ] {
        assert_eq!(resp.headers()[name], value, "{name}");
    }
    let csp = resp.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    let resp = app.http.get(format!("{}/api/nope", app.base)).send().await.unwrap();
    assert_eq!(
        (resp.status(), resp.headers()["content-type"].to_str().unwrap()),
        (StatusCode::NOT_FOUND, "application/problem+json")
    );
}

/// What one caption edit may hold is bounded (H1): an edit past a limit is refused with a
/// problem that names it, and nothing changes.
async fn caption_edits_are_bounded_and_the_limit_is_named(app: App) {
    let (alice, _) = app.user("alice@example.com").await;
    let (_, p) = app.post("/api/projects", Some(&alice), json!({"name": "talk"})).await;
    let pid: uuid::Uuid = p["id"].as_str().unwrap().parse().unwrap();
    app.db
        .save_transcript(
            pid,
            &json!({"words": [{"text": "hello", "start": 0.0, "end": 0.5}]}).to_string(),
        )
        .await
        .unwrap();
    let url = format!("{}/api/projects/{pid}/captions", app.base);
    let put = |body: Value| {
        app.http.put(&url).bearer_auth(&alice).header("if-match", "\"v1\"").json(&body).send()
    };

    let long_word = json!({"words": [{"text": "a".repeat(1_000_000), "start": 0.0, "end": 1.0}]});
    let r = put(long_word).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = r.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("a word has at most 100"), "{problem}");

    let r = put(json!({"text": "b".repeat(1_000)})).await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a long token is refused before it is aligned"
    );

    let r = put(json!({"text": "w ".repeat(60_000)})).await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/edit-too-large");
    assert!(problem["detail"].as_str().unwrap().contains("at most 50000"), "{problem}");

    let r = app.http.get(&url).bearer_auth(&alice).send().await.unwrap();
    assert_eq!(r.headers()["etag"], "\"v1\"", "refused edits change nothing");
}

async fn caption_edits_keep_untouched_timing_and_stale_edits_get_412(app: App) {
    let (alice, _) = app.user("alice@example.com").await;
    let (mallory, _) = app.user("mallory@example.com").await;
    let (_, p) = app.post("/api/projects", Some(&alice), json!({"name": "talk"})).await;
    let pid: uuid::Uuid = p["id"].as_str().unwrap().parse().unwrap();
    let words = json!({"language": "en", "words": [
        {"text": "the", "start": 0.0, "end": 0.2}, {"text": "quick", "start": 0.2, "end": 0.5},
        {"text": "brown", "start": 0.5, "end": 0.8}, {"text": "fox", "start": 1.5, "end": 1.8}]});
    let url = format!("{}/api/projects/{pid}/captions", app.base);
    // A project without captions gets its first from `If-Match: "v0"`, once, and only its own.
    let first = async |token: &str| {
        let r = app.http.put(&url).bearer_auth(token).header("if-match", "\"v0\"");
        r.json(&words).send().await.unwrap().status()
    };
    assert_eq!(app.http.get(&url).bearer_auth(&alice).send().await.unwrap().status(), 404);
    assert_eq!(first(&mallory).await, StatusCode::NOT_FOUND);
    assert_eq!(first(&alice).await, StatusCode::OK);
    assert_eq!(first(&alice).await, StatusCode::PRECONDITION_FAILED, "they exist now");

    let r = app.http.get(&url).bearer_auth(&alice).send().await.unwrap();
    assert_eq!(r.headers()["etag"], "\"v1\"");
    let r = app
        .http
        .put(&url)
        .bearer_auth(&alice)
        .json(&json!({"text": "the quick brown fax"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_REQUIRED);

    let r = app
        .http
        .put(&url)
        .bearer_auth(&alice)
        .header("if-match", "\"v1\"")
        .json(&json!({"text": "The quick brown fax, jumping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["etag"], "\"v2\"");
    let t: Value = r.json().await.unwrap();
    let got: Vec<(String, f64, f64)> = t["words"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["text"].as_str().unwrap().into(),
                w["start"].as_f64().unwrap(),
                w["end"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got[..4],
        [
            ("The".into(), 0.0, 0.2),
            ("quick".into(), 0.2, 0.5),
            ("brown".into(), 0.5, 0.8),
            ("fax,".into(), 1.5, 1.8)
        ]
    );
    assert_eq!(got[4].0, "jumping");
    assert!(got[4].1 >= 1.8, "the new word comes after the last one: {got:?}");

    // A second editor still holding v1 is refused, and the first edit is intact.
    let r = app
        .http
        .put(&url)
        .bearer_auth(&alice)
        .header("if-match", "\"v1\"")
        .json(&json!({"text": "something else"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let p: Value = r.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("reload"));
    let now: Value =
        app.http.get(&url).bearer_auth(&alice).send().await.unwrap().json().await.unwrap();
    assert_eq!(now["words"][3]["text"], "fax,");

    // Full word JSON from an editor that re-timed words itself is taken as it is (validated).
    let r = app
        .http
        .put(&url)
        .bearer_auth(&alice)
        .header("if-match", "\"v2\"")
        .json(&json!({"words": [{"text": "hi", "start": 0.1, "end": 0.3}]}))
        .send()
        .await
        .unwrap();
    assert_eq!((r.status(), r.headers()["etag"].to_str().unwrap()), (StatusCode::OK, "\"v3\""));
    let r = app
        .http
        .put(&url)
        .bearer_auth(&alice)
        .header("if-match", "\"v3\"")
        .json(&json!({"words": [{"text": "hi", "start": 2.0, "end": 1.0}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let r = app
        .http
        .put(&url)
        .bearer_auth(&mallory)
        .header("if-match", "\"v3\"")
        .json(&json!({"text": "pwned"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

async fn a_tus_upload_interrupted_midway_resumes_and_attaches_the_video(app: App) {
    use base64::Engine;
    let (alice, _) = app.user("alice@example.com").await;
    let (mallory, _) = app.user("mallory@example.com").await;
    let (_, p) = app.post("/api/projects", Some(&alice), json!({"name": "tus"})).await;
    let pid = p["id"].as_str().unwrap().to_string();
    let video = app.clip();
    let uploads = format!("{}/api/uploads", app.base);

    let r = app.http.request(reqwest::Method::OPTIONS, &uploads).send().await.unwrap();
    assert_eq!(
        (r.status(), r.headers()["tus-version"].to_str().unwrap()),
        (StatusCode::NO_CONTENT, "1.0.0")
    );
    assert!(r.headers()["tus-extension"].to_str().unwrap().contains("creation"));

    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let meta = format!("project_id {},filename {}", b64(&pid), b64("clip.mp4"));
    let r = app
        .http
        .post(&uploads)
        .bearer_auth(&alice)
        .header("upload-length", video.len())
        .header("upload-metadata", &meta)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED, "Tus-Resumable is required");
    let r = app
        .http
        .post(&uploads)
        .bearer_auth(&alice)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", video.len())
        .header("upload-metadata", &meta)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let location = format!("{}{}", app.base, r.headers()["location"].to_str().unwrap());

    // The connection drops after the first half.
    let half = video.len() / 2;
    let first = bytes::Bytes::copy_from_slice(&video[..half]);
    let chunks = futures_util::stream::unfold(0, move |step| {
        let first = first.clone();
        async move {
            match step {
                0 => Some((Ok(first), 1)),
                1 => {
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await; // the first half is on the wire
                    Some((Err(std::io::Error::other("network gone")), 2))
                }
                _ => None,
            }
        }
    });
    let _ = app
        .http
        .patch(&location)
        .bearer_auth(&alice)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", 0)
        .header("content-type", "application/offset+octet-stream")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    let mut offset = 0u64;
    for _ in 0..50 {
        let r = app
            .http
            .head(&location)
            .bearer_auth(&alice)
            .header("tus-resumable", "1.0.0")
            .send()
            .await
            .unwrap();
        offset = r.headers()["upload-offset"].to_str().unwrap().parse().unwrap();
        if offset > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        offset > 0 && offset < video.len() as u64,
        "kept what arrived: {offset} of {}",
        video.len()
    );

    let r = app
        .http
        .head(&location)
        .bearer_auth(&mallory)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A PATCH right after a dropped one may find it still running (423); tus clients retry.
    let patch = |offset: u64, body: Vec<u8>| {
        let (http, location, alice) = (app.http.clone(), location.clone(), alice.clone());
        async move {
            for _ in 0..50 {
                let r = http
                    .patch(&location)
                    .bearer_auth(&alice)
                    .header("tus-resumable", "1.0.0")
                    .header("upload-offset", offset)
                    .header("content-type", "application/offset+octet-stream")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                if r.status() != StatusCode::LOCKED {
                    return r;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            panic!("the upload stayed locked");
        }
    };
    let r = patch(0, video.clone()).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "a wrong offset is refused");

    let r = patch(offset, video[offset as usize..].to_vec()).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(r.headers()["upload-offset"].to_str().unwrap(), video.len().to_string());
    let (s, m) = app.get(&format!("/api/projects/{pid}/media"), &alice).await;
    assert_eq!(
        (s, m["width"].as_u64(), m["file_name"].as_str()),
        (StatusCode::OK, Some(320), Some("clip.mp4"))
    );

    // Termination.
    let r = app
        .http
        .post(&uploads)
        .bearer_auth(&alice)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", 10)
        .header("upload-metadata", &meta)
        .send()
        .await
        .unwrap();
    let location = format!("{}{}", app.base, r.headers()["location"].to_str().unwrap());
    let r = app
        .http
        .delete(&location)
        .bearer_auth(&mallory)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .http
        .delete(&location)
        .bearer_auth(&alice)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app
        .http
        .head(&location)
        .bearer_auth(&alice)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

async fn personal_api_tokens_work_until_deleted_and_are_never_shown_again(app: App) {
    let (alice, _) = app.user("alice@example.com").await;
    let (mallory, _) = app.user("mallory@example.com").await;
    let (s, t) = app.post("/api/tokens", Some(&alice), json!({"name": "ci script"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let secret = t["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("cofee_pat_"));
    let (s, _) = app.post("/api/projects", Some(&secret), json!({"name": "from a script"})).await;
    assert_eq!(s, StatusCode::CREATED, "a token signs requests in");
    let (_, list) = app.get("/api/tokens", &alice).await;
    assert_eq!(list[0]["name"], "ci script");
    assert!(list[0].get("secret").is_none() && list[0]["last_used_at"].is_i64());
    let id = list[0]["id"].as_str().unwrap();
    let r = app
        .http
        .delete(format!("{}/api/tokens/{id}", app.base))
        .bearer_auth(&mallory)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .http
        .delete(format!("{}/api/tokens/{id}", app.base))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (s, _) = app.get("/api/projects", &secret).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// L6: tokens have scopes; minting needs a scope of its own and never grants more than the
/// minting token holds or lets it outlive its maker.
async fn api_tokens_have_scopes_and_cannot_mint_more_than_they_hold(app: App) {
    let (alice, _) = app.user("alice@example.com").await;
    let mint = async |by: &str, body: Value| app.post("/api/tokens", Some(by), body).await;
    let (s, plain) = mint(&alice, json!({"name": "default"})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        (plain["scopes"].clone(), plain["expires_at"].clone()),
        (json!(["read", "write"]), Value::Null)
    );
    let plain = plain["secret"].as_str().unwrap().to_string();
    let (s, p) = mint(&plain, json!({"name": "child"})).await;
    assert_eq!(
        (s, p["type"].as_str()),
        (StatusCode::FORBIDDEN, Some("/problems/insufficient-scope")),
        "{p}"
    );
    assert!(p["detail"].as_str().unwrap().contains("`tokens`"), "{p}");

    let (_, reader) = mint(&alice, json!({"name": "reader", "scopes": ["read"]})).await;
    let reader = reader["secret"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/projects", &reader).await.0, StatusCode::OK);
    let (s, p) = app.post("/api/projects", Some(&reader), json!({"name": "nope"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a read-only token cannot write: {p}");
    assert!(p["detail"].as_str().unwrap().contains("`write`"), "{p}");
    assert_eq!(
        app.post("/api/projects", Some(&plain), json!({"name": "ok"})).await.0,
        StatusCode::CREATED
    );

    let (s, minter) = mint(
        &alice,
        json!({"name": "minter", "scopes": ["read", "write", "tokens"], "expires_in_days": 2}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let until = minter["expires_at"].as_i64().unwrap();
    let in_two_days = minter["created_at"].as_i64().unwrap() + 2 * 86_400_000;
    assert!((until - in_two_days).abs() < 60_000, "{minter}");
    let minter = minter["secret"].as_str().unwrap().to_string();
    let (s, child) =
        mint(&minter, json!({"name": "child", "scopes": ["read"], "expires_in_days": 30})).await;
    assert_eq!(s, StatusCode::CREATED, "{child}");
    assert!(
        child["expires_at"].as_i64().unwrap() <= until,
        "a child expires no later than its maker: {child}"
    );
    let (_, reader_minter) =
        mint(&alice, json!({"name": "rm", "scopes": ["read", "tokens"]})).await;
    let reader_minter = reader_minter["secret"].as_str().unwrap().to_string();
    let (s, p) = mint(&reader_minter, json!({"name": "read only", "scopes": ["read"]})).await;
    assert_eq!(s, StatusCode::CREATED, "`tokens` alone mints (within its own scopes): {p}");
    let (_, narrow) = mint(&alice, json!({"name": "narrow", "scopes": ["write", "tokens"]})).await;
    let narrow = narrow["secret"].as_str().unwrap().to_string();
    let (s, p) = mint(&narrow, json!({"name": "wider", "scopes": ["read"]})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "it cannot grant `read`, which it lacks: {p}");
    for bad in [
        json!({"name": "x", "scopes": []}),
        json!({"name": "x", "expires_in_days": 0}),
        json!({"name": "x", "scopes": ["admin"]}),
    ] {
        let (s, p) = mint(&alice, bad.clone()).await;
        assert!(
            s == StatusCode::UNPROCESSABLE_ENTITY || s == StatusCode::BAD_REQUEST,
            "{bad}: {s} {p}"
        );
    }
}

async fn the_api_describes_itself_in_openapi_3_1_with_docs(app: App) {
    let spec: Value = app
        .http
        .get(format!("{}/api/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"), "{}", spec["openapi"]);
    let paths = spec["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/auth/register", "post"),
        ("/api/auth/login", "post"),
        ("/api/auth/refresh", "post"),
        ("/api/auth/logout", "post"),
        ("/api/tokens", "post"),
        ("/api/tokens/{id}", "delete"),
        ("/api/projects", "get"),
        ("/api/projects/{id}", "patch"),
        ("/api/projects/{id}/media", "put"),
        ("/api/projects/{id}/captions", "put"),
        ("/api/projects/{id}/captions.srt", "get"),
        ("/api/projects/{id}/transcribe", "post"),
        ("/api/projects/{id}/alignments", "post"),
        ("/api/projects/{id}/alignments/{job_id}", "get"),
        ("/api/jobs/{id}", "get"),
        ("/api/jobs/{id}/cancel", "post"),
        ("/api/projects/{id}/events", "get"),
        ("/api/styles", "get"),
        ("/api/projects/{id}/style", "put"),
        ("/api/projects/{id}/renders", "post"),
        ("/api/renders/{id}/download", "get"),
        ("/api/uploads", "post"),
        ("/api/uploads/{id}", "patch"),
        ("/api/webhooks", "post"),
        ("/health/ready", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is not described"
        );
    }
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
    assert!(spec["components"]["schemas"]["Problem"].is_object());
    let kinds: Vec<&str> = spec["components"]["schemas"]["Problem"]["properties"]["type"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    for kind in [
        "/problems/not-found",
        "/problems/invalid-input",
        "/problems/stale-captions",
        "/problems/too-many-requests",
    ] {
        assert!(kinds.contains(&kind), "{kind} is listed among the problem types: {kinds:?}");
    }
    let docs = app.http.get(format!("{}/api/docs/", app.base)).send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(
        docs.text().await.unwrap().contains("swagger"),
        "the docs page is served from the binary"
    );
}

/// Another API replica on the app's database and object storage, with scratch space of its own
/// (another pod); returns its base URL.
async fn second_replica(app: &App) -> String {
    let objects = cofee_store::objects::Objects::local(&app._dir.path().join("objects")).unwrap();
    let state = AppState::new(
        app.db.clone(),
        objects,
        JwtKeys::from_secret(&[42u8; 32]).unwrap(),
        Default::default(),
        app._dir.path().join("tmp-b"),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, router(state), std::future::pending()));
    base
}

async fn a_tus_upload_goes_on_at_whichever_replica_gets_the_next_request(app: App) {
    use base64::Engine;
    let (alice, _) = app.user("alice@example.com").await;
    let (_, p) = app.post("/api/projects", Some(&alice), json!({"name": "tus"})).await;
    let pid = p["id"].as_str().unwrap().to_string();
    let video = app.clip();
    let (s, _) = app
        .post(
            &format!("/api/projects/{pid}/media/direct"),
            Some(&alice),
            json!({"size": video.len()}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "a local directory takes no direct uploads: use PUT or tus"
    );
    let (a, b) = (app.base.clone(), second_replica(&app).await);
    let meta = format!("project_id {}", base64::engine::general_purpose::STANDARD.encode(&pid));
    let r = app
        .http
        .post(format!("{a}/api/uploads"))
        .bearer_auth(&alice)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", video.len())
        .header("upload-metadata", &meta)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let path = r.headers()["location"].to_str().unwrap().to_string();
    let patch = |base: &str, from: usize, to: usize| {
        app.http
            .patch(format!("{base}{path}"))
            .bearer_auth(&alice)
            .header("tus-resumable", "1.0.0")
            .header("upload-offset", from)
            .header("content-type", "application/offset+octet-stream")
            .body(video[from..to].to_vec())
            .send()
    };
    let offset_at = async |base: &str| -> u64 {
        let r = app
            .http
            .head(format!("{base}{path}"))
            .bearer_auth(&alice)
            .header("tus-resumable", "1.0.0")
            .send()
            .await
            .unwrap();
        r.headers()["upload-offset"].to_str().unwrap().parse().unwrap()
    };
    let (third, two_thirds) = (video.len() / 3, 2 * video.len() / 3);

    assert_eq!(patch(&a, 0, third).await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(offset_at(&b).await, third as u64, "the other replica knows how far the upload got");
    assert_eq!(patch(&b, third, two_thirds).await.unwrap().status(), StatusCode::NO_CONTENT);
    let stale = patch(&a, third, video.len()).await.unwrap();
    assert_eq!(
        stale.status(),
        StatusCode::CONFLICT,
        "a PATCH from an offset that has moved on is refused on any replica"
    );
    let last = patch(&a, two_thirds, video.len()).await.unwrap();
    assert_eq!(
        (last.status(), last.headers()["upload-offset"].to_str().unwrap()),
        (StatusCode::NO_CONTENT, video.len().to_string().as_str())
    );

    let (s, m) = app.get(&format!("/api/projects/{pid}/media"), &alice).await;
    assert_eq!(
        (s, m["width"].as_u64(), m["size_bytes"].as_u64()),
        (StatusCode::OK, Some(320), Some(video.len() as u64)),
        "{m}"
    );
    let stored =
        std::fs::read(app._dir.path().join(format!("objects/projects/{pid}/source"))).unwrap();
    assert!(stored == video, "the pieces were joined in order");
    let leftovers: Vec<_> = ["objects/uploads", "tmp/uploads", "tmp-b/uploads"]
        .iter()
        .flat_map(|d| std::fs::read_dir(app._dir.path().join(d)).into_iter().flatten())
        .collect();
    assert!(leftovers.is_empty(), "pieces and scratch files are removed: {leftovers:?}");
}

/// The job a `GET …/waveform` answer names.
fn job_named_in(problem: &Value) -> String {
    let detail = problem["detail"].as_str().unwrap();
    let at = detail.find("(job ").unwrap_or_else(|| panic!("no job named in {problem}")) + 5;
    detail[at..at + 36].to_string()
}

/// The user id in an access token (its `sub`).
fn user_id(token: &str) -> uuid::Uuid {
    use base64::Engine;
    let claims = token.split('.').nth(1).unwrap();
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims).unwrap();
    serde_json::from_slice::<Value>(&claims).unwrap()["sub"].as_str().unwrap().parse().unwrap()
}

/// A project's waveform is computed by a job queued when its media is attached (no worker runs
/// here): until the job has run, `409 not-ready` naming it — one job however often it is asked
/// for; a cancelled one is pointed at its retry; media attached with no job (before waveforms
/// were computed) gets one when first asked. Another user's project is 404, and the API
/// describes the route.
async fn a_waveform_is_not_ready_until_its_job_has_run(app: App) {
    let (alice, _) = app.user("alice@example.com").await;
    let (mallory, _) = app.user("mallory@example.com").await;
    let (_, p) = app.post("/api/projects", Some(&alice), json!({"name": "peaks"})).await;
    let pid = p["id"].as_str().unwrap().to_string();
    let waveform = format!("/api/projects/{pid}/waveform");
    let (s, p) = app.get(&waveform, &alice).await;
    assert_eq!((s, p["type"].as_str()), (StatusCode::CONFLICT, Some("/problems/no-media")));

    app.upload_clip(&alice, &pid).await;
    let (s, p) = app.get(&waveform, &alice).await;
    assert_eq!((s, p["type"].as_str()), (StatusCode::CONFLICT, Some("/problems/not-ready")), "{p}");
    let job = job_named_in(&p);
    let (_, j) = app.get(&format!("/api/jobs/{job}"), &alice).await;
    assert_eq!(
        (j["queue"].as_str(), j["kind"].as_str(), j["state"].as_str()),
        (Some("transcribe"), Some("waveform"), Some("queued")),
        "{j}"
    );
    let (_, p) = app.get(&waveform, &alice).await;
    assert_eq!(job_named_in(&p), job, "asking again queues nothing more");
    assert_eq!(app.get(&waveform, &mallory).await.0, StatusCode::NOT_FOUND);

    let (s, c) = app.post(&format!("/api/jobs/{job}/cancel"), Some(&alice), json!({})).await;
    assert_eq!((s, c["state"].as_str()), (StatusCode::ACCEPTED, Some("cancelled")), "{c}");
    let (s, p) = app.get(&waveform, &alice).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(p["detail"].as_str().unwrap().contains(&format!("/api/jobs/{job}/retry")), "{p}");

    // Media from before waveforms: no job until someone asks, then one.
    let (_, p) = app.post("/api/projects", Some(&alice), json!({"name": "older"})).await;
    let older: uuid::Uuid = p["id"].as_str().unwrap().parse().unwrap();
    let record = cofee_store::media::MediaRecord {
        object_key: format!("projects/{older}/source"),
        file_name: None,
        size_bytes: 1,
        duration_secs: 3.0,
        width: Some(320),
        height: Some(240),
        fps: Some(25.0),
        has_audio: true,
    };
    let owner = user_id(&alice);
    app.db.set_media(owner, older, &record).await.unwrap();
    assert!(app.db.jobs_for_project(owner, older, 10).await.unwrap().is_empty());
    let (s, p) = app.get(&format!("/api/projects/{older}/waveform"), &alice).await;
    assert_eq!((s, p["type"].as_str()), (StatusCode::CONFLICT, Some("/problems/not-ready")), "{p}");
    let jobs = app.db.jobs_for_project(owner, older, 10).await.unwrap();
    assert_eq!(
        jobs.iter().map(|j| (j.id.to_string(), j.kind.as_str())).collect::<Vec<_>>(),
        [(job_named_in(&p), "waveform")]
    );

    let spec: Value = app
        .http
        .get(format!("{}/api/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let described = &spec["paths"]["/api/projects/{id}/waveform"]["get"]["responses"];
    assert!(described["200"]["content"]["application/octet-stream"].is_object(), "{described}");
    assert!(described["409"]["content"]["application/problem+json"].is_object(), "{described}");
}

/// The pixels of a PNG as RGB rows (FFmpeg decodes it), with its width and height.
fn rgb_rows(png: &[u8], dir: &std::path::Path) -> (u32, u32, Vec<Vec<u8>>) {
    assert_eq!(&png[1..4], b"PNG", "a PNG");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    let path = dir.join(format!("still-{}.png", uuid::Uuid::new_v4()));
    std::fs::write(&path, png).unwrap();
    let out = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&path)
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let rows = out.stdout.chunks(width as usize * 3).map(<[u8]>::to_vec).collect();
    (width, height, rows)
}

/// The style gallery's frames: the project's own video at a moment with its captions drawn in a
/// style, where the style puts them; the project's style when none is sent; bounded and checked.
async fn a_style_frame_draws_the_captions_on_the_projects_video(app: App) {
    let (alice, _) = app.user("alice@example.com").await;
    let (bob, _) = app.user("bob@example.com").await;
    let (_, p) = app.post("/api/projects", Some(&alice), json!({"name": "look"})).await;
    let pid = p["id"].as_str().unwrap().to_string();
    let url = format!("{}/api/projects/{pid}/style/frame", app.base);
    let frame =
        |token: &str, body: Value| app.http.post(&url).bearer_auth(token).json(&body).send();
    let r = frame(&alice, json!({"t": 1.0})).await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT, "no video yet");
    app.upload_clip(&alice, &pid).await;

    let png = |body: Value| async {
        let r = frame(&alice, body).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "image/png");
        r.bytes().await.unwrap().to_vec()
    };
    // No captions yet: a sample line, drawn where each style puts it.
    let top = png(json!({"t": 1.0, "style": {"base": "clean", "position": "top"}})).await;
    let bottom = png(json!({"t": 1.0, "style": {"base": "clean", "position": "bottom"}})).await;
    let (w, h, top_rows) = rgb_rows(&top, app._dir.path());
    assert_eq!((w, h), (360, 270), "360 wide in the clip's proportions (320×240)");
    let (_, _, bottom_rows) = rgb_rows(&bottom, app._dir.path());
    let differing: Vec<usize> =
        (0..h as usize).filter(|&y| top_rows[y] != bottom_rows[y]).collect();
    assert!(!differing.is_empty(), "the captions moved with the position");
    let third = h as usize / 3;
    assert!(
        differing.iter().all(|&y| y < third || y >= 2 * third),
        "captions only in the top and bottom thirds, not the middle: rows {differing:?}"
    );
    assert!(differing.iter().any(|&y| y < third) && differing.iter().any(|&y| y >= 2 * third));

    // The project's own style when none is sent; its captions rather than the sample.
    let r = app
        .http
        .put(format!("{}/api/projects/{pid}/style", app.base))
        .bearer_auth(&alice)
        .json(&json!({"base": "clean", "position": "top"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(png(json!({"t": 1.0})).await, top, "the project's style");
    let words = json!({"words": [
        {"text": "Hello", "start": 0.2, "end": 0.6}, {"text": "there", "start": 0.6, "end": 1.0}
    ]});
    app.db.save_transcript(pid.parse().unwrap(), &words.to_string()).await.unwrap();
    let captioned = png(json!({"t": 0.5})).await;
    assert_ne!(
        png(json!({"t": 0.5, "style": {"base": "clean", "position": "bottom"}})).await,
        captioned
    );
    let late = png(json!({"t": 2.5, "width": 160})).await;
    let (w, h, late_rows) = rgb_rows(&late, app._dir.path());
    assert_eq!((w, h), (160, 120));
    let plain = png(json!({"t": 2.5, "width": 160, "style": {"base": "clean", "font_size": 1.0, "outline": 0.0, "shadow": 0.0, "text_color": "#00000000"}})).await;
    let (_, _, plain_rows) = rgb_rows(&plain, app._dir.path());
    assert!(
        (0..h as usize / 3).any(|y| late_rows[y] != plain_rows[y]),
        "after the last word the last page is drawn, so the style shows"
    );

    for (body, field) in [
        (json!({"t": 1.0, "width": 20}), "width"),
        (json!({"t": -1.0}), "t"),
        (json!({"t": 1.0, "style": {"font_size": 90}}), "font_size"),
    ] {
        let r = frame(&alice, body).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    assert_eq!(frame(&bob, json!({"t": 1.0})).await.unwrap().status(), StatusCode::NOT_FOUND);
}

/// Saved styles: checked like a project's style, named, replaced by name, the owner's alone,
/// bounded in number; a saved style applies to any project and draws in the gallery.
async fn saved_styles_are_the_accounts_checked_and_bounded(app: App) {
    let (alice, _) = app.user("alice@example.com").await;
    let (bob, _) = app.user("bob@example.com").await;
    let (s, saved) = app
        .post(
            "/api/me/styles",
            Some(&alice),
            json!({"name": "Brand", "style": {"base": "bold-pop", "active_color": "#FF00AA"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{saved}");
    assert_eq!(
        (
            saved["name"].as_str(),
            saved["style"]["name"].as_str(),
            saved["style"]["active_color"].as_str()
        ),
        (Some("Brand"), Some("Brand"), Some("#FF00AA")),
        "the whole style, under its name: {saved}"
    );
    assert_eq!(saved["style"]["highlight"], "word", "the rest from its base");
    let (_, again) = app
        .post(
            "/api/me/styles",
            Some(&alice),
            json!({"name": "Brand", "style": {"base": "karaoke"}}),
        )
        .await;
    assert_eq!(again["id"], saved["id"], "the same name replaces it");
    let (_, list) = app.get("/api/me/styles", &alice).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["style"]["highlight"], "karaoke");
    assert_eq!(
        app.get("/api/me/styles", &bob).await.1,
        json!([]),
        "another account's are not listed"
    );

    // Applied to a project as it is (the editor sends the saved style whole).
    let (_, p) = app.post("/api/projects", Some(&alice), json!({"name": "p"})).await;
    let pid = p["id"].as_str().unwrap();
    let r = app
        .http
        .put(format!("{}/api/projects/{pid}/style", app.base))
        .bearer_auth(&alice)
        .json(&list[0]["style"])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, style) = app.get(&format!("/api/projects/{pid}/style"), &alice).await;
    assert_eq!(style, list[0]["style"]);

    for (body, field) in [
        (json!({"name": "  ", "style": {}}), "name"),
        (json!({"name": "x".repeat(81), "style": {}}), "name"),
        (json!({"name": "a\u{7}b", "style": {}}), "name"),
        (json!({"name": "ok", "style": {"outline": 99}}), "outline"),
    ] {
        let (s, p) = app.post("/api/me/styles", Some(&alice), body).await;
        assert_eq!(
            (s, p["errors"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{p}"
        );
    }
    let id = saved["id"].as_str().unwrap();
    let delete = |token: &str| {
        app.http.delete(format!("{}/api/me/styles/{id}", app.base)).bearer_auth(token).send()
    };
    assert_eq!(delete(&bob).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(delete(&alice).await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(delete(&alice).await.unwrap().status(), StatusCode::NOT_FOUND);

    for i in 0..50 {
        let (s, _) = app
            .post("/api/me/styles", Some(&bob), json!({"name": format!("s{i}"), "style": {}}))
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    let (s, p) =
        app.post("/api/me/styles", Some(&bob), json!({"name": "one more", "style": {}})).await;
    assert_eq!(
        (s, p["type"].as_str()),
        (StatusCode::FORBIDDEN, Some("/problems/quota-exceeded")),
        "{p}"
    );
    assert!(p["detail"].as_str().unwrap().contains("at most 50"), "{p}");
    let (s, _) = app
        .post("/api/me/styles", Some(&bob), json!({"name": "s7", "style": {"base": "boxed"}}))
        .await;
    assert_eq!(s, StatusCode::OK, "replacing one is not one more");
}

on_both_backends!(
    saved_styles_are_the_accounts_checked_and_bounded,
    a_style_frame_draws_the_captions_on_the_projects_video,
    cross_origin_calls_only_from_configured_origins_and_bodies_are_bounded,
    sign_in_attempts_for_one_account_are_throttled_with_retry_after,
    register_validates_and_refuses_duplicates_with_problem_json,
    wrong_passwords_and_unknown_users_get_the_same_answer,
    refresh_tokens_rotate_and_reuse_revokes_the_family,
    projects_belong_to_their_owner_and_others_get_404,
    health_and_request_ids,
    caption_edits_keep_untouched_timing_and_stale_edits_get_412,
    caption_edits_are_bounded_and_the_limit_is_named,
    a_tus_upload_interrupted_midway_resumes_and_attaches_the_video,
    a_tus_upload_goes_on_at_whichever_replica_gets_the_next_request,
    personal_api_tokens_work_until_deleted_and_are_never_shown_again,
    api_tokens_have_scopes_and_cannot_mint_more_than_they_hold,
    a_file_that_is_not_a_video_is_refused_without_server_paths,
    an_account_has_at_most_twenty_webhooks,
    the_captions_come_in_pages_as_the_style_lays_them_out,
    a_projects_replacements_are_kept_checked_and_its_owners_alone,
    caption_files_are_imported_in_their_encoding_cue_by_cue,
    a_password_change_ends_other_sessions_and_an_account_can_be_deleted,
    the_api_describes_itself_in_openapi_3_1_with_docs,
    problem_types_name_the_kind_of_error_and_resolve_to_a_description,
    a_waveform_is_not_ready_until_its_job_has_run,
    an_alignment_is_checked_queued_and_its_owners_alone,
);

/// `POST /api/projects/{id}/alignments` checks the stretch and its words against the limits
/// (each refusal names its field), needs media, and queues an `align` job whose state only the
/// project's owner can read under the project (another project's or user's path is 404).
async fn an_alignment_is_checked_queued_and_its_owners_alone(app: App) {
    let (alice, _) = app.user("alice@example.com").await;
    let (bob, _) = app.user("bob@example.com").await;
    let (_, p) = app.post("/api/projects", Some(&alice), json!({"name": "talk"})).await;
    let pid = p["id"].as_str().unwrap().to_string();
    let path = format!("/api/projects/{pid}/alignments");
    let ok = json!({"from_ms": 500, "duration_ms": 2000, "words": ["the", "new", "word"]});
    let (s, e) = app.post(&path, Some(&alice), ok.clone()).await;
    assert_eq!((s, e["type"].as_str()), (StatusCode::CONFLICT, Some("/problems/no-media")), "{e}");
    app.upload_clip(&alice, &pid).await;
    for (body, field) in [
        (json!({"from_ms": 500, "duration_ms": 99, "words": ["a"]}), "duration_ms"),
        (json!({"from_ms": 0, "duration_ms": 28_001, "words": ["a"]}), "duration_ms"),
        (json!({"from_ms": 4_294_967_296u64, "duration_ms": 100, "words": ["a"]}), "from_ms"),
        (json!({"from_ms": 0, "duration_ms": 1000, "words": []}), "words"),
        (json!({"from_ms": 0, "duration_ms": 1000, "words": vec!["a"; 65]}), "words"),
        (json!({"from_ms": 0, "duration_ms": 1000, "words": ["two words"]}), "words[0]"),
        (json!({"from_ms": 0, "duration_ms": 1000, "words": ["a", "x".repeat(101)]}), "words[1]"),
        (json!({"from_ms": 0, "duration_ms": 1000, "words": ["a"], "language": "e n"}), "language"),
    ] {
        let (s, e) = app.post(&path, Some(&alice), body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        assert_eq!(e["errors"][0]["field"], json!(field), "{body}: {e}");
    }
    let (s, e) = app
        .post(
            &path,
            Some(&alice),
            json!({"from_ms": 0, "duration_ms": 100, "words": ["a"], "x": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "unknown fields are refused: {e}");
    assert_eq!(app.post(&path, Some(&bob), ok.clone()).await.0, StatusCode::NOT_FOUND);

    let (s, a) = app.post(&path, Some(&alice), ok).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{a}");
    let job = a["job_id"].as_str().unwrap();
    let (s, v) = app.get(&format!("{path}/{job}"), &alice).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["state"].as_str(), &v["words"]), (Some("queued"), &Value::Null), "{v}");
    let (s, j) = app.get(&format!("/api/jobs/{job}"), &alice).await;
    assert_eq!(
        (s, j["kind"].as_str(), j["queue"].as_str()),
        (StatusCode::OK, Some("align"), Some("transcribe"))
    );
    assert_eq!(app.get(&format!("{path}/{job}"), &bob).await.0, StatusCode::NOT_FOUND);
    let (_, other) = app.post("/api/projects", Some(&alice), json!({"name": "other"})).await;
    let other = other["id"].as_str().unwrap();
    let elsewhere = format!("/api/projects/{other}/alignments/{job}");
    assert_eq!(
        app.get(&elsewhere, &alice).await.0,
        StatusCode::NOT_FOUND,
        "another project's path"
    );
    // A job of another kind is no alignment.
    let (_, t) =
        app.post(&format!("/api/projects/{pid}/transcribe"), Some(&alice), json!({})).await;
    let transcription = t["job_id"].as_str().unwrap();
    assert_eq!(app.get(&format!("{path}/{transcription}"), &alice).await.0, StatusCode::NOT_FOUND);
}

/// Heavy caption work (re-timing large edits, writing the ASS and SRT of a long transcript)
/// from several clients at once does not hold the server up: it runs off the async runtime (a
/// single-threaded one here, as a worst case), so `/health/live` and another user's requests
/// keep answering quickly while it goes on.
#[tokio::test]
async fn a_flood_of_heavy_caption_requests_does_not_stall_the_server() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let app = spawn_app(Backend::Sqlite).await;
    let (alice, _) = app.user("alice@example.com").await;
    let (bob, _) = app.user("bob@example.com").await;
    let (_, p) = app.post("/api/projects", Some(&alice), json!({"name": "long talk"})).await;
    let pid: uuid::Uuid = p["id"].as_str().unwrap().parse().unwrap();
    let n = 20_000;
    let words: Vec<Value> = (0..n)
        .map(|i| json!({"text": format!("w{i}"), "start": i as f64 * 0.3, "end": i as f64 * 0.3 + 0.25}))
        .collect();
    app.db.save_transcript(pid, &json!({"words": words}).to_string()).await.unwrap();
    let media = cofee_store::media::MediaRecord {
        object_key: "media/long-talk".into(),
        file_name: None,
        size_bytes: 1,
        duration_secs: n as f64 * 0.3,
        width: Some(1080),
        height: Some(1920),
        fps: Some(30.0),
        has_audio: true,
    };
    let owner = app.db.user_by_email("alice@example.com").await.unwrap().unwrap().id;
    app.db.set_media(owner, pid, &media).await.unwrap();
    // Word-by-word highlight: the ASS export writes each page once per word on it.
    let style = format!("{}/api/projects/{pid}/style", app.base);
    let r = app
        .http
        .put(&style)
        .bearer_auth(&alice)
        .json(&json!({"base": "bold-pop"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    // Rewrites 1,000 words in one stretch: close to the most one edit may align.
    let text: Vec<String> = (0..n)
        .map(|i| if (9_500..10_500).contains(&i) { format!("x{i}") } else { format!("w{i}") })
        .collect();
    let edit = json!({"text": text.join(" ")});
    let captions = format!("{}/api/projects/{pid}/captions", app.base);

    let (flooding, heavy_done) = (Arc::new(AtomicBool::new(true)), Arc::new(AtomicUsize::new(0)));
    let mut clients = Vec::new();
    for c in 0..4 {
        let (http, alice, edit, captions) =
            (app.http.clone(), alice.clone(), edit.clone(), captions.clone());
        let (flooding, heavy_done) = (flooding.clone(), heavy_done.clone());
        clients.push(tokio::spawn(async move {
            while flooding.load(Ordering::SeqCst) {
                let r = match c % 2 {
                    0 => {
                        http.put(&captions)
                            .bearer_auth(&alice)
                            .header("if-match", "\"v1\"")
                            .json(&edit)
                            .send()
                            .await
                    }
                    _ => http.get(format!("{captions}.ass")).bearer_auth(&alice).send().await,
                };
                let status = r.unwrap().status();
                assert!(
                    status.is_success() || status == StatusCode::PRECONDITION_FAILED,
                    "{status}"
                );
                heavy_done.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    let mut latencies = Vec::new();
    while heavy_done.load(Ordering::SeqCst) < 6 || latencies.len() < 20 {
        let started = std::time::Instant::now();
        let health = app.http.get(format!("{}/health/live", app.base)).send().await.unwrap();
        let theirs = app
            .http
            .get(format!("{}/api/projects", app.base))
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap();
        assert_eq!((health.status(), theirs.status()), (StatusCode::OK, StatusCode::OK));
        latencies.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    flooding.store(false, Ordering::SeqCst);
    for c in clients {
        c.await.unwrap();
    }
    latencies.sort();
    let (median, worst) = (latencies[latencies.len() / 2], latencies[latencies.len() - 1]);
    eprintln!(
        "health + another user's request during {} heavy caption requests: median {median:?}, worst {worst:?} ({} samples)",
        heavy_done.load(Ordering::SeqCst),
        latencies.len()
    );
    assert!(
        worst < Duration::from_secs(1),
        "the server stalled: worst {worst:?}, median {median:?}"
    );
}
