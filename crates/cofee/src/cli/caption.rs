use std::path::{Path, PathBuf};

use clap::Args;
use cofee_core::Style;
use cofee_core::formats::decode::{Encoding, encoding_for_label};
use cofee_media::X264Preset;
use cofee_pipeline::{CaptionJob, CaptionsFile, Exports, WordSource};
use tokio_util::sync::CancellationToken;

use super::progress::TerminalProgress;
use super::{CliError, CliResult, EngineArgs, LimitArgs, RenderArgs};

#[derive(Args)]
pub struct CaptionArgs {
    /// The video to caption.
    pub input: PathBuf,
    /// Where to write the captioned MP4.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Use these captions (SRT, WebVTT or Cofee JSON) instead of recognising speech.
    #[arg(long)]
    pub captions: Option<PathBuf>,
    /// The captions file's encoding (`windows-1252`, `cp1251`, `gb2312`, …: the labels browsers
    /// know), for a file whose detected encoding is wrong; `--language` guides detection.
    #[arg(long, requires = "captions", value_parser = encoding_label)]
    pub captions_encoding: Option<&'static Encoding>,
    /// Style preset (see `cofee styles`).
    #[arg(long, default_value = "clean", conflicts_with = "style_file")]
    pub style: String,
    /// Style file (JSON; may name a `base` preset and override some fields).
    #[arg(long)]
    pub style_file: Option<PathBuf>,
    /// Extra words to emphasise (repeatable).
    #[arg(long = "emphasize", value_name = "WORD")]
    pub emphasize: Vec<String>,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Spoken language (ISO 639-1, e.g. `en`); default: detect where the engine can.
    #[arg(long)]
    pub language: Option<String>,
    /// Also write SubRip captions here.
    #[arg(long)]
    pub srt: Option<PathBuf>,
    /// Also write WebVTT captions (with word timestamps) here.
    #[arg(long)]
    pub vtt: Option<PathBuf>,
    /// Also write the ASS script that was burned in here.
    #[arg(long)]
    pub ass: Option<PathBuf>,
    /// Also write word-level JSON (text, start, end, confidence) here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Also write the plain transcript here.
    #[arg(long)]
    pub txt: Option<PathBuf>,
    /// x264 preset: ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow.
    #[arg(long, default_value = "veryfast")]
    pub preset: X264Preset,
    /// x264 constant rate factor (0–51, lower is better quality).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u8).range(0..=51))]
    pub crf: u8,
    /// Encoder threads (default: FFmpeg's choice).
    #[arg(long)]
    pub threads: Option<u32>,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub render: RenderArgs,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

fn encoding_label(label: &str) -> Result<&'static Encoding, String> {
    encoding_for_label(label).ok_or_else(|| {
        format!("no encoding is called {label:?}: name one as browsers do (windows-1252, cp1251, gb2312, utf-16le, …)")
    })
}

pub fn load_style(
    name: &str,
    file: Option<&Path>,
    emphasize: &[String],
) -> Result<Style, CliError> {
    let mut style = match file {
        Some(f) => {
            let json = std::fs::read_to_string(f).map_err(|e| {
                CliError::bad_input(format!("cannot read style file {}: {e}", f.display()))
            })?;
            Style::from_json(&json)
                .map_err(|e| CliError::bad_input(format!("{}: {e}", f.display())))?
        }
        None => cofee_core::style::preset(name).map_err(|e| {
            CliError::bad_input(e.to_string()).with_hint("`cofee styles` lists the presets")
        })?,
    };
    style.emphasis.keywords.extend(emphasize.iter().cloned());
    Ok(style)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

pub async fn run(args: CaptionArgs) -> CliResult {
    let style = load_style(&args.style, args.style_file.as_deref(), &args.emphasize)?;
    let outputs = [
        Some(&args.output),
        args.srt.as_ref(),
        args.vtt.as_ref(),
        args.ass.as_ref(),
        args.json.as_ref(),
        args.txt.as_ref(),
    ];
    if outputs.iter().flatten().any(|o| same_file(o, &args.input)) {
        return Err(CliError::bad_input(
            "an output path is the input file; choose another output name",
        ));
    }
    let progress = TerminalProgress::new(args.quiet);
    let words = match args.captions {
        Some(path) => WordSource::CaptionsFile(CaptionsFile {
            path,
            encoding: args.captions_encoding,
            language: args.language.clone(),
        }),
        None => {
            let (spec, note) = args.engine.resolve();
            if let Some(n) = note {
                progress.note(&format!("note: {n}"));
            }
            WordSource::Engine { spec, language: args.language.clone() }
        }
    };
    let job = CaptionJob {
        input: args.input,
        output: args.output,
        words,
        style,
        exports: Exports {
            srt: args.srt,
            vtt: args.vtt,
            ass: args.ass,
            json: args.json,
            txt: args.txt,
        },
        preset: args.preset,
        crf: args.crf,
        threads: args.threads,
        limits: args.limits.limits(),
        compositor: args.render.compositor(),
    };
    let cancel = cancel_on_ctrl_c();
    cofee_pipeline::caption(&job, &progress, &cancel)
        .await
        .map_err(|e| interrupted(&cancel).unwrap_or_else(|| e.into()))?;
    Ok(())
}

/// A token cancelled by Ctrl-C, so child processes are killed and partial outputs removed.
pub fn cancel_on_ctrl_c() -> CancellationToken {
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            c.cancel();
        }
    });
    cancel
}

pub fn interrupted(cancel: &CancellationToken) -> Option<CliError> {
    cancel.is_cancelled().then(|| CliError::internal("interrupted; nothing was written"))
}
