//! CMU PocketSphinx (`pocketsphinx_continuous` from Debian's `pocketsphinx` package with the
//! `pocketsphinx-en-us` model): offline, CPU-only, English. Audio is piped into its stdin as it
//! is decoded; word times come from its `-time yes` segment lines (`word start end prob`, times
//! in seconds from the start of the stream).

use std::process::Stdio;

use async_trait::async_trait;
use cofee_core::{Transcript, Word};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

use crate::{AudioInput, Progress, SpeechEngine, SpeechError, TranscribeOptions};

const ENGINE: &str = "sphinx";

#[derive(Debug, Clone)]
pub struct Sphinx {
    pub program: String,
}

impl Default for Sphinx {
    fn default() -> Self {
        Self { program: "pocketsphinx_continuous".into() }
    }
}

/// A recognised segment line, or `None` for anything else it prints.
fn parse_segment(line: &str) -> Option<Word> {
    let f: Vec<&str> = line.split_whitespace().collect();
    let [token, start, end, prob] = f[..] else { return None };
    let (start, end, prob): (f64, f64, f64) =
        (start.parse().ok()?, end.parse().ok()?, prob.parse().ok()?);
    // Silence, sentence markers and fillers (<s>, </s>, <sil>, [NOISE], ++GARBAGE++) are not words.
    if token.starts_with(['<', '[', '+']) {
        return None;
    }
    // Alternate pronunciations are numbered: "the(2)".
    let text = token.split_once('(').map_or(token, |(w, _)| w);
    let ms = |s: f64| (s.max(0.0) * 1000.0).round() as u64;
    Some(Word { confidence: prob.clamp(0.0, 1.0) as f32, ..Word::new(text, ms(start), ms(end)) })
}

#[async_trait]
impl SpeechEngine for Sphinx {
    fn name(&self) -> &'static str {
        ENGINE
    }

    async fn transcribe(
        &self,
        mut audio: AudioInput,
        options: &TranscribeOptions,
        progress: Progress<'_>,
        cancel: &CancellationToken,
    ) -> Result<Transcript, SpeechError> {
        if let Some(lang) = options
            .language
            .as_deref()
            .filter(|l| !l.eq_ignore_ascii_case("en") && !l.to_ascii_lowercase().starts_with("en-"))
        {
            return Err(SpeechError::UnsupportedLanguage {
                engine: ENGINE,
                language: lang.to_string(),
                supported: "en",
            });
        }
        let mut cmd = Command::new(&self.program);
        cmd.args(["-infile", "/dev/stdin", "-time", "yes", "-logfn", "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        // The recogniser dies with Cofee, like FFmpeg does.
        cofee_media::process::die_with_parent(&mut cmd);
        let mut child = cmd
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => SpeechError::Unavailable {
                    engine: ENGINE,
                    hint: format!("{} not found; install it (Debian/Ubuntu: `apt-get install pocketsphinx pocketsphinx-en-us`)", self.program),
                },
                _ => SpeechError::Audio(e),
            })?;
        let mut stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let total = (audio.duration_secs * crate::SAMPLE_RATE as f64 * 2.0).max(1.0);
        let feed = async move {
            let mut buf = vec![0u8; 64 * 1024];
            let mut sent = 0u64;
            loop {
                let n = audio.pcm.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                stdin.write_all(&buf[..n]).await?;
                sent += n as u64;
                progress((sent as f64 / total).min(0.99));
            }
            stdin.shutdown().await?;
            Ok::<_, std::io::Error>(())
        };
        let collect = async {
            let mut words = Vec::new();
            let mut lines = BufReader::new(stdout).lines();
            while let Some(line) = lines.next_line().await? {
                words.extend(parse_segment(&line));
            }
            Ok::<_, std::io::Error>(words)
        };
        let work = async {
            let (fed, words) = tokio::join!(feed, collect);
            let status = child.wait().await?;
            fed?;
            let words = words?;
            if !status.success() {
                return Err(SpeechError::Failed {
                    engine: ENGINE,
                    detail: format!("{} exited with {status}", self.program),
                });
            }
            Ok(words)
        };
        let words = tokio::select! {
            r = work => r?,
            () = cancel.cancelled() => return Err(SpeechError::Cancelled),
        };
        progress(1.0);
        Ok(Transcript::new(Some("en".into()), words).normalized())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_segment_lines() {
        assert_eq!(
            parse_segment("and(2) 0.150 0.360 0.260057").map(|w| (w.text, w.start_ms, w.end_ms)),
            Some(("and".into(), 150, 360))
        );
        assert!(parse_segment("<s> 0.000 0.140 0.999400").is_none());
        assert!(parse_segment("<sil> 3.910 3.930 0.553348").is_none());
        assert!(parse_segment("[NOISE] 1.0 1.2 0.5").is_none());
        assert!(
            parse_segment("and mr john guess what").is_none(),
            "the hypothesis line is not a segment"
        );
    }
}
