//! The waveform of probed media, for the editor's timeline: peaks in audiowaveform's `.dat`
//! format ([`cofee_core::waveform`]) at 100 pixels a second, folded from the same 16 kHz mono
//! PCM speech engines get, as FFmpeg streams it (only the pixels are kept, two bytes each:
//! an hour is about 720 KB).

use cofee_core::waveform::PeakBuilder;
use cofee_media::audio::SAMPLE_RATE;
use cofee_media::{MediaError, MediaInfo, MediaLimits, PcmStream, Rejection};
use tokio::io::AsyncReadExt as _;
use tokio_util::sync::CancellationToken;

use crate::PipelineError;

/// Samples of 16 kHz audio per pixel: 10 ms, 100 pixels a second.
pub const WAVEFORM_SAMPLES_PER_PIXEL: u32 = 160;

/// The waveform of `info`'s first audio stream, as the bytes of a `.dat` file, spanning the
/// media's whole duration: audio that ends early is followed by silence, and media without audio
/// is silence throughout (a flat line on the timeline rather than no timeline). `progress` hears
/// the fraction done.
pub async fn waveform(
    info: &MediaInfo,
    limits: &MediaLimits,
    progress: &(dyn Fn(f64) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<Vec<u8>, PipelineError> {
    let mut peaks = PeakBuilder::new(SAMPLE_RATE, WAVEFORM_SAMPLES_PER_PIXEL)?;
    let rate = f64::from(SAMPLE_RATE);
    let declared = (info.duration_secs.max(0.0) * rate).round() as u64;
    if info.audio.is_some() {
        // A stream may decode longer than it declares; no longer than the limit, though.
        let most = ((limits.max_duration.as_secs_f64() + 1.0) * rate) as u64;
        let (mut pcm, ffmpeg) = PcmStream::start(info)?;
        let limit = limits.timeout_for(info.duration_secs);
        let read = async {
            let mut buf = vec![0u8; 64 << 10];
            loop {
                let n = pcm.read(&mut buf).await.map_err(MediaError::Io)?;
                if n == 0 {
                    return Ok::<_, PipelineError>(());
                }
                peaks.push_pcm_s16le(&buf[..n]);
                if peaks.samples() > most {
                    return Err(MediaError::Rejected(Rejection::Duration {
                        actual: peaks.samples() as f64 / rate,
                        limit: limits.max_duration.as_secs_f64(),
                    })
                    .into());
                }
                progress(peaks.samples() as f64 / declared.max(1) as f64);
            }
        };
        tokio::select! {
            () = cancel.cancelled() => return Err(MediaError::Cancelled.into()),
            read = tokio::time::timeout(limit, read) => {
                read.map_err(|_| MediaError::Timeout { tool: "ffmpeg", limit })??;
            }
        }
        // The end of the stream may have been a decoder error.
        ffmpeg.finish(limits.process_timeout_base, cancel).await?;
    }
    if peaks.samples() < declared {
        peaks.push_silence(declared - peaks.samples());
    }
    progress(1.0);
    Ok(peaks.finish()?)
}
