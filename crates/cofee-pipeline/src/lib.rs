//! The captioning pipeline, driven the same way by `cofee caption` and (later) the render and
//! transcribe workers: probe → words (recognised, or read from a captions file) → exports →
//! layout + style → ASS → burn-in.

mod align;
mod engine;
mod error;
mod exports;
mod waveform;

use std::path::{Path, PathBuf};

use cofee_core::formats::{self, CaptionFormat};
use cofee_core::{AssDocument, Style, Transcript, VideoSize};
use cofee_media::{
    BurnIn, Compositor, CompositorStandby, FontDir, MediaError, MediaInfo, MediaLimits, PcmStream,
    X264Preset,
};
use cofee_speech::{AudioInput, TranscribeOptions};
use tokio_util::sync::CancellationToken;

pub use align::{Stretch, align};
pub use engine::{EngineSpec, build_engine};
pub use error::PipelineError;
pub use exports::{Exports, write_atomically};
pub use waveform::{WAVEFORM_SAMPLES_PER_PIXEL, waveform};

/// The stages a run goes through, for progress reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Probe,
    Transcribe,
    Render,
}

impl Stage {
    pub fn label(&self) -> &'static str {
        match self {
            Stage::Probe => "probing",
            Stage::Transcribe => "transcribing",
            Stage::Render => "rendering",
        }
    }
}

/// Receives progress. Implemented by the CLI's progress bars and by the worker's job updates.
pub trait Reporter: Send + Sync {
    fn start(&self, stage: Stage);
    /// `fraction` in `0..=1`.
    fn progress(&self, stage: Stage, fraction: f64);
    fn finish(&self, stage: Stage, summary: &str);
}

/// A reporter that ignores everything.
pub struct Silent;

impl Reporter for Silent {
    fn start(&self, _: Stage) {}
    fn progress(&self, _: Stage, _: f64) {}
    fn finish(&self, _: Stage, _: &str) {}
}

/// Where the words come from.
pub enum WordSource {
    Engine { spec: EngineSpec, language: Option<String> },
    CaptionsFile(CaptionsFile),
}

/// A captions file to read, and what the user said of it.
pub struct CaptionsFile {
    pub path: PathBuf,
    /// The file's encoding, where detection would misread it (a byte-order mark wins).
    pub encoding: Option<&'static formats::decode::Encoding>,
    /// The language its text is in (ISO 639-1), a hint for detecting its encoding.
    pub language: Option<String>,
}

impl CaptionsFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), encoding: None, language: None }
    }
}

pub struct CaptionJob {
    pub input: PathBuf,
    pub output: PathBuf,
    pub words: WordSource,
    pub style: Style,
    pub exports: Exports,
    pub preset: X264Preset,
    pub crf: u8,
    pub threads: Option<u32>,
    pub limits: MediaLimits,
    pub compositor: Compositor,
}

#[derive(Debug, Clone)]
pub struct CaptionOutcome {
    pub media: MediaInfo,
    pub transcript: Transcript,
    pub render_fps: f64,
}

/// Probes and checks the input; a compositor started ahead of the render (`standby`) is asked to
/// describe it, as it opens it anyway.
pub async fn probe(
    input: &Path,
    limits: &MediaLimits,
    standby: Option<&mut CompositorStandby>,
    reporter: &dyn Reporter,
    cancel: &CancellationToken,
) -> Result<MediaInfo, PipelineError> {
    reporter.start(Stage::Probe);
    let info = cofee_media::probe_with(input, limits, standby, cancel).await?;
    let summary = match &info.video {
        Some(v) => format!(
            "{}×{} {:.2} fps, {:.1} s, {}",
            v.width, v.height, v.fps, info.duration_secs, v.codec
        ),
        None => format!("audio, {:.1} s", info.duration_secs),
    };
    reporter.finish(Stage::Probe, &summary);
    Ok(info)
}

/// Recognises the speech in probed media.
pub async fn transcribe(
    info: &MediaInfo,
    spec: &EngineSpec,
    language: Option<String>,
    limits: &MediaLimits,
    reporter: &dyn Reporter,
    cancel: &CancellationToken,
) -> Result<Transcript, PipelineError> {
    info.require_audio()?;
    let engine = build_engine(spec).await?;
    reporter.start(Stage::Transcribe);
    let (pcm, ffmpeg) = PcmStream::start(info)?;
    let audio = AudioInput { pcm: Box::new(pcm), duration_secs: info.duration_secs };
    let started = std::time::Instant::now();
    let progress = |f: f64| reporter.progress(Stage::Transcribe, f);
    let limit = limits.timeout_for(info.duration_secs);
    let options = TranscribeOptions { language };
    let run = engine.transcribe(audio, &options, &progress, cancel);
    let transcript = tokio::time::timeout(limit, run)
        .await
        .map_err(|_| MediaError::Timeout { tool: "speech engine", limit })??;
    // The engine saw the end of the stream; make sure it was the end of the audio, not a decoder error.
    ffmpeg.finish(limits.process_timeout_base, cancel).await?;
    let rtf = started.elapsed().as_secs_f64() / info.duration_secs.max(1e-3);
    reporter.finish(
        Stage::Transcribe,
        &format!(
            "{} words with {} (real-time factor {rtf:.2})",
            transcript.words.len(),
            engine.name()
        ),
    );
    Ok(transcript)
}

/// Reads a captions file (SRT, WebVTT or Cofee JSON, in any encoding `formats::decode` reads), by
/// extension or content.
pub fn read_captions(file: &CaptionsFile) -> Result<Transcript, PipelineError> {
    let path = file.path.as_path();
    let bytes = std::fs::read(path).map_err(|e| PipelineError::Input {
        path: path.display().to_string(),
        detail: e.to_string(),
    })?;
    // In whatever encoding it came (a byte-order mark, the one named, UTF-8, or detected).
    let hint =
        formats::decode::Hint { encoding: file.encoding, language: file.language.as_deref() };
    let decoded = formats::decode::decode_with(&bytes, hint);
    if decoded.guessed {
        tracing::info!(encoding = decoded.encoding, "captions read in a detected encoding");
    }
    let text = decoded.text;
    let format = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(CaptionFormat::from_extension)
        .unwrap_or_else(|| formats::sniff(&text));
    let (t, skipped) = formats::parse_with_skipped(format, &text)
        .map_err(|e| PipelineError::Captions { path: path.display().to_string(), source: e })?;
    for skipped in skipped {
        tracing::warn!(path = %path.display(), "skipped a block a player would skip: {skipped}");
    }
    if t.words.is_empty() {
        return Err(PipelineError::Input {
            path: path.display().to_string(),
            detail: "the captions file holds no words".into(),
        });
    }
    Ok(t)
}

/// The whole `cofee caption` run.
pub async fn caption(
    job: &CaptionJob,
    reporter: &dyn Reporter,
    cancel: &CancellationToken,
) -> Result<CaptionOutcome, PipelineError> {
    // Read the cheap, user-supplied inputs first so mistakes surface before any heavy work.
    let given = match &job.words {
        WordSource::CaptionsFile(file) => Some(read_captions(file)?),
        WordSource::Engine { .. } => None,
    };
    let fonts = FontDir::with_bundled()?;
    if let Some(f) = &job.style.font_file {
        fonts.add(Path::new(f))?;
    }
    // With the words at hand, the render follows the probe: its process can start meanwhile.
    let mut standby = given.as_ref().and_then(|_| job.compositor.standby());
    let info = probe(&job.input, &job.limits, standby.as_mut(), reporter, cancel).await?;
    let video = info.require_video()?.clone();
    let transcript = match (given, &job.words) {
        (Some(t), _) => t,
        (None, WordSource::Engine { spec, language }) => {
            transcribe(&info, spec, language.clone(), &job.limits, reporter, cancel).await?
        }
        (None, WordSource::CaptionsFile(_)) => unreachable!("read above"),
    };
    let size = VideoSize { width: video.width, height: video.height };
    let doc = AssDocument::build(&transcript, &job.style, size);
    reporter.start(Stage::Render);
    let ass = doc.to_ass();
    let burn = BurnIn {
        input: &info,
        ass: &ass,
        fonts: &fonts,
        output: &job.output,
        preset: job.preset,
        crf: job.crf,
        threads: job.threads,
        limits: &job.limits,
        compositor: &job.compositor,
        standby,
        chunk: None,
    };
    let stats = match burn.run(|p| reporter.progress(Stage::Render, p.fraction), cancel).await {
        Ok(stats) => stats,
        Err(e) => {
            // Bad input leaves nothing behind; a failure of ours keeps the (costly) transcript.
            if !e.is_bad_input() && !cancel.is_cancelled() {
                let _ = job.exports.write(&transcript, &doc);
            }
            return Err(e.into());
        }
    };
    job.exports.write(&transcript, &doc)?;
    reporter.finish(
        Stage::Render,
        &format!(
            "{} frames at {:.0} fps ({} compositor) → {}",
            stats.frames,
            stats.fps,
            stats.compositor,
            job.output.display()
        ),
    );
    Ok(CaptionOutcome { media: info, transcript, render_fps: stats.fps })
}

#[cfg(test)]
mod tests {
    /// A Cyrillic SRT saved by a Windows tool (code page 1251, CRLF, no byte-order mark) is read
    /// with its text, and its cues stay pages.
    #[test]
    fn a_captions_file_in_a_windows_code_page_is_read_with_its_text() {
        let text = "1\r\n00:00:01,000 --> 00:00:02,500\r\nСъешь же ещё этих мягких булок\r\n\r\n\
                    2\r\n00:00:02,500 --> 00:00:04,000\r\nда выпей чаю\r\n";
        // windows-1251: А..я are 0xC0..0xFF in order, Ё/ё are 0xA8/0xB8.
        let bytes: Vec<u8> = text
            .chars()
            .map(|c| match c {
                'А'..='я' => (c as u32 - 'А' as u32 + 0xC0) as u8,
                'Ё' => 0xA8,
                'ё' => 0xB8,
                c => c as u8,
            })
            .collect();
        assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("talk.srt");
        std::fs::write(&path, &bytes).unwrap();
        let t = super::read_captions(&super::CaptionsFile::new(&path)).unwrap();
        assert_eq!(t.text(), "Съешь же ещё этих мягких булок да выпей чаю");
        let starts: Vec<u64> =
            t.words.iter().filter(|w| w.page_break == Some(true)).map(|w| w.start_ms).collect();
        assert_eq!(starts, [1000, 2500]);
    }
}
