//! `transcribe` jobs: recognise the speech of a project's media and store the words.
//! Idempotent: running it again replaces the transcript. The replacements the person keeps on the
//! project are applied to what the engine heard.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use cofee_core::Transcript;
use cofee_core::formats::json;
use cofee_core::replace::Replacements;
use cofee_jobs::TranscribeJob;
use cofee_media::MediaLimits;
use cofee_pipeline::{EngineSpec, Silent};
use cofee_store::media::{MediaStore, ProjectDocument};
use cofee_store::objects::Objects;
use cofee_store::queue::Job;
use tracing::Instrument as _;

use super::{JobReporter, LocalSource, job_error, project_of};
use crate::{JobContext, JobError, Perform};

pub struct TranscribeHandler {
    pub media: Arc<dyn MediaStore>,
    pub objects: Objects,
    /// The engine used when a job names none.
    pub engine: EngineSpec,
    /// The whisper model, for jobs that ask for whisper.
    pub whisper_model: Option<PathBuf>,
    pub limits: MediaLimits,
    /// Where remote objects are downloaded for FFmpeg.
    pub scratch: PathBuf,
}

impl TranscribeHandler {
    /// `t` with the replacements the person keeps on the project applied.
    async fn replaced(&self, project: uuid::Uuid, t: Transcript) -> Result<Transcript, JobError> {
        let kept = self
            .media
            .document_of_project(project, ProjectDocument::Replacements)
            .await
            .map_err(JobError::retryable)?;
        let Some(kept) = kept else { return Ok(t) };
        let list: Replacements = serde_json::from_str(&kept).map_err(JobError::permanent)?;
        let (words, count) = list.apply(t.words.clone());
        let replaced = Transcript::new(t.language.clone(), words);
        // A replacement into many words may take a long transcript past the limits: then the
        // words are kept as heard (and the person still has the list to apply by hand).
        if let Err(e) = replaced.validate() {
            tracing::warn!(error = %e, "the project's replacements were not applied");
            return Ok(t);
        }
        tracing::info!(count, "applied the project's replacements");
        Ok(replaced)
    }
}

#[async_trait]
impl Perform<TranscribeJob> for TranscribeHandler {
    async fn perform(&self, p: TranscribeJob, job: &Job, ctx: JobContext) -> Result<(), JobError> {
        let project = project_of(job)?;
        let media = self
            .media
            .media_of_project(project)
            .await
            .map_err(|e| JobError::permanent(format!("no media to transcribe: {e}")))?;
        let source =
            LocalSource::fetch(&self.objects, &media.object_key, &self.scratch, job).await?;
        let path = &source.path;
        let result = async {
            let info = cofee_pipeline::probe(path, &self.limits, None, &Silent, &ctx.cancel)
                .await
                .map_err(job_error)?;
            let reporter = JobReporter(ctx.clone());
            let engine = match p.engine.as_deref() {
                None => self.engine.clone(),
                Some("sphinx") => EngineSpec::Sphinx,
                Some("openai") => EngineSpec::OpenAi { model: None },
                Some("whisper") => EngineSpec::Whisper {
                    model: self.whisper_model.clone().ok_or_else(|| {
                        JobError::permanent("no whisper model is configured on this server")
                    })?,
                },
                Some(other) => {
                    return Err(JobError::permanent(format!("unknown engine {other:?}")));
                }
            };
            let started = std::time::Instant::now();
            let span = tracing::info_span!(
                "recognise speech",
                engine = engine.name(),
                audio_secs = info.duration_secs
            );
            let t = cofee_pipeline::transcribe(
                &info,
                &engine,
                p.language.clone(),
                &self.limits,
                &reporter,
                &ctx.cancel,
            )
            .instrument(span)
            .await
            .map_err(job_error)?;
            if info.duration_secs > 0.0 {
                metrics::histogram!("transcription_real_time_factor", "engine" => engine.name())
                    .record(started.elapsed().as_secs_f64() / info.duration_secs);
            }
            let t = self.replaced(project, t).await?;
            self.media
                .save_transcript(project, &json::write(&t))
                .await
                .map_err(JobError::retryable)?;
            Ok(())
        }
        .await;
        drop(source);
        result
    }
}
