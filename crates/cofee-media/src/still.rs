//! A still of captions on a video: one frame at a moment, scaled down, with an ASS script drawn
//! on it by libass (FFmpeg's `ass` filter, the renderer the burn-in falls back to and the same
//! library the compositor drives), as a PNG. The style gallery shows these.

use std::path::Path;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::burn::filter_escape;
use crate::process::{self, allowed_demuxers, collect_stderr, file_url, input_guard_args};
use crate::{FontDir, MediaError};

/// Where the video is read from.
#[derive(Debug, Clone, Copy)]
pub enum StillSource<'a> {
    File(&'a Path),
    /// A URL the service signed for its own object store (S3): FFmpeg reads only the parts it
    /// needs to reach the frame. Network protocols are allowed for this input alone.
    SignedUrl(&'a str),
}

/// A request for one captioned still.
pub struct Still<'a> {
    pub source: StillSource<'a>,
    /// Seconds into the video of the frame.
    pub at_secs: f64,
    /// The moment of the script drawn on it (the same as `at_secs` unless the caller moved it
    /// to a moment with captions on screen).
    pub captions_at_secs: f64,
    pub ass: &'a Path,
    pub fonts: &'a FontDir,
    /// Output width in pixels; the height keeps the frame's proportions (rounded to even).
    pub width: u32,
    pub out: &'a Path,
    pub limit: Duration,
}

impl Still<'_> {
    fn args(&self) -> Vec<String> {
        let mut a: Vec<String> = ["-nostdin", "-v", "error", "-ss"].map(String::from).to_vec();
        a.push(format!("{:.3}", self.at_secs));
        let input = match self.source {
            StillSource::File(path) => {
                a.extend(input_guard_args());
                file_url(path)
            }
            StillSource::SignedUrl(url) => {
                a.extend([
                    "-protocol_whitelist".into(),
                    "https,http,tls,tcp".into(),
                    "-format_whitelist".into(),
                    allowed_demuxers(),
                ]);
                url.to_string()
            }
        };
        a.extend(["-i".into(), input, "-map".into(), "0:v:0".into(), "-frames:v".into()]);
        a.push("1".into());
        // After a seek the frame's time starts at 0; libass draws the captions at the frame's
        // time, so it is set to the captions' moment. Scaling first draws the captions at
        // the still's own size (libass scales the script from its PlayRes) for less work.
        let filter = format!(
            "scale={w}:-2,setpts=PTS-STARTPTS+{at:.3}/TB,ass=filename={ass}:fontsdir={fonts}",
            w = self.width,
            at = self.captions_at_secs,
            ass = filter_escape(&self.ass.display().to_string()),
            fonts = filter_escape(&self.fonts.path().display().to_string()),
        );
        a.extend(["-vf".into(), filter]);
        a.extend(["-f", "image2", "-c:v", "png", "-y"].map(String::from));
        a.push(file_url(self.out));
        a
    }

    /// Writes the PNG to `out`.
    pub async fn write(&self, cancel: &CancellationToken) -> Result<(), MediaError> {
        let mut cmd = process::command("ffmpeg");
        cmd.args(self.args());
        let mut child = process::spawn(&mut cmd, "ffmpeg")?;
        let stderr = collect_stderr(&mut child, "ffmpeg");
        let status = process::wait(&mut child, "ffmpeg", self.limit, cancel).await?;
        process::check(status, "ffmpeg", stderr.await.unwrap_or_default())?;
        // A seek past the last frame "succeeds" with nothing written.
        match tokio::fs::metadata(self.out).await {
            Ok(m) if m.len() > 0 => Ok(()),
            _ => Err(MediaError::Failed {
                tool: "ffmpeg",
                status: "no frame at that time".into(),
                stderr: String::new(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_signed_url_may_use_the_network() {
        let fonts = FontDir::with_bundled().unwrap();
        let still = |source| Still {
            source,
            at_secs: 1.0,
            captions_at_secs: 1.5,
            ass: Path::new("/tmp/a.ass"),
            fonts: &fonts,
            width: 360,
            out: Path::new("/tmp/o.png"),
            limit: Duration::from_secs(5),
        };
        let file = still(StillSource::File(Path::new("/m/source"))).args();
        let at = file.iter().position(|a| a == "-protocol_whitelist").unwrap();
        assert_eq!(file[at + 1], "file,pipe");
        assert!(file.contains(&"file:/m/source".to_string()), "{file:?}");
        let url = still(StillSource::SignedUrl("http://s3:9000/b/k?X-Amz-Signature=1")).args();
        let at = url.iter().position(|a| a == "-protocol_whitelist").unwrap();
        assert_eq!(url[at + 1], "https,http,tls,tcp");
        assert!(
            url.iter().any(|a| a.starts_with("scale=360:-2,setpts=PTS-STARTPTS+1.500/TB,ass="))
        );
    }
}
