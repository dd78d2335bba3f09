//! A still for project lists: one JPEG frame, scaled down, taken where the video has started.

use std::path::Path;

use tokio_util::sync::CancellationToken;

use crate::process::{self, collect_stderr, file_url, input_guard_args};
use crate::{MediaError, MediaInfo, MediaLimits};

/// Writes a JPEG `width` pixels wide of the frame at 1 s (or the middle of shorter videos).
pub async fn thumbnail(
    info: &MediaInfo,
    out: &Path,
    width: u32,
    limits: &MediaLimits,
    cancel: &CancellationToken,
) -> Result<(), MediaError> {
    let video = info.require_video()?;
    let at = (info.duration_secs / 2.0).min(1.0);
    let mut cmd = process::command("ffmpeg");
    cmd.args(["-nostdin", "-v", "error", "-ss", &format!("{at:.3}")])
        .args(input_guard_args())
        .args(["-f", &info.demuxer, "-i"])
        .arg(file_url(&info.path))
        .args([
            "-map",
            &format!("0:{}", video.index),
            "-frames:v",
            "1",
            "-vf",
            &format!("scale={width}:-2"),
            "-q:v",
            "4",
            "-f",
            "image2",
            "-c:v",
            "mjpeg",
            "-y",
        ])
        .arg(file_url(out));
    let mut child = process::spawn(&mut cmd, "ffmpeg")?;
    let stderr = collect_stderr(&mut child, "ffmpeg");
    let status = process::wait(&mut child, "ffmpeg", limits.process_timeout_base, cancel).await?;
    process::check(status, "ffmpeg", stderr.await.unwrap_or_default())
}
