//! One render on many workers: the video's keyframes (listed by ffprobe, which only demuxes),
//! a plan of chunks cut at them, and the join of the rendered chunks (`cofee burn-join`, the
//! compositor's executable: it copies every chunk's packets and the input's audio into one MP4,
//! re-encoding nothing).
//!
//! Each chunk is a [`BurnIn`](crate::BurnIn) with its [`Chunk`]: the frames shown from one
//! keyframe up to the next chunk's, timed as in a one-piece render, so captions (drawn at the
//! video's own times) run on across the joins.

use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;
use tokio_util::sync::CancellationToken;

use crate::burn::BurnStats;
use crate::burn::{Renderer, check_complete, follow};
use crate::process::{self, collect_stderr, file_url, input_guard_args};
use crate::{BurnProgress, Compositor, MediaError, MediaInfo, MediaLimits};

/// Upper bound on ffprobe's keyframe listing (all the video's packets: ~30 bytes each, so
/// room for hours at 60 fps).
const MAX_PACKET_LISTING: u64 = 64 << 20;

/// A keyframe: its timestamp in the video stream's time base, and its time on the output's
/// timeline (seconds from the input's start).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Keyframe {
    pub pts: i64,
    pub secs: f64,
}

/// One chunk of a render: the frames from keyframe `from_pts` up to, not including, `to_pts`
/// (`None`: to the end), with the same stretch in seconds on the output's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    pub from_pts: i64,
    pub to_pts: Option<i64>,
    pub from_secs: f64,
    pub to_secs: f64,
}

/// The video's keyframes in presentation order.
pub async fn keyframes(
    info: &MediaInfo,
    limits: &MediaLimits,
    cancel: &CancellationToken,
) -> Result<Vec<Keyframe>, MediaError> {
    let video = info.require_video()?;
    let mut cmd = process::command("ffprobe");
    cmd.args(["-v", "error"])
        .args(input_guard_args())
        .args(["-f", &info.demuxer, "-select_streams", &video.index.to_string()])
        .args(["-show_entries", "packet=pts,pts_time,flags", "-of", "csv=p=0"])
        .arg(file_url(&info.path));
    let mut child = process::spawn(&mut cmd, "ffprobe")?;
    let stderr = collect_stderr(&mut child, "ffprobe");
    let mut stdout = child.stdout.take().expect("piped").take(MAX_PACKET_LISTING);
    let reader = async {
        let mut s = String::new();
        stdout.read_to_string(&mut s).await.map(|_| s)
    };
    // Demuxing only: a tenth of the time allowed to decode the whole input.
    let limit = limits.process_timeout_base
        + std::time::Duration::from_secs_f64(
            info.duration_secs * limits.process_timeout_factor / 10.0,
        );
    let (out, status) = tokio::join!(reader, process::wait(&mut child, "ffprobe", limit, cancel));
    process::check(status?, "ffprobe", stderr.await.unwrap_or_default())?;
    Ok(parse_keyframes(&out?, info.start_secs))
}

/// ffprobe's `pts,pts_time,flags` lines, keyframes only (flag `K`), sorted and without repeats.
fn parse_keyframes(listing: &str, start_secs: f64) -> Vec<Keyframe> {
    let mut keys: Vec<Keyframe> = listing
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(',');
            let (pts, secs, flags) = (fields.next()?, fields.next()?, fields.next()?);
            flags.contains('K').then_some(())?;
            Some(Keyframe { pts: pts.parse().ok()?, secs: secs.parse::<f64>().ok()? - start_secs })
        })
        .collect();
    keys.sort_by_key(|k| k.pts);
    keys.dedup_by_key(|k| k.pts);
    keys
}

/// Chunks of about `chunk_secs` cut at keyframes; a last chunk shorter than half of that joins
/// the one before. One chunk (the whole video) when there is nothing to split at.
pub fn plan_chunks(keyframes: &[Keyframe], duration_secs: f64, chunk_secs: f64) -> Vec<Chunk> {
    let Some(first) = keyframes.first() else { return Vec::new() };
    let mut starts = vec![*first];
    for key in &keyframes[1..] {
        let last = starts.last().expect("one at least");
        if key.secs - last.secs >= chunk_secs && duration_secs - key.secs >= chunk_secs / 2.0 {
            starts.push(*key);
        }
    }
    starts
        .iter()
        .enumerate()
        .map(|(i, start)| {
            let next = starts.get(i + 1);
            Chunk {
                from_pts: start.pts,
                to_pts: next.map(|n| n.pts),
                from_secs: start.secs.max(0.0),
                to_secs: next.map_or(duration_secs, |n| n.secs),
            }
        })
        .collect()
}

/// Whether `info` can be rendered in chunks: only Cofee's compositor renders chunks, and it
/// draws on unrotated 8-bit 4:2:0 video; audio MP4 cannot carry as is would be re-encoded,
/// which the join does not do.
pub fn can_split(info: &MediaInfo, compositor: &Compositor) -> bool {
    let Some(video) = &info.video else { return false };
    let audio_ok = info
        .audio
        .as_ref()
        .is_none_or(|a| crate::limits::MP4_COPYABLE_AUDIO.contains(&a.codec.as_str()));
    matches!(compositor, Compositor::Native { .. })
        && video.rotation == 0
        && video.pixel_format.as_deref() == Some("yuv420p")
        && audio_ok
}

/// Joins rendered chunks (in order, each with its chunk) into one MP4 with the input's audio.
pub struct JoinChunks<'a> {
    pub input: &'a MediaInfo,
    pub chunks: &'a [(Chunk, PathBuf)],
    pub output: &'a Path,
    pub limits: &'a MediaLimits,
    /// Must be the native compositor (its executable joins).
    pub compositor: &'a Compositor,
}

impl JoinChunks<'_> {
    fn args(&self) -> Result<Vec<std::ffi::OsString>, MediaError> {
        let video = self.input.require_video()?;
        let mut a: Vec<std::ffi::OsString> = ["burn-join", "--input"].map(Into::into).to_vec();
        a.push(self.input.path.clone().into());
        a.extend(["--demuxer".into(), self.input.demuxer.clone().into()]);
        a.extend(["--video-stream".into(), video.index.to_string().into()]);
        if let Some(audio) = &self.input.audio {
            a.extend(["--audio-stream".into(), audio.index.to_string().into()]);
        }
        for (chunk, path) in self.chunks {
            let mut arg = format!("{}:", chunk.from_pts).into_bytes();
            arg.extend_from_slice(path.as_os_str().as_bytes());
            a.extend(["--chunk".into(), std::ffi::OsStr::from_bytes(&arg).to_owned()]);
        }
        a.extend(["--max-secs".into(), format!("{:.3}", self.input.duration_secs + 1.0).into()]);
        Ok(a)
    }

    /// Runs the join; the output appears at `self.output` only on success.
    pub async fn run(
        &self,
        mut on_progress: impl FnMut(BurnProgress),
        cancel: &CancellationToken,
    ) -> Result<BurnStats, MediaError> {
        let Compositor::Native { program } = self.compositor else {
            return Err(MediaError::Failed {
                tool: "cofee burn-join",
                status: "joining chunks needs the native compositor".into(),
                stderr: String::new(),
            });
        };
        let part = crate::burn::part_file(self.output)?;
        let started = std::time::Instant::now();
        let mut cmd = process::supervised(program);
        cmd.args(self.args()?).arg("--output").arg(part.path());
        let renderer = Renderer::spawn(&mut cmd, "cofee burn-join")?;
        let stretch = (0.0, self.input.duration_secs);
        let (status, last, stderr) =
            follow(renderer, stretch, self.limits, &mut on_progress, cancel).await?;
        process::check(status, "cofee burn-join", stderr)?;
        check_complete(stretch, &last)?;
        part.persist(self.output).map_err(|e| MediaError::Io(e.error))?;
        let elapsed = started.elapsed();
        Ok(BurnStats {
            compositor: "cofee",
            frames: last.frame,
            elapsed,
            fps: last.frame as f64 / elapsed.as_secs_f64().max(1e-9),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secs: &[f64]) -> Vec<Keyframe> {
        secs.iter().map(|&s| Keyframe { pts: (s * 15360.0) as i64, secs: s }).collect()
    }

    #[test]
    fn chunks_are_cut_at_keyframes_and_cover_the_video_once() {
        let k = keys(&(0..=60).map(|i| f64::from(i) * 2.0).collect::<Vec<_>>()); // every 2 s
        let plan = plan_chunks(&k, 121.0, 30.0);
        let starts: Vec<f64> = plan.iter().map(|c| c.from_secs).collect();
        assert_eq!(starts, [0.0, 30.0, 60.0, 90.0]);
        for pair in plan.windows(2) {
            assert_eq!(pair[0].to_pts, Some(pair[1].from_pts));
            assert_eq!(pair[0].to_secs, pair[1].from_secs);
        }
        assert_eq!((plan[3].to_pts, plan[3].to_secs), (None, 121.0));
    }

    #[test]
    fn a_short_tail_joins_the_chunk_before_and_sparse_keyframes_make_long_chunks() {
        let k = keys(&[0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]);
        // 65 s in 30 s chunks: a cut at 60 s would leave 5 s.
        let starts: Vec<f64> = plan_chunks(&k, 65.0, 30.0).iter().map(|c| c.from_secs).collect();
        assert_eq!(starts, [0.0, 30.0]);
        let k = keys(&[0.0, 100.0]);
        assert_eq!(plan_chunks(&k, 180.0, 30.0).len(), 2);
        assert_eq!(plan_chunks(&keys(&[0.0]), 180.0, 30.0).len(), 1);
        assert!(plan_chunks(&[], 180.0, 30.0).is_empty());
    }

    #[test]
    fn keyframes_are_read_from_ffprobes_listing_in_presentation_order() {
        let listing =
            "1024,0.066667,K__\n512,0.033333,___\n0,0.000000,K_\nN/A,N/A,K__\n\n3072,0.2,K__\n";
        let k = parse_keyframes(listing, 0.0);
        assert_eq!(k.iter().map(|k| k.pts).collect::<Vec<_>>(), [0, 1024, 3072]);
        let shifted = parse_keyframes("3000,1.5,K__\n", 1.4);
        assert!((shifted[0].secs - 0.1).abs() < 1e-9);
    }
}
