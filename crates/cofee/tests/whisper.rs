//! `cofee` with the whisper engine, on a model with random weights that the test generates
//! (the words are nonsense; loading, windowing, timing and output are real).

#![cfg(feature = "whisper")]

mod common;

use std::process::Command;

use common::*;

#[test]
fn caption_and_transcribe_run_whisper_and_pick_it_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("ggml-random.bin");
    cofee_speech::whisper::write_random_model(&model).unwrap();
    let out = dir.path().join("out.mp4");
    let json = dir.path().join("w.json");
    // No --engine: a configured model makes whisper the default.
    let o = Command::new(env!("CARGO_BIN_EXE_cofee"))
        .args([
            "caption",
            talk_mp4().to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
            "--preset",
            "ultrafast",
        ])
        .env("COFEE_WHISPER_MODEL", &model)
        .env("COFEE_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("with whisper"), "{}", stderr(&o));
    let t = cofee_core::formats::json::parse(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(t.language.is_some());
    assert!((probe_duration(&out) - probe_duration(&talk_mp4())).abs() <= 0.1);

    let o = cofee(&[
        "transcribe",
        speech_wav().to_str().unwrap(),
        "--engine",
        "whisper",
        "--model",
        model.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    cofee_core::formats::json::parse(&String::from_utf8(o.stdout).unwrap()).unwrap();

    let o = cofee(&[
        "transcribe",
        speech_wav().to_str().unwrap(),
        "--engine",
        "whisper",
        "--model",
        dir.path().join("missing.bin").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("whisper model file not found"), "{}", stderr(&o));
}
