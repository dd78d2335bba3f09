//! `render` jobs: burn a project's captions into its video with its style. Idempotent: running
//! it again writes the same object key and updates the same render row.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use cofee_core::formats::json;
use cofee_core::{AssDocument, Style, VideoSize};
use cofee_media::{BurnIn, Compositor, FontDir, MediaLimits, X264Preset};
use cofee_pipeline::Silent;
use cofee_store::media::MediaStore;
use cofee_store::objects::Objects;
use cofee_store::queue::Job;
use serde::{Deserialize, Serialize};
use tracing::Instrument as _;
use uuid::Uuid;

use super::job_error;
use crate::{JobContext, JobError, JobHandler};

/// Style used when a project has none.
pub const DEFAULT_STYLE: &str = "clean";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RenderPayload {
    pub project_id: Uuid,
    /// Filled in by the store when the render row is created.
    #[serde(default)]
    pub render_id: Option<Uuid>,
    pub preset: String,
    pub crf: u8,
}

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

fn permanent(e: impl std::fmt::Display) -> JobError {
    JobError::Permanent(e.to_string())
}

fn retryable(e: impl std::fmt::Display) -> JobError {
    JobError::Retryable(e.to_string())
}

#[async_trait]
impl JobHandler for RenderHandler {
    async fn run(&self, job: &Job, ctx: JobContext) -> Result<(), JobError> {
        let p: RenderPayload = serde_json::from_value(job.payload.clone()).map_err(permanent)?;
        let render_id = p.render_id.ok_or_else(|| permanent("render job without a render id"))?;
        let owner: Uuid = job.owner_id.as_deref().and_then(|o| o.parse().ok()).ok_or_else(|| permanent("render job without an owner"))?;
        let preset: X264Preset = p.preset.parse().map_err(permanent)?;
        let transcript = self.media.transcript(owner, p.project_id).await.map_err(|e| permanent(format!("no captions to render: {e}")))?;
        let transcript = json::parse(&transcript.words).map_err(permanent)?;
        let style = match self.media.style_of_project(p.project_id).await.map_err(retryable)? {
            Some(s) => Style::from_json(&s).map_err(permanent)?,
            None => cofee_core::style::preset(DEFAULT_STYLE).map_err(permanent)?,
        };
        let media = self.media.media_of_project(p.project_id).await.map_err(permanent)?;
        tokio::fs::create_dir_all(&self.scratch).await.map_err(retryable)?;
        let scratch_src = self.scratch.join(format!("{}.source", job.id));
        // The compositor's process starts while the source is fetched and probed.
        let mut standby = self.compositor.standby();
        let source = self.objects.readable_path(&media.object_key, &scratch_src).instrument(tracing::info_span!("fetch source")).await.map_err(retryable)?;
        let output = self.scratch.join(format!("{render_id}.mp4"));
        let result = async {
            let info = cofee_pipeline::probe(&source, &self.limits, standby.as_mut(), &Silent, &ctx.cancel).await.map_err(job_error)?;
            let video = info.require_video().map_err(|e| permanent(e.to_string()))?;
            let ass = AssDocument::build(&transcript, &style, VideoSize { width: video.width, height: video.height }).to_ass();
            let fonts = FontDir::with_bundled().map_err(retryable)?; // styles from the API carry no font files
            let burn = BurnIn { input: &info, ass: &ass, fonts: &fonts, output: &output, preset, crf: p.crf, threads: container_cpus(), limits: &self.limits, compositor: &self.compositor, standby };
            let progress = ctx.clone();
            // The span of the render proper (the compositor child process or FFmpeg's filter).
            let span = tracing::info_span!("burn", preset = preset.name(), compositor = tracing::field::Empty, frames = tracing::field::Empty, fps = tracing::field::Empty);
            let stats = burn.run(move |b| progress.progress(b.fraction * 0.97), &ctx.cancel).instrument(span.clone()).await.map_err(|e| job_error(e.into()))?;
            span.record("compositor", stats.compositor).record("frames", stats.frames as i64).record("fps", stats.fps);
            metrics::histogram!("render_frames_per_second", "compositor" => stats.compositor, "preset" => preset.name()).record(stats.fps);
            let key = format!("projects/{}/renders/{render_id}.mp4", p.project_id);
            let size = self.objects.put_file(&key, &output).instrument(tracing::info_span!("store render")).await.map_err(retryable)?;
            self.media.finish_render(render_id, &key, size).await.map_err(retryable)?;
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
