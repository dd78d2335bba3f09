//! A render split into chunks at the input's keyframes and joined again is the one-piece render:
//! the same frames at the same times, the same audio packets, and pictures that differ only by
//! encoder noise — also at the joins, where a caption's animation runs across the cut.

use std::path::{Path, PathBuf};
use std::process::Command;

use cofee_burn::{BurnJob, ChunkFile, JoinJob, Span, burn, join};

const W: usize = 320;
const H: usize = 568;
const FPS: usize = 25;

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success(), "ffmpeg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn ffprobe(path: &Path, args: &[&str]) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error"])
        .args(args)
        .args(["-of", "csv=p=0", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn fonts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/fonts")
}

/// 6 s of moving pattern with a tone, a keyframe every second, B-frames; `open_gop` makes the
/// frames after each keyframe (in decoding order) reference the GOP before it.
fn clip(dir: &Path, open_gop: bool) -> PathBuf {
    let path = dir.join(format!("clip-{open_gop}.mp4"));
    let x264 = format!("keyint={FPS}:min-keyint={FPS}:scenecut=0:open-gop={}", u8::from(open_gop));
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("testsrc2=s={W}x{H}:r={FPS}"),
        "-f",
        "lavfi",
        "-i",
        "sine=f=330:r=44100",
        "-t",
        "6",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-bf",
        "3",
        "-x264-params",
        &x264,
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "96k",
        path.to_str().unwrap(),
    ]);
    path
}

/// A caption from 1.5 s to 2.7 s growing for a whole second (across the cut at 2 s), and one
/// from 3.7 s to 4.4 s (across the cut at 4 s).
fn document() -> String {
    format!(
        "[Script Info]\nScriptType: v4.00+\nPlayResX: {W}\nPlayResY: {H}\nScaledBorderAndShadow: yes\nYCbCr Matrix: None\n\n\
         [V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n\
         Style: Default,Inter,44,&H00FFFFFF,&H00FFFFFF,&H00000000,&H80000000,-1,0,0,0,100,100,0,0,1,4,0,2,20,20,80,1\n\n\
         [Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n\
         Dialogue: 0,0:00:01.50,0:00:02.70,Default,,0,0,0,,{{\\fscx50\\fscy50\\t(0,1000,\\fscx120\\fscy120)}}ACROSS THE CUT\n\
         Dialogue: 0,0:00:03.70,0:00:04.40,Default,,0,0,0,,{{\\frz-10\\t(0,700,\\frz10)}}AND AGAIN\n"
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
        // B-frames: decoding order differs from showing order in the chunks too.
        preset: "veryfast",
        crf: 16,
        threads: Some(2),
        max_secs: 7.0,
        span: None,
    }
}

/// The video's keyframes' timestamps, in its time base, in presentation order.
fn keyframes(path: &Path) -> Vec<i64> {
    let listing = ffprobe(path, &["-select_streams", "v:0", "-show_entries", "packet=pts,flags"]);
    let mut keys: Vec<i64> = listing
        .lines()
        .filter_map(|l| l.split_once(','))
        .filter(|(_, flags)| flags.contains('K'))
        .map(|(pts, _)| pts.parse().unwrap())
        .collect();
    keys.sort_unstable();
    keys
}

/// Renders `input` in chunks cut at `cuts` (keyframe timestamps after the first) and joins them.
fn chunked(dir: &Path, input: &Path, ass: &str, cuts: &[i64], output: &Path) {
    let fonts = fonts_dir();
    let starts: Vec<i64> =
        std::iter::once(keyframes(input)[0]).chain(cuts.iter().copied()).collect();
    let paths: Vec<PathBuf> =
        (0..starts.len()).map(|i| dir.join(format!("chunk-{i}.mp4"))).collect();
    for (i, path) in paths.iter().enumerate() {
        let span = Span { from_pts: starts[i], to_pts: starts.get(i + 1).copied() };
        let chunk =
            BurnJob { audio_stream: None, span: Some(span), ..job(input, ass, &fonts, path) };
        let stats = burn(&chunk, None, |_| {}).unwrap();
        assert!(stats.frames > 0, "chunk {i}: {stats:?}");
    }
    let files: Vec<ChunkFile<'_>> =
        paths.iter().zip(&starts).map(|(path, &from_pts)| ChunkFile { path, from_pts }).collect();
    let joined = JoinJob {
        chunks: &files,
        input,
        demuxer: "mov",
        video_stream: 0,
        audio_stream: Some(1),
        output,
        max_secs: 7.0,
    };
    let stats = join(&joined, |_| {}).unwrap();
    assert_eq!(stats.frames, (6 * FPS) as u64, "{stats:?}");
}

/// Every frame as gray (luma) bytes.
fn frames(video: &Path) -> Vec<Vec<u8>> {
    let out = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-i",
            video.to_str().unwrap(),
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout.chunks(W * H).map(<[u8]>::to_vec).collect()
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let mse: f64 =
        a.iter().zip(b).map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2)).sum::<f64>()
            / a.len() as f64;
    if mse == 0.0 { f64::INFINITY } else { 10.0 * (255.0f64.powi(2) / mse).log10() }
}

fn same_as_one_piece(open_gop: bool) {
    let dir = tempfile::tempdir().unwrap();
    let input = clip(dir.path(), open_gop);
    let keys = keyframes(&input);
    assert_eq!(keys.len(), 6, "a keyframe a second: {keys:?}");
    let ass = document();
    let fonts = fonts_dir();
    let whole = dir.path().join("whole.mp4");
    burn(&job(&input, &ass, &fonts, &whole), None, |_| {}).unwrap();
    let joined = dir.path().join("joined.mp4");
    chunked(dir.path(), &input, &ass, &[keys[2], keys[4]], &joined);

    // The same streams, frames at the same times, the same audio packets at the same times.
    let entries =
        |p: &Path, s: &str, e: &str| ffprobe(p, &["-select_streams", s, "-show_entries", e]);
    assert_eq!(
        entries(&joined, "v", "stream=codec_name,width,height,nb_frames"),
        entries(&whole, "v", "stream=codec_name,width,height,nb_frames")
    );
    let shown = |p: &Path| {
        let mut pts: Vec<i64> =
            entries(p, "v", "packet=pts").lines().map(|l| l.parse().unwrap()).collect();
        pts.sort_unstable();
        pts
    };
    assert_eq!(shown(&joined), shown(&whole), "every frame at the one-piece render's time");
    assert_eq!(
        entries(&joined, "a", "packet=pts,duration,size"),
        entries(&whole, "a", "packet=pts,duration,size"),
        "the audio copied once, in sync"
    );
    assert_eq!(
        ffprobe(&joined, &["-show_entries", "format=duration"]),
        ffprobe(&whole, &["-show_entries", "format=duration"])
    );

    // Pictures: within encoder noise everywhere, at the joins too.
    let (a, b) = (frames(&whole), frames(&joined));
    assert_eq!(a.len(), 6 * FPS);
    assert_eq!(a.len(), b.len());
    let scores: Vec<f64> = a.iter().zip(&b).map(|(x, y)| psnr(x, y)).collect();
    let worst = scores.iter().copied().fold(f64::INFINITY, f64::min);
    for cut in [2 * FPS, 4 * FPS] {
        eprintln!(
            "open_gop={open_gop}: PSNR around the cut at frame {cut}: {:?}",
            &scores[cut - 2..cut + 2]
        );
    }
    eprintln!("open_gop={open_gop}: worst PSNR {worst:.1} dB");
    assert!(worst > 38.0, "a frame differs by more than encoder noise: {worst:.1} dB");
    // And the captions are there: a frame mid-animation differs from the input's.
    let source = frames(&input);
    let drawn = psnr(&source[2 * FPS], &b[2 * FPS]);
    assert!(drawn < 30.0, "the caption is drawn on the join's first frame ({drawn:.1} dB)");
}

#[test]
fn a_chunked_render_is_the_one_piece_render() {
    same_as_one_piece(false);
}

#[test]
fn a_chunked_render_of_open_gops_keeps_every_frame_once() {
    same_as_one_piece(true);
}
