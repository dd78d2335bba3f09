use cofee_core::StyleError;
use cofee_core::formats::CaptionsError;
use cofee_core::waveform::WaveformError;
use cofee_media::MediaError;
use cofee_speech::SpeechError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum PipelineError {
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error(transparent)]
    Speech(#[from] SpeechError),
    #[error(transparent)]
    Style(#[from] StyleError),
    #[error(transparent)]
    Waveform(#[from] WaveformError),
    #[error("{path}: {source}")]
    Captions { path: String, source: CaptionsError },
    #[error("{path}: {detail}")]
    Input { path: String, detail: String },
    #[error("cannot write {path}: {source}")]
    Output { path: String, source: std::io::Error },
}

impl PipelineError {
    /// Whether the user's input or request is at fault (exit code 2) rather than Cofee or the
    /// machine (exit code 1).
    pub fn is_bad_input(&self) -> bool {
        match self {
            Self::Media(e) => e.is_bad_input(),
            Self::Speech(e) => e.is_bad_input(),
            Self::Style(_) | Self::Captions { .. } | Self::Input { .. } => true,
            // Cofee chose the waveform's resolution, not the user.
            Self::Output { .. } | Self::Waveform(_) => false,
        }
    }
}
