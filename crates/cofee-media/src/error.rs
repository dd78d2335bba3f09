use std::time::Duration;

use thiserror::Error;

/// Why a file was refused. Each message says what was wrong and what would be accepted.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Rejection {
    #[error("the file is empty (0 bytes)")]
    Empty,
    #[error("the file is {size} bytes; the limit is {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error(
        "this is not a video or audio file FFmpeg can read ({detail}); upload an MP4, MOV, MKV/WebM, AVI or a common audio file"
    )]
    Unreadable { detail: String },
    #[error(
        "the container format is not allowed ({detail}); playlists (HLS/DASH), concat lists and image sequences are refused — upload a single MP4, MOV, MKV/WebM or AVI file"
    )]
    FormatNotAllowed { detail: String },
    #[error(
        "the file has no video stream; captions are burned into video, so upload a video (audio-only files can be transcribed)"
    )]
    NoVideo,
    #[error(
        "the file has no audio stream, so there is nothing to transcribe; pass --captions FILE to caption it from existing captions"
    )]
    NoAudio,
    #[error("the {kind} codec {codec:?} is not supported; supported: {allowed}")]
    Codec { kind: &'static str, codec: String, allowed: String },
    #[error(
        "the video is {width}×{height}; the limit is {max_width}×{max_height} and {max_pixels} pixels per frame"
    )]
    Dimensions { width: u32, height: u32, max_width: u32, max_height: u32, max_pixels: u64 },
    #[error("the media is {actual:.1} s long; the limit is {limit:.0} s")]
    Duration { actual: f64, limit: f64 },
    #[error("the media does not declare a usable duration; it may be truncated or a live stream")]
    UnknownDuration,
    #[error(
        "the video has about {frames} frames at {fps:.2} fps; the limit is {limit} frames and {max_fps} fps"
    )]
    Frames { frames: u64, fps: f64, limit: u64, max_fps: f64 },
    #[error(
        "the media is truncated or corrupt: it declares {declared:.1} s but only {decoded:.1} s could be decoded"
    )]
    Truncated { declared: f64, decoded: f64 },
}

#[derive(Debug, Error)]
pub enum MediaError {
    #[error("input rejected: {0}")]
    Rejected(#[from] Rejection),
    #[error("cannot read {path}: {source}")]
    Input { path: String, source: std::io::Error },
    #[error(
        "{tool} was not found on PATH; install FFmpeg (Debian/Ubuntu: `apt-get install ffmpeg`)"
    )]
    ToolMissing { tool: &'static str },
    #[error("{tool} did not finish within {limit:?} and was stopped")]
    Timeout { tool: &'static str, limit: Duration },
    #[error("cancelled")]
    Cancelled,
    #[error("{tool} failed ({status}): {stderr}")]
    Failed { tool: &'static str, status: String, stderr: String },
    #[error("{tool} produced output Cofee could not understand: {detail}")]
    BadToolOutput { tool: &'static str, detail: String },
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl MediaError {
    /// Whether the caller's input is at fault (exit code 2 / HTTP 422) rather than Cofee or the
    /// machine (exit code 1 / HTTP 500).
    pub fn is_bad_input(&self) -> bool {
        matches!(self, Self::Rejected(_) | Self::Input { .. })
    }
}
