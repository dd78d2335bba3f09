//! The job handlers: the same pipeline `cofee caption` drives, fed from storage.

mod addresses;
mod align;
mod maintenance;
mod notify;
mod render;
mod transcribe;
mod waveform;

pub use addresses::{AddressPolicy, Lookup, NotPublic, is_public};
pub use align::AlignHandler;
pub use maintenance::MaintenanceHandler;
pub use notify::{NotifyHandler, WebhookFanout, sign};
pub use render::{Chunking, RenderChunkHandler, RenderHandler};
pub use transcribe::TranscribeHandler;
pub use waveform::WaveformHandler;

use cofee_pipeline::{PipelineError, Reporter, Stage};

use crate::{JobContext, JobError};

/// Pipeline progress into the job row.
struct JobReporter(JobContext);

impl Reporter for JobReporter {
    fn start(&self, _: Stage) {}
    fn progress(&self, _: Stage, fraction: f64) {
        self.0.progress(fraction);
    }
    fn finish(&self, _: Stage, _: &str) {}
}

/// Bad input will fail again, so it is not retried; anything else may pass next time.
fn job_error(e: PipelineError) -> JobError {
    if e.is_bad_input() { JobError::permanent(e) } else { JobError::retryable(e) }
}

/// The project a job works on (every transcription and render has one).
fn project_of(job: &cofee_store::queue::Job) -> Result<uuid::Uuid, JobError> {
    job.project_id
        .ok_or_else(|| JobError::permanent(format!("a {} job without a project", job.kind)))
}

/// The project's source as a file this job can read: the stored file itself where storage is a
/// local directory, else a download into scratch, removed when this is dropped.
struct LocalSource {
    path: std::path::PathBuf,
    downloaded: bool,
}

impl LocalSource {
    async fn fetch(
        objects: &cofee_store::objects::Objects,
        key: &str,
        scratch: &std::path::Path,
        job: &cofee_store::queue::Job,
    ) -> Result<Self, JobError> {
        Self::fetch_to(objects, key, scratch.join(format!("{}.source", job.id))).await
    }

    /// As [`LocalSource::fetch`], downloading (where it must) to `download`.
    async fn fetch_to(
        objects: &cofee_store::objects::Objects,
        key: &str,
        download: std::path::PathBuf,
    ) -> Result<Self, JobError> {
        use tracing::Instrument as _;
        let path = objects
            .readable_path(key, &download)
            .instrument(tracing::info_span!("fetch source"))
            .await
            .map_err(JobError::retryable)?;
        Ok(Self { downloaded: path == download, path })
    }
}

impl Drop for LocalSource {
    fn drop(&mut self) {
        if self.downloaded {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
