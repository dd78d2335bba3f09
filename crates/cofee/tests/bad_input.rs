//! Hostile and broken inputs: each ends in a clear error, exit code 2, no hang and no output.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;

struct Case {
    name: &'static str,
    file: PathBuf,
    engine_args: Vec<&'static str>,
    expect: &'static str,
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn cases(dir: &Path) -> Vec<Case> {
    // Without +faststart the index (moov) is at the end: cut it off.
    let plain = dir.join("plain.mp4");
    ffmpeg(&["-i", talk_mp4().to_str().unwrap(), "-c", "copy", "-t", "6", plain.to_str().unwrap()]);
    let plain_bytes = std::fs::read(&plain).unwrap();
    // With +faststart the index survives and declares more than the file holds.
    let fast = dir.join("fast.mp4");
    ffmpeg(&[
        "-i",
        talk_mp4().to_str().unwrap(),
        "-c",
        "copy",
        "-movflags",
        "+faststart",
        fast.to_str().unwrap(),
    ]);
    let fast_bytes = std::fs::read(&fast).unwrap();
    let silent = dir.join("silent.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=320x240:r=25:d=2",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        silent.to_str().unwrap(),
    ]);
    let captions: Vec<&'static str> = vec!["--captions", "CAPTIONS"];
    vec![
        Case {
            name: "text renamed .mp4",
            file: write(dir, "notes.mp4", b"these are my meeting notes, not a video\n"),
            engine_args: captions.clone(),
            expect: "not a video or audio file",
        },
        Case {
            name: "truncated mp4 (index lost)",
            file: write(dir, "cut.mp4", &plain_bytes[..plain_bytes.len() / 2]),
            engine_args: captions.clone(),
            expect: "not a video or audio file",
        },
        Case {
            name: "truncated mp4 (data lost)",
            file: write(dir, "cut-fast.mp4", &fast_bytes[..fast_bytes.len() / 2]),
            engine_args: captions.clone(),
            expect: "truncated or corrupt",
        },
        Case {
            name: "HLS playlist",
            file: write(
                dir,
                "playlist.mp4",
                format!(
                    "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile://{}\n#EXT-X-ENDLIST\n",
                    talk_mp4().display()
                )
                .as_bytes(),
            ),
            engine_args: captions.clone(),
            expect: "input rejected",
        },
        Case {
            name: "concat list",
            file: write(
                dir,
                "list.mp4",
                format!("ffconcat version 1.0\nfile '{}'\n", talk_mp4().display()).as_bytes(),
            ),
            engine_args: captions.clone(),
            expect: "container format is not allowed",
        },
        Case {
            name: "empty file",
            file: write(dir, "empty.mp4", b""),
            engine_args: captions.clone(),
            expect: "empty (0 bytes)",
        },
        Case {
            name: "video without audio",
            file: silent,
            engine_args: vec!["--engine", "sphinx"],
            expect: "no audio stream",
        },
        Case {
            name: "huge declared resolution",
            file: huge_mkv(dir),
            engine_args: captions.clone(),
            expect: "16000×16000",
        },
        Case {
            name: "missing file",
            file: dir.join("nope.mp4"),
            engine_args: captions,
            expect: "No such file",
        },
    ]
}

/// An MJPEG Matroska file whose container and JPEG header both claim 16000×16000.
fn huge_mkv(dir: &Path) -> PathBuf {
    let p = dir.join("huge.mkv");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=red:s=256x256:d=1:r=1",
        "-c:v",
        "mjpeg",
        p.to_str().unwrap(),
    ]);
    let mut d = std::fs::read(&p).unwrap();
    let patch = |d: &mut Vec<u8>, find: &[u8], at: usize, bytes: &[u8]| {
        let i = d.windows(find.len()).position(|w| w == find).unwrap();
        d[i + at..i + at + bytes.len()].copy_from_slice(bytes);
    };
    let big = 16000u16.to_be_bytes();
    patch(&mut d, &[0xB0, 0x82, 0x01, 0x00], 2, &big); // Matroska PixelWidth
    patch(&mut d, &[0xBA, 0x82, 0x01, 0x00], 2, &big); // Matroska PixelHeight
    patch(&mut d, &[0xFF, 0xC0], 5, &[big[0], big[1], big[0], big[1]]); // JPEG SOF0 height, width
    std::fs::write(&p, d).unwrap();
    p
}

#[test]
fn bad_inputs_end_in_clear_errors_with_exit_code_2_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let srt = write(dir.path(), "c.srt", b"1\n00:00:00,000 --> 00:00:01,000\nhi\n");
    let mut failures = Vec::new();
    for case in cases(dir.path()) {
        let out_dir = tempfile::tempdir().unwrap();
        let out = out_dir.path().join("out.mp4");
        let mut args =
            vec!["caption", case.file.to_str().unwrap(), "-o", out.to_str().unwrap(), "--srt"];
        let srt_out = out_dir.path().join("out.srt");
        args.push(srt_out.to_str().unwrap());
        args.extend(
            case.engine_args
                .iter()
                .map(|a| if *a == "CAPTIONS" { srt.to_str().unwrap() } else { a }),
        );
        let started = Instant::now();
        let o = cofee(&args);
        let err = stderr(&o);
        let files: Vec<_> =
            std::fs::read_dir(out_dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        if o.status.code() != Some(2)
            || !err.contains(case.expect)
            || !files.is_empty()
            || started.elapsed() > Duration::from_secs(60)
        {
            failures.push(format!(
                "{}: exit {:?}, files {files:?}, stderr: {err}",
                case.name,
                o.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn broken_captions_and_styles_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.mp4");
    let bad_srt = write(dir.path(), "bad.srt", b"1\n00:00:01,000 --> soon\nhi\n");
    let o = cofee(&[
        "caption",
        talk_mp4().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--captions",
        bad_srt.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bad.srt: SRT captions, line 2: invalid timestamp \"soon\""),
        "{}",
        stderr(&o)
    );

    let style = write(dir.path(), "s.json", br##"{"font_size": 400, "text_color": "#12"}"##);
    let o = cofee(&[
        "caption",
        talk_mp4().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--style-file",
        style.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("invalid colour \"#12\""), "{}", stderr(&o));

    let o = cofee(&[
        "caption",
        talk_mp4().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--style",
        "sparkly",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown style preset \"sparkly\"")
            && stderr(&o).contains("cofee styles"),
        "{}",
        stderr(&o)
    );

    let o = cofee(&[
        "caption",
        talk_mp4().to_str().unwrap(),
        "-o",
        talk_mp4().to_str().unwrap(),
        "--captions",
        bad_srt.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "refuses to overwrite its input");
    assert!(!out.exists());
}
