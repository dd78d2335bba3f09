//! The service end to end over HTTP, as a separate process: sign up, upload a real video,
//! transcribe it with sphinx, read the captions — and another user sees none of it.

mod common;

use std::time::{Duration, Instant};

use cofee_store::testing::{MotoServer, PgTestDatabase};
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn token(&self, email: &str) -> String {
        let creds = json!({"email": email, "password": "correct horse battery"});
        let r = self
            .http
            .post(format!("{}/api/auth/register", self.base))
            .json(&creds)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let t: Value = self
            .http
            .post(format!("{}/api/auth/login", self.base))
            .json(&creds)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        t["access_token"].as_str().unwrap().to_string()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

#[test]
fn upload_transcribe_and_read_captions_scoped_to_the_owner() {
    let mut served = Served::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let objects = served.dir.path().join("objects");
    rt.block_on(flow(
        &served.url,
        &served.url,
        &format!("{}/metrics", served.url),
        Stored::Dir(&objects),
        &new_trace_id(),
    ));
    assert!(served.stop(10).success());
}

/// The same service on PostgreSQL (a database of its own on the machine's server).
#[test]
fn the_same_flow_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(PgTestDatabase::create());
    let mut served = Served::start_in(tempfile::tempdir().unwrap(), &["--database-url", &db.url()]);
    let objects = served.dir.path().join("objects");
    rt.block_on(flow(
        &served.url,
        &served.url,
        &format!("{}/metrics", served.url),
        Stored::Dir(&objects),
        &new_trace_id(),
    ));
    assert!(served.stop(10).success());
}

/// The scaled-out shape: `cofee migrate` once, then an API process and a worker process that
/// share only PostgreSQL and the object store.
#[test]
fn the_same_flow_with_separate_migrate_api_and_worker_processes() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(PgTestDatabase::create_empty());
    let dir = tempfile::tempdir().unwrap();
    let objects = dir.path().join("objects");
    let collector = rt.block_on(OtlpCollector::start());
    let env = [
        ("COFEE_DATABASE_URL", db.url()),
        ("COFEE_STORAGE_URL", format!("file://{}", objects.display())),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint.clone()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json".to_string()),
        ("OTEL_BSP_SCHEDULE_DELAY", "200".to_string()),
        // Metrics on a port of their own, never on the public one.
        ("COFEE_METRICS_LISTEN", "127.0.0.1:0".to_string()),
    ];
    let trace_id = new_trace_id();

    // The API never migrates: on an empty database it refuses and says what to run.
    let o = cofee_with_env(&["api", "--listen", "127.0.0.1:0"], &env);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("cofee migrate"), "{}", stderr(&o));
    let o = cofee_with_env(&["migrate"], &env);
    let migrations = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../cofee-store/migrations/postgres"
    ))
    .unwrap()
    .count();
    assert!(
        o.status.success()
            && String::from_utf8_lossy(&o.stdout)
                .contains(&format!("{migrations} migration(s) applied")),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );
    let o = cofee_with_env(&["migrate"], &env);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("0 migration(s) applied"),
        "migrating again changes nothing"
    );

    let (api_log, worker_log) = (dir.path().join("api.log"), dir.path().join("worker.log"));
    let mut api = Role::start_logged(
        &[
            "api",
            "--listen",
            "127.0.0.1:0",
            "--scratch-dir",
            dir.path().join("api-tmp").to_str().unwrap(),
            "--max-file-mib",
            "60",
        ],
        &env,
        &api_log,
    );
    let mut worker = Role::start_logged(
        &[
            "worker",
            "--listen",
            "127.0.0.1:0",
            "--scratch-dir",
            dir.path().join("worker-tmp").to_str().unwrap(),
            "--webhook-allow-private",
        ],
        &env,
        &worker_log,
    );
    rt.block_on(async {
        let ready: Value = reqwest::get(format!("{}/health/ready", worker.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            (ready["status"].as_str(), ready["backend"].as_str()),
            (Some("ok"), Some("postgres")),
            "{ready}"
        );
        let metrics = api
            .banner
            .split_whitespace()
            .find(|w| w.ends_with("/metrics"))
            .unwrap_or_else(|| panic!("no metrics address in {:?}", api.banner))
            .to_string();
        assert_ne!(metrics, format!("{}/metrics", api.url));
        let public = reqwest::get(format!("{}/metrics", api.url)).await.unwrap();
        assert_eq!(
            public.status(),
            StatusCode::NOT_FOUND,
            "the API's port does not serve metrics when they have their own"
        );
        flow(&api.url, &worker.url, &metrics, Stored::Dir(&objects), &trace_id).await;
    });
    assert!(worker.stop(30).success(), "the worker stops cleanly on SIGTERM");
    assert!(api.stop(10).success(), "the API stops cleanly on SIGTERM");
    the_journey_is_one_trace(&collector.spans(), &trace_id);

    // Each job's log lines in the worker carry the id of the API request that caused it, and
    // that request is in the API's log.
    let (api_lines, worker_lines) = (json_lines(&api_log), json_lines(&worker_log));
    let finished: Vec<(String, String)> = worker_lines
        .iter()
        .filter(|l| l["message"] == "job finished" && l["state"] == "succeeded")
        .map(|l| {
            (
                l["span"]["kind"].as_str().unwrap_or_default().to_string(),
                l["span"]["request_id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for kind in ["transcribe", "render"] {
        let (_, rid) = finished
            .iter()
            .find(|(k, _)| k == kind)
            .unwrap_or_else(|| panic!("no finished {kind} job in the worker log: {finished:?}"));
        assert!(rid.len() >= 16, "the {kind} job carries a request id: {rid:?}");
        let in_api = api_lines.iter().any(|l| {
            l["span"]["request_id"].as_str() == Some(rid.as_str()) && l["span"]["method"] == "POST"
        });
        assert!(in_api, "request {rid} of the {kind} job is in the API log");
    }
}

/// Upload, transcription, render and download are one trace across the two processes: the API's
/// request spans continue the caller's `traceparent`, each job's span is a child of the request
/// that enqueued it (carried through the job row), and the work inside a job hangs under it.
fn the_journey_is_one_trace(spans: &[Span], trace_id: &str) {
    let in_trace: Vec<&Span> = spans.iter().filter(|s| s.trace_id == trace_id).collect();
    let names: Vec<(&str, &str)> =
        in_trace.iter().map(|s| (s.service.as_str(), s.name.as_str())).collect();
    let find = |service: &str, name: &str| -> &Span {
        in_trace
            .iter()
            .find(|s| s.service == service && s.name == name)
            .unwrap_or_else(|| panic!("no span {name:?} of {service} in the trace: {names:?}"))
    };
    let upload = find("cofee-api", "PUT /api/projects/{id}/media");
    assert_eq!(
        upload.parent_id, "00f067aa0ba902b7",
        "the request span continues the caller's traceparent"
    );
    find("cofee-api", "GET /api/renders/{id}/download");
    for (request, job, inner) in [
        ("POST /api/projects/{id}/transcribe", "job transcribe", "recognise speech"),
        ("POST /api/projects/{id}/renders", "job render", "burn"),
    ] {
        let request = in_trace
            .iter()
            .find(|s| s.service == "cofee-api" && s.name == request && s.status_code == Some(202))
            .unwrap_or_else(|| panic!("no accepted {request:?} in the trace: {names:?}"));
        let job = find("cofee-worker", job);
        assert_eq!(job.parent_id, request.span_id, "{} is a child of {}", job.name, request.name);
        assert_eq!(
            find("cofee-worker", inner).parent_id,
            job.span_id,
            "{inner} runs inside {}",
            job.name
        );
    }
    assert!(
        spans.iter().all(|s| s.service != "cofee-worker"
            || s.trace_id == trace_id
            || !s.name.starts_with("job ")
            // Upload expiry is the workers' own schedule, caused by no request.
            || s.name == "job expire_uploads"),
        "no job span starts a trace of its own"
    );
}

fn new_trace_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// One exported span, as far as these tests look at it.
#[derive(Debug)]
struct Span {
    service: String,
    trace_id: String,
    span_id: String,
    parent_id: String,
    name: String,
    status_code: Option<u64>,
}

/// An OpenTelemetry collector stand-in: takes OTLP/HTTP JSON exports at `/v1/traces`.
struct OtlpCollector {
    endpoint: String,
    received: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
}

impl OtlpCollector {
    async fn start() -> Self {
        use axum::routing::post;
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = received.clone();
        let app = axum::Router::new().route(
            "/v1/traces",
            post(move |body: String| async move {
                sink.lock()
                    .unwrap()
                    .push(serde_json::from_str::<Value>(&body).expect("an OTLP JSON export"));
                axum::Json(json!({}))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { endpoint, received }
    }

    fn spans(&self) -> Vec<Span> {
        let attr = |attrs: &Value, key: &str| {
            attrs
                .as_array()
                .and_then(|a| a.iter().find(|kv| kv["key"] == key))
                .map(|kv| kv["value"].clone())
        };
        let mut spans = Vec::new();
        for export in self.received.lock().unwrap().iter() {
            for rs in export["resourceSpans"].as_array().into_iter().flatten() {
                let service = attr(&rs["resource"]["attributes"], "service.name")
                    .and_then(|v| v["stringValue"].as_str().map(str::to_string))
                    .unwrap_or_default();
                for span in rs["scopeSpans"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|ss| ss["spans"].as_array().into_iter().flatten())
                {
                    let status_code = attr(&span["attributes"], "http.response.status_code")
                        .and_then(|v| {
                            v["intValue"]
                                .as_u64()
                                .or_else(|| v["intValue"].as_str().and_then(|s| s.parse().ok()))
                        });
                    let text = |key: &str| span[key].as_str().unwrap_or_default().to_string();
                    spans.push(Span {
                        service: service.clone(),
                        trace_id: text("traceId"),
                        span_id: text("spanId"),
                        parent_id: text("parentSpanId"),
                        name: text("name"),
                        status_code,
                    });
                }
            }
        }
        spans
    }
}

/// Where a test looks to see which objects a project has.
enum Stored<'a> {
    Dir(&'a std::path::Path),
    S3 { moto: &'a MotoServer, bucket: &'a str, prefix: &'a str },
}

impl Stored<'_> {
    fn count(&self, project: &str) -> usize {
        match self {
            Self::Dir(dir) => walk(&dir.join(format!("projects/{project}"))).len(),
            Self::S3 { moto, bucket, prefix } => {
                moto.count(bucket, &format!("{prefix}/projects/{project}/"))
            }
        }
    }
}

/// The same roles with S3-compatible storage (moto): workers download and upload through S3,
/// browsers get presigned links for the public endpoint, downloads redirect there.
#[test]
fn the_same_flow_with_separate_processes_on_s3_storage() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(PgTestDatabase::create());
    let moto = MotoServer::start();
    moto.create_bucket("cofee-media");
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("COFEE_DATABASE_URL", db.url()),
        ("COFEE_STORAGE_URL", "s3://cofee-media/tenant-a".to_string()),
        ("COFEE_S3_ENDPOINT", moto.endpoint()),
        ("COFEE_S3_PUBLIC_ENDPOINT", format!("http://localhost:{}", moto.port)),
        ("AWS_ACCESS_KEY_ID", "cofee-test".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "cofee-test-secret-key".to_string()),
    ];
    let mut api = Role::start(
        &[
            "api",
            "--listen",
            "127.0.0.1:0",
            "--scratch-dir",
            dir.path().join("api-tmp").to_str().unwrap(),
            "--max-file-mib",
            "60",
        ],
        &env,
    );
    let mut worker = Role::start(
        &[
            "worker",
            "--listen",
            "127.0.0.1:0",
            "--scratch-dir",
            dir.path().join("worker-tmp").to_str().unwrap(),
        ],
        &env,
    );
    rt.block_on(async {
        let page = reqwest::get(format!("{}/", api.url)).await.unwrap();
        let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(
            csp.contains(&format!("media-src 'self' blob: http://localhost:{}", moto.port)),
            "the web app may load media from the storage: {csp}"
        );
        flow(
            &api.url,
            &worker.url,
            &format!("{}/metrics", api.url),
            Stored::S3 { moto: &moto, bucket: "cofee-media", prefix: "tenant-a" },
            &new_trace_id(),
        )
        .await;
        a_browser_uploads_straight_into_the_bucket(&api.url, &moto).await;
    });
    assert!(worker.stop(30).success());
    assert!(api.stop(10).success());
}

/// Direct upload: the API hands out a presigned PUT for the public endpoint, the bytes go to
/// the bucket without passing through the API, and completing it checks and attaches the file
/// (copied inside the bucket); the uploaded object does not stay behind.
async fn a_browser_uploads_straight_into_the_bucket(base: &str, moto: &MotoServer) {
    let http = reqwest::Client::new();
    let creds = json!({"email": "dora@example.com", "password": "correct horse battery"});
    http.post(format!("{base}/api/auth/register")).json(&creds).send().await.unwrap();
    let tokens: Value = http
        .post(format!("{base}/api/auth/login"))
        .json(&creds)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = tokens["access_token"].as_str().unwrap();
    let project: Value = http
        .post(format!("{base}/api/projects"))
        .bearer_auth(token)
        .json(&json!({"name": "direct"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pid = project["id"].as_str().unwrap();
    let video = std::fs::read(talk_mp4()).unwrap();

    let r = http
        .post(format!("{base}/api/projects/{pid}/media/direct"))
        .bearer_auth(token)
        .json(&json!({"size": 10u64 << 40}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "a file over the limit gets no link");

    // L5: a link cannot bound what is PUT through it. A file over the limit (60 MiB here) is
    // refused by its size, before any of it is read, and deleted.
    let r = http
        .post(format!("{base}/api/projects/{pid}/media/direct"))
        .bearer_auth(token)
        .json(&json!({"size": 1000}))
        .send()
        .await
        .unwrap();
    let liar: Value = r.json().await.unwrap();
    let put =
        http.put(liar["url"].as_str().unwrap()).body(vec![0u8; 61 << 20]).send().await.unwrap();
    assert!(put.status().is_success(), "{}", put.status());
    let reads = async || {
        let m = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
        common::metric(&m, r#"storage_operation_duration_seconds_count{backend="s3",operation="get",outcome="ok"}"#)
            .unwrap_or(0.0)
    };
    let before = reads().await;
    let r = http
        .post(format!(
            "{base}/api/projects/{pid}/media/direct/{}/complete",
            liar["upload_id"].as_str().unwrap()
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reads().await, before, "the oversized object was not read");
    assert_eq!(moto.count("cofee-media", "tenant-a/uploads/"), 0, "and it is deleted");

    let r = http
        .post(format!("{base}/api/projects/{pid}/media/direct"))
        .bearer_auth(token)
        .json(&json!({"size": video.len()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let link: Value = r.json().await.unwrap();
    let url = link["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!(
            "http://localhost:{}/cofee-media/tenant-a/uploads/direct/{pid}/",
            moto.port
        )),
        "a link for the public host: {url}"
    );
    let put = http.put(url).body(video.clone()).send().await.unwrap();
    assert!(put.status().is_success(), "{}", put.status());

    let complete = format!(
        "{base}/api/projects/{pid}/media/direct/{}/complete",
        link["upload_id"].as_str().unwrap()
    );
    let r = http
        .post(&complete)
        .bearer_auth(token)
        .json(&json!({"file_name": "talk.mp4"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let m: Value = r.json().await.unwrap();
    assert_eq!(
        (m["width"].as_u64(), m["size_bytes"].as_u64(), m["file_name"].as_str()),
        (Some(1080), Some(video.len() as u64), Some("talk.mp4")),
        "{m}"
    );
    assert_eq!(moto.count("cofee-media", &format!("tenant-a/projects/{pid}/source")), 1);
    assert_eq!(
        moto.count("cofee-media", "tenant-a/uploads/"),
        0,
        "the uploaded object is gone once taken"
    );
    let r = http.post(&complete).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "a link is used once");
}

/// The whole user journey. Every request carries a W3C `traceparent` of trace `trace_id`, as the
/// web app's editor sends one per session.
async fn flow(base: &str, jobs_base: &str, api_metrics: &str, stored: Stored<'_>, trace_id: &str) {
    {
        let mut headers = reqwest::header::HeaderMap::new();
        headers
            .insert("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01").parse().unwrap());
        let api = Api {
            base: base.to_string(),
            http: reqwest::Client::builder().default_headers(headers).build().unwrap(),
        };
        let alice = api.token("alice@example.com").await;
        let mallory = api.token("mallory@example.com").await;
        let project: Value = api
            .http
            .post(api.url("/api/projects"))
            .bearer_auth(&alice)
            .json(&json!({"name": "talk"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let pid = project["id"].as_str().unwrap().to_string();

        // Not media: refused with a reason, nothing stored.
        let r = api
            .http
            .put(api.url(&format!("/api/projects/{pid}/media")))
            .bearer_auth(&alice)
            .body("just some notes")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let p: Value = r.json().await.unwrap();
        assert!(p["detail"].as_str().unwrap().contains("not a video or audio file"), "{p}");
        let r = api
            .http
            .post(api.url(&format!("/api/projects/{pid}/transcribe")))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CONFLICT, "nothing to transcribe yet");

        // The real thing, as a raw PUT.
        let video = std::fs::read(talk_mp4()).unwrap();
        let r = api
            .http
            .put(api.url(&format!("/api/projects/{pid}/media")))
            .bearer_auth(&alice)
            .header("x-file-name", "talk.mp4")
            .body(video)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let m: Value = r.json().await.unwrap();
        assert_eq!(
            (m["width"].as_u64(), m["height"].as_u64(), m["has_audio"].as_bool()),
            (Some(1080), Some(1920), Some(true))
        );

        // Watch the project's events while it is transcribed.
        let sse = api
            .http
            .get(api.url(&format!("/api/projects/{pid}/events")))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap();
        assert_eq!(sse.headers()["content-type"], "text/event-stream");
        let watcher = tokio::spawn(async move {
            use futures_util::StreamExt;
            let mut body = sse.bytes_stream();
            let mut text = String::new();
            while let Ok(Some(Ok(chunk))) =
                tokio::time::timeout(Duration::from_secs(120), body.next()).await
            {
                text.push_str(&String::from_utf8_lossy(&chunk));
                if text.contains("\"state\":\"succeeded\"") {
                    break;
                }
            }
            text
        });
        let r = api
            .http
            .post(api.url(&format!("/api/projects/{pid}/transcribe")))
            .bearer_auth(&alice)
            .json(&json!({"engine": "vosk"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = api
            .http
            .post(api.url(&format!("/api/projects/{pid}/transcribe")))
            .bearer_auth(&alice)
            .json(&json!({"engine": "sphinx", "language": "en"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let job_id = r.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_string();

        let started = Instant::now();
        let job = loop {
            let j: Value = api
                .http
                .get(api.url(&format!("/api/jobs/{job_id}")))
                .bearer_auth(&alice)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if j["state"] != "queued" && j["state"] != "running" {
                break j;
            }
            assert!(
                started.elapsed() < Duration::from_secs(180),
                "transcription took too long: {j}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert_eq!(
            (job["state"].as_str(), job["progress"].as_f64()),
            (Some("succeeded"), Some(1.0)),
            "{job}"
        );
        let r = api
            .http
            .post(api.url(&format!("/api/jobs/{job_id}/retry")))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::CONFLICT,
            "only dead or cancelled jobs are retried by hand"
        );
        let events = watcher.await.unwrap();
        let states: Vec<String> = events
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(|d| {
                serde_json::from_str::<Value>(d.trim()).unwrap()["state"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert!(
            matches!(states.first().map(String::as_str), Some("queued" | "running")),
            "{events}"
        );
        assert_eq!(states.last().map(String::as_str), Some("succeeded"), "{events}");
        assert!(events.lines().all(|l| !l.starts_with("event:") || l == "event: job"));

        let r = api
            .http
            .get(api.url(&format!("/api/projects/{pid}/captions")))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["etag"], "\"v1\"");
        let words = cofee_core::formats::json::parse(&r.text().await.unwrap()).unwrap();
        let norm = |t: &str| {
            cofee_core::wer::normalize(t)
                .into_iter()
                .map(|w| if w == "mr" { "mister".to_string() } else { w })
                .collect::<Vec<_>>()
        };
        let wer = cofee_core::wer::word_error_rate(&norm(&reference_text()), &norm(&words.text()));
        assert!(wer <= 0.40, "WER {wer:.3}: {}", words.text());

        // Style, render, download (with Range) and exports.
        let r = api
            .http
            .put(api.url(&format!("/api/projects/{pid}/style")))
            .bearer_auth(&alice)
            .body(r##"{"base": "bold-pop", "text_color": "#FFFFFF"}"##)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let r = api
            .http
            .put(api.url(&format!("/api/projects/{pid}/style")))
            .bearer_auth(&alice)
            .body(r#"{"font_size": 99}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = api
            .http
            .post(api.url(&format!("/api/projects/{pid}/renders")))
            .bearer_auth(&alice)
            .json(&json!({"preset": "ultrafast"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let accepted: Value = r.json().await.unwrap();
        let (render_job, render_id) = (
            accepted["job_id"].as_str().unwrap().to_string(),
            accepted["render_id"].as_str().unwrap().to_string(),
        );
        let started = Instant::now();
        loop {
            let j: Value = api
                .http
                .get(api.url(&format!("/api/jobs/{render_job}")))
                .bearer_auth(&alice)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if j["state"] == "succeeded" {
                break;
            }
            assert!(j["state"] == "queued" || j["state"] == "running", "{j}");
            assert!(started.elapsed() < Duration::from_secs(180), "render took too long: {j}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let renders: Value = api
            .http
            .get(api.url(&format!("/api/projects/{pid}/renders")))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            (renders[0]["id"].as_str(), renders[0]["state"].as_str()),
            (Some(render_id.as_str()), Some("succeeded"))
        );
        let download = api.url(&format!("/api/renders/{render_id}/download"));
        let r = api
            .http
            .get(&download)
            .bearer_auth(&alice)
            .header("range", "bytes=0-99")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(r.headers()["content-type"], "video/mp4");
        assert_eq!(r.bytes().await.unwrap().len(), 100);
        let r = api.http.get(&download).bearer_auth(&alice).send().await.unwrap();
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment; filename=\"talk.mp4\"")
        );
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("downloaded.mp4");
        std::fs::write(&out, r.bytes().await.unwrap()).unwrap();
        let video = streams(&out).into_iter().find(|s| s.codec_type == "video").unwrap();
        assert_eq!((video.width, video.height), (Some(1080), Some(1920)));
        assert!((probe_duration(&out) - probe_duration(&talk_mp4())).abs() <= 0.1);
        let srt = api
            .http
            .get(api.url(&format!("/api/projects/{pid}/captions.srt")))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            cofee_core::formats::words_from_cues(&cofee_core::formats::srt::parse(&srt).unwrap())
                .text(),
            words.text()
        );
        let ass = api
            .http
            .get(api.url(&format!("/api/projects/{pid}/captions.ass")))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            ass.contains("PlayResY: 1920") && ass.contains("Inter Black"),
            "the project's style and size"
        );

        // Mallory knows every id and gets 404 for all of it.
        for (method, path) in [
            ("GET", format!("/api/projects/{pid}")),
            ("GET", format!("/api/projects/{pid}/media")),
            ("PUT", format!("/api/projects/{pid}/media")),
            ("POST", format!("/api/projects/{pid}/transcribe")),
            ("GET", format!("/api/projects/{pid}/captions")),
            ("GET", format!("/api/projects/{pid}/waveform")),
            ("GET", format!("/api/jobs/{job_id}")),
            ("POST", format!("/api/jobs/{job_id}/cancel")),
            ("POST", format!("/api/jobs/{job_id}/retry")),
            ("GET", format!("/api/projects/{pid}/style")),
            ("PUT", format!("/api/projects/{pid}/style")),
            ("POST", format!("/api/projects/{pid}/renders")),
            ("GET", format!("/api/projects/{pid}/renders")),
            ("GET", format!("/api/renders/{render_id}/download")),
            ("GET", format!("/api/projects/{pid}/captions.srt")),
            ("GET", format!("/api/projects/{pid}/captions.ass")),
        ] {
            let r = api
                .http
                .request(method.parse().unwrap(), api.url(&path))
                .bearer_auth(&mallory)
                .body("x")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
        }

        // What happened shows in the metrics: requests and queue gauges at the API, jobs where
        // they ran (`jobs_base`: the same process for `serve`, the worker otherwise).
        let metrics = api.http.get(api_metrics).send().await.unwrap().text().await.unwrap();
        let job_metrics = api
            .http
            .get(format!("{jobs_base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for (expected, text) in [
            (
                r#"http_requests_total{method="POST",route="/api/projects/{id}/renders",status="202"}"#,
                &metrics,
            ),
            (r#"queue_ready_jobs{queue="render"}"#, &metrics),
            (r#"jobs_total{queue="render",kind="render",outcome="succeeded"}"#, &job_metrics),
            (
                r#"jobs_total{queue="transcribe",kind="transcribe",outcome="succeeded"}"#,
                &job_metrics,
            ),
            ("job_duration_seconds_bucket", &job_metrics),
            (r#"storage_operation_duration_seconds_count{operation="put",backend=""#, &job_metrics),
            (r#"db_pool_connections{state="idle"}"#, &metrics),
            (r#"db_pool_connections{state="in_use"}"#, &job_metrics),
        ] {
            assert!(text.contains(expected), "{expected} missing from /metrics:\n{text}");
        }
        // Render speed and recognition speed, measured: one render by Cofee's compositor at a
        // real frame rate, one sphinx transcription at a plausible real-time factor.
        let sample = |name: &str| {
            common::metric(&job_metrics, name)
                .unwrap_or_else(|| panic!("{name} missing from /metrics:\n{job_metrics}"))
        };
        assert_eq!(
            sample(r#"render_frames_per_second_count{compositor="cofee",preset="ultrafast"}"#),
            1.0
        );
        let fps = sample(r#"render_frames_per_second_sum{compositor="cofee",preset="ultrafast"}"#);
        assert!(fps > 1.0 && fps < 10_000.0, "render fps {fps}");
        assert_eq!(sample(r#"transcription_real_time_factor_count{engine="sphinx"}"#), 1.0);
        let rtf = sample(r#"transcription_real_time_factor_sum{engine="sphinx"}"#);
        assert!(rtf > 0.01 && rtf < 20.0, "sphinx real-time factor {rtf}");

        // Deleting the project deletes its files too.
        assert_eq!(stored.count(&pid), 4, "source, thumbnail, waveform and render stored");
        let list: Value = api
            .http
            .get(api.url("/api/projects"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list[0]["status"], "rendered");
        // A path on the API for local files, a presigned storage URL with S3.
        let thumbnail = list[0]["thumbnail_url"].as_str().unwrap();
        let thumb = api
            .http
            .get(if thumbnail.starts_with("http") {
                thumbnail.to_string()
            } else {
                api.url(thumbnail)
            })
            .send()
            .await
            .unwrap();
        assert_eq!(
            (thumb.status(), thumb.headers()["content-type"].to_str().unwrap()),
            (StatusCode::OK, "image/jpeg")
        );
        let r = api
            .http
            .delete(api.url(&format!("/api/projects/{pid}")))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        // The objects go by a maintenance job committed with the deletion of the rows.
        let mut left = stored.count(&pid);
        for _ in 0..100 {
            if left == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            left = stored.count(&pid);
        }
        assert_eq!(left, 0, "no orphaned objects");
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .flatten()
        .flat_map(|e| if e.path().is_dir() { walk(&e.path()) } else { vec![e.path()] })
        .collect()
}
