//! Audio for speech engines: 16 kHz mono signed 16-bit little-endian PCM, streamed from FFmpeg's
//! stdout so no more than a pipe buffer of audio is in memory at a time.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, ReadBuf};
use tokio::process::{Child, ChildStdout};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::process::{self, collect_stderr, file_url, input_guard_args};
use crate::{MediaError, MediaInfo};

pub const SAMPLE_RATE: u32 = 16_000;
pub const BYTES_PER_SECOND: u64 = SAMPLE_RATE as u64 * 2;

/// The audio of a running extraction. Read it to the end, then call [`PcmExit::finish`] to
/// learn whether FFmpeg succeeded (a decoder error looks like an early end of stream).
pub struct PcmStream {
    stdout: ChildStdout,
}

/// The FFmpeg process behind a [`PcmStream`]. Dropping it kills FFmpeg.
pub struct PcmExit {
    child: Child,
    stderr: JoinHandle<String>,
}

impl PcmStream {
    /// Starts FFmpeg decoding the first audio stream of `info`.
    pub fn start(info: &MediaInfo) -> Result<(Self, PcmExit), MediaError> {
        Self::start_within(info, None)
    }

    /// Starts FFmpeg decoding `len_ms` of the first audio stream of `info` from `from_ms` on
    /// (to the sample: FFmpeg decodes from the packet before and drops what precedes it).
    pub fn start_range(
        info: &MediaInfo,
        from_ms: u64,
        len_ms: u64,
    ) -> Result<(Self, PcmExit), MediaError> {
        Self::start_within(info, Some((from_ms, len_ms)))
    }

    fn start_within(
        info: &MediaInfo,
        range: Option<(u64, u64)>,
    ) -> Result<(Self, PcmExit), MediaError> {
        let audio = info.require_audio()?;
        let mut cmd = process::command("ffmpeg");
        cmd.args(["-nostdin", "-v", "error"]).args(input_guard_args());
        if let Some((from, len)) = range {
            let secs = |ms: u64| format!("{}.{:03}", ms / 1000, ms % 1000);
            cmd.args(["-ss", &secs(from), "-t", &secs(len)]);
        }
        cmd.args(["-f", &info.demuxer, "-i"])
            .arg(file_url(&info.path))
            .args([
                "-map",
                &format!("0:{}", audio.index),
                "-vn",
                "-sn",
                "-dn",
                "-ac",
                "1",
                "-ar",
                &SAMPLE_RATE.to_string(),
            ])
            .args(["-c:a", "pcm_s16le", "-f", "s16le", "pipe:1"]);
        let mut child = process::spawn(&mut cmd, "ffmpeg")?;
        let stderr = collect_stderr(&mut child, "ffmpeg");
        let stdout = child.stdout.take().expect("piped");
        Ok((Self { stdout }, PcmExit { child, stderr }))
    }
}

impl PcmExit {
    /// Waits for FFmpeg to exit after the stream was read to its end.
    pub async fn finish(
        mut self,
        limit: Duration,
        cancel: &CancellationToken,
    ) -> Result<(), MediaError> {
        let status = process::wait(&mut self.child, "ffmpeg", limit, cancel).await?;
        let err = self.stderr.await.unwrap_or_default();
        process::check(status, "ffmpeg", err)
    }
}

impl AsyncRead for PcmStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stdout).poll_read(cx, buf)
    }
}
