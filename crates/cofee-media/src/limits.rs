//! What media Cofee accepts. Checked against the probe, before any frame is decoded.

use std::time::Duration;

/// Limits on accepted media. Defaults admit 4K phone footage up to two hours and refuse
/// decompression bombs (huge declared sizes, absurd frame counts).
#[derive(Debug, Clone, PartialEq)]
pub struct MediaLimits {
    /// Largest input file in bytes (default 8 GiB).
    pub max_bytes: u64,
    /// Longest duration (default 2 h).
    pub max_duration: Duration,
    /// Largest width and height in pixels (default 4096 each)…
    pub max_width: u32,
    pub max_height: u32,
    /// …and largest frame area (default 4096×2304, which admits 3840×2160 and 2160×3840).
    pub max_pixels: u64,
    /// Highest frame rate (default 120 fps).
    pub max_fps: f64,
    /// Most video frames (default 2 h at 60 fps).
    pub max_frames: u64,
    /// Wall-clock limit for one FFmpeg run is `process_timeout_base + process_timeout_factor ×
    /// media duration` (defaults 120 s + 20×), so slow machines finish and hung decoders do not
    /// hold a worker for ever.
    pub process_timeout_base: Duration,
    pub process_timeout_factor: f64,
}

impl Default for MediaLimits {
    fn default() -> Self {
        Self {
            max_bytes: 8 << 30,
            max_duration: Duration::from_secs(2 * 3600),
            max_width: 4096,
            max_height: 4096,
            max_pixels: 4096 * 2304,
            max_fps: 120.0,
            max_frames: 2 * 3600 * 60,
            process_timeout_base: Duration::from_secs(120),
            process_timeout_factor: 20.0,
        }
    }
}

impl MediaLimits {
    /// Wall-clock limit for processing media of this duration.
    pub fn timeout_for(&self, media_secs: f64) -> Duration {
        self.process_timeout_base
            + Duration::from_secs_f64(media_secs.max(0.0) * self.process_timeout_factor)
    }
}

/// Demuxers FFmpeg may use on user input. Anything else — notably `hls`, `dash`, `concat`,
/// `image2`, `tty`, `subviewer` — is refused by `-format_whitelist`.
pub const ALLOWED_DEMUXERS: &[&str] =
    &["mov", "matroska", "avi", "flv", "mpegts", "wav", "mp3", "ogg", "aac", "flac", "w64"];

pub const ALLOWED_VIDEO_CODECS: &[&str] =
    &["h264", "hevc", "vp8", "vp9", "av1", "mpeg4", "mpeg2video", "mjpeg", "prores", "dnxhd"];

pub const ALLOWED_AUDIO_CODECS: &[&str] = &[
    "aac",
    "mp3",
    "opus",
    "vorbis",
    "flac",
    "alac",
    "ac3",
    "eac3",
    "mp2",
    "pcm_s16le",
    "pcm_s16be",
    "pcm_s24le",
    "pcm_s32le",
    "pcm_f32le",
    "pcm_u8",
];

/// Audio codecs an MP4 can carry as they are (copied, not re-encoded, when burning in).
pub const MP4_COPYABLE_AUDIO: &[&str] = &["aac", "mp3", "alac", "ac3", "eac3", "opus"];
