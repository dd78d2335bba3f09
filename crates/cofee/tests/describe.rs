//! A compositor started ahead of its render describes the input in ffprobe's place (it opens the
//! file anyway): its description must lead to exactly what ffprobe's does, for good files and
//! bad ones, and the render must then read from the input it opened.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cofee_media::{Compositor, MediaLimits};
use common::*;
use tokio_util::sync::CancellationToken;

fn compositor() -> Compositor {
    Compositor::Native { program: PathBuf::from(env!("CARGO_BIN_EXE_cofee")) }
}

/// The media this has to agree on: containers, codecs, rotation, cover art, audio only.
fn samples(dir: &Path) -> Vec<PathBuf> {
    let talk = talk_mp4();
    let talk = talk.to_str().unwrap();
    let p = |name: &str| dir.join(name);
    let rotated = p("rotated.mp4");
    ffmpeg(&[
        "-i",
        talk,
        "-t",
        "2",
        "-c",
        "copy",
        "-metadata:s:v:0",
        "rotate=90",
        rotated.to_str().unwrap(),
    ]);
    let mkv = p("clip.mkv");
    ffmpeg(&[
        "-i",
        talk,
        "-t",
        "2",
        "-c:v",
        "copy",
        "-c:a",
        "libopus",
        "-f",
        "matroska",
        mkv.to_str().unwrap(),
    ]);
    let silent = p("silent.mov");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=320x240:r=25",
        "-t",
        "1",
        "-c:v",
        "mpeg4",
        "-f",
        "mov",
        silent.to_str().unwrap(),
    ]);
    let cover = p("cover.png");
    ffmpeg(&["-f", "lavfi", "-i", "testsrc2=s=64x64", "-frames:v", "1", cover.to_str().unwrap()]);
    let mp3 = p("song.mp3");
    ffmpeg(&[
        "-i",
        speech_wav().to_str().unwrap(),
        "-i",
        cover.to_str().unwrap(),
        "-t",
        "2",
        "-map",
        "0:a",
        "-map",
        "1:v",
        "-c:a",
        "libmp3lame",
        "-c:v",
        "mjpeg",
        "-disposition:v",
        "attached_pic",
        mp3.to_str().unwrap(),
    ]);
    vec![talk_mp4(), rotated, mkv, silent, mp3, speech_wav()]
}

/// Every field the compositor prints is what ffprobe prints, and the same media, limits and
/// rejections follow from either description.
#[tokio::test]
async fn a_standby_compositor_describes_inputs_as_ffprobe_does() {
    let dir = tempfile::tempdir().unwrap();
    let (limits, cancel) = (MediaLimits::default(), CancellationToken::new());
    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, "this is not a video\n".repeat(50)).unwrap();
    let playlist = dir.path().join("list.m3u8");
    std::fs::write(
        &playlist,
        format!(
            "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{}\n#EXT-X-ENDLIST\n",
            talk_mp4().display()
        ),
    )
    .unwrap();
    let tiny = MediaLimits { max_width: 640, ..MediaLimits::default() };
    let mut files: Vec<(PathBuf, &MediaLimits)> =
        samples(dir.path()).into_iter().map(|f| (f, &limits)).collect();
    files.extend([(text, &limits), (playlist, &limits), (talk_mp4(), &tiny)]);
    let mut accepted = 0;
    for (file, _) in &files[..6] {
        let (ours, theirs) =
            (described(file).expect("the compositor describes it"), ffprobe_json(file));
        // Every field of the format it prints is ffprobe's (the name and duration always).
        let printed = ours["format"].as_object().unwrap();
        assert!(printed.contains_key("format_name") && printed.contains_key("duration"));
        for (k, v) in printed {
            assert_eq!(v, &theirs["format"][k], "format {k} of {}", file.display());
        }
        let streams = ours["streams"].as_array().unwrap();
        assert_eq!(streams.len(), theirs["streams"].as_array().unwrap().len());
        for (a, b) in streams.iter().zip(theirs["streams"].as_array().unwrap()) {
            for (k, v) in a.as_object().unwrap() {
                let want = match k.as_str() {
                    // Only the rotation of the display matrix is printed.
                    "side_data_list" => {
                        serde_json::json!([{ "side_data_type": "Display Matrix", "rotation": b[k][0]["rotation"] }])
                    }
                    "disposition" => serde_json::json!({ "attached_pic": b[k]["attached_pic"] }),
                    _ => b[k].clone(),
                };
                assert_eq!(v, &want, "{} stream {} {k}", file.display(), a["index"]);
            }
        }
    }
    for (file, limits) in &files {
        let by_ffprobe = cofee_media::probe(file, limits, &cancel).await;
        let mut standby = compositor().standby().expect("the compositor starts");
        let by_compositor =
            cofee_media::probe_with(file, limits, Some(&mut standby), &cancel).await;
        match (by_ffprobe, by_compositor) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b, "{}", file.display());
                accepted += 1;
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{}", file.display()),
            (a, b) => panic!("{}: ffprobe {a:?}, compositor {b:?}", file.display()),
        }
    }
    assert_eq!(
        accepted, 6,
        "the samples pass, the text file, the playlist and the too-wide clip do not"
    );
}

/// What a standby compositor answers when asked to describe `file` (`None`: an empty answer).
fn described(file: &Path) -> Option<serde_json::Value> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cofee"))
        .args(["burn-frames", "--job-on-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let request: Vec<u8> =
        ["--describe-input", file.to_str().unwrap(), &cofee_media::process::allowed_demuxers()]
            .iter()
            .flat_map(|a| a.bytes().chain([0]))
            .collect();
    child.stdin.take().unwrap().write_all(&request).unwrap();
    let mut answer = Vec::new();
    BufReader::new(child.stdout.take().unwrap()).read_until(0, &mut answer).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(answer.pop(), Some(0), "the answer ends in a NUL");
    (!answer.is_empty()).then(|| serde_json::from_slice(&answer).unwrap())
}

fn ffprobe_json(file: &Path) -> serde_json::Value {
    let o = Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json", "-show_format", "-show_streams"])
        .arg(file)
        .output()
        .unwrap();
    assert!(o.status.success());
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The standby's side of the exchange: asked to describe the input it answers with ffprobe-style
/// JSON and a NUL, then renders its job from the input it opened; a file it cannot open gets an
/// empty answer (the caller then asks ffprobe) and the job still runs.
#[test]
fn a_standby_renders_from_the_input_it_described() {
    let dir = tempfile::tempdir().unwrap();
    let srt = dir.path().join("c.srt");
    std::fs::write(&srt, "1\n00:00:00,200 --> 00:00:01,800\nHELLO THERE\n").unwrap();
    let ass = dir.path().join("c.ass");
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
    let fonts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/fonts");
    let fields = |f: &[&str]| f.iter().flat_map(|a| a.bytes().chain([0])).collect::<Vec<u8>>();
    for (described, expect_json, expect_input) in [
        (talk_mp4(), true, "input opened ahead"),
        (dir.path().join("missing.mp4"), false, "input opened for the job"),
    ] {
        let out = dir.path().join("out.mp4");
        let mut child = Command::new(env!("CARGO_BIN_EXE_cofee"))
            .args(["burn-frames", "--job-on-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(&fields(&["--describe-input", described.to_str().unwrap(), "mov,matroska"]))
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut answer = Vec::new();
        stdout.read_until(0, &mut answer).unwrap();
        assert_eq!(answer.pop(), Some(0), "the answer ends in a NUL");
        if expect_json {
            let json: serde_json::Value = serde_json::from_slice(&answer).unwrap();
            assert_eq!(json["format"]["format_name"], "mov,mp4,m4a,3gp,3g2,mj2");
            assert_eq!(json["streams"][0]["codec_name"], "h264");
            assert_eq!(
                (json["streams"][0]["width"].as_u64(), json["streams"][0]["height"].as_u64()),
                (Some(1080), Some(1920))
            );
            assert_eq!(json["streams"][1]["codec_type"], "audio");
        } else {
            assert!(answer.is_empty(), "no description of a file that is not there");
        }
        let input = talk_mp4();
        stdin
            .write_all(&fields(&[
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
            ]))
            .unwrap();
        drop(stdin);
        let mut progress = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut progress).unwrap();
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            progress.contains("progress=end"),
            "FFmpeg-style progress follows on stdout: {progress}"
        );
        assert!(stderr(&o).contains(expect_input), "{}", stderr(&o));
        let secs = probe_duration(&out);
        assert!((1.9..2.2).contains(&secs), "{secs}");
        assert!(
            half_difference(&talk_mp4(), &out, 1.0, Half::Bottom) > 1.5,
            "the captions are drawn"
        );
    }
}

/// `cofee caption --captions`: the compositor started ahead describes the input and renders from
/// it; ffprobe is not started at all.
#[test]
fn caption_with_given_captions_runs_no_ffprobe() {
    let dir = tempfile::tempdir().unwrap();
    let clip = talk_cut(dir.path(), 2);
    let (o, out) =
        caption_logged(dir.path(), &clip, "1\n00:00:00,200 --> 00:00:01,800\nHELLO THERE\n");
    assert!(o.status.success(), "{}", stderr(&o));
    let log = stderr(&o);
    assert!(log.contains("input opened ahead"), "{log}");
    let spawned = |tool: &str| log.lines().any(|l| l.contains("spawning") && l.contains(tool));
    assert!(spawned("burn-frames") && !spawned("ffprobe"), "{log}");
    assert!(half_difference(&clip, &out, 1.0, Half::Bottom) > 1.5, "the captions are drawn");
}
