//! `cofee caption` and `cofee transcribe` end to end, on real speech with the sphinx engine.

mod common;

use cofee_core::formats::{self, srt, vtt};
use cofee_core::wer::{normalize, word_error_rate};
use common::*;

/// Spelled-out forms the reference uses for what recognisers write short.
fn normalize_for_wer(text: &str) -> Vec<String> {
    normalize(text).into_iter().map(|w| if w == "mr" { "mister".to_string() } else { w }).collect()
}

#[test]
fn captions_real_speech_into_a_valid_mp4_with_agreeing_exports() {
    let input = talk_mp4();
    let out = tempfile::tempdir().unwrap();
    let p = |n: &str| out.path().join(n);
    let o = cofee(&[
        "caption",
        input.to_str().unwrap(),
        "-o",
        p("out put.mp4").to_str().unwrap(),
        "--engine",
        "sphinx",
        "--style",
        "bold-pop",
        "--srt",
        p("c.srt").to_str().unwrap(),
        "--vtt",
        p("c.vtt").to_str().unwrap(),
        "--json",
        p("c.json").to_str().unwrap(),
        "--preset",
        "ultrafast",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("(cofee compositor)"),
        "drawn by Cofee's own compositor: {}",
        stderr(&o)
    );

    // The output is the input's picture and sound, with captions.
    let s = streams(&p("out put.mp4"));
    let video = s.iter().find(|s| s.codec_type == "video").unwrap();
    assert_eq!(
        (video.width, video.height, video.r_frame_rate.as_deref()),
        (Some(1080), Some(1920), Some("30/1"))
    );
    assert!(s.iter().any(|s| s.codec_type == "audio"), "audio kept");
    let (din, dout) = (probe_duration(&input), probe_duration(&p("out put.mp4")));
    assert!((din - dout).abs() <= 0.1, "duration {dout} vs input {din}");

    // The words are the words that were said (WER against the LibriVox transcription).
    let words = formats::json::parse(&std::fs::read_to_string(p("c.json")).unwrap()).unwrap();
    let wer =
        word_error_rate(&normalize_for_wer(&reference_text()), &normalize_for_wer(&words.text()));
    eprintln!("word error rate: {wer:.3} over {} words", words.words.len());
    assert!(wer <= 0.40, "WER {wer:.3}: {}", words.text());

    // SRT, WebVTT and JSON agree: same words, same times.
    let from_vtt = vtt::parse_transcript(&std::fs::read_to_string(p("c.vtt")).unwrap()).unwrap();
    assert_eq!(
        from_vtt.words.iter().map(|w| (&w.text, w.start_ms)).collect::<Vec<_>>(),
        words.words.iter().map(|w| (&w.text, w.start_ms)).collect::<Vec<_>>()
    );
    let cues = srt::parse(&std::fs::read_to_string(p("c.srt")).unwrap()).unwrap();
    assert_eq!(formats::words_from_cues(&cues).text(), words.text());
    for c in &cues {
        assert!(
            words.words.iter().any(|w| w.start_ms == c.start_ms),
            "each cue starts on a word: {c:?}"
        );
    }

    // Caption pixels while a word is spoken, none in the silence at the end.
    let mid = &words.words[words.words.len() / 2];
    let t_word = (mid.start_ms + mid.end_ms) as f64 / 2000.0;
    let with_words = half_difference(&input, &p("out put.mp4"), t_word, Half::Bottom);
    let t_silence = din - 0.8;
    assert!(
        words.words.last().unwrap().end_ms as f64 / 1000.0 + 1.2 < t_silence,
        "the fixture has a silent tail"
    );
    let in_silence = half_difference(&input, &p("out put.mp4"), t_silence, Half::Bottom);
    assert!(with_words > 6.0, "captions drawn at {t_word:.2} s (difference {with_words:.2})");
    assert!(
        in_silence < 2.5,
        "nothing drawn in silence at {t_silence:.2} s (difference {in_silence:.2})"
    );
    assert!(leftovers(out.path()).is_empty());
}

#[test]
fn edited_captions_and_a_style_file_skip_recognition() {
    let input = talk_mp4();
    let out = tempfile::tempdir().unwrap();
    let p = |n: &str| out.path().join(n);
    std::fs::write(p("edited.srt"), "1\n00:00:00,500 --> 00:00:02,000\nHello from Cofee, 2026!\n\n2\n00:00:02,500 --> 00:00:04,000\n今天很好\n\n3\n00:00:05,000 --> 00:00:06,500\nمرحبا بالعالم\n\n4\n00:00:07,000 --> 00:00:08,500\nשלום עולם\n").unwrap();
    std::fs::write(
        p("mine.json"),
        r##"{"base": "karaoke", "active_color": "#FF00FF", "position": "top"}"##,
    )
    .unwrap();
    let o = cofee(&[
        "caption",
        input.to_str().unwrap(),
        "-o",
        p("o.mp4").to_str().unwrap(),
        "--captions",
        p("edited.srt").to_str().unwrap(),
        "--style-file",
        p("mine.json").to_str().unwrap(),
        "--json",
        p("o.json").to_str().unwrap(),
        "--ass",
        p("o.ass").to_str().unwrap(),
        "--preset",
        "ultrafast",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "--quiet prints nothing: {}", stderr(&o));
    let t = formats::json::parse(&std::fs::read_to_string(p("o.json")).unwrap()).unwrap();
    assert_eq!(
        t.text(),
        "Hello from Cofee, 2026!今天很好مرحبا بالعالم שלום עולם",
        "no space is put next to CJK"
    );
    assert_eq!(t.words.len(), 4 + 4 + 2 + 2, "CJK split into characters, RTL words kept whole");
    let ass = std::fs::read_to_string(p("o.ass")).unwrap();
    assert!(
        ass.contains("\\kf") && ass.contains("&H00FF00FF"),
        "karaoke with the overridden colour"
    );
    assert!(
        ass.lines().any(|l| l.starts_with("Style: Default") && l.contains(",8,")),
        "top-centre alignment"
    );
    // The CJK line is drawn (a CJK font is found through fontconfig).
    // Four CJK characters are a small area: compare with the ~0.5 that re-encoding alone gives.
    let top = half_difference(&input, &p("o.mp4"), 3.2, Half::Top);
    assert!(top > 1.5, "the CJK line is drawn at the top (difference {top:.2})");
    assert!(
        half_difference(&input, &p("o.mp4"), 3.2, Half::Bottom) < 2.5,
        "top-positioned captions leave the lower half alone"
    );
    for (script, t) in [("Arabic", 5.8), ("Hebrew", 7.8)] {
        let d = half_difference(&input, &p("o.mp4"), t, Half::Top);
        assert!(d > 1.5, "the {script} line is drawn (difference {d:.2})");
    }
}

/// A file whose encoding detection cannot tell (letters, not sentences: Windows-1252 reads as
/// Windows-1251 too) is read in the one the user names, as a player set to it reads it.
#[test]
fn a_captions_file_is_read_in_the_encoding_named() {
    let dir = tempfile::tempdir().unwrap();
    let clip = talk_cut(dir.path(), 6);
    let srt = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../cofee-core/tests/captions-from-the-wild/juvoplayer/media_player_subs_windows-1252.srt"
    );
    let run = |encoding: &str| {
        let json = dir.path().join(format!("{encoding}.json"));
        let o = cofee(&[
            "caption",
            clip.to_str().unwrap(),
            "-o",
            dir.path().join("o.mp4").to_str().unwrap(),
            "--captions",
            srt,
            "--captions-encoding",
            encoding,
            "--json",
            json.to_str().unwrap(),
            "--preset",
            "ultrafast",
            "--quiet",
        ]);
        (o, json)
    };
    let (o, json) = run("cp1252");
    assert!(o.status.success(), "{}", stderr(&o));
    let t = formats::json::parse(&std::fs::read_to_string(json).unwrap()).unwrap();
    let first: Vec<&str> = t.words.iter().take(7).map(|w| w.text.as_str()).collect();
    assert_eq!(first, ["[Western", "Europe]", "0.5:", "Àà", "Áá", "Ââ", "Ææ"]);
    let (o, _) = run("klingon");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no encoding is called \"klingon\""), "{}", stderr(&o));
}

#[test]
fn transcribe_writes_webvtt_with_word_times() {
    let out = tempfile::tempdir().unwrap();
    let vtt_path = out.path().join("talk.vtt");
    let o = cofee(&[
        "transcribe",
        speech_wav().to_str().unwrap(),
        "--engine",
        "sphinx",
        "-o",
        vtt_path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t = vtt::parse_transcript(&std::fs::read_to_string(&vtt_path).unwrap()).unwrap();
    assert!(t.words.len() > 40, "{}", t.text());
    t.validate().unwrap();

    let o = cofee(&[
        "transcribe",
        speech_wav().to_str().unwrap(),
        "--engine",
        "sphinx",
        "--language",
        "fr",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does not support language \"fr\""), "{}", stderr(&o));
}

/// Phone video carries its rotation as metadata: FFmpeg's filter path (which rotates on decode)
/// takes those, with the same result a user expects: upright picture, captions on top.
#[test]
fn rotated_video_is_captioned_upright_through_the_filter() {
    let dir = tempfile::tempdir().unwrap();
    let rotated = dir.path().join("rotated.mp4");
    ffmpeg(&[
        "-i",
        talk_mp4().to_str().unwrap(),
        "-t",
        "3",
        "-c",
        "copy",
        "-metadata:s:v:0",
        "rotate=90",
        rotated.to_str().unwrap(),
    ]);
    let srt = dir.path().join("c.srt");
    std::fs::write(&srt, "1\n00:00:00,500 --> 00:00:02,500\nHELLO THERE\n").unwrap();
    let out = dir.path().join("out.mp4");
    let o = cofee(&[
        "caption",
        rotated.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--captions",
        srt.to_str().unwrap(),
        "--preset",
        "ultrafast",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("(ffmpeg ass filter compositor)"), "{}", stderr(&o));
    let s = streams(&out);
    let video = s.iter().find(|s| s.codec_type == "video").unwrap();
    assert_eq!((video.width, video.height), (Some(1920), Some(1080)), "upright");
}

/// A render starts its compositor while the input is still being probed; the process then takes
/// its job on stdin, NUL-separated, so paths with spaces and non-ASCII characters pass as is.
#[test]
fn a_compositor_started_ahead_takes_its_job_on_stdin() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let ass = dir.path().join("captions à.ass");
    let srt = dir.path().join("c.srt");
    std::fs::write(&srt, "1\n00:00:00,200 --> 00:00:01,800\nHELLO THERE\n").unwrap();
    let o = cofee(&[
        "caption",
        talk_mp4().to_str().unwrap(),
        "-o",
        dir.path().join("ignored.mp4").to_str().unwrap(),
        "--captions",
        srt.to_str().unwrap(),
        "--ass",
        ass.to_str().unwrap(),
        "--preset",
        "ultrafast",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("out put é.mp4");
    let fonts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/fonts");
    let input = talk_mp4();
    let job = [
        "burn-frames",
        "--input",
        input.to_str().unwrap(),
        "--demuxer",
        "mov",
        "--video-stream",
        "0",
        "--audio-stream",
        "1",
        "--ass",
        ass.to_str().unwrap(),
        "--fonts-dir",
        fonts.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--preset",
        "ultrafast",
        "--crf",
        "23",
        "--max-secs",
        "2",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_cofee"))
        .args(["burn-frames", "--job-on-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // It is waiting, not failing for want of arguments.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "the standby waits for its job");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(job.iter().flat_map(|a| a.bytes().chain([0])).collect::<Vec<u8>>().as_slice())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("progress=end"),
        "FFmpeg-style progress on stdout"
    );
    assert!(stderr(&o).contains("captioned"), "{}", stderr(&o));
    let s = streams(&out);
    let video = s.iter().find(|s| s.codec_type == "video").unwrap();
    assert_eq!((video.width, video.height), (Some(1080), Some(1920)));
    assert!(s.iter().any(|s| s.codec_type == "audio"), "audio copied");
    let secs = probe_duration(&out);
    assert!((1.9..2.2).contains(&secs), "--max-secs bounds the output: {secs}");
    assert!(half_difference(&talk_mp4(), &out, 1.0, Half::Bottom) > 1.5, "the captions are drawn");

    // A standby whose job never comes (its parent took the filter, or died) ends with an error.
    let o = Command::new(env!("CARGO_BIN_EXE_cofee"))
        .args(["burn-frames", "--job-on-stdin"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no job arrived"), "{}", stderr(&o));
}

/// libass's warnings reach the log with their arguments filled in: a character no installed font
/// has is named, not left as a format string.
#[test]
fn libass_warnings_are_logged_formatted() {
    let dir = tempfile::tempdir().unwrap();
    let clip = talk_cut(dir.path(), 1);
    let (o, _) = caption_logged(
        dir.path(),
        &clip,
        "1\n00:00:00,100 --> 00:00:00,900\nHELLO \u{10FFFD} THERE\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("libass: fontselect: failed to find any fallback with glyph 0x10FFFD"),
        "{}",
        stderr(&o)
    );
}
