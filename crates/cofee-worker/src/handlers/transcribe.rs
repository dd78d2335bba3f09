//! `transcribe` jobs: recognise the speech of a project's media and store the words.
//! Idempotent: running it again replaces the transcript it was asked to replace (never captions
//! a person edited or imported after asking). The replacements the person keeps on the
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

impl TranscribeHandler {
    /// Saves the words over the captions the job was asked to replace — and only over them: if
    /// the person edited or imported captions meanwhile, theirs stay and the job says so.
    async fn save(
        &self,
        job: &Job,
        project: uuid::Uuid,
        replaces: Option<i64>,
        words: &str,
    ) -> Result<(), JobError> {
        let (Some(expected), Some(owner)) = (replaces, job.owner_id) else {
            self.media.save_transcript(project, words).await.map_err(JobError::retryable)?;
            return Ok(());
        };
        match self.media.replace_transcript(owner, project, words, expected).await {
            Ok(_) => Ok(()),
            Err(cofee_store::StoreError::Conflict(_)) => {
                // An earlier attempt of this job may have saved these very words.
                let now =
                    self.media.transcript(owner, project).await.map_err(JobError::retryable)?;
                if now.words == words {
                    return Ok(());
                }
                Err(JobError::permanent(format!(
                    "the captions changed while this transcription ran (version {expected} then, {} now); they were kept, and this transcription was not saved over them: transcribe again to replace them",
                    now.version
                )))
            }
            Err(e) => Err(JobError::retryable(e)),
        }
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
            self.save(job, project, p.replaces_version, &json::write(&t)).await
        }
        .await;
        drop(source);
        result
    }
}

#[cfg(test)]
mod tests {
    use cofee_store::Store;
    use cofee_store::accounts::{Accounts, Projects};

    use super::*;

    fn job(owner: uuid::Uuid, project: uuid::Uuid) -> Job {
        let job = TranscribeJob { language: None, engine: None, replaces_version: Some(1) };
        Job::claimed(cofee_jobs::new_job(
            &job,
            cofee_jobs::JobOrigin::project(owner, project, None),
        ))
    }

    /// A transcription asked for over version 1 of the captions is not saved over captions a
    /// person changed meanwhile; over the version it was asked for it is, and saving again (a
    /// retried attempt that had saved already) is no conflict.
    #[tokio::test]
    async fn a_transcription_never_overwrites_captions_changed_while_it_ran() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open_sqlite(&dir.path().join("c.db")).await.unwrap());
        let user = store.create_user("ada@example.com", "hash").await.unwrap().id;
        let project = store.create_project(user, "talk").await.unwrap().id;
        let handler = TranscribeHandler {
            media: store.clone(),
            objects: Objects::local(&dir.path().join("objects")).unwrap(),
            engine: EngineSpec::Sphinx,
            whisper_model: None,
            limits: MediaLimits::default(),
            scratch: dir.path().join("tmp"),
        };
        let heard = r#"{"words":[{"text":"heard","start":0.0,"end":0.5}]}"#;
        let typed = r#"{"words":[{"text":"typed","start":0.0,"end":0.5}]}"#;
        assert_eq!(store.save_transcript(project, heard).await.unwrap(), 1);
        let job = job(user, project);
        // Asked for over version 1; the person's import made version 2 meanwhile.
        store.replace_transcript(user, project, typed, 1).await.unwrap();
        let e = handler.save(&job, project, Some(1), heard).await.unwrap_err();
        assert!(e.to_string().contains("the captions changed while this transcription ran"), "{e}");
        assert_eq!(store.transcript(user, project).await.unwrap().words, typed, "theirs kept");
        // Over the version it was asked for: saved; again (a retry): no conflict.
        handler.save(&job, project, Some(2), heard).await.unwrap();
        handler.save(&job, project, Some(2), heard).await.unwrap();
        assert_eq!(store.transcript(user, project).await.unwrap().words, heard);
    }
}
