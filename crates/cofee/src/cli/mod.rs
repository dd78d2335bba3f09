//! Command-line delivery: argument definitions and the commands they run.

pub mod api;
pub mod burn_frames;
pub mod caption;
pub mod config;
pub mod config_file;
pub mod migrate;
pub mod models;
pub mod progress;
pub mod roles;
pub mod serve;
pub mod styles;
pub mod transcribe;
pub mod worker;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use cofee_media::{Compositor, MediaLimits};
use cofee_pipeline::{EngineSpec, PipelineError};
use cofee_speech::models::ModelStore;
use cofee_worker::handlers::Chunking;

#[derive(Parser)]
#[command(
    name = "cofee",
    version,
    about = "Caption talking-head and short-form videos: transcribe, style, burn in, export."
)]
pub struct Cli {
    /// More log output (-v, -vv); `COFEE_LOG` takes a full filter.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// A file of settings (`NAME=value` lines, in the environment variables' names); the
    /// environment and flags win over it.
    #[arg(long, global = true, env = "COFEE_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Transcribe a video and burn styled captions into it.
    Caption(caption::CaptionArgs),
    /// Transcribe audio or video to SRT, WebVTT, ASS, JSON or text.
    Transcribe(transcribe::TranscribeArgs),
    /// List the caption style presets.
    Styles(styles::StylesArgs),
    /// Manage whisper.cpp models.
    Models(models::ModelsArgs),
    /// Run the whole service in one process (API, workers, web app), by default on an embedded database.
    Serve(serve::ServeArgs),
    /// Run the HTTP API and web app only (scaled-out deployments).
    Api(api::ApiArgs),
    /// Run background jobs only (scaled-out deployments), with health and metrics on their own port.
    Worker(worker::WorkerArgs),
    /// Bring the database schema up to date, once per deploy.
    Migrate(migrate::MigrateArgs),
    /// Internal: the compositor process a render runs in.
    #[command(hide = true)]
    BurnFrames(burn_frames::BurnFramesArgs),
    /// Internal: puts the chunks of a render split across workers together.
    #[command(hide = true)]
    BurnJoin(burn_frames::BurnJoinArgs),
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum EngineName {
    Sphinx,
    Whisper,
    Openai,
}

/// Options shared by every command that recognises speech.
#[derive(Args, Clone)]
pub struct EngineArgs {
    /// Speech engine [default: whisper when a model is configured or installed, else sphinx].
    #[arg(long, value_enum, env = "COFEE_ENGINE")]
    pub engine: Option<EngineName>,
    /// Whisper model file (ggml) for `--engine whisper`.
    #[arg(long, env = "COFEE_WHISPER_MODEL")]
    pub model: Option<PathBuf>,
    /// Model name for `--engine openai` [default: whisper-1].
    #[arg(long, env = "COFEE_OPENAI_MODEL")]
    pub openai_model: Option<String>,
}

/// Limits on accepted media (defaults suit 4K phone footage up to two hours).
#[derive(Args, Clone)]
pub struct LimitArgs {
    /// Longest accepted media, in seconds.
    #[arg(long, env = "COFEE_MAX_DURATION", default_value_t = 7200)]
    pub max_duration: u64,
    /// Largest accepted file, in MiB.
    #[arg(long, env = "COFEE_MAX_FILE_MIB", default_value_t = 8192)]
    pub max_file_mib: u64,
    /// Seconds an unfinished upload (resumable or direct) may sit untouched before it is
    /// deleted.
    #[arg(long, env = "COFEE_UPLOAD_EXPIRY_SECS", default_value_t = 24 * 3600)]
    pub upload_expiry_secs: u64,
}

impl LimitArgs {
    pub fn upload_expiry(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.upload_expiry_secs.max(60))
    }

    pub fn limits(&self) -> MediaLimits {
        MediaLimits {
            max_duration: std::time::Duration::from_secs(self.max_duration),
            max_bytes: self.max_file_mib << 20,
            ..MediaLimits::default()
        }
    }
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum CompositorName {
    /// Cofee's own compositor (falls back to the filter for inputs it does not handle).
    Native,
    /// FFmpeg's `ass` filter.
    Ffmpeg,
}

/// How captions are drawn into the video.
#[derive(Args, Clone)]
pub struct RenderArgs {
    /// Caption compositor for burn-in.
    #[arg(long, value_enum, env = "COFEE_COMPOSITOR", default_value = "native")]
    pub compositor: CompositorName,
}

/// How the service's workers split long renders.
#[derive(Args, Clone)]
pub struct ChunkArgs {
    /// Split renders of media longer than one and a half times this many seconds into chunks
    /// of about this length, cut at keyframes, that any worker renders (joined without
    /// re-encoding); 0 renders everything in one piece.
    #[arg(long, env = "COFEE_RENDER_CHUNK_SECS", default_value_t = 300.0)]
    pub render_chunk_secs: f64,
}

impl ChunkArgs {
    pub fn chunking(&self) -> Chunking {
        Chunking { chunk_secs: self.render_chunk_secs.max(0.0) }
    }
}

impl RenderArgs {
    pub fn compositor(&self) -> Compositor {
        match self.compositor {
            CompositorName::Native => Compositor::current_exe(),
            CompositorName::Ffmpeg => Compositor::FfmpegFilter,
        }
    }
}

/// Where Cofee keeps data: `COFEE_DATA_DIR`, else `$XDG_DATA_HOME/cofee`, else `~/.local/share/cofee`.
pub fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("COFEE_DATA_DIR") {
        return PathBuf::from(d);
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("cofee")
}

pub fn model_store() -> ModelStore {
    ModelStore::new(data_dir().join("models"))
}

impl EngineArgs {
    /// The whisper model for jobs that ask for whisper: the resolved default's, else `--model`.
    pub fn whisper_model(&self, resolved: &EngineSpec) -> Option<PathBuf> {
        match resolved {
            EngineSpec::Whisper { model } => Some(model.clone()),
            _ => self.model.clone(),
        }
    }

    /// The engine to use, and a note when a default was chosen for a reason worth saying.
    pub fn resolve(&self) -> (EngineSpec, Option<String>) {
        let whisper_built = cfg!(feature = "whisper");
        let model_path = self.model.clone();
        let installed = || model_store().preferred().map(|m| m.path);
        match self.engine {
            Some(EngineName::Sphinx) => (EngineSpec::Sphinx, None),
            Some(EngineName::Openai) => (EngineSpec::OpenAi { model: self.openai_model.clone() }, None),
            Some(EngineName::Whisper) => match model_path.or_else(installed) {
                Some(model) => (EngineSpec::Whisper { model }, None),
                None => (EngineSpec::Whisper { model: model_store().path_for("base.en") }, None),
            },
            None => match model_path.or_else(installed) {
                Some(model) if whisper_built => (EngineSpec::Whisper { model }, None),
                Some(_) => (EngineSpec::Sphinx, Some("a whisper model is available but this build has no whisper.cpp; using sphinx".into())),
                None => (EngineSpec::Sphinx, Some("no whisper model configured or installed (`cofee models pull base.en`); using sphinx".into())),
            },
        }
    }
}

/// An error ready for the terminal: what went wrong, what to do, and whose fault it is.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub hint: Option<String>,
    pub bad_input: bool,
}

impl CliError {
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self { message: message.into(), hint: None, bad_input: true }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self { message: message.into(), hint: None, bad_input: false }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl From<PipelineError> for CliError {
    fn from(e: PipelineError) -> Self {
        Self { bad_input: e.is_bad_input(), message: e.to_string(), hint: None }
    }
}

pub type CliResult = Result<(), CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn args(engine: Option<EngineName>, model: Option<&str>) -> EngineArgs {
        EngineArgs {
            engine,
            model: model.map(PathBuf::from),
            openai_model: Some("gpt-4o-transcribe".into()),
        }
    }

    #[test]
    fn explicit_engines_are_respected() {
        assert_eq!(args(Some(EngineName::Sphinx), Some("/m.bin")).resolve().0, EngineSpec::Sphinx);
        // A whisper model path (say, from COFEE_WHISPER_MODEL) is never sent to the OpenAI API as a model name.
        assert_eq!(
            args(Some(EngineName::Openai), Some("/m.bin")).resolve().0,
            EngineSpec::OpenAi { model: Some("gpt-4o-transcribe".into()) }
        );
        assert_eq!(
            args(Some(EngineName::Whisper), Some("/m.bin")).resolve().0,
            EngineSpec::Whisper { model: "/m.bin".into() }
        );
    }

    #[test]
    fn the_default_says_why_it_fell_back() {
        let (spec, note) = args(None, Some("/m.bin")).resolve();
        if cfg!(feature = "whisper") {
            assert_eq!(spec, EngineSpec::Whisper { model: "/m.bin".into() });
        } else {
            assert_eq!(spec, EngineSpec::Sphinx);
            assert!(note.unwrap().contains("no whisper.cpp"));
        }
    }
}
