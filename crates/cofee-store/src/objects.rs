//! Object storage through the `object_store` crate: a local directory (the embedded
//! `cofee serve`) or S3-compatible storage (AWS S3, MinIO, …), behind the same type. Files move
//! in and out as streams of fixed-size parts (S3 multipart uploads, aborted on failure), so no
//! object is ever held whole in memory. With S3, browsers get presigned URLs for the public
//! endpoint and fetch media from the storage directly.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::prefix::PrefixStore;
use object_store::signer::{Method, SignedUrlOptions, Signer};
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::StoreError;

const PART: usize = 8 << 20;

/// Records how long a storage operation took (`storage_operation_duration_seconds`, by
/// operation, backend and outcome): slow storage shows up as slow uploads and renders, and this
/// says which.
async fn timed<T>(
    operation: &'static str,
    backend: &'static str,
    work: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let started = Instant::now();
    let result = work.await;
    let outcome = if result.is_ok() { "ok" } else { "error" };
    metrics::histogram!("storage_operation_duration_seconds", "operation" => operation, "backend" => backend, "outcome" => outcome).record(started.elapsed().as_secs_f64());
    result
}

/// The media type of the objects Cofee writes, by key.
pub fn content_type(key: &str) -> Option<&'static str> {
    if key.ends_with(".mp4") || key.ends_with("/source") {
        Some("video/mp4")
    } else if key.ends_with(".jpg") {
        Some("image/jpeg")
    } else {
        None
    }
}

/// Where to read an object in place (`Objects::service_read`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectSource {
    File(PathBuf),
    Url(String),
}

#[derive(Clone)]
pub struct Objects {
    inner: Arc<dyn ObjectStore>,
    /// Set for a local directory: workers read objects in place instead of copying them.
    local: Option<Arc<LocalFileSystem>>,
    /// Set for S3: signs URLs for the endpoint browsers reach.
    public: Option<PublicSigner>,
}

impl PublicSigner {
    /// `key` as the bucket names it: under the store's prefix.
    fn key(&self, key: &str) -> Key {
        Key::from(if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.prefix)
        })
    }
}

#[derive(Clone)]
struct PublicSigner {
    store: Arc<AmazonS3>,
    /// Signs for the endpoint the service itself talks to.
    internal: Arc<AmazonS3>,
    /// The key prefix inside the bucket (`s3://bucket/prefix`), empty for none.
    prefix: String,
    origin: String,
}

/// Where an S3-compatible store is and how browsers reach it. Credentials come from the
/// standard `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (or the instance's role).
#[derive(Debug, Clone)]
pub struct S3Location {
    pub bucket: String,
    pub prefix: String,
    pub region: String,
    /// What the service talks to (`http://minio:9000`); `None` for AWS itself.
    pub endpoint: Option<String>,
    /// What browsers get in presigned URLs (`https://media.example.com`); default: `endpoint`.
    pub public_endpoint: Option<String>,
    /// Access key id and secret, when not taken from the environment.
    pub credentials: Option<(String, String)>,
}

impl S3Location {
    /// Parses `s3://bucket` or `s3://bucket/prefix/path`.
    pub fn parse(
        url: &str,
        region: &str,
        endpoint: Option<String>,
        public_endpoint: Option<String>,
    ) -> Result<Self, String> {
        let rest = url.strip_prefix("s3://").ok_or("an S3 storage URL starts with s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err("the S3 URL names no bucket (s3://bucket/prefix)".into());
        }
        Ok(Self {
            bucket: bucket.into(),
            prefix: prefix.trim_matches('/').into(),
            region: region.into(),
            endpoint,
            public_endpoint,
            credentials: None,
        })
    }

    fn builder(&self, endpoint: Option<&str>) -> AmazonS3Builder {
        let mut b =
            AmazonS3Builder::from_env().with_bucket_name(&self.bucket).with_region(&self.region);
        b = match endpoint {
            Some(e) => b.with_endpoint(e).with_allow_http(e.starts_with("http://")),
            // AWS itself: bucket.s3.region.amazonaws.com URLs, the origin the CSP names.
            None => b.with_virtual_hosted_style_request(true),
        };
        if let Some((id, secret)) = &self.credentials {
            b = b.with_access_key_id(id).with_secret_access_key(secret);
        }
        b
    }
}

fn storage(e: object_store::Error) -> StoreError {
    match e {
        object_store::Error::NotFound { .. } => StoreError::NotFound,
        other => StoreError::Storage(other),
    }
}

/// The file of `key` in a local store; `NotFound` when there is none.
fn local_file(fs: &LocalFileSystem, key: &str) -> Result<PathBuf, StoreError> {
    let p = fs.path_to_filesystem(&Key::from(key)).map_err(storage)?;
    if p.is_file() { Ok(p) } else { Err(StoreError::NotFound) }
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Files(e)
}

impl Objects {
    /// Objects under `root` on the local filesystem (created if missing).
    pub fn local(root: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(root).map_err(io)?;
        // Empty folders go with their last object (an upload's pieces, a deleted project's files).
        // Written objects are fsynced, file and folder, before a put returns, as S3 makes them
        // durable before it answers: the caller records the object in the database next, and a
        // power cut must not leave a row pointing at a file that never reached the disk.
        let fs = Arc::new(
            LocalFileSystem::new_with_prefix(root)
                .map_err(storage)?
                .with_automatic_cleanup(true)
                .with_fsync(true),
        );
        Ok(Self { inner: fs.clone(), local: Some(fs), public: None })
    }

    /// Objects in an S3-compatible bucket.
    pub fn s3(location: &S3Location) -> Result<Self, StoreError> {
        let store =
            Arc::new(location.builder(location.endpoint.as_deref()).build().map_err(storage)?);
        let public_endpoint = location.public_endpoint.as_deref().or(location.endpoint.as_deref());
        let signer = Arc::new(location.builder(public_endpoint).build().map_err(storage)?);
        let origin = public_endpoint.map_or_else(
            || format!("https://{}.s3.{}.amazonaws.com", location.bucket, location.region),
            |e| e.trim_end_matches('/').to_string(),
        );
        let inner: Arc<dyn ObjectStore> = if location.prefix.is_empty() {
            store.clone()
        } else {
            Arc::new(PrefixStore::new(store.clone(), location.prefix.as_str()))
        };
        Ok(Self {
            inner,
            local: None,
            public: Some(PublicSigner {
                store: signer,
                internal: store,
                prefix: location.prefix.clone(),
                origin,
            }),
        })
    }

    /// A URL a browser can `GET` `key` from for `ttl`, when the store can sign one (S3); `None`
    /// for a local directory, which the API serves itself. With `download_as`, the response
    /// carries `Content-Disposition: attachment` with that file name (signed, like the rest).
    pub async fn presigned_get(
        &self,
        key: &str,
        ttl: Duration,
        download_as: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        let Some(p) = &self.public else { return Ok(None) };
        let full = p.key(key);
        let url = match download_as {
            None => p.store.signed_url(Method::GET, &full, ttl).await,
            Some(name) => {
                // The name goes into a header: only characters that need no quoting there.
                let name: String = name
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let options = SignedUrlOptions::new().with_query([(
                    "response-content-disposition",
                    format!("attachment; filename=\"{name}\""),
                )]);
                p.store.signed_url_opts(Method::GET, &full, ttl, &options).await
            }
        }
        .map_err(storage)?;
        Ok(Some(url.to_string()))
    }

    /// Where the service itself reads `key` without copying it: the file of a local store, or
    /// a URL signed for `ttl` on the endpoint the service talks to (S3), for a tool that reads
    /// only the parts it needs (FFmpeg seeking to one frame of a long video).
    pub async fn service_read(&self, key: &str, ttl: Duration) -> Result<ObjectSource, StoreError> {
        if let Some(fs) = &self.local {
            return local_file(fs, key).map(ObjectSource::File);
        }
        let p = self.public.as_ref().expect("an S3 store has signers");
        let full = p.key(key);
        // Signing needs no request; a missing object is found out here rather than by the tool.
        if self.size(key).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let url = p.internal.signed_url(Method::GET, &full, ttl).await.map_err(storage)?;
        Ok(ObjectSource::Url(url.to_string()))
    }

    /// A URL a browser can `PUT` one object to, at `key`, for `ttl` (S3); `None` for a local
    /// directory (browsers upload through the API then). The URL does not bound the size: the
    /// caller checks what it fetches before taking it.
    pub async fn presigned_put(
        &self,
        key: &str,
        ttl: Duration,
    ) -> Result<Option<String>, StoreError> {
        let Some(p) = &self.public else { return Ok(None) };
        let full = p.key(key);
        Ok(Some(p.store.signed_url(Method::PUT, &full, ttl).await.map_err(storage)?.to_string()))
    }

    /// `local` or `s3`, for metrics.
    fn backend(&self) -> &'static str {
        if self.local.is_some() { "local" } else { "s3" }
    }

    /// The origin presigned URLs point at (for the web app's content security policy).
    pub fn public_origin(&self) -> Option<&str> {
        self.public.as_ref().map(|p| p.origin.as_str())
    }

    /// Streams a local file into the store under `key`.
    pub async fn put_file(&self, key: &str, file: &Path) -> Result<u64, StoreError> {
        timed("put", self.backend(), self.put_file_untimed(key, file)).await
    }

    async fn put_file_untimed(&self, key: &str, file: &Path) -> Result<u64, StoreError> {
        let mut f = tokio::fs::File::open(file).await.map_err(io)?;
        let upload = match (&self.public, content_type(key)) {
            // S3 serves the type it was given, to browsers following presigned links; a local
            // directory keeps no attributes (the API names the type when it serves files).
            (Some(_), Some(mime)) => {
                let attributes = object_store::Attributes::from_iter([(
                    object_store::Attribute::ContentType,
                    object_store::AttributeValue::from(mime),
                )]);
                self.inner
                    .put_multipart_opts(
                        &Key::from(key),
                        object_store::PutMultipartOptions { attributes, ..Default::default() },
                    )
                    .await
            }
            _ => self.inner.put_multipart(&Key::from(key)).await,
        }
        .map_err(storage)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
        let mut buf = vec![0u8; 1 << 20];
        let mut total = 0u64;
        let copied: Result<(), StoreError> = async {
            loop {
                let n = f.read(&mut buf).await.map_err(io)?;
                if n == 0 {
                    return Ok(());
                }
                writer.wait_for_capacity(2).await.map_err(storage)?;
                writer.write(&buf[..n]);
                total += n as u64;
            }
        }
        .await;
        if let Err(e) = copied {
            // An incomplete multipart upload keeps its parts (and costs) until aborted.
            let _ = writer.abort().await;
            return Err(e);
        }
        writer.finish().await.map_err(storage)?;
        Ok(total)
    }

    /// Writes a small object (a waveform: kilobytes, not a video) whole, in one `PUT`; readers
    /// see the old object or the new one, never part of either.
    pub async fn put_bytes(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        timed("put", self.backend(), async {
            self.inner.put(&Key::from(key), bytes.into()).await.map_err(storage)?;
            Ok(())
        })
        .await
    }

    /// Reads a small object whole; `None` when there is no such object. One larger than
    /// `at_most` bytes is refused without being read ([`StoreError::Corrupt`]: it is not what
    /// Cofee wrote there).
    pub async fn read_small(&self, key: &str, at_most: u64) -> Result<Option<Vec<u8>>, StoreError> {
        timed("get", self.backend(), async {
            let got = match self.inner.get(&Key::from(key)).await {
                Ok(got) => got,
                Err(object_store::Error::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(storage(e)),
            };
            let too_big = || StoreError::Corrupt(format!("{key} is larger than {at_most} bytes"));
            if got.meta.size > at_most {
                return Err(too_big());
            }
            let mut out = Vec::with_capacity(got.meta.size as usize);
            let mut stream = got.into_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(storage)?;
                if (out.len() + chunk.len()) as u64 > at_most {
                    return Err(too_big());
                }
                out.extend_from_slice(&chunk);
            }
            Ok(Some(out))
        })
        .await
    }

    /// A local path to read `key` from: the object itself for a local store, else a download
    /// into `scratch`.
    pub async fn readable_path(&self, key: &str, scratch: &Path) -> Result<PathBuf, StoreError> {
        if let Some(fs) = &self.local {
            return local_file(fs, key);
        }
        timed("get", self.backend(), self.download(key, scratch)).await
    }

    /// Streams `key` into the file `scratch`, removing it again on failure.
    async fn download(&self, key: &str, scratch: &Path) -> Result<PathBuf, StoreError> {
        let mut stream = self.inner.get(&Key::from(key)).await.map_err(storage)?.into_stream();
        if let Some(dir) = scratch.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(io)?;
        }
        let mut out = tokio::fs::File::create(scratch).await.map_err(io)?;
        let copied: Result<(), StoreError> = async {
            while let Some(chunk) = stream.next().await {
                out.write_all(&chunk.map_err(storage)?).await.map_err(io)?;
            }
            out.sync_all().await.map_err(io)
        }
        .await;
        if let Err(e) = copied {
            // A partial download can be gigabytes; nobody else will remove it.
            let _ = tokio::fs::remove_file(scratch).await;
            return Err(e);
        }
        Ok(scratch.to_path_buf())
    }

    /// The keys under `prefix` (a folder: `uploads/ID`), in no particular order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        timed("list", self.backend(), async {
            let mut keys = Vec::new();
            let mut listing = self.inner.list(Some(&Key::from(prefix)));
            while let Some(meta) = listing.next().await {
                keys.push(meta.map_err(storage)?.location.to_string());
            }
            Ok(keys)
        })
        .await
    }

    /// The size of `key`, `None` when there is no such object (a `HEAD`: nothing is read).
    pub async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        timed("head", self.backend(), async {
            match self.inner.head(&Key::from(key)).await {
                Ok(meta) => Ok(Some(meta.size)),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(storage(e)),
            }
        })
        .await
    }

    /// The keys under `prefix` last written before `before` (unix ms): strays to expire.
    pub async fn list_written_before(
        &self,
        prefix: &str,
        before: i64,
    ) -> Result<Vec<String>, StoreError> {
        timed("list", self.backend(), async {
            let mut keys = Vec::new();
            let mut listing = self.inner.list(Some(&Key::from(prefix)));
            while let Some(meta) = listing.next().await {
                let meta = meta.map_err(storage)?;
                if meta.last_modified.timestamp_millis() < before {
                    keys.push(meta.location.to_string());
                }
            }
            Ok(keys)
        })
        .await
    }

    /// Streams `key` onto the end of `out`; returns the bytes copied.
    pub async fn append_to(&self, key: &str, out: &mut tokio::fs::File) -> Result<u64, StoreError> {
        timed("get", self.backend(), async {
            let mut stream = self.inner.get(&Key::from(key)).await.map_err(storage)?.into_stream();
            let mut copied = 0u64;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(storage)?;
                out.write_all(&chunk).await.map_err(io)?;
                copied += chunk.len() as u64;
            }
            // tokio's File finishes a write in the background; dropping it unflushed loses it.
            out.flush().await.map_err(io)?;
            Ok(copied)
        })
        .await
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        timed("delete", self.backend(), self.delete_untimed(key)).await
    }

    async fn delete_untimed(&self, key: &str) -> Result<(), StoreError> {
        match self.inner.delete(&Key::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(storage(e)),
        }
    }

    /// Whether the store answers (for readiness probes).
    pub async fn ping(&self) -> Result<(), StoreError> {
        timed("head", self.backend(), self.ping_untimed()).await
    }

    async fn ping_untimed(&self) -> Result<(), StoreError> {
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
    async fn small_objects_are_written_and_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let objects = Objects::local(&dir.path().join("objects")).unwrap();
        assert!(objects.read_small("projects/p/waveform.dat", 100).await.unwrap().is_none());
        objects.put_bytes("projects/p/waveform.dat", vec![7; 50]).await.unwrap();
        objects.put_bytes("projects/p/waveform.dat", vec![9; 60]).await.unwrap();
        let read = objects.read_small("projects/p/waveform.dat", 100).await.unwrap();
        assert_eq!(read, Some(vec![9; 60]), "the second write replaced the first");
        assert!(matches!(
            objects.read_small("projects/p/waveform.dat", 59).await,
            Err(StoreError::Corrupt(_))
        ));
    }

    #[tokio::test]
    async fn files_go_in_and_come_back_out() {
        let dir = tempfile::tempdir().unwrap();
        let objects = Objects::local(&dir.path().join("objects")).unwrap();
        let src = dir.path().join("in.bin");
        let data: Vec<u8> = (0..20_000_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&src, &data).unwrap();
        assert_eq!(objects.put_file("media/p1/source", &src).await.unwrap(), data.len() as u64);
        let p =
            objects.readable_path("media/p1/source", &dir.path().join("scratch")).await.unwrap();
        assert_eq!(std::fs::read(p).unwrap(), data);
        objects.delete("media/p1/source").await.unwrap();
        assert!(matches!(
            objects.readable_path("media/p1/source", &dir.path().join("s")).await,
            Err(StoreError::NotFound)
        ));
        objects.ping().await.unwrap();
    }
}
