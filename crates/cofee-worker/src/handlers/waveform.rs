//! `waveform` jobs: the peaks of a project's media for the editor's timeline, computed once per
//! media and stored at `projects/{id}/waveform.dat`. Idempotent: the same media gives the same
//! bytes, so running it again writes the same object.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use cofee_jobs::WaveformJob;
use cofee_media::MediaLimits;
use cofee_pipeline::Silent;
use cofee_store::StoreError;
use cofee_store::media::MediaStore;
use cofee_store::objects::Objects;
use cofee_store::queue::Job;
use tracing::Instrument as _;

use super::{LocalSource, job_error, project_of};
use crate::{JobContext, JobError, Perform};

pub struct WaveformHandler {
    pub media: Arc<dyn MediaStore>,
    pub objects: Objects,
    pub limits: MediaLimits,
    /// Where remote objects are downloaded for FFmpeg.
    pub scratch: PathBuf,
}

#[async_trait]
impl Perform<WaveformJob> for WaveformHandler {
    async fn perform(&self, _: WaveformJob, job: &Job, ctx: JobContext) -> Result<(), JobError> {
        let project = project_of(job)?;
        let media = match self.media.media_of_project(project).await {
            Ok(m) => m,
            Err(StoreError::NotFound) => {
                return Err(JobError::permanent("the project has no media (any more)"));
            }
            Err(e) => return Err(JobError::retryable(e)),
        };
        let source =
            LocalSource::fetch(&self.objects, &media.object_key, &self.scratch, job).await?;
        let path = &source.path;
        let result = async {
            let info = cofee_pipeline::probe(path, &self.limits, None, &Silent, &ctx.cancel)
                .await
                .map_err(job_error)?;
            let progress = |f: f64| ctx.progress(f);
            let bytes = cofee_pipeline::waveform(&info, &self.limits, &progress, &ctx.cancel)
                .instrument(tracing::info_span!("waveform", audio_secs = info.duration_secs))
                .await
                .map_err(job_error)?;
            // Media replaced meanwhile has a job of its own, queued when it was attached (which
            // also removed the old waveform): these peaks are of a video nobody edits any more.
            match self.media.media_of_project(project).await {
                Ok(now) if now == media => {}
                Ok(_) | Err(StoreError::NotFound) => {
                    tracing::info!("the media changed while its waveform was computed; not stored");
                    return Ok(());
                }
                Err(e) => return Err(JobError::retryable(e)),
            }
            self.objects
                .put_bytes(&WaveformJob::object_key(project), bytes)
                .await
                .map_err(JobError::retryable)
        }
        .await;
        drop(source);
        result
    }
}
