//! `cofee burn-frames`: the compositor child process `cofee-media` starts for a render. Hidden
//! from help; its interface is internal. Progress goes to stdout in FFmpeg's `-progress` form so
//! one parser reads both renderers.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use cofee_burn::{BurnError, BurnJob};

/// Exit status meaning "not for this compositor": the caller falls back to FFmpeg's filter.
pub const EXIT_UNSUPPORTED: u8 = 3;

/// For a compositor started ahead of its job (`cofee burn-frames --job-on-stdin`, see
/// `cofee_media::CompositorStandby`): the command line with the arguments read from stdin
/// (NUL-separated, so any path passes) in place of the flag. Other command lines pass unchanged.
pub fn job_from_stdin(args: Vec<OsString>) -> std::io::Result<Vec<OsString>> {
    if args.len() != 3 || args[1] != "burn-frames" || args[2] != cofee_media::JOB_ON_STDIN {
        return Ok(args);
    }
    let mut job = Vec::new();
    std::io::stdin().lock().read_to_end(&mut job)?;
    if job.is_empty() {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no job arrived on stdin"));
    }
    let given = job.strip_suffix(&[0]).unwrap_or(&job).split(|&b| b == 0).map(|a| OsString::from_vec(a.to_vec()));
    Ok(args[..1].iter().cloned().chain(given).collect())
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
}

pub fn run(args: BurnFramesArgs) -> ExitCode {
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
    };
    let started = Instant::now();
    let mut stdout = std::io::stdout().lock();
    let result = cofee_burn::burn(&job, |p| {
        let fps = p.frame as f64 / started.elapsed().as_secs_f64().max(1e-3);
        // A closed pipe means the parent is gone; the render is then killed with it anyway.
        let _ = stdout.write_all(p.ffmpeg_progress_block(fps).as_bytes()).and_then(|()| stdout.flush());
    });
    match result {
        Ok(stats) => {
            eprintln!("burn-frames: {} frames, {} captioned, {} copied, {} libass renders, {} layer changes, {:.2?}", stats.frames, stats.captioned_frames, stats.copied_frames, stats.ass_renders, stats.layer_changes, stats.elapsed);
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
