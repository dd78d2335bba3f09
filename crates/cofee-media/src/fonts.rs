//! Fonts handed to libass. Cofee ships the Inter family (SIL Open Font License) inside the
//! binary so captions look the same on every machine; scripts Inter does not cover (CJK, Arabic,
//! Hebrew, …) fall back through fontconfig to the system's fonts (Debian: fonts-noto-core,
//! fonts-noto-cjk).

use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::MediaError;

/// The fonts Cofee ships: (file name, bytes).
pub const BUNDLED: &[(&str, &[u8])] = &[
    ("Inter-Regular.otf", include_bytes!("../../../assets/fonts/Inter-Regular.otf")),
    ("Inter-Bold.otf", include_bytes!("../../../assets/fonts/Inter-Bold.otf")),
    ("Inter-ExtraBold.otf", include_bytes!("../../../assets/fonts/Inter-ExtraBold.otf")),
    ("Inter-Black.otf", include_bytes!("../../../assets/fonts/Inter-Black.otf")),
];

/// A directory of fonts for one render, deleted when dropped.
pub struct FontDir {
    dir: TempDir,
}

impl FontDir {
    /// A fresh directory holding the bundled fonts.
    pub fn with_bundled() -> Result<Self, MediaError> {
        let dir = tempfile::Builder::new().prefix("cofee-fonts-").tempdir()?;
        for (name, bytes) in BUNDLED {
            std::fs::write(dir.path().join(name), bytes)?;
        }
        Ok(Self { dir })
    }

    /// Adds a user's font file (a style's `font_file`). Only TrueType/OpenType files are taken.
    pub fn add(&self, font: &Path) -> Result<(), MediaError> {
        let bad = |msg: &str| MediaError::Input {
            path: font.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, msg.to_string()),
        };
        let ext = font.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        if !matches!(ext.as_deref(), Some("ttf" | "otf" | "ttc" | "otc")) {
            return Err(bad("a font file must be .ttf, .otf, .ttc or .otc"));
        }
        let bytes = std::fs::read(font)
            .map_err(|e| MediaError::Input { path: font.display().to_string(), source: e })?;
        let magic = bytes.get(..4).unwrap_or_default();
        if !matches!(magic, [0, 1, 0, 0] | b"OTTO" | b"true" | b"ttcf") {
            return Err(bad("not a TrueType/OpenType font"));
        }
        let name = format!(
            "user-{}",
            font.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("font")
                .replace(|c: char| !c.is_ascii_alphanumeric() && !matches!(c, '.' | '-'), "_")
        );
        std::fs::write(self.dir.path().join(name), bytes)?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn to_path_buf(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_fonts_are_opentype_and_user_fonts_are_checked() {
        let d = FontDir::with_bundled().unwrap();
        for (name, bytes) in BUNDLED {
            assert_eq!(&bytes[..4], b"OTTO", "{name}");
            assert!(d.path().join(name).exists());
        }
        let fake = tempfile::Builder::new().suffix(".ttf").tempfile().unwrap();
        std::fs::write(fake.path(), b"<html>").unwrap();
        assert!(d.add(fake.path()).unwrap_err().to_string().contains("not a TrueType"));
        assert!(d.add(Path::new("/etc/passwd")).unwrap_err().to_string().contains("must be .ttf"));
        let inter = d.path().join("Inter-Bold.otf");
        d.add(&inter).unwrap();
        assert!(d.path().join("user-Inter-Bold.otf").exists());
    }
}
