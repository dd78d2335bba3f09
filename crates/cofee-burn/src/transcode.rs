//! Demux → decode → draw captions → encode with x264 → mux to MP4, in one pass, audio copied.
//! Decoding runs on a thread of its own (`Source`), libass on another (`CaptionTrack`); drawing,
//! encoding and muxing on the calling thread.
//!
//! Matches what `ffmpeg -i IN -vf ass=… -c:v libx264 -c:a copy OUT.mp4` does (timestamps shifted
//! so the file starts at 0, decoder and encoder threads on "auto", `+faststart`), without the
//! two costs the filter adds to every frame: see `layer.rs` for the blend, and `FrameQueue` for
//! the copy.
#![allow(unsafe_code)]

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::mpsc::{self, SyncSender};
use std::time::{Duration, Instant};

use ff::format::Pixel;
use ff::{Dictionary, Packet, Rational, codec, encoder, format, frame, media, picture};
use ffmpeg_next as ff;

use crate::captions::{CaptionTrack, FrameCaptions};
use crate::layer::{CaptionLayer, ColorMatrix, Planes};
use crate::libass::AssRenderer;
use crate::probe::{self, OpenInput};
use crate::schedule::{ChangeSchedule, ScheduledRenderer, events_within};
use crate::{BurnError, BurnJob, BurnProgress, BurnStats, Span};

/// How many decoded frames may wait for the decoder to let go of them (see `FrameQueue`).
const RELEASE_WINDOW: usize = 8;
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

fn ctx(what: &'static str) -> impl Fn(ff::Error) -> BurnError {
    move |source| BurnError::Ffmpeg { what, source }
}

pub fn run(
    job: &BurnJob<'_>,
    opened: Option<OpenInput>,
    on_progress: &mut dyn FnMut(BurnProgress),
) -> Result<BurnStats, BurnError> {
    probe::init()?;
    let started = Instant::now();
    let opened = opened.filter(|o| o.is(job.input, job.demuxer));
    let opened_ahead = opened.is_some();
    let input = match opened {
        Some(opened) => opened.input,
        // Only the demuxer the description named is tried.
        None => probe::open(job.input, Some(job.demuxer), job.demuxer)?,
    };
    let vi = job.video_stream;
    let (video_tb, decoder, start_offset) = {
        let ist = input
            .stream(vi)
            .filter(|s| s.parameters().medium() == media::Type::Video)
            .ok_or_else(|| BurnError::Unsupported(format!("stream {vi} is not a video stream")))?;
        let mut dctx = codec::context::Context::from_parameters(ist.parameters())
            .map_err(ctx("reading the video parameters"))?;
        // SAFETY: plain field writes on a context we own, before it is opened.
        unsafe {
            // "auto" threads, as the ffmpeg command line uses; frame threading by default.
            (*dctx.as_mut_ptr()).thread_count = 0;
            (*dctx.as_mut_ptr()).pkt_timebase = ist.time_base().into();
        }
        let decoder = dctx.decoder().video().map_err(ctx("opening the video decoder"))?;
        (ist.time_base(), decoder, probe::start_us(&input))
    };
    let mut input = input;
    if let Some(span) = &job.span {
        if job.audio_stream.is_some() {
            return Err(BurnError::Internal("a chunk of a render carries no audio".into()));
        }
        seek_to_keyframe(&mut input, vi, span.from_pts)?;
    }
    let (width, height) = (decoder.width() as usize, decoder.height() as usize);
    if decoder.format() != Pixel::YUV420P {
        return Err(BurnError::Unsupported(format!(
            "pixel format {:?} (this compositor draws on 8-bit 4:2:0)",
            decoder.format()
        )));
    }
    if width == 0 || height == 0 || width % 2 != 0 || height % 2 != 0 {
        return Err(BurnError::Unsupported(format!("odd frame size {width}x{height}")));
    }
    let audio = job.audio_stream.map(|ai| probe::audio_stream(&input, ai)).transpose()?;

    // A chunk is MP4 too, which keeps decoding times (NUT, say, leaves the first ones out).
    let mut output =
        format::output_as(job.output, "mp4").map_err(ctx("creating the output file"))?;
    let global_header = output.format().flags().contains(format::Flags::GLOBAL_HEADER);
    let x264 = encoder::find_by_name("libx264")
        .ok_or_else(|| BurnError::Unsupported("this FFmpeg has no libx264".into()))?;
    let rate = input
        .stream(vi)
        .map(|s| s.avg_frame_rate())
        .filter(|r| r.numerator() > 0 && r.denominator() > 0)
        .or_else(|| decoder.frame_rate());
    let mut encoder = {
        let mut enc = codec::context::Context::new_with_codec(x264)
            .encoder()
            .video()
            .map_err(ctx("creating the encoder"))?;
        enc.set_width(width as u32);
        enc.set_height(height as u32);
        enc.set_format(Pixel::YUV420P);
        enc.set_aspect_ratio(decoder.aspect_ratio());
        enc.set_time_base(video_tb);
        // x264 takes its frame rate (and so its rate control) from here, as with the CLI.
        enc.set_frame_rate(rate);
        enc.set_colorspace(decoder.color_space());
        enc.set_color_range(decoder.color_range());
        // SAFETY: plain field writes on a context we own, before it is opened.
        unsafe {
            let (e, d) = (enc.as_mut_ptr(), decoder.as_ptr());
            (*e).color_primaries = (*d).color_primaries;
            (*e).color_trc = (*d).color_trc;
            (*e).chroma_sample_location = (*d).chroma_sample_location;
            (*e).thread_count = job.threads.map_or(0, |t| t as i32);
        }
        if global_header {
            enc.set_flags(codec::Flags::GLOBAL_HEADER);
        }
        let mut opts = Dictionary::new();
        opts.set("preset", job.preset);
        opts.set("crf", &job.crf.to_string());
        enc.open_with(opts).map_err(ctx("opening x264"))?
    };
    let video_out = {
        let mut ost = output.add_stream(x264).map_err(ctx("adding the video stream"))?;
        ost.set_parameters(&encoder);
        ost.set_time_base(video_tb);
        ost.index()
    };
    let audio_out = match &audio {
        Some((_, tb, params)) => {
            let mut ost = output
                .add_stream(encoder::find(codec::Id::None))
                .map_err(ctx("adding the audio stream"))?;
            ost.set_parameters(params.clone());
            ost.set_time_base(*tb);
            // SAFETY: the stream's parameters are owned by the output context; the input's tag
            // may not be valid in MP4, so the muxer picks one.
            unsafe { (*ost.parameters().as_mut_ptr()).codec_tag = 0 };
            Some(ost.index())
        }
        None => None,
    };
    let mut header_opts = Dictionary::new();
    // A chunk is read once, by the join, from its start.
    if job.span.is_none() {
        header_opts.set("movflags", "+faststart");
    }
    output.write_header_with(header_opts).map_err(ctx("writing the output's header"))?;
    let video_out_tb = output.stream(video_out).map(|s| s.time_base()).unwrap_or(video_tb);
    let audio_out_tb = audio_out.and_then(|i| output.stream(i)).map(|s| s.time_base());

    let matrix = color_matrix(&decoder, height);
    // A chunk draws only the captions shown in it (an hour's document is parsed in pieces).
    let ass = match job.span {
        Some(span) => {
            let shift = Timeline::new(start_offset, job.max_secs, video_tb).shift;
            let ms = |pts: i64| (pts - shift).rescale(video_tb, Rational(1, 1000));
            Cow::Owned(events_within(job.ass, ms(span.from_pts), span.to_pts.map(ms)))
        }
        None => Cow::Borrowed(job.ass),
    };
    let renderer = AssRenderer::new(&ass, job.fonts_dir, width as u32, height as u32)?;
    let captions = CaptionTrack::start(
        ScheduledRenderer::new(renderer, ChangeSchedule::parse(&ass)),
        width,
        height,
        matrix,
    );
    let mut sink = VideoSink {
        encoder: &mut encoder,
        stream: video_out,
        enc_tb: video_tb,
        out_tb: video_out_tb,
        stats: BurnStats::default(),
        last_pts: None,
        frame_duration: rate.map_or(0, |r| 1.rescale(r.invert(), video_tb)),
        width: width as u32,
        height: height as u32,
    };
    let mut queue = FrameQueue::default();
    let timeline = |tb| Timeline::new(start_offset, job.max_secs, tb);
    let audio = audio.zip(audio_out.zip(audio_out_tb)).map(|((index, tb, _), (out, out_tb))| {
        AudioRoute { index, tb, timeline: timeline(tb), out, out_tb }
    });
    let source =
        Source { input, decoder, video: vi, timeline: timeline(video_tb), audio, span: job.span };
    let mut last_report = Instant::now();
    // A chunk starts at its keyframe's frame, where `join` will place it.
    let mut chunk_start = job.span.map(|s| s.from_pts - timeline(video_tb).shift);
    std::thread::scope(|scope| {
        let (items, incoming) = mpsc::sync_channel(DEMUXED_AHEAD);
        let demuxer = std::thread::Builder::new()
            .name("decode".into())
            .spawn_scoped(scope, move || source.run(&items))
            .map_err(BurnError::Thread)?;
        for item in &incoming {
            match item {
                Demuxed::Frame(frame) => {
                    if let Some(start) = chunk_start.take()
                        && frame.pts() != Some(start)
                    {
                        return Err(BurnError::Unsupported(format!(
                            "the chunk's first frame is at {:?}, not at its keyframe ({start})",
                            frame.pts()
                        )));
                    }
                    let time_ms = frame.pts().unwrap_or(0).rescale(sink.enc_tb, Rational(1, 1000));
                    captions.request(time_ms);
                    queue.push(frame);
                    while let Some(item) = queue.pop(&captions, false)? {
                        sink.send(item, &mut output)?;
                    }
                }
                Demuxed::Audio(packet) => {
                    packet.write_interleaved(&mut output).map_err(ctx("writing audio"))?
                }
            }
            if last_report.elapsed() >= PROGRESS_EVERY {
                last_report = Instant::now();
                on_progress(sink.progress());
            }
        }
        demuxer.join().map_err(|_| BurnError::Internal("the decoding thread panicked".into()))?
    })?;
    while let Some(item) = queue.pop(&captions, true)? {
        sink.send(item, &mut output)?;
    }
    sink.encoder.send_eof().map_err(ctx("flushing x264"))?;
    sink.drain(&mut output)?;
    output.write_trailer().map_err(ctx("finishing the output"))?;
    let mut stats = sink.stats;
    stats.opened_ahead = opened_ahead;
    let counts = captions.finish();
    (stats.layer_changes, stats.ass_renders) = (counts.changes, counts.renders);
    stats.elapsed = started.elapsed();
    on_progress(BurnProgress {
        frame: stats.frames,
        out_time_secs: stats.out_time_secs,
        done: true,
    });
    Ok(stats)
}

/// Moves `input` to the last keyframe of stream `stream` at or before `pts` (its time base).
fn seek_to_keyframe(
    input: &mut format::context::Input,
    stream: usize,
    pts: i64,
) -> Result<(), BurnError> {
    // SAFETY: seeking an open input context we own.
    let rc = unsafe {
        ff::ffi::avformat_seek_file(input.as_mut_ptr(), stream as i32, i64::MIN, pts, pts, 0)
    };
    if rc < 0 {
        return Err(BurnError::Ffmpeg {
            what: "seeking to the chunk",
            source: ff::Error::from(rc),
        });
    }
    Ok(())
}

/// BT.709 and BT.601 tags are honoured; anything else (untagged, BT.2020 — which only reaches
/// here as 8-bit SDR) gets what players assume: BT.709 from 720 lines up.
fn color_matrix(decoder: &ff::decoder::Video, height: usize) -> ColorMatrix {
    use ff::color::{Range, Space};
    let base = match decoder.color_space() {
        Space::BT709 => ColorMatrix::BT709,
        Space::BT470BG | Space::SMPTE170M => ColorMatrix::BT601,
        _ if height >= 720 => ColorMatrix::BT709,
        _ => ColorMatrix::BT601,
    };
    if decoder.color_range() == Range::JPEG { base.full_range() } else { base }
}

/// How many decoded frames (and audio packets) the decoding thread may run ahead of the encoder.
const DEMUXED_AHEAD: usize = 4;

/// What the decoding thread hands the encoding thread, in file order.
enum Demuxed {
    /// A picture, its timestamp shifted so the file starts at 0.
    Frame(frame::Video),
    /// An audio packet, shifted likewise and already in the output stream's terms.
    Audio(Packet),
}

/// A stream's timestamps shifted so the output starts at 0, and the last one written, in the
/// stream's time base.
#[derive(Debug, Clone, Copy)]
struct Timeline {
    shift: i64,
    last: i64,
}

impl Timeline {
    /// For an input starting at `start_us` microseconds, cut after `max_secs`.
    fn new(start_us: i64, max_secs: f64, tb: Rational) -> Self {
        let us = Rational(1, 1_000_000);
        Self {
            shift: start_us.rescale(us, tb),
            last: ((max_secs * 1_000_000.0) as i64).rescale(us, tb),
        }
    }

    /// `ts` shifted, or `None` when it is past the end.
    fn place(&self, ts: i64) -> Option<i64> {
        let shifted = ts - self.shift;
        (shifted <= self.last).then_some(shifted)
    }
}

struct AudioRoute {
    index: usize,
    tb: Rational,
    timeline: Timeline,
    out: usize,
    out_tb: Rational,
}

/// Demuxing and decoding, on a thread of their own.
///
/// Both libavcodec's frame threads and x264's threads need feeding: a single thread that sends
/// a packet, then a frame, then the next packet sits in whichever of the two calls is full while
/// the other side's threads run dry. With the decoder on its own thread, decoding goes on while
/// the encoder is busy, and a core left idle by one is taken by the other.
struct Source {
    input: format::context::Input,
    decoder: ff::decoder::Video,
    video: usize,
    /// The video stream's.
    timeline: Timeline,
    audio: Option<AudioRoute>,
    span: Option<Span>,
}

impl Source {
    /// Sends everything up to the end of the input; stops early (without error) when the
    /// encoding side has gone away.
    fn run(mut self, items: &SyncSender<Demuxed>) -> Result<(), BurnError> {
        let mut packet = Packet::empty();
        let mut corrupt_packets = 0u64;
        loop {
            match packet.read(&mut self.input) {
                Ok(()) => {}
                Err(ff::Error::Eof) => break,
                Err(e) => return Err(BurnError::Ffmpeg { what: "reading the input", source: e }),
            }
            let index = packet.stream();
            if index == self.video {
                // Like the ffmpeg command line, a damaged packet costs its frames, not the
                // render; a file that decodes short is caught by the caller's duration check.
                if let Err(e) = self.decoder.send_packet(&packet) {
                    corrupt_packets += 1;
                    if corrupt_packets == 1 {
                        eprintln!("warning: skipping undecodable video data ({e})");
                    }
                }
                if !self.receive_frames(items) {
                    return Ok(());
                }
            } else if let Some(route) = self.audio.as_ref().filter(|r| r.index == index) {
                if packet.pts().is_some_and(|p| route.timeline.place(p).is_none()) {
                    continue;
                }
                let shift = route.timeline.shift;
                packet.set_pts(packet.pts().map(|p| p - shift));
                packet.set_dts(packet.dts().map(|d| d - shift));
                packet.rescale_ts(route.tb, route.out_tb);
                packet.set_position(-1);
                packet.set_stream(route.out);
                if items
                    .send(Demuxed::Audio(std::mem::replace(&mut packet, Packet::empty())))
                    .is_err()
                {
                    return Ok(());
                }
            }
        }
        self.decoder.send_eof().map_err(ctx("flushing the decoder"))?;
        self.receive_frames(items);
        Ok(())
    }

    /// Passes on the frames the decoder has finished; `false` when nobody takes them any more
    /// or the span is complete.
    fn receive_frames(&mut self, items: &SyncSender<Demuxed>) -> bool {
        loop {
            let mut frame = frame::Video::empty();
            if self.decoder.receive_frame(&mut frame).is_err() {
                return true;
            }
            let shown = frame.timestamp();
            if let (Some(span), Some(ts)) = (&self.span, shown) {
                if span.to_pts.is_some_and(|to| ts >= to) {
                    // Frames come out in the order they are shown: the stretch is complete.
                    return false;
                }
                if !span.holds(ts) {
                    continue; // shown before the stretch (an open GOP's leading frames)
                }
            }
            let Some(pts) = shown.and_then(|ts| self.timeline.place(ts)) else {
                continue;
            };
            frame.set_pts(Some(pts));
            frame.set_kind(picture::Type::None);
            if items.send(Demuxed::Frame(frame)).is_err() {
                return false;
            }
        }
    }
}

/// Decoded frames waiting for their captions and to be drawn on.
///
/// A decoded frame is usually still a reference picture for frames the decoder has not finished
/// (or holds in another thread's picture buffer), so drawing on it in place would corrupt the
/// video; FFmpeg's filter copies every such frame. Most frames are released a few frames later,
/// so captioned frames wait here, in order, up to `RELEASE_WINDOW` frames, until the decoder lets
/// go; only a frame still held after that is copied. Meanwhile `CaptionTrack` renders their
/// captions on another thread.
#[derive(Default)]
struct FrameQueue {
    /// Frames in presentation order; the first `resolved.len()` have their captions.
    frames: VecDeque<frame::Video>,
    resolved: VecDeque<FrameCaptions>,
}

fn is_writable(frame: &frame::Video) -> bool {
    // SAFETY: reads the reference counts of a valid frame.
    unsafe { ff::ffi::av_frame_is_writable(frame.as_ptr() as *mut _) != 0 }
}

impl FrameQueue {
    fn push(&mut self, frame: frame::Video) {
        self.frames.push_back(frame);
    }

    /// The next frame to encode with its captions, if it is ready (or `flush`).
    fn pop(
        &mut self,
        captions: &CaptionTrack,
        flush: bool,
    ) -> Result<Option<(frame::Video, FrameCaptions)>, BurnError> {
        let Some(front) = self.frames.front() else { return Ok(None) };
        let overdue = flush || self.frames.len() > RELEASE_WINDOW;
        if self.resolved.is_empty() {
            let answer = if overdue { Some(captions.next()?) } else { captions.try_next() };
            let Some(answer) = answer else { return Ok(None) };
            self.resolved.push_back(answer);
        }
        let ready =
            overdue || self.resolved.front().is_some_and(|l| l.is_none()) || is_writable(front);
        if !ready {
            return Ok(None);
        }
        Ok(self.frames.pop_front().zip(self.resolved.pop_front()))
    }
}

struct VideoSink<'a> {
    encoder: &'a mut ff::encoder::Video,
    stream: usize,
    enc_tb: Rational,
    out_tb: Rational,
    stats: BurnStats,
    last_pts: Option<i64>,
    /// One frame in `enc_tb`, for packets x264 leaves without a duration (so the last frame
    /// keeps its length, as with the CLI).
    frame_duration: i64,
    /// The frame size everything was set up for.
    width: u32,
    height: u32,
}

impl VideoSink<'_> {
    fn send(
        &mut self,
        (mut frame, layer): (frame::Video, FrameCaptions),
        output: &mut format::context::Output,
    ) -> Result<(), BurnError> {
        if let Some(layer) = layer {
            // A stream may change format or size midway (a new SPS); drawing assumes what was
            // checked at the start.
            if frame.format() != Pixel::YUV420P
                || (frame.width(), frame.height()) != (self.width, self.height)
            {
                return Err(BurnError::Unsupported(format!(
                    "the video changes to {:?} {}x{} midway",
                    frame.format(),
                    frame.width(),
                    frame.height()
                )));
            }
            if !is_writable(&frame) {
                // SAFETY: copies the picture into a buffer only this frame references.
                let rc = unsafe { ff::ffi::av_frame_make_writable(frame.as_mut_ptr()) };
                if rc < 0 {
                    return Err(BurnError::Ffmpeg {
                        what: "copying a frame",
                        source: ff::Error::from(rc),
                    });
                }
                self.stats.copied_frames += 1;
            }
            draw(&mut frame, &layer);
            self.stats.captioned_frames += 1;
        }
        // Two frames with one timestamp cannot both go into MP4; the CLI drops the second too.
        if frame.pts().is_some() && frame.pts() <= self.last_pts {
            return Ok(());
        }
        self.last_pts = frame.pts();
        self.stats.frames += 1;
        if let Some(pts) = frame.pts() {
            self.stats.out_time_secs = pts as f64 * f64::from(self.enc_tb);
        }
        self.encoder.send_frame(&frame).map_err(ctx("encoding the video"))?;
        self.drain(output)
    }

    fn drain(&mut self, output: &mut format::context::Output) -> Result<(), BurnError> {
        let mut packet = Packet::empty();
        while self.encoder.receive_packet(&mut packet).is_ok() {
            packet.set_stream(self.stream);
            if packet.duration() == 0 {
                packet.set_duration(self.frame_duration);
            }
            packet.rescale_ts(self.enc_tb, self.out_tb);
            packet.write_interleaved(output).map_err(ctx("writing video"))?;
        }
        Ok(())
    }

    fn progress(&self) -> BurnProgress {
        BurnProgress {
            frame: self.stats.frames,
            out_time_secs: self.stats.out_time_secs,
            done: false,
        }
    }
}

fn draw(frame: &mut frame::Video, layer: &CaptionLayer) {
    let (ys, cbs, crs) = (frame.stride(0), frame.stride(1), frame.stride(2));
    // SAFETY: the three planes of a 4:2:0 frame are disjoint buffers; `data_mut` only hands out
    // one at a time, so the raw parts are split here. Lengths come from FFmpeg's own plane sizes.
    unsafe {
        let f = frame.as_mut_ptr();
        let h = (*f).height as usize;
        let y = std::slice::from_raw_parts_mut((*f).data[0], ys * h);
        let cb = std::slice::from_raw_parts_mut((*f).data[1], cbs * h.div_ceil(2));
        let cr = std::slice::from_raw_parts_mut((*f).data[2], crs * h.div_ceil(2));
        layer.draw(Planes { y, y_stride: ys, cb, cb_stride: cbs, cr, cr_stride: crs });
    }
}

trait Rescale {
    fn rescale(self, from: Rational, to: Rational) -> i64;
}

impl Rescale for i64 {
    fn rescale(self, from: Rational, to: Rational) -> i64 {
        // SAFETY: pure arithmetic.
        unsafe { ff::ffi::av_rescale_q(self, from.into(), to.into()) }
    }
}
