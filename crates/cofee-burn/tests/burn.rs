//! The compositor on real media: FFmpeg makes the input and decodes the outputs, and the
//! picture is compared with what FFmpeg's own `ass` filter draws from the same document.

use std::path::{Path, PathBuf};
use std::process::Command;

use cofee_burn::{BurnError, BurnJob, burn};

const W: usize = 360;
const H: usize = 640;

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success(), "ffmpeg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn fonts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/fonts")
}

/// 4 s of moving test pattern with a tone, H.264 with B-frames (so decoded frames stay
/// referenced) + AAC in MP4.
fn clip(dir: &Path, pix_fmt: &str) -> PathBuf {
    let path = dir.join(format!("clip-{pix_fmt}.mp4"));
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("testsrc2=s={W}x{H}:r=25"),
        "-f",
        "lavfi",
        "-i",
        "sine=f=440:r=48000",
        "-t",
        "4",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-bf",
        "3",
        "-pix_fmt",
        pix_fmt,
        "-c:a",
        "aac",
        "-b:a",
        "96k",
        path.to_str().unwrap(),
    ]);
    path
}

/// White bold text on a red box from 1.0 s to 2.5 s, a "pop" (scale animation) at its start.
fn document() -> String {
    format!(
        "[Script Info]\nScriptType: v4.00+\nPlayResX: {W}\nPlayResY: {H}\nScaledBorderAndShadow: yes\nYCbCr Matrix: None\n\n\
         [V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n\
         Style: Default,Inter,48,&H00FFFFFF,&H00FFFFFF,&H000000FF,&H80000000,-1,0,0,0,100,100,0,0,3,6,0,2,20,20,80,1\n\n\
         [Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n\
         Dialogue: 0,0:00:01.00,0:00:02.50,Default,,0,0,0,,{{\\fscx80\\fscy80\\t(0,200,\\fscx100\\fscy100)}}HELLO WORLD\n"
    )
}

fn job<'a>(input: &'a Path, ass: &'a str, fonts: &'a Path, output: &'a Path) -> BurnJob<'a> {
    BurnJob {
        input,
        demuxer: "mov",
        video_stream: 0,
        audio_stream: Some(1),
        ass,
        fonts_dir: fonts,
        output,
        preset: "ultrafast",
        crf: 12,
        threads: None,
        max_secs: 5.0,
        span: None,
    }
}

/// One frame at `t` seconds as RGB.
fn frame_at(video: &Path, t: f64) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-ss",
            &format!("{t}"),
            "-i",
            video.to_str().unwrap(),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stdout.len() == W * H * 3,
        "decoding {}: {}",
        video.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Mean absolute difference over the bottom third (where the caption sits).
fn caption_area_difference(a: &[u8], b: &[u8]) -> f64 {
    let start = W * 3 * (H * 2 / 3);
    let sum: u64 = a[start..].iter().zip(&b[start..]).map(|(x, y)| u64::from(x.abs_diff(*y))).sum();
    sum as f64 / (a.len() - start) as f64
}

fn probe(path: &Path, entries: &str) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", entries, "-of", "csv=p=0", path.to_str().unwrap()])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn draws_what_the_ffmpeg_filter_draws_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let input = clip(dir.path(), "yuv420p");
    let ass = document();
    let fonts = fonts_dir();
    let ours = dir.path().join("ours.mp4");
    let mut reports = 0;
    let stats = burn(&job(&input, &ass, &fonts, &ours), None, |_| reports += 1).unwrap();
    assert_eq!(stats.frames, 100, "{stats:?}");
    assert!(reports >= 1);
    // 1.0–2.5 s at 25 fps: 37 or 38 frames carry the caption; the pop changes it on several.
    assert!((37..=38).contains(&stats.captioned_frames), "{stats:?}");
    assert!(stats.layer_changes >= 3, "{stats:?}");

    // Same streams, frame count and duration; the audio is the input's, copied.
    assert_eq!(probe(&ours, "stream=codec_name"), "h264\naac");
    assert_eq!(probe(&ours, "stream=nb_frames").lines().next(), Some("100"));
    let duration: f64 = probe(&ours, "format=duration").parse().unwrap();
    assert!((duration - 4.0).abs() < 0.1, "{duration}");

    let filter = dir.path().join("filter.mp4");
    let ass_path = dir.path().join("c.ass");
    std::fs::write(&ass_path, &ass).unwrap();
    ffmpeg(&[
        "-i",
        input.to_str().unwrap(),
        "-vf",
        &format!("ass={}:fontsdir={}", ass_path.display(), fonts.display()),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-crf",
        "12",
        "-c:a",
        "copy",
        filter.to_str().unwrap(),
    ]);

    for t in [1.6, 2.2] {
        let (o, f, i) = (frame_at(&ours, t), frame_at(&filter, t), frame_at(&input, t));
        let drawn = caption_area_difference(&o, &i);
        let versus_filter = caption_area_difference(&o, &f);
        eprintln!(
            "at {t}s: captions change the area by {drawn:.2}, ours vs the filter {versus_filter:.2}"
        );
        assert!(drawn > 10.0, "the caption is drawn at {t}s: {drawn}");
        assert!(
            versus_filter < 1.0,
            "at {t}s ours differs from the filter's by {versus_filter} (captions add {drawn})"
        );
    }
    for t in [0.5, 3.2] {
        let d = caption_area_difference(&frame_at(&ours, t), &frame_at(&input, t));
        assert!(d < 2.0, "nothing drawn at {t}s: {d}");
    }
}

#[test]
fn inputs_it_does_not_handle_are_refused_as_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let input = clip(dir.path(), "yuv444p");
    let ass = document();
    let fonts = fonts_dir();
    let out = dir.path().join("out.mp4");
    let err = burn(&job(&input, &ass, &fonts, &out), None, |_| {}).unwrap_err();
    assert!(matches!(err, BurnError::Unsupported(_)), "{err}");
    let err = burn(&BurnJob { video_stream: 1, ..job(&input, &ass, &fonts, &out) }, None, |_| {})
        .unwrap_err();
    assert!(err.to_string().contains("not a video stream"), "{err}");
}

#[test]
fn broken_input_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let input = clip(dir.path(), "yuv420p");
    let bytes = std::fs::read(&input).unwrap();
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let ass = document();
    let fonts = fonts_dir();
    let err =
        burn(&job(&cut, &ass, &fonts, &dir.path().join("out.mp4")), None, |_| {}).unwrap_err();
    assert!(matches!(err, BurnError::Ffmpeg { .. }), "{err}");
    let err = burn(
        &job(&dir.path().join("missing.mp4"), &ass, &fonts, &dir.path().join("o.mp4")),
        None,
        |_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("opening the input"), "{err}");
}

/// An emoji on a word is drawn by the compositor in the emoji's own colours, above the page and
/// from the moment its word is spoken — from the same ASS document the preview draws.
#[test]
fn an_emoji_on_a_word_is_drawn_in_its_colours_above_the_page() {
    use cofee_core::{AssDocument, Transcript, VideoSize, Word};
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("gray.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("color=c=0x404040:s={W}x{H}:r=25"),
        "-t",
        "3",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-pix_fmt",
        "yuv420p",
        input.to_str().unwrap(),
    ]);
    let mut words =
        vec![Word::new("This", 200, 600), Word::new("is", 600, 900), Word::new("fire", 1400, 2000)];
    words[2].emoji = Some("🔥".into());
    let style = cofee_core::style::preset("clean").unwrap();
    let doc = AssDocument::build(
        &Transcript::new(None, words),
        &style,
        VideoSize { width: W as u32, height: H as u32 },
    );
    assert_eq!(doc.layout.pages.len(), 1, "{:?}", doc.layout.pages);
    let ass = doc.to_ass();
    let ours = dir.path().join("ours.mp4");
    let fonts = fonts_dir();
    let job = BurnJob { audio_stream: None, max_secs: 4.0, ..job(&input, &ass, &fonts, &ours) };
    burn(&job, None, |_| {}).unwrap();

    // Fire's two colours (#F4900C, #FFCC4D), within encoder noise, and where they are.
    let fire = |frame: &[u8]| {
        let (mut n, mut top, mut bottom) = (0, H, 0);
        for (i, px) in frame.chunks(3).enumerate() {
            let near = |r: i32, g: i32, b: i32| {
                (i32::from(px[0]) - r).abs()
                    + (i32::from(px[1]) - g).abs()
                    + (i32::from(px[2]) - b).abs()
                    < 60
            };
            if near(0xF4, 0x90, 0x0C) || near(0xFF, 0xCC, 0x4D) {
                n += 1;
                top = top.min(i / W);
                bottom = bottom.max(i / W);
            }
        }
        (n, top, bottom)
    };
    let (before, _, _) = fire(&frame_at(&ours, 1.0));
    assert_eq!(before, 0, "no emoji before its word is spoken");
    let (during, top, bottom) = fire(&frame_at(&ours, 1.7));
    if let Ok(keep) = std::env::var("COFEE_KEEP_FRAME") {
        ffmpeg(&["-ss", "1.7", "-i", ours.to_str().unwrap(), "-frames:v", "1", &keep]);
    }
    // The emoji is 1.6 em of `clean`'s font (4.2 % of 640 px): 43 px a side, the flame about
    // half of that square.
    assert!(during > 500, "the emoji is drawn in its colours: {during} pixels");
    let text_top = H
        - (style.margin_v / 100.0 * H as f32) as usize
        - (style.font_size / 100.0 * H as f32) as usize;
    assert!(
        bottom < text_top,
        "above the page's text (ends at row {bottom}, text from {text_top})"
    );
    assert!(top > H / 2, "just above it, not at the top (from row {top})");
    let (after, _, _) = fire(&frame_at(&ours, 2.6));
    assert_eq!(after, 0, "gone with the page");
}
