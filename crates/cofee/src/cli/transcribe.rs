use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use cofee_core::formats::{self, CaptionFormat};
use cofee_core::{AssDocument, VideoSize};
use cofee_pipeline::{Silent, write_atomically};

use super::caption::{cancel_on_ctrl_c, interrupted, load_style};
use super::progress::TerminalProgress;
use super::{CliError, CliResult, EngineArgs, LimitArgs};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Srt,
    Vtt,
    Ass,
    Json,
    Txt,
}

#[derive(Args)]
pub struct TranscribeArgs {
    /// The audio or video file.
    pub input: PathBuf,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Spoken language (ISO 639-1, e.g. `en`); default: detect where the engine can.
    #[arg(long)]
    pub language: Option<String>,
    /// Output format [default: from the output file's extension, else srt].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Output file [default: standard output].
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Style for `--format ass`.
    #[arg(long, default_value = "clean")]
    pub style: String,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

pub async fn run(args: TranscribeArgs) -> CliResult {
    let format = args
        .format
        .or_else(|| {
            let ext = args.output.as_ref()?.extension()?.to_str()?;
            Some(match CaptionFormat::from_extension(ext)? {
                CaptionFormat::Srt => Format::Srt,
                CaptionFormat::Vtt => Format::Vtt,
                CaptionFormat::Ass => Format::Ass,
                CaptionFormat::Json => Format::Json,
                CaptionFormat::Txt => Format::Txt,
            })
        })
        .unwrap_or(Format::Srt);
    let style = load_style(&args.style, None, &[])?;
    let progress = TerminalProgress::new(args.quiet);
    let (spec, note) = args.engine.resolve();
    if let Some(n) = note {
        progress.note(&format!("note: {n}"));
    }
    let limits = args.limits.limits();
    let cancel = cancel_on_ctrl_c();
    let fail = |e: cofee_pipeline::PipelineError| interrupted(&cancel).unwrap_or_else(|| e.into());
    let info =
        cofee_pipeline::probe(&args.input, &limits, None, &Silent, &cancel).await.map_err(fail)?;
    let t = cofee_pipeline::transcribe(
        &info,
        &spec,
        args.language.clone(),
        &limits,
        &progress,
        &cancel,
    )
    .await
    .map_err(fail)?;
    let text = match format {
        Format::Srt => formats::srt::write(&formats::cues(&t)),
        Format::Vtt => formats::vtt::write_transcript(&t),
        Format::Json => formats::json::write(&t),
        Format::Txt => formats::txt::write(&t),
        Format::Ass => {
            let size = info.video.as_ref().map_or(VideoSize { width: 1920, height: 1080 }, |v| {
                VideoSize { width: v.width, height: v.height }
            });
            AssDocument::build(&t, &style, size).to_ass()
        }
    };
    match &args.output {
        Some(p) => write_atomically(p, text.as_bytes())?,
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(|e| CliError::internal(format!("writing to standard output: {e}")))?,
    }
    Ok(())
}
