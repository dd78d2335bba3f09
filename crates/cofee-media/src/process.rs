//! FFmpeg and ffprobe as supervised child processes.

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::MediaError;
use crate::limits::ALLOWED_DEMUXERS;

/// How much of a tool's stderr is kept for error messages (the end is where the reason is).
const STDERR_TAIL: usize = 8 * 1024;

/// Variables a child keeps; everything else (credentials, tokens) is withheld.
const KEPT_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "FONTCONFIG_FILE",
    "FONTCONFIG_PATH",
    "XDG_CACHE_HOME",
];

/// An FFmpeg tool invocation: `supervised`, and no banner.
pub fn command(tool: &'static str) -> Command {
    let mut c = supervised(tool);
    c.arg("-hide_banner");
    c
}

/// A child with a clean environment, no stdin, piped output, killed when dropped or when Cofee
/// dies.
pub fn supervised(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(program);
    c.env_clear();
    for k in KEPT_ENV {
        if let Some(v) = std::env::var_os(k) {
            c.env(k, v);
        }
    }
    c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    die_with_parent(&mut c);
    c
}

/// Makes the kernel kill the child if Cofee dies without cleaning up (SIGKILL, OOM kill):
/// `kill_on_drop` only covers an orderly exit, and an orphaned FFmpeg would otherwise keep a
/// core busy until its timeout while the job runs again elsewhere.
#[allow(unsafe_code)]
pub fn die_with_parent(cmd: &mut Command) {
    // SAFETY: the closure runs in the child between fork and exec and calls only `prctl`, which
    // is async-signal-safe. (The signal follows the thread that forked; tokio spawns children
    // from its long-lived worker threads.)
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
}

/// Input options that keep FFmpeg to local files and known single-file containers.
pub fn input_guard_args() -> Vec<String> {
    vec![
        "-protocol_whitelist".into(),
        "file,pipe".into(),
        "-format_whitelist".into(),
        allowed_demuxers(),
    ]
}

/// The demuxer allow-list as FFmpeg's `format_whitelist` takes it (for the tools and the
/// compositor alike).
pub fn allowed_demuxers() -> String {
    ALLOWED_DEMUXERS.join(",")
}

/// A path as an explicit `file:` URL, so names like `concat:…` or `http:…` stay file names.
pub fn file_url(path: &std::path::Path) -> String {
    format!("file:{}", path.display())
}

pub fn spawn(cmd: &mut Command, tool: &'static str) -> Result<Child, MediaError> {
    tracing::debug!(tool, cmd = ?cmd.as_std(), "spawning");
    cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            MediaError::ToolMissing { tool }
        } else {
            MediaError::Io(e)
        }
    })
}

/// Keeps the last few KiB of a child's stderr in a background task.
pub fn collect_stderr(child: &mut Child, tool: &'static str) -> JoinHandle<String> {
    let stderr = child.stderr.take();
    tokio::spawn(
        async move {
            let Some(r) = stderr else { return String::new() };
            tail(r, STDERR_TAIL, tool).await
        }
        // The lines are logged in the caller's span: a job's, with the request that caused it.
        .in_current_span(),
    )
}

/// Lines of a tool's stderr that are logged; the rest are only counted (a damaged file can make
/// FFmpeg complain once per frame). At info: the services log them (with the job's request id),
/// the one-shot commands, which show warnings only, keep the terminal quiet.
const LOGGED_LINES: usize = 20;

/// Logs `r`'s lines (the first [`LOGGED_LINES`]) and returns its last `keep` bytes.
async fn tail(r: impl AsyncRead + Unpin, keep: usize, tool: &'static str) -> String {
    let mut lines = BufReader::new(r).split(b'\n');
    let (mut buf, mut seen) = (Vec::new(), 0usize);
    while let Ok(Some(line)) = lines.next_segment().await {
        let text = String::from_utf8_lossy(&line);
        if !text.trim().is_empty() {
            seen += 1;
            if seen <= LOGGED_LINES {
                tracing::info!(tool, line = %text.trim_end(), "child process said");
            }
        }
        if !buf.is_empty() {
            buf.push(b'\n');
        }
        buf.extend_from_slice(&line);
        if buf.len() > 2 * keep {
            buf.drain(..buf.len() - keep);
        }
    }
    if seen > LOGGED_LINES {
        tracing::info!(tool, lines = seen - LOGGED_LINES, "child process said more (not logged)");
    }
    let start = buf.len().saturating_sub(keep);
    String::from_utf8_lossy(&buf[start..]).trim().to_string()
}

/// Waits for a child, killing it on timeout or cancellation.
pub async fn wait(
    child: &mut Child,
    tool: &'static str,
    limit: Duration,
    cancel: &CancellationToken,
) -> Result<ExitStatus, MediaError> {
    tokio::select! {
        status = child.wait() => Ok(status?),
        () = tokio::time::sleep(limit) => {
            let _ = child.kill().await;
            Err(MediaError::Timeout { tool, limit })
        }
        () = cancel.cancelled() => {
            let _ = child.kill().await;
            Err(MediaError::Cancelled)
        }
    }
}

/// Turns a failed exit into an error carrying the end of stderr.
pub fn check(status: ExitStatus, tool: &'static str, stderr: String) -> Result<(), MediaError> {
    if status.success() {
        Ok(())
    } else {
        Err(MediaError::Failed { tool, status: status.to_string(), stderr })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hung_child_is_killed_at_the_deadline() {
        let mut c = Command::new("sleep");
        c.arg("30").kill_on_drop(true);
        let mut child = c.spawn().unwrap();
        let t = std::time::Instant::now();
        let e = wait(&mut child, "sleep", Duration::from_millis(200), &CancellationToken::new())
            .await
            .unwrap_err();
        assert!(matches!(e, MediaError::Timeout { .. }));
        assert!(t.elapsed() < Duration::from_secs(5));
        assert!(child.try_wait().unwrap().is_some(), "the child is gone");
    }

    #[tokio::test]
    async fn cancellation_kills_the_child() {
        let mut child = Command::new("sleep").arg("30").kill_on_drop(true).spawn().unwrap();
        let cancel = CancellationToken::new();
        let c2 = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            c2.cancel();
        });
        let e = wait(&mut child, "sleep", Duration::from_secs(30), &cancel).await.unwrap_err();
        assert!(matches!(e, MediaError::Cancelled));
    }

    #[tokio::test]
    async fn missing_tool_is_named() {
        let e = spawn(&mut Command::new("cofee-no-such-tool"), "ffmpeg").unwrap_err();
        assert!(e.to_string().contains("ffmpeg was not found"), "{e}");
    }

    #[tokio::test]
    async fn stderr_keeps_the_end() {
        let mut data: &[u8] = &[b'x'; 100_000];
        let t = tail(&mut data, 10, "test").await;
        assert_eq!(t.len(), 10);
    }

    /// A writer the test reads back.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn stderr_lines_are_logged_in_the_callers_span_up_to_a_limit() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber =
            tracing_subscriber::fmt().json().with_writer(move || writer.clone()).finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let child = Command::new("sh")
            .args(["-c", "for i in $(seq 25); do echo \"error $i\" >&2; done"])
            .stderr(Stdio::piped())
            .spawn();
        let mut child = child.unwrap();
        let span = tracing::info_span!("job", request_id = "req-42");
        let stderr = span.in_scope(|| collect_stderr(&mut child, "ffmpeg"));
        child.wait().await.unwrap();
        assert!(stderr.await.unwrap().ends_with("error 25"));
        let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> =
            logged.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let said: Vec<&serde_json::Value> =
            lines.iter().filter(|l| l["fields"]["message"] == "child process said").collect();
        assert_eq!(said.len(), LOGGED_LINES);
        assert_eq!(
            (said[0]["fields"]["line"].as_str(), said[0]["fields"]["tool"].as_str()),
            (Some("error 1"), Some("ffmpeg"))
        );
        assert!(
            said.iter().all(|l| l["span"]["request_id"] == "req-42"),
            "each line carries the job's request id: {logged}"
        );
        assert!(lines.iter().any(|l| l["fields"]["lines"] == 5), "the rest are counted: {logged}");
    }
}
