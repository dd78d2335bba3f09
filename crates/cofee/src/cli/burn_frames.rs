//! `cofee burn-frames`: the compositor child process `cofee-media` starts for a render (or for
//! one chunk of it), and `cofee burn-join`, which puts a chunked render's pieces together. Hidden
//! from help; their interface is internal. Progress goes to stdout in FFmpeg's `-progress` form so
//! one parser reads both renderers.

use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use cofee_burn::{BurnError, BurnJob, ChunkFile, JoinJob, OpenInput, Span};

/// Exit status meaning "not for this compositor": the caller falls back to FFmpeg's filter.
pub const EXIT_UNSUPPORTED: u8 = 3;

/// For a compositor started ahead of its job (`cofee burn-frames --job-on-stdin`, see
/// `cofee_media::CompositorStandby`): the command line with the job's arguments from stdin in
/// place of the flag, and the input if it was asked to open and describe it first. Other
/// command lines pass unchanged.
pub fn job_from_stdin(args: Vec<OsString>) -> std::io::Result<(Vec<OsString>, Option<OpenInput>)> {
    if args.len() != 3 || args[1] != "burn-frames" || args[2] != cofee_media::JOB_ON_STDIN {
        return Ok((args, None));
    }
    let mut stdin = std::io::stdin().lock();
    let mut opened = None;
    let mut first = field(&mut stdin)?;
    if first.as_deref() == Some(cofee_media::DESCRIBE_INPUT.as_bytes()) {
        opened = describe_input(&mut stdin)?;
        first = field(&mut stdin)?;
    }
    let mut job = Vec::new();
    while let Some(f) = first {
        job.push(OsString::from_vec(f));
        first = field(&mut stdin)?;
    }
    if job.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "no job arrived on stdin",
        ));
    }
    Ok((args[..1].iter().cloned().chain(job).collect(), opened))
}

/// Answers a request to describe the input (its fields after `DESCRIBE_INPUT`: the path and the
/// allowed demuxers) on stdout: the description and a NUL, or only the NUL when the input cannot
/// be opened (the caller then asks ffprobe, which says why).
fn describe_input(stdin: &mut impl BufRead) -> std::io::Result<Option<OpenInput>> {
    let missing = || {
        std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "an incomplete request to describe the input",
        )
    };
    let path = PathBuf::from(OsString::from_vec(field(stdin)?.ok_or_else(missing)?));
    let allowed = String::from_utf8_lossy(&field(stdin)?.ok_or_else(missing)?).into_owned();
    let mut stdout = std::io::stdout().lock();
    let opened = match cofee_burn::open_and_describe(&path, &allowed) {
        Ok((input, description)) => {
            stdout.write_all(description.as_bytes())?;
            Some(input)
        }
        Err(e) => {
            eprintln!("describing {}: {e}", path.display());
            None
        }
    };
    stdout.write_all(&[0])?;
    stdout.flush()?;
    Ok(opened)
}

/// The next NUL-terminated field (a last one may lack the NUL); `None` at the end of input.
fn field(r: &mut impl BufRead) -> std::io::Result<Option<Vec<u8>>> {
    let mut f = Vec::new();
    if r.read_until(0, &mut f)? == 0 {
        return Ok(None);
    }
    if f.last() == Some(&0) {
        f.pop();
    }
    Ok(Some(f))
}

#[derive(Args)]
pub struct BurnFramesArgs {
    #[arg(long)]
    input: PathBuf,
    #[arg(long)]
    demuxer: String,
    #[arg(long)]
    video_stream: usize,
    #[arg(long)]
    audio_stream: Option<usize>,
    /// The ASS document to draw.
    #[arg(long)]
    ass: PathBuf,
    #[arg(long)]
    fonts_dir: PathBuf,
    #[arg(long)]
    output: PathBuf,
    #[arg(long)]
    preset: String,
    #[arg(long)]
    crf: u8,
    #[arg(long)]
    threads: Option<u32>,
    #[arg(long)]
    max_secs: f64,
    /// Only the frames from this keyframe's timestamp (the video stream's time base) on: one
    /// chunk of a render split across workers, written as MP4 without audio.
    #[arg(long)]
    from_pts: Option<i64>,
    /// With `--from-pts`: up to, not including, this keyframe's.
    #[arg(long, requires = "from_pts")]
    to_pts: Option<i64>,
}

/// Runs the job, reading from `opened` when it is the job's input.
pub fn run(args: BurnFramesArgs, opened: Option<OpenInput>) -> ExitCode {
    let ass = match std::fs::read_to_string(&args.ass) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: reading {}: {e}", args.ass.display());
            return ExitCode::FAILURE;
        }
    };
    let job = BurnJob {
        input: &args.input,
        demuxer: &args.demuxer,
        video_stream: args.video_stream,
        audio_stream: args.audio_stream,
        ass: &ass,
        fonts_dir: &args.fonts_dir,
        output: &args.output,
        preset: &args.preset,
        crf: args.crf,
        threads: args.threads,
        max_secs: args.max_secs,
        span: args.from_pts.map(|from_pts| Span { from_pts, to_pts: args.to_pts }),
    };
    let started = Instant::now();
    let mut stdout = std::io::stdout().lock();
    let result = cofee_burn::burn(&job, opened, |p| {
        let fps = p.frame as f64 / started.elapsed().as_secs_f64().max(1e-3);
        // A closed pipe means the parent is gone; the render is then killed with it anyway.
        let _ =
            stdout.write_all(p.ffmpeg_progress_block(fps).as_bytes()).and_then(|()| stdout.flush());
    });
    match result {
        Ok(stats) => {
            let input = if stats.opened_ahead { "opened ahead" } else { "opened for the job" };
            eprintln!(
                "burn-frames: {} frames, {} captioned, {} copied, {} libass renders, {} layer changes, input {input}, {:.2?}",
                stats.frames,
                stats.captioned_frames,
                stats.copied_frames,
                stats.ass_renders,
                stats.layer_changes,
                stats.elapsed
            );
            ExitCode::SUCCESS
        }
        Err(e @ BurnError::Unsupported(_)) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_UNSUPPORTED)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Args)]
pub struct BurnJoinArgs {
    /// The input the chunks were cut from (its audio is copied once).
    #[arg(long)]
    input: PathBuf,
    #[arg(long)]
    demuxer: String,
    #[arg(long)]
    video_stream: usize,
    #[arg(long)]
    audio_stream: Option<usize>,
    /// A chunk, `FROM_PTS:PATH`, in order; given once per chunk.
    #[arg(long = "chunk", required = true, value_parser = chunk_arg)]
    chunks: Vec<(i64, PathBuf)>,
    #[arg(long)]
    output: PathBuf,
    #[arg(long)]
    max_secs: f64,
}

fn chunk_arg(s: &str) -> Result<(i64, PathBuf), String> {
    let (pts, path) = s.split_once(':').ok_or("expected FROM_PTS:PATH")?;
    Ok((pts.parse().map_err(|e| format!("{pts:?}: {e}"))?, PathBuf::from(path)))
}

/// Joins the chunks, with progress on stdout as `burn-frames` gives it.
pub fn join(args: BurnJoinArgs) -> ExitCode {
    let chunks: Vec<ChunkFile<'_>> = args
        .chunks
        .iter()
        .map(|(from_pts, path)| ChunkFile { path, from_pts: *from_pts })
        .collect();
    let job = JoinJob {
        chunks: &chunks,
        input: &args.input,
        demuxer: &args.demuxer,
        video_stream: args.video_stream,
        audio_stream: args.audio_stream,
        output: &args.output,
        max_secs: args.max_secs,
    };
    let started = Instant::now();
    let mut stdout = std::io::stdout().lock();
    let result = cofee_burn::join(&job, |p| {
        let fps = p.frame as f64 / started.elapsed().as_secs_f64().max(1e-3);
        let _ =
            stdout.write_all(p.ffmpeg_progress_block(fps).as_bytes()).and_then(|()| stdout.flush());
    });
    match result {
        Ok(stats) => {
            eprintln!(
                "burn-join: {} chunks, {} frames, {:.3} s, {:.2?}",
                chunks.len(),
                stats.frames,
                stats.out_time_secs,
                started.elapsed()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
