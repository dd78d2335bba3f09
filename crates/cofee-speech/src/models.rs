//! whisper.cpp models: a catalogue of the published ggml files with their SHA-1 (as whisper.cpp's
//! `models/README.md` lists them), and downloads that resume, show progress, and verify before a
//! file is put in place.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use sha1::{Digest, Sha1};
use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Where models are published; `COFEE_MODELS_BASE_URL` points elsewhere (a mirror).
pub const DEFAULT_BASE_URL: &str = "https://huggingface.co/ggerganov/whisper.cpp/resolve/main";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogEntry {
    pub name: &'static str,
    pub sha1: &'static str,
    pub size: &'static str,
}

pub const CATALOG: &[CatalogEntry] = &[
    CatalogEntry { name: "tiny", sha1: "bd577a113a864445d4c299885e0cb97d4ba92b5f", size: "75 MB" },
    CatalogEntry {
        name: "tiny.en",
        sha1: "c78c86eb1a8faa21b369bcd33207cc90d64ae9df",
        size: "75 MB",
    },
    CatalogEntry { name: "base", sha1: "465707469ff3a37a2b9b8d8f89f2f99de7299dac", size: "142 MB" },
    CatalogEntry {
        name: "base.en",
        sha1: "137c40403d78fd54d454da0f9bd998f78703390c",
        size: "142 MB",
    },
    CatalogEntry {
        name: "small",
        sha1: "55356645c2b361a969dfd0ef2c5a50d530afd8d5",
        size: "466 MB",
    },
    CatalogEntry {
        name: "small.en",
        sha1: "db8a495a91d927739e50b3fc1cc4c6b8f6c2d022",
        size: "466 MB",
    },
    CatalogEntry {
        name: "medium",
        sha1: "fd9727b6e1217c2f614f9b698455c4ffd82463b4",
        size: "1.5 GB",
    },
    CatalogEntry {
        name: "medium.en",
        sha1: "8c30f0e44ce9560643ebd10bbe50cd20eafd3723",
        size: "1.5 GB",
    },
    CatalogEntry {
        name: "large-v1",
        sha1: "b1caaf735c4cc1429223d5a74f0f4d0b9b59a299",
        size: "2.9 GB",
    },
    CatalogEntry {
        name: "large",
        sha1: "0f4c8e34f21cf1a914c59d8b3ce882345ad349d6",
        size: "2.9 GB",
    },
];

/// Preference when choosing an installed model automatically: accurate enough, fast on a CPU.
const PREFERENCE: &[&str] = &[
    "base.en",
    "base",
    "small.en",
    "small",
    "tiny.en",
    "tiny",
    "medium.en",
    "medium",
    "large",
    "large-v1",
];

#[derive(Debug, Error)]
pub enum ModelError {
    #[error("unknown model {name:?}; available: {}. For another model pass --sha1 with its checksum", CATALOG.iter().map(|e| e.name).collect::<Vec<_>>().join(", "))]
    Unknown { name: String },
    #[error("invalid model name {0:?}: use letters, digits, '.', '-' and '_'")]
    BadName(String),
    #[error(
        "cannot download {url}: {detail}. Without internet access, download the file elsewhere and pass --model PATH (or set COFEE_WHISPER_MODEL)"
    )]
    Unreachable { url: String, detail: String },
    #[error("download of {url} failed: HTTP {status}")]
    Http { url: String, status: u16 },
    #[error(
        "checksum mismatch for {name}: expected SHA-1 {expected}, got {actual}; the partial file was deleted, try again"
    )]
    Checksum { name: String, expected: String, actual: String },
    #[error("model store i/o error at {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledModel {
    pub name: String,
    pub path: PathBuf,
    pub bytes: u64,
}

/// The file beside a ggml model that names its own alignment heads, the decoder's
/// cross-attention heads that follow the audio (for word times): `{"alignment_heads": [[layer,
/// head], …]}`. `models import` writes it from the model's `config.json`; whisper.cpp's files have
/// none (their standard heads are known by the model's dimensions).
pub fn heads_path(model: &Path) -> PathBuf {
    model.with_extension("heads.json")
}

/// Read as any integers, so a file naming heads a model cannot have is read (and then refused by
/// the engine for the standard heads) rather than failing the load.
#[derive(serde::Serialize, serde::Deserialize)]
struct HeadsFile {
    alignment_heads: Vec<(i64, i64)>,
}

/// The model's own alignment heads as (layer, head), if its heads file names any.
pub fn read_heads(model: &Path) -> Result<Option<Vec<(i64, i64)>>, String> {
    let path = heads_path(model);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: HeadsFile =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((!file.alignment_heads.is_empty()).then_some(file.alignment_heads))
}

/// Writes the model's heads file (atomically), or removes it when there are none: a file left
/// from another model of this name must not stand in.
pub fn write_heads(model: &Path, heads: &[(u32, u32)]) -> std::io::Result<()> {
    let path = heads_path(model);
    if heads.is_empty() {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    let alignment_heads = heads.iter().map(|&(l, h)| (l.into(), h.into())).collect();
    let json = serde_json::to_string(&HeadsFile { alignment_heads })?;
    let part = path.with_extension("json.part");
    std::fs::write(&part, json).and_then(|()| std::fs::rename(&part, &path))
}

/// A directory of `ggml-NAME.bin` files.
#[derive(Debug, Clone)]
pub struct ModelStore {
    pub dir: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ModelError + '_ {
    move |source| ModelError::Io { path: path.to_path_buf(), source }
}

impl ModelStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn path_for(&self, name: &str) -> PathBuf {
        self.dir.join(format!("ggml-{name}.bin"))
    }

    /// Installed models, by name.
    pub fn list(&self) -> Vec<InstalledModel> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return Vec::new() };
        let mut out: Vec<InstalledModel> = entries
            .flatten()
            .filter_map(|e| {
                let file = e.file_name().into_string().ok()?;
                let name = file.strip_prefix("ggml-")?.strip_suffix(".bin")?.to_string();
                Some(InstalledModel { name, path: e.path(), bytes: e.metadata().ok()?.len() })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// The installed model to use when none is named.
    pub fn preferred(&self) -> Option<InstalledModel> {
        let installed = self.list();
        PREFERENCE
            .iter()
            .find_map(|p| installed.iter().find(|m| m.name == *p).cloned())
            .or_else(|| installed.into_iter().next())
    }

    /// Downloads `name` from `base_url`, checking it against `sha1` (the catalogue's when
    /// `None`). An interrupted download resumes from its `.part` file.
    pub async fn pull(
        &self,
        name: &str,
        base_url: &str,
        sha1: Option<&str>,
        mut progress: impl FnMut(u64, Option<u64>),
    ) -> Result<PathBuf, ModelError> {
        if name.is_empty()
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            || name.starts_with('.')
        {
            return Err(ModelError::BadName(name.to_string()));
        }
        let expected = match sha1 {
            Some(s) => s.to_ascii_lowercase(),
            None => CATALOG
                .iter()
                .find(|e| e.name == name)
                .ok_or_else(|| ModelError::Unknown { name: name.to_string() })?
                .sha1
                .to_string(),
        };
        tokio::fs::create_dir_all(&self.dir).await.map_err(io(&self.dir))?;
        let target = self.path_for(name);
        let part = target.with_extension("bin.part");
        let url = format!("{}/ggml-{name}.bin", base_url.trim_end_matches('/'));

        // Hash what an earlier attempt left, then ask only for the rest.
        let mut hasher = Sha1::new();
        let mut have = 0u64;
        if let Ok(mut f) = tokio::fs::File::open(&part).await {
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = f.read(&mut buf).await.map_err(io(&part))?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                have += n as u64;
            }
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(20))
            .build()
            .expect("a default HTTP client builds");
        let mut req = client.get(&url);
        if have > 0 {
            req = req.header(reqwest::header::RANGE, format!("bytes={have}-"));
        }
        let resp = req
            .send()
            .await
            .map_err(|e| ModelError::Unreachable { url: url.clone(), detail: e.to_string() })?;
        let status = resp.status().as_u16();
        let resumed = status == 206;
        if !resp.status().is_success() && status != 416 {
            return Err(ModelError::Http { url, status });
        }
        if !resumed {
            // The server sent the whole file (or nothing more to send): start over.
            hasher = Sha1::new();
            have = 0;
        }
        let total = resp.content_length().map(|l| l + have);
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(resumed)
            .write(true)
            .truncate(!resumed)
            .open(&part)
            .await
            .map_err(io(&part))?;
        progress(have, total);
        let mut body = resp.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    // Keep what arrived (flushed, so the next attempt resumes from it).
                    file.flush().await.map_err(io(&part))?;
                    return Err(ModelError::Unreachable {
                        url: url.clone(),
                        detail: format!(
                            "connection lost after {have} bytes ({e}); run the same command again to resume"
                        ),
                    });
                }
            };
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(io(&part))?;
            have += chunk.len() as u64;
            progress(have, total);
        }
        file.sync_all().await.map_err(io(&part))?;
        drop(file);
        let actual = hex::encode(hasher.finalize());
        if actual != expected {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(ModelError::Checksum { name: name.to_string(), expected, actual });
        }
        tokio::fs::rename(&part, &target).await.map_err(io(&target))?;
        Ok(target)
    }
}
