//! The optional configuration file (`--config FILE` or `COFEE_CONFIG`): `NAME=value` lines
//! (dotenv syntax: `#` comments, optional quotes; `$NAME` in an unquoted or double-quoted value
//! is replaced by that variable, so a value holding `$` — a password — goes in single quotes)
//! in the same names as the environment variables, so one contract covers both. The process's environment wins over the file and flags
//! win over both, so a secret can come from a Secret while the rest sits in a ConfigMap file.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::CliError;

/// The file named by `--config FILE` / `--config=FILE` in `args`, else by `COFEE_CONFIG`.
pub fn requested(args: &[OsString]) -> Option<PathBuf> {
    let mut it = args.iter().skip(1);
    while let Some(arg) = it.next() {
        let arg = arg.to_string_lossy();
        if arg == "--" {
            break;
        }
        if arg == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(path) = arg.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os("COFEE_CONFIG").map(PathBuf::from)
}

/// The settings of the file at `path` that the environment does not already set.
pub fn read(path: &Path) -> Result<Vec<(String, String)>, CliError> {
    let fail = |e: dotenvy::Error| {
        CliError::bad_input(format!("configuration file {}: {e}", path.display())).with_hint("write one NAME=value per line, in the names of the environment variables (COFEE_DATABASE_URL=…)")
    };
    let entries = dotenvy::from_path_iter(path).map_err(fail)?;
    let mut settings = Vec::new();
    for entry in entries {
        let (name, value) = entry.map_err(fail)?;
        if std::env::var_os(&name).is_none() {
            settings.push((name, value));
        }
    }
    Ok(settings)
}

/// Puts `settings` into this process's environment, where clap reads every option's env twin.
///
/// Called first thing in `main`, before any thread exists: setting the environment is only
/// unsound while another thread may read it.
#[allow(unsafe_code)]
pub fn apply(settings: Vec<(String, String)>) {
    for (name, value) in settings {
        // SAFETY: single-threaded at this point (see above).
        unsafe { std::env::set_var(name, value) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_flag_names_the_file_in_either_form() {
        assert_eq!(
            requested(&args(&["cofee", "api", "--config", "/etc/cofee.env"])),
            Some(PathBuf::from("/etc/cofee.env"))
        );
        assert_eq!(
            requested(&args(&["cofee", "--config=/etc/c.env", "worker"])),
            Some(PathBuf::from("/etc/c.env"))
        );
        assert_ne!(
            requested(&args(&["cofee", "caption", "--", "--config", "x"])),
            Some(PathBuf::from("x"))
        );
    }

    #[test]
    fn the_environment_wins_over_the_file_and_bad_lines_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cofee.env");
        std::fs::write(&file, "# comment\nCOFEE_TEST_CONFIG_A=from-file\nPATH=/nowhere\nCOFEE_TEST_CONFIG_B=\"quoted value\"\nCOFEE_TEST_CONFIG_C='pa$word'\n").unwrap();
        let settings = read(&file).unwrap();
        let expected = [
            ("COFEE_TEST_CONFIG_A", "from-file"),
            ("COFEE_TEST_CONFIG_B", "quoted value"),
            ("COFEE_TEST_CONFIG_C", "pa$word"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        assert_eq!(
            settings, expected,
            "PATH is set in the environment, so the file's is ignored; single quotes keep a `$`"
        );
        std::fs::write(&file, "COFEE_LISTEN 0.0.0.0:8080\n").unwrap();
        let e = read(&file).unwrap_err();
        assert!(e.bad_input && e.message.contains("cofee.env"), "{}", e.message);
        assert!(read(&dir.path().join("missing.env")).unwrap_err().bad_input);
    }
}
