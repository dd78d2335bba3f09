//! `align` jobs: times for words a person wrote, from the stretch of audio they stand in, by
//! the one engine that aligns given text (whisper); stored at `projects/{id}/alignments/{job}.json`
//! for the editor to take. Where this server has no whisper model the result says so (the
//! editor keeps its estimate). Idempotent: the same words and audio give the same times.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use cofee_jobs::{AlignJob, AlignedWord, Alignment};
use cofee_media::MediaLimits;
use cofee_pipeline::{EngineSpec, Silent, Stretch};
use cofee_store::media::MediaStore;
use cofee_store::objects::Objects;
use cofee_store::queue::Job;
use tracing::Instrument as _;

use super::{LocalSource, job_error, project_of};
use crate::{JobContext, JobError, Perform};

pub struct AlignHandler {
    pub media: Arc<dyn MediaStore>,
    pub objects: Objects,
    /// The whisper model, the engine that aligns.
    pub whisper_model: Option<PathBuf>,
    pub limits: MediaLimits,
    /// Where remote objects are downloaded for FFmpeg.
    pub scratch: PathBuf,
}

#[async_trait]
impl Perform<AlignJob> for AlignHandler {
    async fn perform(&self, p: AlignJob, job: &Job, ctx: JobContext) -> Result<(), JobError> {
        let project = project_of(job)?;
        let Some(model) = self.whisper_model.clone() else {
            let reason = "no engine on this server aligns text to audio (a whisper model does)";
            return self
                .store(
                    project,
                    job,
                    Alignment { engine: "none".into(), words: None, reason: Some(reason.into()) },
                )
                .await;
        };
        let media = self
            .media
            .media_of_project(project)
            .await
            .map_err(|e| JobError::permanent(format!("no media to align with: {e}")))?;
        let source =
            LocalSource::fetch(&self.objects, &media.object_key, &self.scratch, job).await?;
        let spec = EngineSpec::Whisper { model };
        let stretch =
            Stretch { from_ms: p.from_ms, to_ms: p.to_ms, words: p.words, language: p.language };
        let result = async {
            let info =
                cofee_pipeline::probe(&source.path, &self.limits, None, &Silent, &ctx.cancel)
                    .await
                    .map_err(job_error)?;
            let span = tracing::info_span!("align words", words = stretch.words.len());
            cofee_pipeline::align(&info, &spec, &stretch, &self.limits, &ctx.cancel)
                .instrument(span)
                .await
                .map_err(job_error)
        }
        .await;
        drop(source);
        let words = result?.map(|words| {
            words
                .into_iter()
                .map(|w| AlignedWord { text: w.text, start_ms: w.start_ms, end_ms: w.end_ms })
                .collect()
        });
        let reason = words.is_none().then(|| "the engine cannot align text".to_string());
        self.store(project, job, Alignment { engine: spec.name().into(), words, reason }).await
    }
}

impl AlignHandler {
    async fn store(&self, project: uuid::Uuid, job: &Job, a: Alignment) -> Result<(), JobError> {
        let bytes = serde_json::to_vec(&a).map_err(JobError::permanent)?;
        self.objects
            .put_bytes(&AlignJob::object_key(project, job.id), bytes)
            .await
            .map_err(JobError::retryable)
    }
}
