//! Opening the input ahead of the job, and describing it as ffprobe would.
//!
//! A compositor started ahead of its render (`cofee burn-frames --job-on-stdin`) is the one
//! process that will read the input anyway, with the libraries already loaded. Asked to, it opens
//! the input (the same libavformat calls, options and allow-lists `ffprobe` uses) and prints the
//! part of `ffprobe -show_format -show_streams -print_format json` that Cofee reads, so the
//! caller checks its limits on it exactly as on ffprobe's output; the render then goes on from
//! the open input. That spares starting ffprobe (~60 ms of loading 200 libraries) and opening
//! the file twice, both on the path from "go" to the first encoded frame.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};

use ff::{Dictionary, format};
use ffmpeg_next as ff;
use serde_json::{Map, Value, json};

use crate::BurnError;

/// An input opened (and its streams read) before its render.
pub struct OpenInput {
    path: PathBuf,
    pub(crate) input: format::context::Input,
}

impl OpenInput {
    /// Whether this is `path` as opened with `demuxer` (the first of the demuxer's names, `mov`
    /// of `mov,mp4,m4a,…`, as Cofee forces it with `-f`); a job for another file opens its own.
    pub(crate) fn is(&self, path: &Path, demuxer: &str) -> bool {
        self.path == path && self.input.format().name().split(',').next() == Some(demuxer)
    }
}

/// Opens `path` with any of `allowed_demuxers` (comma-separated) over the `file` protocol only,
/// reads its streams, and returns it with its description in ffprobe's JSON.
pub fn open_and_describe(
    path: &Path,
    allowed_demuxers: &str,
) -> Result<(OpenInput, String), BurnError> {
    init()?;
    let input = open(path, None, allowed_demuxers)?;
    let description = describe(&input).to_string();
    Ok((OpenInput { path: path.to_path_buf(), input }, description))
}

/// Initialises libav for this process, logging errors only (stderr is the caller's tail).
pub(crate) fn init() -> Result<(), BurnError> {
    ff::init().map_err(|source| BurnError::Ffmpeg { what: "initialising FFmpeg", source })?;
    ff::log::set_level(ff::log::Level::Error);
    Ok(())
}

/// Opens a local file, refusing every protocol but `file` and every demuxer not allowed;
/// `demuxer` forces one (as `-f` does) rather than probing.
pub(crate) fn open(
    path: &Path,
    demuxer: Option<&str>,
    allowed_demuxers: &str,
) -> Result<format::context::Input, BurnError> {
    let url = CString::new(format!("file:{}", path.display()))
        .map_err(|_| BurnError::Unsupported("the input path contains a NUL byte".into()))?;
    let name = demuxer
        .map(CString::new)
        .transpose()
        .map_err(|_| BurnError::Unsupported("bad demuxer name".into()))?;
    let mut opts = Dictionary::new();
    opts.set("protocol_whitelist", "file");
    opts.set("format_whitelist", allowed_demuxers);
    // SAFETY: standard libavformat open sequence; the dictionary is handed over and taken back,
    // and the context is owned by `Input` from here on (closed on drop).
    unsafe {
        let fmt = match &name {
            Some(name) => {
                let fmt = ff::ffi::av_find_input_format(name.as_ptr());
                if fmt.is_null() {
                    return Err(BurnError::Unsupported(format!(
                        "this FFmpeg has no demuxer {demuxer:?}"
                    )));
                }
                fmt
            }
            None => std::ptr::null(),
        };
        let mut ps = std::ptr::null_mut();
        let mut raw_opts = opts.disown();
        let rc = ff::ffi::avformat_open_input(&mut ps, url.as_ptr(), fmt, &mut raw_opts);
        drop(Dictionary::own(raw_opts));
        if rc < 0 {
            return Err(BurnError::Ffmpeg {
                what: "opening the input",
                source: ff::Error::from(rc),
            });
        }
        let rc = ff::ffi::avformat_find_stream_info(ps, std::ptr::null_mut());
        let input = format::context::Input::wrap(ps);
        if rc < 0 {
            return Err(BurnError::Ffmpeg {
                what: "reading the input's streams",
                source: ff::Error::from(rc),
            });
        }
        Ok(input)
    }
}

/// Stream `index` of `input`, which must be audio: its index, time base and parameters.
pub(crate) fn audio_stream(
    input: &format::context::Input,
    index: usize,
) -> Result<(usize, ff::Rational, ff::codec::Parameters), BurnError> {
    input
        .stream(index)
        .filter(|s| s.parameters().medium() == ff::media::Type::Audio)
        .map(|s| (index, s.time_base(), s.parameters()))
        .ok_or_else(|| BurnError::Unsupported(format!("stream {index} is not an audio stream")))
}

/// When `input` starts, in microseconds (0 when it does not say): renders shift it to 0.
pub(crate) fn start_us(input: &format::context::Input) -> i64 {
    // SAFETY: reading a field of the open input context.
    let start = unsafe { (*input.as_ptr()).start_time };
    if start == ff::ffi::AV_NOPTS_VALUE { 0 } else { start }
}

/// `{"streams": […], "format": {…}}` with the fields, names and formatting ffprobe 5.1 prints
/// for them (fields it would print as "N/A" are left out, as its JSON writer does).
fn describe(input: &format::context::Input) -> Value {
    let streams: Vec<Value> = input.streams().map(|s| describe_stream(&s)).collect();
    let mut format = Map::new();
    format.insert("format_name".into(), input.format().name().into());
    // SAFETY: reads a field of the open context.
    let duration = unsafe { (*input.as_ptr()).duration };
    if duration != ff::ffi::AV_NOPTS_VALUE {
        format
            .insert("duration".into(), seconds(duration as f64 / f64::from(ff::ffi::AV_TIME_BASE)));
    }
    // SAFETY: as above.
    let start = unsafe { (*input.as_ptr()).start_time };
    if start != ff::ffi::AV_NOPTS_VALUE {
        format
            .insert("start_time".into(), seconds(start as f64 / f64::from(ff::ffi::AV_TIME_BASE)));
    }
    json!({ "streams": streams, "format": format })
}

fn describe_stream(stream: &format::stream::Stream<'_>) -> Value {
    let mut s = Map::new();
    s.insert("index".into(), stream.index().into());
    // SAFETY: reads fields of a stream of the open context and static strings libav returns.
    unsafe {
        let st = stream.as_ptr();
        let par = (*st).codecpar;
        let kind = ff::ffi::av_get_media_type_string((*par).codec_type);
        if !kind.is_null() {
            s.insert("codec_type".into(), c_str(kind).into());
        }
        let descriptor = ff::ffi::avcodec_descriptor_get((*par).codec_id);
        if !descriptor.is_null() {
            s.insert("codec_name".into(), c_str((*descriptor).name).into());
        }
        match (*par).codec_type {
            ff::ffi::AVMediaType::AVMEDIA_TYPE_VIDEO => {
                s.insert("width".into(), (*par).width.into());
                s.insert("height".into(), (*par).height.into());
                // SAFETY: `format` of video parameters is an AVPixelFormat.
                let name = ff::ffi::av_get_pix_fmt_name(std::mem::transmute::<
                    i32,
                    ff::ffi::AVPixelFormat,
                >((*par).format));
                if !name.is_null() {
                    s.insert("pix_fmt".into(), c_str(name).into());
                }
            }
            ff::ffi::AVMediaType::AVMEDIA_TYPE_AUDIO => {
                s.insert("sample_rate".into(), (*par).sample_rate.to_string().into());
                s.insert("channels".into(), (*par).ch_layout.nb_channels.into());
            }
            _ => {}
        }
        let q = |r: ff::ffi::AVRational| format!("{}/{}", r.num, r.den);
        s.insert("r_frame_rate".into(), q((*st).r_frame_rate).into());
        s.insert("avg_frame_rate".into(), q((*st).avg_frame_rate).into());
        if (*st).duration != ff::ffi::AV_NOPTS_VALUE {
            let tb = (*st).time_base;
            s.insert(
                "duration".into(),
                seconds((*st).duration as f64 * f64::from(tb.num) / f64::from(tb.den)),
            );
        }
        if (*st).nb_frames != 0 {
            s.insert("nb_frames".into(), (*st).nb_frames.to_string().into());
        }
        let attached_pic = (*st).disposition & ff::ffi::AV_DISPOSITION_ATTACHED_PIC != 0;
        s.insert("disposition".into(), json!({ "attached_pic": u8::from(attached_pic) }));
        let mut size = 0;
        let matrix = ff::ffi::av_stream_get_side_data(
            st,
            ff::ffi::AVPacketSideDataType::AV_PKT_DATA_DISPLAYMATRIX,
            &mut size,
        );
        if !matrix.is_null() && size >= 9 * 4 {
            // ffprobe prints the angle as an integer, truncated.
            let rotation = ff::ffi::av_display_rotation_get(matrix as *const i32) as i64;
            s.insert(
                "side_data_list".into(),
                json!([{ "side_data_type": "Display Matrix", "rotation": rotation }]),
            );
        }
    }
    if let Some(rotate) = stream.metadata().get("rotate") {
        s.insert("tags".into(), json!({ "rotate": rotate }));
    }
    Value::Object(s)
}

/// Seconds as ffprobe prints a time (`%f`).
fn seconds(v: f64) -> Value {
    format!("{v:.6}").into()
}

/// # Safety
/// `p` is a valid NUL-terminated string that outlives the call.
unsafe fn c_str(p: *const std::ffi::c_char) -> String {
    // SAFETY: as the caller promises.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}
