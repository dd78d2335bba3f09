//! Burn-in: one pass decodes the video once, draws the captions with libass, encodes with x264
//! and copies the audio when MP4 can carry it. Output goes to a temporary file beside the target
//! and is renamed into place only on success, so a failed or cancelled render leaves nothing
//! behind.
//!
//! Two compositors do the drawing, both as supervised child processes: Cofee's own
//! (`cofee burn-frames`, crate `cofee-burn`), which costs next to nothing over a plain
//! re-encode, and FFmpeg's `ass` filter, used for what the former does not handle (rotated
//! video, pixel formats other than 8-bit 4:2:0, audio that must be re-encoded) or when no Cofee
//! executable is at hand (library tests).

use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::chunks::Chunk;
use crate::limits::MP4_COPYABLE_AUDIO;
use crate::probe::MAX_PROBE_OUTPUT;
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
    pub const ALL: [X264Preset; 9] = [
        Self::Ultrafast,
        Self::Superfast,
        Self::Veryfast,
        Self::Faster,
        Self::Fast,
        Self::Medium,
        Self::Slow,
        Self::Slower,
        Self::Veryslow,
    ];

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
        Self::ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| {
            format!(
                "unknown x264 preset {s:?}; use one of {}",
                Self::ALL.map(|p| p.name()).join(", ")
            )
        })
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
    /// Which compositor drew the captions: `cofee` or `ffmpeg ass filter`.
    pub compositor: &'static str,
    pub frames: u64,
    pub elapsed: Duration,
    pub fps: f64,
}

/// Which program draws the captions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compositor {
    /// Cofee's compositor: `program burn-frames …` (normally the running `cofee` executable),
    /// falling back to the filter for inputs it does not handle.
    Native { program: PathBuf },
    /// FFmpeg's `ass` filter only.
    FfmpegFilter,
}

impl Compositor {
    /// The native compositor in the running executable, if it can be found.
    pub fn current_exe() -> Self {
        std::env::current_exe().map_or(Self::FfmpegFilter, |program| Self::Native { program })
    }

    /// Starts the native compositor before its job is known (`None` for the filter, or when it
    /// cannot start: the render then starts one itself and reports why).
    pub fn standby(&self) -> Option<CompositorStandby> {
        let Self::Native { program } = self else { return None };
        let mut cmd = process::supervised(program);
        cmd.args(["burn-frames", JOB_ON_STDIN]).stdin(Stdio::piped());
        let mut child = process::spawn(&mut cmd, "cofee burn-frames").ok()?;
        let stdin = child.stdin.take()?;
        Some(CompositorStandby {
            process: Renderer::following(child, "cofee burn-frames"),
            stdin,
            broken: false,
        })
    }
}

/// The flag that has `cofee burn-frames` read its work from stdin: optionally a request to
/// describe the input (`DESCRIBE_INPUT`, the path, the allowed demuxers), then the job's
/// arguments up to the end of input; every field ends in a NUL byte, so any path passes.
pub const JOB_ON_STDIN: &str = "--job-on-stdin";

/// Asks a standby compositor to open the input and describe it as ffprobe would; it answers on
/// stdout with the JSON (or nothing, if it could not) and a NUL byte.
pub const DESCRIBE_INPUT: &str = "--describe-input";

/// A native compositor process started ahead of its job. Loading its libraries is most of its
/// start-up (~30 ms on a 2-core machine); started while the input is fetched, that time is not
/// added to the render, and asked to describe the input (`describe`) it spares starting ffprobe
/// and opening the file a second time. Dropped unused, it is killed.
pub struct CompositorStandby {
    process: Renderer,
    stdin: ChildStdin,
    /// It stopped answering as agreed; the render starts a fresh one.
    broken: bool,
}

impl CompositorStandby {
    /// The input described in ffprobe's JSON by the compositor, which keeps it open for the
    /// render; `None` if it could not open it (the caller then asks ffprobe, whose answer also
    /// explains a refusal).
    pub(crate) async fn describe(
        &mut self,
        path: &Path,
        limit: Duration,
        cancel: &CancellationToken,
    ) -> Result<Option<String>, MediaError> {
        let request = fields([
            DESCRIBE_INPUT.as_bytes(),
            path.as_os_str().as_bytes(),
            process::allowed_demuxers().as_bytes(),
        ]);
        let exchange = async {
            self.stdin.write_all(&request).await.ok()?;
            self.stdin.flush().await.ok()?;
            let mut reply = Vec::new();
            (&mut self.process.stdout)
                .take(MAX_PROBE_OUTPUT)
                .read_until(0, &mut reply)
                .await
                .ok()?;
            Some(reply)
        };
        let reply = tokio::select! {
            reply = tokio::time::timeout(limit, exchange) => reply.map_err(|_| MediaError::Timeout { tool: "cofee burn-frames", limit })?,
            () = cancel.cancelled() => return Err(MediaError::Cancelled),
        };
        match reply.as_deref().and_then(|r| r.strip_suffix(&[0])) {
            Some(json) => {
                Ok(std::str::from_utf8(json).ok().filter(|j| !j.is_empty()).map(str::to_owned))
            }
            None => {
                self.broken = true;
                Ok(None)
            }
        }
    }

    /// Hands over the job's arguments; `None` if the process has gone away meanwhile.
    async fn start(mut self, args: &[String]) -> Option<Renderer> {
        if self.broken {
            return None;
        }
        let job = fields(args.iter().map(String::as_bytes));
        self.stdin.write_all(&job).await.ok()?;
        // End of input: the job is complete.
        drop(self.stdin);
        Some(self.process)
    }
}

/// Fields for the stdin protocol, each followed by a NUL byte.
fn fields<'a>(fields: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    fields.into_iter().flat_map(|f| f.iter().copied().chain([0])).collect()
}

/// Exit status of `cofee burn-frames` for "not for me": the filter takes over.
const NATIVE_UNSUPPORTED: i32 = 3;

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
    pub compositor: &'a Compositor,
    /// The compositor's process, if one was started ahead (`Compositor::standby`).
    pub standby: Option<CompositorStandby>,
    /// Only this chunk of the video (a render split across workers): written as MP4, without
    /// audio, by the native compositor only, for [`JoinChunks`](crate::chunks::JoinChunks).
    pub chunk: Option<Chunk>,
}

/// A renderer's process (the compositor or FFmpeg) with its progress output, and its stderr
/// read from the start (a process whose stderr pipe fills up stops).
pub(crate) struct Renderer {
    child: Child,
    stdout: BufReader<ChildStdout>,
    stderr: JoinHandle<String>,
    tool: &'static str,
}

impl Renderer {
    pub(crate) fn spawn(
        cmd: &mut tokio::process::Command,
        tool: &'static str,
    ) -> Result<Self, MediaError> {
        Ok(Self::following(process::spawn(cmd, tool)?, tool))
    }

    fn following(mut child: Child, tool: &'static str) -> Self {
        let stderr = collect_stderr(&mut child, tool);
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Self { child, stdout, stderr, tool }
    }
}

/// Escapes a value for an FFmpeg filter option inside a filter graph (two levels of quoting).
pub(crate) fn filter_escape(v: &str) -> String {
    let level1: String = v
        .chars()
        .flat_map(|c| if matches!(c, '\\' | '\'' | ':') { vec!['\\', c] } else { vec![c] })
        .collect();
    level1
        .chars()
        .flat_map(|c| {
            if matches!(c, '\\' | '\'' | '[' | ']' | ',' | ';') { vec!['\\', c] } else { vec![c] }
        })
        .collect()
}

impl BurnIn<'_> {
    /// The FFmpeg arguments for this job writing to `target` (after `ffmpeg`).
    pub fn args(&self, ass_path: &Path, target: &Path) -> Result<Vec<String>, MediaError> {
        let video = self.input.require_video()?;
        let mut a: Vec<String> = ["-nostdin", "-v", "error", "-nostats", "-progress", "pipe:1"]
            .map(String::from)
            .to_vec();
        a.extend(input_guard_args());
        a.extend([
            "-f".into(),
            self.input.demuxer.clone(),
            "-i".into(),
            file_url(&self.input.path),
        ]);
        a.extend(["-map".into(), format!("0:{}", video.index)]);
        if let Some(audio) = &self.input.audio {
            a.extend(["-map".into(), format!("0:{}", audio.index)]);
            if MP4_COPYABLE_AUDIO.contains(&audio.codec.as_str()) {
                a.extend(["-c:a".into(), "copy".into()]);
            } else {
                a.extend(["-c:a", "aac", "-b:a", "192k"].map(String::from));
            }
        }
        let filter = format!(
            "ass=filename={}:fontsdir={}",
            filter_escape(&ass_path.display().to_string()),
            filter_escape(&self.fonts.path().display().to_string())
        );
        a.extend(["-vf".into(), filter]);
        a.extend(["-c:v", "libx264", "-preset", self.preset.name(), "-crf"].map(String::from));
        a.push(self.crf.to_string());
        if let Some(t) = self.threads {
            a.extend(["-threads".into(), t.to_string()]);
        }
        a.extend(
            ["-pix_fmt", "yuv420p", "-map_metadata", "-1", "-map_chapters", "-1", "-sn", "-dn"]
                .map(String::from),
        );
        // Never write more than the input declared (plus a second of slack for rounding).
        a.extend(["-t".into(), format!("{:.3}", self.input.duration_secs + 1.0)]);
        a.extend(["-movflags", "+faststart", "-f", "mp4", "-y"].map(String::from));
        a.push(file_url(target));
        Ok(a)
    }

    /// Arguments for `cofee burn-frames`, or `None` when the input needs the filter.
    pub fn native_args(
        &self,
        ass_path: &Path,
        target: &Path,
    ) -> Result<Option<Vec<String>>, MediaError> {
        let video = self.input.require_video()?;
        let audio_ok = self
            .input
            .audio
            .as_ref()
            .is_none_or(|a| MP4_COPYABLE_AUDIO.contains(&a.codec.as_str()));
        // A chunk carries no audio (the join copies it once).
        if video.rotation != 0 || !(audio_ok || self.chunk.is_some()) {
            return Ok(None);
        }
        let path = |p: &Path| p.display().to_string();
        let mut a = vec![
            "burn-frames".to_string(),
            "--input".into(),
            path(&self.input.path),
            "--demuxer".into(),
            self.input.demuxer.clone(),
            "--video-stream".into(),
            video.index.to_string(),
        ];
        match (&self.chunk, &self.input.audio) {
            (Some(chunk), _) => {
                a.extend(["--from-pts".into(), chunk.from_pts.to_string()]);
                if let Some(to) = chunk.to_pts {
                    a.extend(["--to-pts".into(), to.to_string()]);
                }
            }
            (None, Some(audio)) => a.extend(["--audio-stream".into(), audio.index.to_string()]),
            (None, None) => {}
        }
        a.extend([
            "--ass".into(),
            path(ass_path),
            "--fonts-dir".into(),
            path(self.fonts.path()),
            "--output".into(),
            path(target),
        ]);
        a.extend([
            "--preset".into(),
            self.preset.name().into(),
            "--crf".into(),
            self.crf.to_string(),
        ]);
        if let Some(t) = self.threads {
            a.extend(["--threads".into(), t.to_string()]);
        }
        a.extend(["--max-secs".into(), format!("{:.3}", self.input.duration_secs + 1.0)]);
        Ok(Some(a))
    }

    /// Runs the burn-in, reporting progress; the output appears at `self.output` only on success.
    pub async fn run(
        mut self,
        mut on_progress: impl FnMut(BurnProgress),
        cancel: &CancellationToken,
    ) -> Result<BurnStats, MediaError> {
        let work = tempfile::Builder::new().prefix("cofee-burn-").tempdir()?;
        let ass_path = work.path().join("captions.ass");
        tokio::fs::write(&ass_path, self.ass).await?;
        let part = part_file(self.output)?;
        let started = Instant::now();
        let mut done = None;
        let mut compositor = "ffmpeg ass filter";
        if let (Compositor::Native { program }, Some(args)) =
            (self.compositor, self.native_args(&ass_path, part.path())?)
        {
            let started = match self.standby.take() {
                Some(standby) => standby.start(&args).await,
                None => None,
            };
            let renderer = match started {
                Some(started) => started,
                None => {
                    Renderer::spawn(process::supervised(program).args(args), "cofee burn-frames")?
                }
            };
            let (status, last, stderr) =
                follow(renderer, self.stretch(), self.limits, &mut on_progress, cancel).await?;
            if status.code() == Some(NATIVE_UNSUPPORTED) && self.chunk.is_some() {
                return Err(MediaError::Failed {
                    tool: "cofee burn-frames",
                    status: "declined a chunk (only the native compositor renders chunks)".into(),
                    stderr,
                });
            }
            if status.code() == Some(NATIVE_UNSUPPORTED) {
                tracing::debug!(reason = %stderr, "the native compositor declined; using FFmpeg's ass filter");
            } else {
                process::check(status, "cofee burn-frames", stderr)?;
                done = Some(last);
                compositor = "cofee";
            }
        }
        let last = match done {
            Some(last) => last,
            None if self.chunk.is_some() => {
                return Err(MediaError::Failed {
                    tool: "cofee burn-frames",
                    status: "a chunk needs the native compositor".into(),
                    stderr: String::new(),
                });
            }
            None => {
                // A standby compositor is not needed any more.
                drop(self.standby.take());
                let renderer = Renderer::spawn(
                    process::command("ffmpeg").args(self.args(&ass_path, part.path())?),
                    "ffmpeg",
                )?;
                let (status, last, stderr) =
                    follow(renderer, self.stretch(), self.limits, &mut on_progress, cancel).await?;
                process::check(status, "ffmpeg", stderr)?;
                last
            }
        };
        // A container that declares more than it holds decodes "successfully" but short.
        check_complete(self.stretch(), &last)?;
        part.persist(self.output).map_err(|e| MediaError::Io(e.error))?;
        let elapsed = started.elapsed();
        Ok(BurnStats {
            compositor,
            frames: last.frame,
            elapsed,
            fps: last.frame as f64 / elapsed.as_secs_f64().max(1e-9),
        })
    }

    /// The stretch of the output timeline this burn writes, in seconds.
    fn stretch(&self) -> (f64, f64) {
        match &self.chunk {
            Some(c) => (c.from_secs, c.to_secs),
            None => (0.0, self.input.duration_secs),
        }
    }
}

/// A temporary file beside `output` that becomes it on success (renamed into place), removed
/// otherwise.
pub(crate) fn part_file(output: &Path) -> Result<tempfile::NamedTempFile, MediaError> {
    let out_dir = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = output.file_name().and_then(|n| n.to_str()).unwrap_or("output");
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".part")
        .permissions(crate::output_permissions())
        .tempfile_in(out_dir)
        .map_err(|e| MediaError::Input { path: out_dir.display().to_string(), source: e })
}

/// Fails when the output ends well before `stretch` does (a container that declares more than
/// it holds decodes "successfully" but short).
pub(crate) fn check_complete(
    (from, to): (f64, f64),
    last: &BurnProgress,
) -> Result<(), MediaError> {
    let length = to - from;
    if last.out_time_secs + (length * 0.02).max(0.5) < to {
        return Err(Rejection::Truncated { declared: to, decoded: last.out_time_secs }.into());
    }
    Ok(())
}

/// Follows one renderer's process (writing `stretch` of the output, in seconds) to its end,
/// reading its `-progress` output.
pub(crate) async fn follow(
    renderer: Renderer,
    (from, to): (f64, f64),
    limits: &MediaLimits,
    on_progress: &mut impl FnMut(BurnProgress),
    cancel: &CancellationToken,
) -> Result<(ExitStatus, BurnProgress, String), MediaError> {
    let Renderer { mut child, stdout, stderr, tool } = renderer;
    let length = (to - from).max(1e-3);
    let reader = async {
        let mut last = BurnProgress::default();
        let mut lines = stdout.lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let Some((k, v)) = line.split_once('=') else { continue };
            match k {
                "frame" => last.frame = v.trim().parse().unwrap_or(last.frame),
                "fps" => last.fps = v.trim().parse().unwrap_or(last.fps),
                "out_time_us" => {
                    if let Ok(us) = v.trim().parse::<i64>() {
                        last.out_time_secs = us.max(0) as f64 / 1e6;
                        last.fraction = ((last.out_time_secs - from) / length).clamp(0.0, 1.0);
                    }
                }
                "progress" => on_progress(last),
                _ => {}
            }
        }
        last
    };
    let limit = limits.timeout_for(length);
    let (last, status) = tokio::join!(reader, process::wait(&mut child, tool, limit, cancel));
    Ok((status?, last, stderr.await.unwrap_or_default()))
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
