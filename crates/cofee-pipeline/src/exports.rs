//! Caption files written beside the video: SRT, WebVTT, ASS, JSON, TXT.

use std::io::Write;
use std::path::{Path, PathBuf};

use cofee_core::formats::{self, json, srt, txt, vtt};
use cofee_core::{AssDocument, Transcript};

use crate::PipelineError;

#[derive(Debug, Clone, Default)]
pub struct Exports {
    pub srt: Option<PathBuf>,
    pub vtt: Option<PathBuf>,
    pub ass: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub txt: Option<PathBuf>,
}

impl Exports {
    pub fn write(&self, t: &Transcript, doc: &AssDocument) -> Result<(), PipelineError> {
        let files: [(&Option<PathBuf>, &dyn Fn() -> String); 5] = [
            (&self.srt, &|| srt::write(&formats::cues(t))),
            (&self.vtt, &|| vtt::write_transcript(t)),
            (&self.ass, &|| doc.to_ass()),
            (&self.json, &|| json::write(t)),
            (&self.txt, &|| txt::write(t)),
        ];
        for (path, render) in files {
            if let Some(p) = path {
                write_atomically(p, render().as_bytes())?;
            }
        }
        Ok(())
    }
}

/// Writes via a temporary file in the same directory and a rename, so readers never see half a
/// file and a failure leaves the old one (or none).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PipelineError> {
    let err = |source| PipelineError::Output { path: path.display().to_string(), source };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".cofee-")
        .suffix(".part")
        .permissions(cofee_media::output_permissions())
        .tempfile_in(dir)
        .map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    /// The umask of this process, as Linux reports it (reading it with umask(2) would change it).
    fn umask() -> u32 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line =
            status.lines().find(|l| l.starts_with("Umask:")).expect("Linux reports the umask");
        u32::from_str_radix(line.split_whitespace().nth(1).unwrap(), 8).unwrap()
    }

    #[test]
    fn files_written_for_the_user_get_the_usual_permissions_under_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("talk.srt");
        super::write_atomically(&path, b"1\n00:00:00,000 --> 00:00:01,000\nHi\n").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !umask(), "{mode:o}");
        if umask() & 0o044 == 0 {
            // The usual umask (022): others can read it, which a temporary file's 0600 forbids.
            assert_eq!(mode & 0o044, 0o044, "{mode:o}");
        }
        assert!(std::fs::read_dir(dir.path()).unwrap().count() == 1, "no temporary file left");
    }
}
