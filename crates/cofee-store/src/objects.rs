//! Object storage through the `object_store` crate: a local directory today (the embedded
//! `cofee serve`), S3-compatible storage next, behind the same type. Files move in and out as
//! streams of fixed-size parts, so no object is ever held whole in memory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::StreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::StoreError;

const PART: usize = 8 << 20;

#[derive(Clone)]
pub struct Objects {
    inner: Arc<dyn ObjectStore>,
    /// Set for a local directory: workers read objects in place instead of copying them.
    local: Option<Arc<LocalFileSystem>>,
}

fn storage(e: object_store::Error) -> StoreError {
    match e {
        object_store::Error::NotFound { .. } => StoreError::NotFound,
        other => StoreError::Storage(other.to_string()),
    }
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Storage(e.to_string())
}

impl Objects {
    /// Objects under `root` on the local filesystem (created if missing).
    pub fn local(root: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(root).map_err(io)?;
        let fs = Arc::new(LocalFileSystem::new_with_prefix(root).map_err(storage)?);
        Ok(Self { inner: fs.clone(), local: Some(fs) })
    }

    /// Streams a local file into the store under `key`.
    pub async fn put_file(&self, key: &str, file: &Path) -> Result<u64, StoreError> {
        let mut f = tokio::fs::File::open(file).await.map_err(io)?;
        let upload = self.inner.put_multipart(&Key::from(key)).await.map_err(storage)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
        let mut buf = vec![0u8; 1 << 20];
        let mut total = 0u64;
        loop {
            let n = f.read(&mut buf).await.map_err(io)?;
            if n == 0 {
                break;
            }
            writer.wait_for_capacity(2).await.map_err(storage)?;
            writer.write(&buf[..n]);
            total += n as u64;
        }
        writer.finish().await.map_err(storage)?;
        Ok(total)
    }

    /// A local path to read `key` from: the object itself for a local store, else a download
    /// into `scratch`.
    pub async fn readable_path(&self, key: &str, scratch: &Path) -> Result<PathBuf, StoreError> {
        if let Some(fs) = &self.local {
            let p = fs.path_to_filesystem(&Key::from(key)).map_err(storage)?;
            return if p.is_file() { Ok(p) } else { Err(StoreError::NotFound) };
        }
        let mut stream = self.inner.get(&Key::from(key)).await.map_err(storage)?.into_stream();
        let mut out = tokio::fs::File::create(scratch).await.map_err(io)?;
        while let Some(chunk) = stream.next().await {
            out.write_all(&chunk.map_err(storage)?).await.map_err(io)?;
        }
        out.sync_all().await.map_err(io)?;
        Ok(scratch.to_path_buf())
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self.inner.delete(&Key::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(storage(e)),
        }
    }

    /// Whether the store answers (for readiness probes).
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self.inner.head(&Key::from("health/probe")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(storage(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_go_in_and_come_back_out() {
        let dir = tempfile::tempdir().unwrap();
        let objects = Objects::local(&dir.path().join("objects")).unwrap();
        let src = dir.path().join("in.bin");
        let data: Vec<u8> = (0..20_000_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&src, &data).unwrap();
        assert_eq!(objects.put_file("media/p1/source", &src).await.unwrap(), data.len() as u64);
        let p = objects.readable_path("media/p1/source", &dir.path().join("scratch")).await.unwrap();
        assert_eq!(std::fs::read(p).unwrap(), data);
        objects.delete("media/p1/source").await.unwrap();
        assert!(matches!(objects.readable_path("media/p1/source", &dir.path().join("s")).await, Err(StoreError::NotFound)));
        objects.ping().await.unwrap();
    }
}
