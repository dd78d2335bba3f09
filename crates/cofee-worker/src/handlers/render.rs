//! `render` jobs: burn a project's captions into its video with its style. Idempotent: running
//! it again writes the same object key and updates the same render row.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use cofee_core::formats::json;
use cofee_core::{AssDocument, Style, VideoSize};
use cofee_jobs::RenderJob;
use cofee_media::{BurnIn, Compositor, FontDir, MediaLimits, X264Preset};
use cofee_pipeline::Silent;
use cofee_store::media::{MediaStore, ProjectDocument};
use cofee_store::objects::Objects;
use cofee_store::queue::Job;
use tracing::Instrument as _;

use super::{job_error, project_of};
use crate::{JobContext, JobError, Perform};

pub struct RenderHandler {
    pub media: Arc<dyn MediaStore>,
    pub objects: Objects,
    pub limits: MediaLimits,
    pub scratch: PathBuf,
    pub compositor: Compositor,
}

/// The CPUs this process may use (the container's quota, not the node's core count), so x264 and
/// the decoder do not start a thread per node core and get throttled.
fn container_cpus() -> Option<u32> {
    std::thread::available_parallelism().ok().map(|n| n.get() as u32)
}

use JobError as E;

#[async_trait]
impl Perform<RenderJob> for RenderHandler {
    async fn perform(&self, p: RenderJob, job: &Job, ctx: JobContext) -> Result<(), JobError> {
        let (render_id, project) = (p.render_id, project_of(job)?);
        let owner = job.owner_id.ok_or_else(|| E::permanent("render job without an owner"))?;
        let preset: X264Preset = p.preset.parse().map_err(E::permanent)?;
        let transcript = self
            .media
            .transcript(owner, project)
            .await
            .map_err(|e| E::permanent(format!("no captions to render: {e}")))?;
        let transcript = json::parse(&transcript.words).map_err(E::permanent)?;
        let style = match self
            .media
            .document_of_project(project, ProjectDocument::Style)
            .await
            .map_err(E::retryable)?
        {
            Some(s) => Style::from_json(&s).map_err(E::permanent)?,
            None => cofee_core::style::preset(cofee_core::style::DEFAULT_PRESET)
                .map_err(E::permanent)?,
        };
        let media = self.media.media_of_project(project).await.map_err(E::permanent)?;
        tokio::fs::create_dir_all(&self.scratch).await.map_err(E::retryable)?;
        let scratch_src = self.scratch.join(format!("{}.source", job.id));
        // The compositor's process starts while the source is fetched and probed.
        let mut standby = self.compositor.standby();
        let source = self
            .objects
            .readable_path(&media.object_key, &scratch_src)
            .instrument(tracing::info_span!("fetch source"))
            .await
            .map_err(E::retryable)?;
        let output = self.scratch.join(format!("{render_id}.mp4"));
        let result = async {
            let info = cofee_pipeline::probe(&source, &self.limits, standby.as_mut(), &Silent, &ctx.cancel).await.map_err(job_error)?;
            let video = info.require_video().map_err(E::permanent)?;
            let ass = AssDocument::build(&transcript, &style, VideoSize { width: video.width, height: video.height }).to_ass();
            let fonts = FontDir::with_bundled().map_err(E::retryable)?; // styles from the API carry no font files
            let burn = BurnIn { input: &info, ass: &ass, fonts: &fonts, output: &output, preset, crf: p.crf, threads: container_cpus(), limits: &self.limits, compositor: &self.compositor, standby };
            let progress = ctx.clone();
            // The span of the render proper (the compositor child process or FFmpeg's filter).
            let span = tracing::info_span!("burn", preset = preset.name(), compositor = tracing::field::Empty, frames = tracing::field::Empty, fps = tracing::field::Empty);
            let stats = burn.run(move |b| progress.progress(b.fraction * 0.97), &ctx.cancel).instrument(span.clone()).await.map_err(|e| job_error(e.into()))?;
            span.record("compositor", stats.compositor).record("frames", stats.frames as i64).record("fps", stats.fps);
            metrics::histogram!("render_frames_per_second", "compositor" => stats.compositor, "preset" => preset.name()).record(stats.fps);
            let key = format!("projects/{project}/renders/{render_id}.mp4");
            let size = self.objects.put_file(&key, &output).instrument(tracing::info_span!("store render")).await.map_err(E::retryable)?;
            self.media.finish_render(render_id, &key, size).await.map_err(E::retryable)?;
            Ok(())
        }
        .await;
        let _ = tokio::fs::remove_file(&output).await;
        if source == scratch_src {
            let _ = tokio::fs::remove_file(&scratch_src).await;
        }
        result
    }
}
