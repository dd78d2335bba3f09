//! The whisper engine's load-and-run path on a tiny whisper.cpp model generated here in the ggml
//! format (random weights: the words are nonsense, the plumbing is real). A real model's
//! recognition is tested in `whisper_real_model.rs`.

#![cfg(feature = "whisper")]

use std::sync::Mutex;

use cofee_speech::whisper::{Whisper, write_random_model};
use cofee_speech::{SpeechEngine, SpeechError, TranscribeOptions};
use tokio_util::sync::CancellationToken;

mod common;

use common::{input, speech_pcm};

#[tokio::test]
async fn a_generated_model_loads_and_runs_over_windows() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine =
        Whisper::load(write_random_model(&dir.path().join("ggml-random.bin")).unwrap()).unwrap();
    engine.window_secs = 10; // 24.7 s of speech: three windows
    engine.doubted_median = 0.0; // its words are nonsense it doubts: keep them, to check them
    let pcm = speech_pcm();
    let secs = pcm.len() as f64 / 32_000.0;
    let seen = Mutex::new(Vec::new());
    let t = engine
        .transcribe(
            input(pcm),
            &TranscribeOptions::default(),
            &|p| seen.lock().unwrap().push(p),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    t.validate().unwrap();
    assert!(
        !t.words.is_empty() && t.words.iter().all(|w| w.text.starts_with('w')),
        "words come out of the model's vocabulary: {:?}",
        t.text()
    );
    let lang = t.language.as_deref().expect("a language is detected");
    assert!(whisper_rs::get_lang_id(lang).is_some(), "{lang}");
    assert!(
        t.words.iter().all(|w| w.end_ms as f64 <= secs * 1000.0 + 10.0),
        "times stay within the audio"
    );
    let p = seen.lock().unwrap();
    assert!(p.windows(2).all(|w| w[0] <= w[1]) && *p.last().unwrap() == 1.0, "{p:?}");
    assert!(
        p.iter().filter(|x| **x > 0.0 && **x < 1.0).count() >= 3,
        "progress during the run: {p:?}"
    );
}

#[tokio::test]
async fn silence_is_not_sent_to_the_model_and_languages_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let engine =
        Whisper::load(write_random_model(&dir.path().join("ggml-random.bin")).unwrap()).unwrap();
    let t = engine
        .transcribe(
            input(vec![0; 32_000 * 20]),
            &TranscribeOptions { language: Some("en".into()) },
            &|_| {},
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert!(t.words.is_empty(), "no words from 20 s of silence: {:?}", t.words);
    let e = engine
        .transcribe(
            input(vec![0; 3200]),
            &TranscribeOptions { language: Some("klingon".into()) },
            &|_| {},
            &CancellationToken::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, SpeechError::UnsupportedLanguage { .. }), "{e}");
}

#[tokio::test]
async fn cancellation_stops_a_running_window() {
    let dir = tempfile::tempdir().unwrap();
    let engine =
        Whisper::load(write_random_model(&dir.path().join("ggml-random.bin")).unwrap()).unwrap();
    let cancel = CancellationToken::new();
    let mut pcm = speech_pcm();
    pcm.extend(speech_pcm());
    let options = TranscribeOptions::default();
    // Cancelled a second into the window's decoding (a random model decodes nonsense for a long
    // time, and reports no progress until its first 30 s are done): it must stop within one
    // step of whisper.cpp's graph, not at the window's end.
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        c.cancel();
    });
    let started = std::time::Instant::now();
    let task = engine.transcribe(input(pcm), &options, &|_| {}, &cancel);
    let e = tokio::time::timeout(std::time::Duration::from_secs(60), task)
        .await
        .expect("stops promptly")
        .unwrap_err();
    let took = started.elapsed().as_secs_f64();
    // The window takes minutes to decode on this model; stopping is a matter of one graph step.
    assert!(took < 20.0, "stopped only {took:.1} s after the start");
    assert!(matches!(e, SpeechError::Cancelled), "{e}");
}

#[test]
fn a_broken_model_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ggml-broken.bin");
    std::fs::write(&path, b"not a model").unwrap();
    let e = Whisper::load(&path).err().expect("refused");
    assert!(
        e.to_string().contains("cannot load whisper model")
            && e.to_string().contains("ggml-broken.bin"),
        "{e}"
    );
}
