//! Speech recognition behind one trait, [`SpeechEngine`]: 16 kHz mono PCM streams in, timed
//! words come out. Engines: [`sphinx`] (CMU PocketSphinx, offline, the one tests run for real),
//! [`openai`] (any OpenAI-compatible `/v1/audio/transcriptions` endpoint) and, with the
//! `whisper` feature, whisper.cpp. [`models`] fetches whisper.cpp models; [`ct2`] imports
//! faster-whisper (CTranslate2) ones.

pub mod ct2;
pub mod guard;
pub mod models;
pub mod openai;
pub mod sphinx;
pub mod wav;
#[cfg(feature = "whisper")]
pub mod whisper;

use async_trait::async_trait;
use cofee_core::Transcript;
use thiserror::Error;
use tokio::io::AsyncRead;
use tokio_util::sync::CancellationToken;

/// Signed 16-bit little-endian mono PCM at this rate.
pub const SAMPLE_RATE: u32 = 16_000;

/// Audio handed to an engine.
pub struct AudioInput {
    pub pcm: Box<dyn AsyncRead + Send + Unpin>,
    /// Length of the audio, for progress (engines do not trust it for anything else).
    pub duration_secs: f64,
}

#[derive(Debug, Clone, Default)]
pub struct TranscribeOptions {
    /// ISO 639-1 code, or `None` to let the engine detect it where it can.
    pub language: Option<String>,
}

/// Progress in `0..=1`.
pub type Progress<'a> = &'a (dyn Fn(f64) + Send + Sync);

#[derive(Debug, Error)]
pub enum SpeechError {
    #[error("the {engine} engine does not support language {language:?}; it supports: {supported}")]
    UnsupportedLanguage { engine: &'static str, language: String, supported: &'static str },
    #[error("the {engine} engine is not available: {hint}")]
    Unavailable { engine: &'static str, hint: String },
    #[error("the {engine} engine is not configured: {hint}")]
    NotConfigured { engine: &'static str, hint: String },
    #[error("the {engine} engine failed: {detail}")]
    Failed { engine: &'static str, detail: String },
    #[error("the transcription service answered {status}: {body}")]
    Api { status: u16, body: String },
    #[error("could not reach the transcription service at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    /// Text given to align that cannot be (too many tokens, too little audio).
    #[error("cannot align these words: {0}")]
    Unalignable(String),
    #[error("cancelled")]
    Cancelled,
    #[error("reading audio: {0}")]
    Audio(#[from] std::io::Error),
}

impl SpeechError {
    /// Whether the user can fix it by changing what they asked for (exit code 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Self::UnsupportedLanguage { .. } | Self::NotConfigured { .. } | Self::Unalignable(_)
        )
    }
}

#[async_trait]
pub trait SpeechEngine: Send + Sync {
    fn name(&self) -> &'static str;

    /// Transcribes the whole stream. Implementations read `audio.pcm` to its end (or until
    /// cancelled), report progress as they go, and return words in time order with times
    /// relative to the start of the stream.
    async fn transcribe(
        &self,
        audio: AudioInput,
        options: &TranscribeOptions,
        progress: Progress<'_>,
        cancel: &CancellationToken,
    ) -> Result<Transcript, SpeechError>;

    /// Times `words`, said in this order and nothing else, in `audio` (16 kHz mono, at most
    /// [`cofee_core::limits::MAX_ALIGN_MS`] long): forced alignment of text a person wrote.
    /// `Ok(None)` when the engine cannot align given text (the caller keeps its estimate).
    /// Times are relative to the start of `audio`.
    async fn align(
        &self,
        audio: &[i16],
        words: &[String],
        options: &TranscribeOptions,
        cancel: &CancellationToken,
    ) -> Result<Option<Vec<cofee_core::Word>>, SpeechError> {
        let _ = (audio, words, options, cancel);
        Ok(None)
    }
}
