//! Burn-in: one FFmpeg run decodes the video once, draws the captions with libass (`ass`
//! filter), encodes with x264 and copies the audio when MP4 can carry it. Output goes to a
//! temporary file beside the target and is renamed into place only on success, so a failed or
//! cancelled render leaves nothing behind.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_util::sync::CancellationToken;

use crate::limits::MP4_COPYABLE_AUDIO;
use crate::process::{self, collect_stderr, file_url, input_guard_args};
use crate::{FontDir, MediaError, MediaInfo, MediaLimits, Rejection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum X264Preset {
    Ultrafast,
    Superfast,
    Veryfast,
    Faster,
    Fast,
    Medium,
    Slow,
    Slower,
    Veryslow,
}

impl X264Preset {
    pub const ALL: [X264Preset; 9] = [Self::Ultrafast, Self::Superfast, Self::Veryfast, Self::Faster, Self::Fast, Self::Medium, Self::Slow, Self::Slower, Self::Veryslow];

    pub fn name(&self) -> &'static str {
        match self {
            Self::Ultrafast => "ultrafast",
            Self::Superfast => "superfast",
            Self::Veryfast => "veryfast",
            Self::Faster => "faster",
            Self::Fast => "fast",
            Self::Medium => "medium",
            Self::Slow => "slow",
            Self::Slower => "slower",
            Self::Veryslow => "veryslow",
        }
    }
}

impl fmt::Display for X264Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for X264Preset {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| format!("unknown x264 preset {s:?}; use one of {}", Self::ALL.map(|p| p.name()).join(", ")))
    }
}

/// Progress as FFmpeg reports it (`-progress`), about twice a second.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BurnProgress {
    pub frame: u64,
    pub out_time_secs: f64,
    pub fps: f64,
    /// `out_time / duration`, clamped to `0..=1`.
    pub fraction: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurnStats {
    pub frames: u64,
    pub elapsed: Duration,
    pub fps: f64,
}

/// One burn-in job.
pub struct BurnIn<'a> {
    pub input: &'a MediaInfo,
    /// The ASS document to draw.
    pub ass: &'a str,
    pub fonts: &'a FontDir,
    pub output: &'a Path,
    pub preset: X264Preset,
    pub crf: u8,
    /// x264 threads (`None`: FFmpeg's default, one per core).
    pub threads: Option<u32>,
    pub limits: &'a MediaLimits,
}

/// Escapes a value for an FFmpeg filter option inside a filter graph (two levels of quoting).
fn filter_escape(v: &str) -> String {
    let level1: String = v.chars().flat_map(|c| if matches!(c, '\\' | '\'' | ':') { vec!['\\', c] } else { vec![c] }).collect();
    level1.chars().flat_map(|c| if matches!(c, '\\' | '\'' | '[' | ']' | ',' | ';') { vec!['\\', c] } else { vec![c] }).collect()
}

impl BurnIn<'_> {
    /// The FFmpeg arguments for this job writing to `target` (after `ffmpeg`).
    pub fn args(&self, ass_path: &Path, target: &Path) -> Result<Vec<String>, MediaError> {
        let video = self.input.require_video()?;
        let mut a: Vec<String> = ["-nostdin", "-v", "error", "-nostats", "-progress", "pipe:1"].map(String::from).to_vec();
        a.extend(input_guard_args());
        a.extend(["-f".into(), self.input.demuxer.clone(), "-i".into(), file_url(&self.input.path)]);
        a.extend(["-map".into(), format!("0:{}", video.index)]);
        if let Some(audio) = &self.input.audio {
            a.extend(["-map".into(), format!("0:{}", audio.index)]);
            if MP4_COPYABLE_AUDIO.contains(&audio.codec.as_str()) {
                a.extend(["-c:a".into(), "copy".into()]);
            } else {
                a.extend(["-c:a", "aac", "-b:a", "192k"].map(String::from));
            }
        }
        let filter = format!("ass=filename={}:fontsdir={}", filter_escape(&ass_path.display().to_string()), filter_escape(&self.fonts.path().display().to_string()));
        a.extend(["-vf".into(), filter]);
        a.extend(["-c:v", "libx264", "-preset", self.preset.name(), "-crf"].map(String::from));
        a.push(self.crf.to_string());
        if let Some(t) = self.threads {
            a.extend(["-threads".into(), t.to_string()]);
        }
        a.extend(["-pix_fmt", "yuv420p", "-map_metadata", "-1", "-map_chapters", "-1", "-sn", "-dn"].map(String::from));
        // Never write more than the input declared (plus a second of slack for rounding).
        a.extend(["-t".into(), format!("{:.3}", self.input.duration_secs + 1.0)]);
        a.extend(["-movflags", "+faststart", "-f", "mp4", "-y"].map(String::from));
        a.push(file_url(target));
        Ok(a)
    }

    /// Runs the burn-in, reporting progress; the output appears at `self.output` only on success.
    pub async fn run(&self, mut on_progress: impl FnMut(BurnProgress), cancel: &CancellationToken) -> Result<BurnStats, MediaError> {
        let work = tempfile::Builder::new().prefix("cofee-burn-").tempdir()?;
        let ass_path = work.path().join("captions.ass");
        tokio::fs::write(&ass_path, self.ass).await?;
        let out_dir = self.output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = self.output.file_name().and_then(|n| n.to_str()).unwrap_or("output");
        let part = tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".part").tempfile_in(out_dir)
            .map_err(|e| MediaError::Input { path: out_dir.display().to_string(), source: e })?;
        let mut cmd = process::command("ffmpeg");
        cmd.args(self.args(&ass_path, part.path())?);
        let started = Instant::now();
        let mut child = process::spawn(&mut cmd, "ffmpeg")?;
        let stderr = collect_stderr(&mut child);
        let stdout = child.stdout.take().expect("piped");
        let duration = self.input.duration_secs;
        let reader = async {
            let mut last = BurnProgress::default();
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let Some((k, v)) = line.split_once('=') else { continue };
                match k {
                    "frame" => last.frame = v.trim().parse().unwrap_or(last.frame),
                    "fps" => last.fps = v.trim().parse().unwrap_or(last.fps),
                    "out_time_us" => {
                        if let Ok(us) = v.trim().parse::<i64>() {
                            last.out_time_secs = us.max(0) as f64 / 1e6;
                            last.fraction = (last.out_time_secs / duration).clamp(0.0, 1.0);
                        }
                    }
                    "progress" => on_progress(last),
                    _ => {}
                }
            }
            last
        };
        let limit = self.limits.timeout_for(duration);
        let (last, status) = tokio::join!(reader, process::wait(&mut child, "ffmpeg", limit, cancel));
        let status = status?;
        process::check(status, "ffmpeg", stderr.await.unwrap_or_default())?;
        // A container that declares more than it holds decodes "successfully" but short.
        if last.out_time_secs + (duration * 0.02).max(0.5) < duration {
            return Err(Rejection::Truncated { declared: duration, decoded: last.out_time_secs }.into());
        }
        part.persist(self.output).map_err(|e| MediaError::Io(e.error))?;
        let elapsed = started.elapsed();
        Ok(BurnStats { frames: last.frame, elapsed, fps: last.frame as f64 / elapsed.as_secs_f64().max(1e-9) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_filter_values() {
        assert_eq!(filter_escape("/tmp/a b/c.ass"), "/tmp/a b/c.ass");
        assert_eq!(filter_escape("/t:x'y,z"), "/t\\\\:x\\\\\\'y\\,z");
    }

    #[test]
    fn presets_parse() {
        assert_eq!("veryfast".parse(), Ok(X264Preset::Veryfast));
        assert!("fastest".parse::<X264Preset>().unwrap_err().contains("ultrafast"));
    }
}
