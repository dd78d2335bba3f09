//! The chunks of a render split across workers, put together into one MP4 without re-encoding:
//! the video packets of each chunk in turn (every chunk was encoded with the same x264 settings,
//! so they share one set of parameters), and the input's audio copied once, interleaved by time.
//!
//! Each chunk holds the frames of its [`Span`](crate::Span), timed as in a one-piece render
//! (the input's start shifted to 0). A container may shift a file's timestamps to keep them
//! non-negative (the first chunk's first packets x264 decodes before 0), so the
//! join takes each chunk's first frame to be where its keyframe is, and places the rest by it.
#![allow(unsafe_code)]

use std::path::Path;

use ff::{Dictionary, Packet, Rational, codec, encoder, format, media};
use ffmpeg_next as ff;

use crate::probe;
use crate::{BurnError, BurnProgress};

/// One chunk: its file (MP4, video only, from a burn with a span) and the keyframe it starts at, in the
/// input's video time base (the span's `from_pts`).
#[derive(Debug, Clone, Copy)]
pub struct ChunkFile<'a> {
    pub path: &'a Path,
    pub from_pts: i64,
}

/// The chunks, in order, and the input they were cut from (for its audio and its timeline).
#[derive(Debug, Clone)]
pub struct JoinJob<'a> {
    pub chunks: &'a [ChunkFile<'a>],
    pub input: &'a Path,
    pub demuxer: &'a str,
    pub video_stream: usize,
    pub audio_stream: Option<usize>,
    /// Written as MP4 with `+faststart`.
    pub output: &'a Path,
    /// Audio after this many seconds is not copied (as in the one-piece render).
    pub max_secs: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct JoinStats {
    pub frames: u64,
    pub out_time_secs: f64,
}

/// How far a container may have moved a chunk's timestamps: x264 decodes at most this many
/// frames ahead of the first shown one.
const MAX_CONTAINER_SHIFT_FRAMES: i64 = 16;

fn ctx(what: &'static str) -> impl Fn(ff::Error) -> BurnError {
    move |source| BurnError::Ffmpeg { what, source }
}

/// Joins the chunks; `on_progress` is called every few hundred frames and once at the end.
pub fn join(
    job: &JoinJob<'_>,
    mut on_progress: impl FnMut(BurnProgress),
) -> Result<JoinStats, BurnError> {
    probe::init()?;
    let first = job.chunks.first().ok_or_else(|| BurnError::Internal("no chunks".into()))?;
    let mut source = probe::open(job.input, Some(job.demuxer), job.demuxer)?;
    let timing = SourceTiming::of(&source, job)?;
    let mut output =
        format::output_as(job.output, "mp4").map_err(ctx("creating the output file"))?;
    let chunk0 = open_chunk(first.path)?;
    let parameters = chunk0.stream(0).map(|s| s.parameters()).ok_or_else(no_video)?;
    let extradata = extradata(&parameters);
    let video_out = {
        let mut ost = output
            .add_stream(encoder::find(codec::Id::None))
            .map_err(ctx("adding the video stream"))?;
        ost.set_parameters(parameters);
        ost.set_time_base(timing.video_tb);
        // SAFETY: the stream's parameters are owned by the output context; the muxer picks
        // the tag.
        unsafe { (*ost.parameters().as_mut_ptr()).codec_tag = 0 };
        ost.index()
    };
    drop(chunk0);
    let audio = match &timing.audio {
        Some((index, tb, params)) => {
            let mut ost = output
                .add_stream(encoder::find(codec::Id::None))
                .map_err(ctx("adding the audio stream"))?;
            ost.set_parameters(params.clone());
            ost.set_time_base(*tb);
            // SAFETY: as above.
            unsafe { (*ost.parameters().as_mut_ptr()).codec_tag = 0 };
            Some((*index, *tb, ost.index()))
        }
        None => None,
    };
    let mut header_opts = Dictionary::new();
    header_opts.set("movflags", "+faststart");
    output.write_header_with(header_opts).map_err(ctx("writing the MP4 header"))?;
    let video_out_tb = output.stream(video_out).map(|s| s.time_base()).ok_or_else(no_video)?;
    let audio = audio.map(|(index, tb, out)| {
        let out_tb = output.stream(out).map_or(tb, |s| s.time_base());
        AudioCopy { index, tb, out, out_tb, shift: timing.shift_in(tb), last: timing.last_in(tb) }
    });

    let mut video =
        ChunkPackets { job, timing: &timing, extradata, at: 0, open: None, last_dts: None };
    let mut next_video = video.next()?;
    let mut next_audio = match &audio {
        Some(a) => a.next(&mut source)?,
        None => None,
    };
    let mut stats = JoinStats::default();
    while next_video.is_some() || next_audio.is_some() {
        // Whichever comes first in time goes next, so the muxer never holds more than a few.
        let video_first = match (&next_video, &next_audio) {
            (Some(v), Some(a)) => {
                let a_tb = audio.as_ref().map_or(timing.video_tb, |a| a.out_tb);
                compare(v.dts().unwrap_or(0), timing.video_tb, a.dts().unwrap_or(0), a_tb)
            }
            (v, _) => v.is_some(),
        };
        if video_first {
            let mut packet = next_video.take().expect("checked");
            if let Some(pts) = packet.pts() {
                stats.out_time_secs = pts as f64 * f64::from(timing.video_tb);
            }
            if packet.duration() == 0 {
                packet.set_duration(timing.frame_duration);
            }
            packet.rescale_ts(timing.video_tb, video_out_tb);
            packet.set_stream(video_out);
            packet.write_interleaved(&mut output).map_err(ctx("writing video"))?;
            stats.frames += 1;
            if stats.frames % 250 == 0 {
                on_progress(progress(&stats, false));
            }
            next_video = video.next()?;
        } else {
            let packet = next_audio.take().expect("checked");
            packet.write_interleaved(&mut output).map_err(ctx("writing audio"))?;
            next_audio = audio.as_ref().map(|a| a.next(&mut source)).transpose()?.flatten();
        }
    }
    output.write_trailer().map_err(ctx("finishing the MP4"))?;
    on_progress(progress(&stats, true));
    Ok(stats)
}

fn progress(stats: &JoinStats, done: bool) -> BurnProgress {
    BurnProgress { frame: stats.frames, out_time_secs: stats.out_time_secs, done }
}

fn no_video() -> BurnError {
    BurnError::Internal("a chunk without its video stream".into())
}

/// `true` when `a` (in `a_tb`) is not later than `b` (in `b_tb`).
fn compare(a: i64, a_tb: Rational, b: i64, b_tb: Rational) -> bool {
    // SAFETY: pure arithmetic.
    unsafe { ff::ffi::av_compare_ts(a, a_tb.into(), b, b_tb.into()) <= 0 }
}

fn rescale(v: i64, from: Rational, to: Rational) -> i64 {
    // SAFETY: pure arithmetic.
    unsafe { ff::ffi::av_rescale_q(v, from.into(), to.into()) }
}

fn open_chunk(path: &Path) -> Result<format::context::Input, BurnError> {
    let input = probe::open(path, Some("mov"), "mov")?;
    match input.stream(0) {
        Some(s) if s.parameters().medium() == media::Type::Video && input.nb_streams() == 1 => {
            Ok(input)
        }
        _ => Err(BurnError::Internal(format!("{} is not a chunk of a render", path.display()))),
    }
}

fn extradata(parameters: &codec::Parameters) -> Vec<u8> {
    // SAFETY: reads the extradata buffer of valid parameters, of the length they give.
    unsafe {
        let p = parameters.as_ptr();
        if (*p).extradata.is_null() {
            return Vec::new();
        }
        std::slice::from_raw_parts((*p).extradata, (*p).extradata_size as usize).to_vec()
    }
}

/// The input's timeline, as the one-piece render sets it up (`transcode::Timeline`).
struct SourceTiming {
    video_tb: Rational,
    /// The input's start, in microseconds: every timestamp is moved back by it.
    start_us: i64,
    max_secs: f64,
    frame_duration: i64,
    audio: Option<(usize, Rational, codec::Parameters)>,
}

impl SourceTiming {
    fn of(source: &format::context::Input, job: &JoinJob<'_>) -> Result<Self, BurnError> {
        let video = source
            .stream(job.video_stream)
            .filter(|s| s.parameters().medium() == media::Type::Video)
            .ok_or_else(|| BurnError::Unsupported("the input's video stream is gone".into()))?;
        let video_tb = video.time_base();
        let rate = video.avg_frame_rate();
        let frame_duration = if rate.numerator() > 0 && rate.denominator() > 0 {
            rescale(1, rate.invert(), video_tb)
        } else {
            0
        };
        let audio = job.audio_stream.map(|ai| probe::audio_stream(source, ai)).transpose()?;
        let start_us = probe::start_us(source);
        Ok(Self { video_tb, start_us, max_secs: job.max_secs, frame_duration, audio })
    }

    fn shift_in(&self, tb: Rational) -> i64 {
        rescale(self.start_us, Rational(1, 1_000_000), tb)
    }

    fn last_in(&self, tb: Rational) -> i64 {
        rescale((self.max_secs * 1_000_000.0) as i64, Rational(1, 1_000_000), tb)
    }
}

/// The video packets of the chunks in turn, each chunk placed on the output's timeline.
struct ChunkPackets<'a> {
    job: &'a JoinJob<'a>,
    timing: &'a SourceTiming,
    /// The first chunk's parameters: every chunk must have been encoded with the same.
    extradata: Vec<u8>,
    /// The chunk to open next.
    at: usize,
    /// The chunk being read, its time base and the shift that places it.
    open: Option<(format::context::Input, Rational, Option<i64>, i64)>,
    last_dts: Option<i64>,
}

impl ChunkPackets<'_> {
    /// The next packet in the input's video time base, or `None` after the last chunk.
    fn next(&mut self) -> Result<Option<Packet>, BurnError> {
        loop {
            if self.open.is_none() {
                let Some(chunk) = self.job.chunks.get(self.at) else { return Ok(None) };
                self.at += 1;
                let input = open_chunk(chunk.path)?;
                let stream = input.stream(0).ok_or_else(no_video)?;
                if extradata(&stream.parameters()) != self.extradata {
                    return Err(BurnError::Internal(format!(
                        "chunk {} was encoded with other parameters than the first",
                        self.at - 1
                    )));
                }
                let tb = stream.time_base();
                let expected = chunk.from_pts - self.timing.shift_in(self.timing.video_tb);
                self.open = Some((input, tb, None, expected));
            }
            let (input, tb, correction, expected) = self.open.as_mut().expect("opened above");
            let mut packet = Packet::empty();
            match packet.read(input) {
                Ok(()) => {}
                Err(ff::Error::Eof) => {
                    self.open = None;
                    continue;
                }
                Err(e) => return Err(BurnError::Ffmpeg { what: "reading a chunk", source: e }),
            }
            packet.rescale_ts(*tb, self.timing.video_tb);
            let shift = match *correction {
                Some(c) => c,
                None => {
                    // The first packet is the chunk's first frame (an IDR frame, shown first).
                    let c = *expected - packet.pts().unwrap_or(*expected);
                    let limit = MAX_CONTAINER_SHIFT_FRAMES * self.timing.frame_duration.max(1);
                    if c.abs() > limit {
                        return Err(BurnError::Internal(format!(
                            "chunk {} does not start at its keyframe",
                            self.at - 1
                        )));
                    }
                    *correction = Some(c);
                    c
                }
            };
            packet.set_pts(packet.pts().map(|p| p + shift));
            let mut dts = packet.dts().map(|d| d + shift);
            // Decoding order runs on across a join: a chunk's first packets are decoded after
            // the previous chunk's last, whatever their frame rates made of the timestamps.
            if let (Some(d), Some(last)) = (dts, self.last_dts)
                && d <= last
            {
                if packet.pts().is_some_and(|p| p <= last) {
                    return Err(BurnError::Internal(format!(
                        "chunk {} overlaps the one before it",
                        self.at - 1
                    )));
                }
                dts = Some(last + 1);
            }
            packet.set_dts(dts);
            self.last_dts = dts.or(self.last_dts);
            packet.set_position(-1);
            return Ok(Some(packet));
        }
    }
}

/// The input's audio, shifted and cut as in the one-piece render (`transcode::Source`).
struct AudioCopy {
    index: usize,
    tb: Rational,
    out: usize,
    out_tb: Rational,
    shift: i64,
    last: i64,
}

impl AudioCopy {
    /// The next audio packet in the output's terms, or `None` at the end.
    fn next(&self, source: &mut format::context::Input) -> Result<Option<Packet>, BurnError> {
        let mut packet = Packet::empty();
        loop {
            match packet.read(source) {
                Ok(()) => {}
                Err(ff::Error::Eof) => return Ok(None),
                Err(e) => return Err(BurnError::Ffmpeg { what: "reading the input", source: e }),
            }
            if packet.stream() != self.index {
                continue;
            }
            if packet.pts().is_some_and(|p| p - self.shift > self.last) {
                continue;
            }
            packet.set_pts(packet.pts().map(|p| p - self.shift));
            packet.set_dts(packet.dts().map(|d| d - self.shift));
            packet.rescale_ts(self.tb, self.out_tb);
            packet.set_position(-1);
            packet.set_stream(self.out);
            return Ok(Some(packet));
        }
    }
}
