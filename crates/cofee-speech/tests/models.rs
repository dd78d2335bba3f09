//! Model downloads against a local HTTP server: resume after a dropped connection, checksum
//! verification, and a clear message when the host cannot be reached.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use cofee_speech::models::{ModelError, ModelStore};
use sha1::{Digest, Sha1};

struct Served {
    data: Vec<u8>,
    /// Drop the connection after this many bytes on the first full request.
    cut_first_at: Option<usize>,
    ranges: Vec<Option<String>>,
}

async fn model(State(s): State<Arc<Mutex<Served>>>, headers: HeaderMap) -> Response {
    let mut s = s.lock().unwrap();
    let range = headers.get(header::RANGE).map(|v| v.to_str().unwrap().to_string());
    s.ranges.push(range.clone());
    let data = s.data.clone();
    if let Some(from) = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok())
    {
        return Response::builder()
            .status(StatusCode::PARTIAL_CONTENT)
            .header(
                header::CONTENT_RANGE,
                format!("bytes {from}-{}/{}", data.len() - 1, data.len()),
            )
            .body(Body::from(data[from..].to_vec()))
            .unwrap();
    }
    if let Some(cut) = s.cut_first_at.take() {
        // Announce the full length, send part of it, then fail the stream: a dropped connection.
        let head = data[..cut].to_vec();
        let stream = futures_util::stream::iter(vec![
            Ok::<_, std::io::Error>(head),
            Err(std::io::Error::other("link down")),
        ]);
        return Response::builder()
            .header(header::CONTENT_LENGTH, data.len())
            .body(Body::from_stream(stream))
            .unwrap();
    }
    Response::new(Body::from(data))
}

async fn serve(data: Vec<u8>, cut: Option<usize>) -> (String, Arc<Mutex<Served>>) {
    let state = Arc::new(Mutex::new(Served { data, cut_first_at: cut, ranges: Vec::new() }));
    let app = Router::new().route("/models/{file}", get(model)).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/models"), state)
}

fn generated() -> (Vec<u8>, String) {
    let data: Vec<u8> =
        (0..3_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let sha = hex::encode(Sha1::digest(&data));
    (data, sha)
}

#[tokio::test]
async fn an_interrupted_download_resumes_and_is_verified() {
    let (data, sha) = generated();
    let (url, state) = serve(data.clone(), Some(1_000_000)).await;
    let dir = tempfile::tempdir().unwrap();
    let store = ModelStore::new(dir.path());

    let e = store.pull("test-model", &url, Some(&sha), |_, _| {}).await.unwrap_err();
    assert!(e.to_string().contains("run the same command again to resume"), "{e}");
    assert!(
        !store.path_for("test-model").exists(),
        "nothing is put in place before it is verified"
    );
    let part_len =
        std::fs::metadata(store.path_for("test-model").with_extension("bin.part")).unwrap().len();
    assert!(part_len > 0 && part_len < data.len() as u64);

    let mut last = (0, None);
    let path = store
        .pull("test-model", &url, Some(&sha), |done, total| last = (done, total))
        .await
        .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), data);
    assert_eq!(last, (data.len() as u64, Some(data.len() as u64)));
    assert_eq!(
        state.lock().unwrap().ranges.last().unwrap().as_deref(),
        Some(format!("bytes={part_len}-").as_str()),
        "only the rest was asked for"
    );
    assert_eq!(store.list().iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["test-model"]);
}

#[tokio::test]
async fn a_wrong_checksum_deletes_the_download() {
    let (data, _) = generated();
    let (url, _) = serve(data, None).await;
    let dir = tempfile::tempdir().unwrap();
    let store = ModelStore::new(dir.path());
    // tiny.en is in the catalogue; the generated file is not the real model.
    let e = store.pull("tiny.en", &url, None, |_, _| {}).await.unwrap_err();
    assert!(matches!(e, ModelError::Checksum { .. }), "{e}");
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "no file left behind");
}

#[tokio::test]
async fn offline_and_unknown_models_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let store = ModelStore::new(dir.path());
    let e = store.pull("base.en", "http://127.0.0.1:9", None, |_, _| {}).await.unwrap_err();
    assert!(e.to_string().contains("pass --model PATH"), "{e}");
    let e = store.pull("gigantic", "http://127.0.0.1:9", None, |_, _| {}).await.unwrap_err();
    assert!(e.to_string().contains("available: tiny, tiny.en, base"), "{e}");
    assert!(matches!(
        store.pull("../etc", "http://x", Some("00"), |_, _| {}).await,
        Err(ModelError::BadName(_))
    ));
}
