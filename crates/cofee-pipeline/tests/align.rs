//! Aligning a person's words in a stretch of a real video's audio, decoded from the stretch
//! alone: with a real Whisper model (COFEE_WHISPER_MODEL, which `scripts/test.sh` imports), the
//! times come out where the transcription of the whole recording put the same words, so the
//! stretch's decoding starts exactly where it says (no drift from seeking or the AAC encoder's
//! priming). Ignored by a plain `cargo test` (no model there).

#![cfg(feature = "whisper")]

use std::path::PathBuf;

use cofee_media::MediaLimits;
use cofee_pipeline::{EngineSpec, Silent, Stretch};
use tokio_util::sync::CancellationToken;

const RECORDING: &str =
    "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav";

fn model() -> EngineSpec {
    let model = std::env::var("COFEE_WHISPER_MODEL")
        .expect("COFEE_WHISPER_MODEL names a real Whisper model (scripts/test.sh imports one)");
    EngineSpec::Whisper { model: PathBuf::from(model) }
}

#[tokio::test]
#[ignore = "needs a real Whisper model in COFEE_WHISPER_MODEL"]
async fn words_aligned_in_a_stretch_of_a_video_land_where_the_transcription_heard_them() {
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("talk.mp4");
    // Two seconds of silence first, so the stretch is well into the file; AAC, as uploads are.
    let made = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25", "-i", RECORDING])
        .args(["-filter_complex", "[1]adelay=2000[a]", "-map", "0:v", "-map", "[a]", "-shortest"])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"])
        .arg(&video)
        .status()
        .unwrap();
    assert!(made.success());
    let (limits, cancel, spec) = (MediaLimits::default(), CancellationToken::new(), model());
    let info = cofee_pipeline::probe(&video, &limits, None, &Silent, &cancel).await.unwrap();
    let heard = cofee_pipeline::transcribe(&info, &spec, None, &limits, &Silent, &cancel)
        .await
        .unwrap()
        .words;
    assert!(heard.len() > 12, "{heard:?}");
    let mut errors = Vec::new();
    for first in [2, heard.len() / 2, heard.len() - 6] {
        let words = &heard[first..first + 5];
        let stretch = Stretch {
            from_ms: words[0].start_ms - 200,
            to_ms: words[4].end_ms + 200,
            words: words.iter().map(|w| w.text.clone()).collect(),
            language: Some("en".into()),
        };
        let aligned = cofee_pipeline::align(&info, &spec, &stretch, &limits, &cancel)
            .await
            .unwrap()
            .expect("whisper aligns");
        for (a, h) in aligned.iter().zip(words) {
            assert_eq!(a.text, h.text);
            errors.push(a.start_ms.abs_diff(h.start_ms));
            errors.push(a.end_ms.abs_diff(h.end_ms));
        }
    }
    errors.sort_unstable();
    let median = errors[errors.len() / 2];
    eprintln!("aligned against transcribed edges, ms: {errors:?}");
    assert!(median <= 60, "median {median} ms: {errors:?}");

    // A stretch the engines do not take is refused before any work.
    let empty = Stretch { from_ms: 0, to_ms: 1000, words: vec![], language: None };
    let e = cofee_pipeline::align(&info, &spec, &empty, &limits, &cancel).await.unwrap_err();
    assert!(e.to_string().contains("1 to 64 words"), "{e}");
    assert!(e.is_bad_input());
}
