//! Cofee's own burn-in: one pass that decodes with libavcodec, draws the captions with libass
//! and encodes with x264, so captioned output costs next to nothing over a plain re-encode.
//!
//! It runs in a child process (`cofee burn-frames`, started by `cofee-media`) rather than in the
//! server: libavcodec parses untrusted media, and a crash there must take down one render, not
//! the service. Inputs it does not handle (other pixel formats, odd sizes) are refused with
//! [`BurnError::Unsupported`] and the caller falls back to FFmpeg's `ass` filter.

mod captions;
mod join;
mod kernels;
mod layer;
mod libass;
mod probe;
mod schedule;
mod transcode;

use std::path::Path;
use std::time::Duration;

pub use join::{ChunkFile, JoinJob, JoinStats, join};
pub use layer::{CaptionLayer, ColorMatrix, Planes};
pub use libass::{AssImage, AssRenderer, Change};
pub use probe::{OpenInput, open_and_describe};
pub use schedule::{ChangeSchedule, ScheduledRenderer};

/// One burn-in: the input as it was described (by ffprobe or `open_and_describe`) and how to
/// encode the output.
#[derive(Debug, Clone)]
pub struct BurnJob<'a> {
    pub input: &'a Path,
    /// The demuxer the description named (`mov`, `matroska`, …); nothing else is tried.
    pub demuxer: &'a str,
    pub video_stream: usize,
    /// Copied as is; `None` for no audio.
    pub audio_stream: Option<usize>,
    pub ass: &'a str,
    pub fonts_dir: &'a Path,
    /// Written as MP4 (with `+faststart`).
    pub output: &'a Path,
    pub preset: &'a str,
    pub crf: u8,
    /// x264 threads; `None` for one per core.
    pub threads: Option<u32>,
    /// Nothing after this many seconds is written (the input's declared duration plus slack).
    pub max_secs: f64,
    /// Only this stretch of the video, as one chunk of a render split across workers: written
    /// as MP4, video only (`audio_stream` must be `None`), for [`join`] to put together.
    pub span: Option<Span>,
}

/// A stretch of the input rendered on its own: the frames shown from `from_pts` (a keyframe's
/// timestamp) up to, not including, `to_pts` (the next stretch's keyframe; `None`: the end), in
/// the video stream's own time base. Decoding starts at that keyframe and goes on past `to_pts`
/// until the decoder has handed out every frame shown before it, so frames an open GOP orders
/// before its keyframe land in the stretch they are shown in; stretches cut at consecutive
/// keyframes hold every frame once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from_pts: i64,
    pub to_pts: Option<i64>,
}

impl Span {
    fn holds(&self, pts: i64) -> bool {
        pts >= self.from_pts && self.to_pts.is_none_or(|to| pts < to)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BurnProgress {
    pub frame: u64,
    pub out_time_secs: f64,
    pub done: bool,
}

impl BurnProgress {
    /// The block FFmpeg's `-progress` writes, so one parser reads both.
    pub fn ffmpeg_progress_block(&self, fps: f64) -> String {
        format!(
            "frame={}\nfps={fps:.2}\nout_time_us={}\nprogress={}\n",
            self.frame,
            (self.out_time_secs * 1e6).round() as i64,
            if self.done { "end" } else { "continue" }
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BurnStats {
    pub frames: u64,
    pub out_time_secs: f64,
    /// Frames with captions drawn on them.
    pub captioned_frames: u64,
    /// Of those, frames the decoder still held, so they were copied first.
    pub copied_frames: u64,
    /// Times libass's picture changed and the layer was composited again.
    pub layer_changes: u64,
    /// Calls to libass; frames between which the captions cannot change (no event starts or
    /// ends, no animation runs) reuse the previous picture without one.
    pub ass_renders: u64,
    /// The input was the one opened to describe it (`open_and_describe`), not opened again.
    pub opened_ahead: bool,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum BurnError {
    #[error("not handled by this compositor: {0}")]
    Unsupported(String),
    #[error("captions: {0}")]
    Captions(String),
    /// A thread of the compositor died.
    #[error("internal error: {0}")]
    Internal(String),
    #[error("internal error: cannot start the decoding thread: {0}")]
    Thread(#[source] std::io::Error),
    #[error("{what}: {source}")]
    Ffmpeg { what: &'static str, source: ffmpeg_next::Error },
}

/// Runs the burn-in, reading from `opened` if it is the job's input (see `open_and_describe`);
/// `on_progress` is called about twice a second and once at the end.
pub fn burn(
    job: &BurnJob<'_>,
    opened: Option<OpenInput>,
    mut on_progress: impl FnMut(BurnProgress),
) -> Result<BurnStats, BurnError> {
    transcode::run(job, opened, &mut on_progress)
}
