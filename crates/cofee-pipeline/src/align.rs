//! Times for words a person wrote: the stretch of audio they stand in is decoded and the
//! engine aligns the text to it (forced alignment), where the engine can.

use cofee_core::Word;
use cofee_core::limits::{MAX_ALIGN_MS, MAX_ALIGN_WORDS, MIN_ALIGN_MS};
use cofee_media::audio::{BYTES_PER_SECOND, PcmStream};
use cofee_media::{MediaInfo, MediaLimits};
use cofee_speech::TranscribeOptions;
use tokio::io::AsyncReadExt;
use tokio_util::sync::CancellationToken;

use crate::{EngineSpec, PipelineError, build_engine};

/// A stretch of a recording and the words said in it, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Stretch {
    pub from_ms: u64,
    pub to_ms: u64,
    pub words: Vec<String>,
    /// The recording's language (ISO 639-1), when known.
    pub language: Option<String>,
}

/// `stretch`'s words timed by `spec`'s engine from the audio (times from the start of the
/// media), or `None` when that engine cannot align given text.
pub async fn align(
    info: &MediaInfo,
    spec: &EngineSpec,
    stretch: &Stretch,
    limits: &MediaLimits,
    cancel: &CancellationToken,
) -> Result<Option<Vec<Word>>, PipelineError> {
    let len_ms = stretch.to_ms.saturating_sub(stretch.from_ms);
    if stretch.words.is_empty()
        || stretch.words.len() > MAX_ALIGN_WORDS
        || len_ms == 0
        || len_ms > MAX_ALIGN_MS
    {
        return Err(PipelineError::Input {
            path: info.path.display().to_string(),
            detail: format!(
                "an alignment takes 1 to {MAX_ALIGN_WORDS} words in {MIN_ALIGN_MS} to {MAX_ALIGN_MS} ms of audio, not {} words in {len_ms} ms",
                stretch.words.len()
            ),
        });
    }
    let engine = build_engine(spec).await?;
    let (mut pcm, ffmpeg) = PcmStream::start_range(info, stretch.from_ms, len_ms)?;
    // At most MAX_ALIGN_MS of 16 kHz samples (under a megabyte): read whole.
    let mut bytes = Vec::with_capacity((BYTES_PER_SECOND * len_ms / 1000) as usize + 2);
    let limit = limits.timeout_for(len_ms as f64 / 1000.0);
    tokio::time::timeout(limit, pcm.read_to_end(&mut bytes))
        .await
        .map_err(|_| cofee_media::MediaError::Timeout { tool: "ffmpeg", limit })?
        .map_err(cofee_speech::SpeechError::Audio)?;
    ffmpeg.finish(limits.process_timeout_base, cancel).await?;
    let samples: Vec<i16> =
        bytes.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect();
    if samples.is_empty() {
        return Err(PipelineError::Input {
            path: info.path.display().to_string(),
            detail: format!(
                "the media has no audio from {} ms on ({:.0} ms long)",
                stretch.from_ms,
                info.duration_secs * 1000.0
            ),
        });
    }
    let options = TranscribeOptions { language: stretch.language.clone() };
    let run = engine.align(&samples, &stretch.words, &options, cancel);
    let aligned = tokio::time::timeout(limit, run)
        .await
        .map_err(|_| cofee_media::MediaError::Timeout { tool: "speech engine", limit })??;
    Ok(aligned.map(|words| {
        words
            .into_iter()
            .map(|w| Word {
                start_ms: w.start_ms + stretch.from_ms,
                end_ms: w.end_ms + stretch.from_ms,
                ..w
            })
            .collect()
    }))
}
