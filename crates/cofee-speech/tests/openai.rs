//! The OpenAI engine against a local server speaking the `/v1/audio/transcriptions` contract.

use std::sync::{Arc, Mutex};

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use cofee_speech::openai::OpenAi;
use cofee_speech::{AudioInput, SpeechEngine, SpeechError, TranscribeOptions};
use serde_json::json;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
struct Seen {
    /// Duration (s) of each window received, and the form fields.
    windows: Vec<f64>,
    fields: Vec<(String, String)>,
    auth: Vec<Option<String>>,
    fail_first: usize,
}

async fn transcriptions(
    State(seen): State<Arc<Mutex<Seen>>>,
    headers: axum::http::HeaderMap,
    mut form: Multipart,
) -> Result<Json<serde_json::Value>, StatusCode> {
    {
        let mut s = seen.lock().unwrap();
        if s.fail_first > 0 {
            s.fail_first -= 1;
            return Err(StatusCode::SERVICE_UNAVAILABLE);
        }
    }
    let mut secs = None;
    let mut fields = Vec::new();
    while let Some(field) = form.next_field().await.unwrap() {
        let name = field.name().unwrap().to_string();
        let data = field.bytes().await.unwrap();
        if name == "file" {
            assert_eq!(&data[..4], b"RIFF");
            assert!(data.len() < 25 * 1024 * 1024, "under the API's 25 MB limit");
            secs = Some((data.len() - 44) as f64 / 32_000.0);
        } else {
            fields.push((name, String::from_utf8(data.to_vec()).unwrap()));
        }
    }
    let secs = secs.ok_or(StatusCode::BAD_REQUEST)?;
    let mut s = seen.lock().unwrap();
    let window = s.windows.len();
    s.windows.push(secs);
    s.fields.extend(fields);
    s.auth.push(headers.get("authorization").map(|v| v.to_str().unwrap().to_string()));
    // One word at the start of every whole second of the window.
    let words: Vec<_> = (0..secs.floor() as usize).map(|i| json!({"word": format!(" w{window}_{i}"), "start": i as f64, "end": i as f64 + 0.5})).collect();
    Ok(Json(json!({"text": "…", "language": "english", "duration": secs, "words": words})))
}

async fn server(seen: Arc<Mutex<Seen>>) -> String {
    let app =
        Router::new().route("/v1/audio/transcriptions", post(transcriptions)).with_state(seen);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/v1")
}

/// 12.5 s of a loud square wave with quiet gaps at 4.0–4.3 s and 8.7–9.0 s.
fn audio() -> Vec<u8> {
    let n = 12_500 * 16;
    let mut out = Vec::with_capacity(n * 2);
    for i in 0..n {
        let t = i as f64 / 16_000.0;
        let quiet = (4.0..4.3).contains(&t) || (8.7..9.0).contains(&t);
        let s: i16 = if quiet {
            0
        } else if (i / 20) % 2 == 0 {
            8000
        } else {
            -8000
        };
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

fn input(bytes: Vec<u8>) -> AudioInput {
    let secs = bytes.len() as f64 / 32_000.0;
    AudioInput { pcm: Box::new(std::io::Cursor::new(bytes)), duration_secs: secs }
}

#[tokio::test]
async fn long_audio_is_windowed_at_pauses_and_stitched_without_drift() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut engine = OpenAi::new(server(seen.clone()).await, Some("sk-test".into()), "whisper-1");
    engine.window_secs = 5;
    let progress = Mutex::new(Vec::new());
    let t = engine
        .transcribe(
            input(audio()),
            &TranscribeOptions::default(),
            &|p| progress.lock().unwrap().push(p),
            &CancellationToken::new(),
        )
        .await
        .unwrap();

    let s = seen.lock().unwrap();
    assert_eq!(s.windows.len(), 3, "{:?}", s.windows);
    assert!(
        (4.0..=4.3).contains(&s.windows[0]),
        "first window ends in the first pause: {:?}",
        s.windows
    );
    assert!(
        (8.7..=9.0).contains(&(s.windows[0] + s.windows[1])),
        "second window ends in the second pause: {:?}",
        s.windows
    );
    assert!((s.windows.iter().sum::<f64>() - 12.5).abs() < 1e-6, "every sample sent exactly once");
    assert!(s.fields.contains(&("response_format".into(), "verbose_json".into())));
    assert!(s.fields.contains(&("timestamp_granularities[]".into(), "word".into())));
    assert!(s.auth.iter().all(|a| a.as_deref() == Some("Bearer sk-test")));

    // Every word lands at its window's exact offset plus its own time.
    let mut offset = 0.0;
    for (w, secs) in s.windows.iter().enumerate() {
        for i in 0..secs.floor() as usize {
            let word = t.words.iter().find(|x| x.text == format!("w{w}_{i}")).unwrap();
            let expected = ((offset + i as f64) * 1000.0).round() as i64;
            assert!(
                (word.start_ms as i64 - expected).abs() <= 1,
                "{} at {} ms, expected {expected}",
                word.text,
                word.start_ms
            );
        }
        offset += secs;
    }
    assert_eq!(t.language.as_deref(), Some("en"));
    t.validate().unwrap();
    let p = progress.lock().unwrap();
    assert!(p.windows(2).all(|w| w[0] <= w[1]) && (p.last().unwrap() - 1.0).abs() < 1e-9, "{p:?}");
}

#[tokio::test]
async fn transient_server_errors_are_retried_and_client_errors_are_not() {
    let seen = Arc::new(Mutex::new(Seen { fail_first: 1, ..Default::default() }));
    let engine = OpenAi::new(server(seen.clone()).await, None, "m");
    let t = engine
        .transcribe(
            input(audio()[..64_000].to_vec()),
            &TranscribeOptions { language: Some("en".into()) },
            &|_| {},
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(t.words.len(), 2);
    assert!(seen.lock().unwrap().fields.contains(&("language".into(), "en".into())));

    let app = Router::new().route(
        "/v1/audio/transcriptions",
        post(|| async { (StatusCode::UNAUTHORIZED, "{\"error\":{\"message\":\"bad key\"}}") }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let engine = OpenAi::new(format!("http://{addr}/v1"), Some("wrong".into()), "m");
    let e = engine
        .transcribe(
            input(vec![0; 32_000]),
            &TranscribeOptions::default(),
            &|_| {},
            &CancellationToken::new(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, SpeechError::Api { status: 401, ref body } if body.contains("bad key")),
        "{e}"
    );
}

#[tokio::test]
async fn an_unreachable_server_is_named() {
    let engine = OpenAi::new("http://127.0.0.1:9/v1", None, "m");
    let e = engine
        .transcribe(
            input(vec![0; 3200]),
            &TranscribeOptions::default(),
            &|_| {},
            &CancellationToken::new(),
        )
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("could not reach the transcription service at http://127.0.0.1:9/v1"),
        "{e}"
    );
}
