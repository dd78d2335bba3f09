//! What a file is, checked against [`MediaLimits`] before anything is decoded: described by
//! ffprobe, or, when a render follows, by the compositor that will read it (in ffprobe's JSON,
//! interpreted and checked by the same code).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use tokio::io::AsyncReadExt;
use tokio_util::sync::CancellationToken;

use crate::limits::{ALLOWED_AUDIO_CODECS, ALLOWED_VIDEO_CODECS};
use crate::process::{self, collect_stderr, file_url, input_guard_args};
use crate::{CompositorStandby, MediaError, MediaLimits, Rejection};

/// Upper bound on a description of the input (a hostile file can declare thousands of streams).
pub(crate) const MAX_PROBE_OUTPUT: u64 = 4 << 20;

#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    /// Absolute stream index, for `-map 0:N`.
    pub index: u32,
    pub codec: String,
    /// Display size: coded size with rotation metadata applied (FFmpeg auto-rotates on decode).
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    /// Declared frame count, or duration × fps.
    pub frames: u64,
    pub rotation: i32,
    /// FFmpeg's name of its pixel format (`yuv420p`), when it has one.
    pub pixel_format: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AudioInfo {
    pub index: u32,
    pub codec: String,
    pub sample_rate: u32,
    pub channels: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MediaInfo {
    pub path: PathBuf,
    /// The demuxer to force with `-f` on every later run.
    pub demuxer: String,
    pub format_name: String,
    pub size_bytes: u64,
    pub duration_secs: f64,
    /// When the first stream starts (renders shift it to 0); 0 when the container says nothing.
    pub start_secs: f64,
    pub video: Option<VideoInfo>,
    pub audio: Option<AudioInfo>,
}

impl MediaInfo {
    pub fn require_video(&self) -> Result<&VideoInfo, MediaError> {
        self.video.as_ref().ok_or(MediaError::Rejected(Rejection::NoVideo))
    }

    pub fn require_audio(&self) -> Result<&AudioInfo, MediaError> {
        self.audio.as_ref().ok_or(MediaError::Rejected(Rejection::NoAudio))
    }
}

#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    streams: Vec<Stream>,
    format: Option<Format>,
}

#[derive(Deserialize)]
struct Format {
    format_name: String,
    duration: Option<String>,
    start_time: Option<String>,
}

#[derive(Deserialize, Default)]
struct Disposition {
    #[serde(default)]
    attached_pic: u8,
}

#[derive(Deserialize)]
struct SideData {
    rotation: Option<f64>,
}

#[derive(Deserialize)]
struct Stream {
    index: u32,
    codec_type: Option<String>,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
    pix_fmt: Option<String>,
    nb_frames: Option<String>,
    duration: Option<String>,
    sample_rate: Option<String>,
    channels: Option<u32>,
    #[serde(default)]
    disposition: Disposition,
    #[serde(default)]
    side_data_list: Vec<SideData>,
    #[serde(default)]
    tags: std::collections::HashMap<String, String>,
}

fn rate(s: Option<&str>) -> Option<f64> {
    let (n, d) = s?.split_once('/')?;
    let (n, d): (f64, f64) = (n.parse().ok()?, d.parse().ok()?);
    (d > 0.0 && n > 0.0).then_some(n / d)
}

/// Probes `path` and checks it against `limits`. Bad files are [`MediaError::Rejected`].
pub async fn probe(
    path: &Path,
    limits: &MediaLimits,
    cancel: &CancellationToken,
) -> Result<MediaInfo, MediaError> {
    probe_with(path, limits, None, cancel).await
}

/// As [`probe`], with the description from a standby compositor when there is one (it opens
/// the input for its render anyway; see `CompositorStandby::describe`), from ffprobe otherwise.
pub async fn probe_with(
    path: &Path,
    limits: &MediaLimits,
    standby: Option<&mut CompositorStandby>,
    cancel: &CancellationToken,
) -> Result<MediaInfo, MediaError> {
    let path = std::path::absolute(path)
        .map_err(|e| MediaError::Input { path: path.display().to_string(), source: e })?;
    let meta = tokio::fs::metadata(&path)
        .await
        .map_err(|e| MediaError::Input { path: path.display().to_string(), source: e })?;
    if !meta.is_file() {
        let e = std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file");
        return Err(MediaError::Input { path: path.display().to_string(), source: e });
    }
    if meta.len() == 0 {
        return Err(Rejection::Empty.into());
    }
    if meta.len() > limits.max_bytes {
        return Err(Rejection::TooLarge { size: meta.len(), limit: limits.max_bytes }.into());
    }
    let described = match standby {
        Some(standby) => standby.describe(&path, limits.process_timeout_base, cancel).await?,
        None => None,
    };
    let json = match described {
        Some(json) => json,
        None => run_ffprobe(&path, limits, cancel).await?,
    };
    let info = interpret(&path, meta.len(), &json)?;
    check_limits(&info, limits)?;
    Ok(info)
}

async fn run_ffprobe(
    path: &Path,
    limits: &MediaLimits,
    cancel: &CancellationToken,
) -> Result<String, MediaError> {
    let mut cmd = process::command("ffprobe");
    cmd.args(["-v", "error"])
        .args(input_guard_args())
        .args(["-print_format", "json", "-show_format", "-show_streams"])
        .arg(file_url(path));
    let mut child = process::spawn(&mut cmd, "ffprobe")?;
    let stderr = collect_stderr(&mut child, "ffprobe");
    let mut stdout = child.stdout.take().expect("piped").take(MAX_PROBE_OUTPUT);
    let reader = async {
        let mut s = String::new();
        stdout.read_to_string(&mut s).await.map(|_| s)
    };
    let (out, status) = tokio::join!(
        reader,
        process::wait(&mut child, "ffprobe", limits.process_timeout_base, cancel)
    );
    let status = status?;
    let err = stderr.await.unwrap_or_default();
    if !status.success() {
        // What FFmpeg says is wrong with the file, without the server's path to it (L7).
        let detail =
            cofee_core::redact::without_paths(err.lines().last().unwrap_or("unknown error"));
        return Err(if err.contains("not on whitelist") {
            Rejection::FormatNotAllowed { detail }
        } else {
            Rejection::Unreadable { detail }
        }
        .into());
    }
    Ok(out?)
}

fn interpret(path: &Path, size_bytes: u64, json: &str) -> Result<MediaInfo, MediaError> {
    let p: Probe = serde_json::from_str(json)
        .map_err(|e| MediaError::BadToolOutput { tool: "ffprobe", detail: e.to_string() })?;
    let format = p
        .format
        .ok_or_else(|| Rejection::Unreadable { detail: "no container information".into() })?;
    let stream_duration = || {
        p.streams
            .iter()
            .filter_map(|s| s.duration.as_deref()?.parse::<f64>().ok())
            .fold(None, |a: Option<f64>, d| Some(a.map_or(d, |a| a.max(d))))
    };
    let duration_secs = format
        .duration
        .as_deref()
        .and_then(|d| d.parse::<f64>().ok())
        .or_else(stream_duration)
        .filter(|d| d.is_finite() && *d > 0.0);
    let duration_secs = duration_secs.ok_or(Rejection::UnknownDuration)?;
    let video = p
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("video") && s.disposition.attached_pic == 0)
        .map(|s| video_info(s, duration_secs));
    let audio =
        p.streams.iter().find(|s| s.codec_type.as_deref() == Some("audio")).map(|s| AudioInfo {
            index: s.index,
            codec: s.codec_name.clone().unwrap_or_default(),
            sample_rate: s.sample_rate.as_deref().and_then(|r| r.parse().ok()).unwrap_or(0),
            channels: s.channels.unwrap_or(0),
        });
    Ok(MediaInfo {
        path: path.to_path_buf(),
        demuxer: format.format_name.split(',').next().unwrap_or_default().to_string(),
        format_name: format.format_name,
        size_bytes,
        duration_secs,
        start_secs: format
            .start_time
            .as_deref()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite())
            .unwrap_or(0.0),
        video: video.transpose()?,
        audio,
    })
}

fn video_info(s: &Stream, duration: f64) -> Result<VideoInfo, MediaError> {
    let fps = rate(s.avg_frame_rate.as_deref())
        .or_else(|| rate(s.r_frame_rate.as_deref()))
        .unwrap_or(0.0);
    let rotation = s
        .side_data_list
        .iter()
        .find_map(|d| d.rotation)
        .or_else(|| s.tags.get("rotate").and_then(|r| r.parse().ok()))
        .map_or(0, |r: f64| (r.round() as i32).rem_euclid(360));
    let (w, h) = (s.width.unwrap_or(0), s.height.unwrap_or(0));
    let (width, height) = if rotation % 180 == 90 { (h, w) } else { (w, h) };
    let frames = s
        .nb_frames
        .as_deref()
        .and_then(|n| n.parse().ok())
        .unwrap_or((duration * fps).ceil() as u64);
    Ok(VideoInfo {
        index: s.index,
        codec: s.codec_name.clone().unwrap_or_default(),
        width,
        height,
        fps,
        frames,
        rotation,
        pixel_format: s.pix_fmt.clone(),
    })
}

fn check_limits(info: &MediaInfo, l: &MediaLimits) -> Result<(), Rejection> {
    if let Some(v) = &info.video {
        let pixels = v.width as u64 * v.height as u64;
        if v.width == 0
            || v.height == 0
            || v.width > l.max_width
            || v.height > l.max_height
            || pixels > l.max_pixels
        {
            return Err(Rejection::Dimensions {
                width: v.width,
                height: v.height,
                max_width: l.max_width,
                max_height: l.max_height,
                max_pixels: l.max_pixels,
            });
        }
        if !ALLOWED_VIDEO_CODECS.contains(&v.codec.as_str()) {
            return Err(Rejection::Codec {
                kind: "video",
                codec: v.codec.clone(),
                allowed: ALLOWED_VIDEO_CODECS.join(", "),
            });
        }
        if v.frames > l.max_frames || v.fps > l.max_fps {
            return Err(Rejection::Frames {
                frames: v.frames,
                fps: v.fps,
                limit: l.max_frames,
                max_fps: l.max_fps,
            });
        }
    }
    if let Some(a) = &info.audio
        && !ALLOWED_AUDIO_CODECS.contains(&a.codec.as_str())
    {
        return Err(Rejection::Codec {
            kind: "audio",
            codec: a.codec.clone(),
            allowed: ALLOWED_AUDIO_CODECS.join(", "),
        });
    }
    if info.duration_secs > l.max_duration.as_secs_f64() {
        return Err(Rejection::Duration {
            actual: info.duration_secs,
            limit: l.max_duration.as_secs_f64(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured from `ffprobe -show_format -show_streams` on a portrait phone clip (FFmpeg 5.1).
    const PHONE: &str = r#"{"streams":[
      {"index":0,"codec_name":"h264","codec_type":"video","width":1920,"height":1080,"avg_frame_rate":"30000/1001","r_frame_rate":"30/1","nb_frames":"300",
       "side_data_list":[{"side_data_type":"Display Matrix","displaymatrix":"...","rotation":-90}],"disposition":{"attached_pic":0}},
      {"index":1,"codec_name":"aac","codec_type":"audio","sample_rate":"48000","channels":2,"disposition":{"attached_pic":0}}],
      "format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2","duration":"10.010000"}}"#;

    #[test]
    fn reads_a_rotated_phone_clip() {
        let info = interpret(Path::new("/x.mp4"), 10, PHONE).unwrap();
        let v = info.video.as_ref().unwrap();
        assert_eq!((v.width, v.height, v.rotation, v.frames), (1080, 1920, 270, 300));
        assert!((v.fps - 29.97).abs() < 0.01);
        assert_eq!(info.demuxer, "mov");
        assert_eq!(info.audio.as_ref().unwrap().sample_rate, 48000);
        check_limits(&info, &MediaLimits::default()).unwrap();
    }

    #[test]
    fn refuses_huge_frames_and_odd_codecs() {
        let huge =
            PHONE.replace("\"width\":1920,\"height\":1080", "\"width\":30000,\"height\":30000");
        let info = interpret(Path::new("/x.mp4"), 10, &huge).unwrap();
        assert!(matches!(
            check_limits(&info, &MediaLimits::default()),
            Err(Rejection::Dimensions { .. })
        ));
        let odd = PHONE.replace("\"h264\"", "\"xbin\"");
        let info = interpret(Path::new("/x.mp4"), 10, &odd).unwrap();
        let e = check_limits(&info, &MediaLimits::default()).unwrap_err();
        assert!(e.to_string().contains("video codec \"xbin\" is not supported"), "{e}");
    }

    #[test]
    fn needs_a_duration() {
        let none = PHONE.replace(",\"duration\":\"10.010000\"", "");
        assert!(matches!(
            interpret(Path::new("/x"), 1, &none),
            Err(MediaError::Rejected(Rejection::UnknownDuration))
        ));
    }

    #[test]
    fn cover_art_is_not_video() {
        let mp3 = r#"{"streams":[{"index":0,"codec_name":"mp3","codec_type":"audio","sample_rate":"44100","channels":2},
          {"index":1,"codec_name":"mjpeg","codec_type":"video","width":500,"height":500,"disposition":{"attached_pic":1}}],
          "format":{"format_name":"mp3","duration":"3.0"}}"#;
        let info = interpret(Path::new("/a.mp3"), 1, mp3).unwrap();
        assert!(info.video.is_none());
        assert!(matches!(info.require_video(), Err(MediaError::Rejected(Rejection::NoVideo))));
    }
}
