//! `render` jobs: burn a project's captions into its video with its style. Idempotent: running
//! it again writes the same object key and updates the same render row.
//!
//! Media longer than [`Chunking`] allows is split at keyframes into `render_chunk` jobs that any
//! worker runs; the render's job waits for them (its progress is theirs, summed by length),
//! joins them without re-encoding, and cancels them when it is cancelled. Its chunks are made
//! once: a render job that runs again (its worker died) waits for the same chunks, and a chunk
//! whose worker died runs again on its own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cofee_core::formats::json;
use cofee_core::{AssDocument, Style, VideoSize};
use cofee_jobs::{DeleteObjects, JobOrigin, RenderChunkJob, RenderJob, new_job, trace};
use cofee_media::{
    BurnIn, Chunk, Compositor, FontDir, JoinChunks, MediaInfo, MediaLimits, X264Preset,
};
use cofee_pipeline::Silent;
use cofee_store::media::{MediaStore, ProjectDocument};
use cofee_store::objects::Objects;
use cofee_store::queue::{Job, JobQueue, JobState};
use tracing::Instrument as _;

use super::{LocalSource, job_error, project_of};
use crate::{JobContext, JobError, Perform};

/// When a render is split across workers: media longer than one and a half chunks is cut into
/// chunks of about `chunk_secs` (at keyframes); `0` renders everything in one piece.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chunking {
    pub chunk_secs: f64,
}

impl Chunking {
    pub const NEVER: Self = Self { chunk_secs: 0.0 };

    fn applies(&self, duration_secs: f64) -> bool {
        self.chunk_secs > 0.0 && duration_secs > self.chunk_secs * 1.5
    }
}

pub struct RenderHandler {
    pub media: Arc<dyn MediaStore>,
    /// For the chunks of a split render (cancelling them, cleaning up after the join).
    pub queue: Arc<dyn JobQueue>,
    pub objects: Objects,
    pub limits: MediaLimits,
    pub scratch: PathBuf,
    pub compositor: Compositor,
    pub chunking: Chunking,
}

/// The CPUs this process may use (the container's quota, not the node's core count), so x264 and
/// the decoder do not start a thread per node core and get throttled.
fn container_cpus() -> Option<u32> {
    std::thread::available_parallelism().ok().map(|n| n.get() as u32)
}

/// How often a split render looks at its chunks.
const CHUNK_POLL: Duration = Duration::from_millis(500);
/// The share of a split render's progress its chunks make (the join the rest).
const CHUNKS_SHARE: f64 = 0.95;

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
        // The compositor's process starts while the source is fetched and probed.
        let mut standby = self.compositor.standby();
        let source =
            LocalSource::fetch(&self.objects, &media.object_key, &self.scratch, job).await?;
        let info = cofee_pipeline::probe(
            &source.path,
            &self.limits,
            standby.as_mut(),
            &Silent,
            &ctx.cancel,
        )
        .await
        .map_err(job_error)?;
        let video = info.require_video().map_err(E::permanent)?;
        let ass = AssDocument::build(
            &transcript,
            &style,
            VideoSize { width: video.width, height: video.height },
        )
        .to_ass();
        let split = Split { handler: self, job, render: &p, project };
        let chunks = self.media.render_chunks(render_id).await.map_err(E::retryable)?;
        if !chunks.is_empty() {
            return split.wait_and_join(&info, &ctx).await; // split by an attempt before this one
        }
        if let Some(plan) = self.plan(&info, &ctx).await? {
            drop(standby);
            split.start(&ass, &plan).await?;
            return split.wait_and_join(&info, &ctx).await;
        }
        let output = self.scratch.join(format!("{render_id}.mp4"));
        let result = async {
            let fonts = FontDir::with_bundled().map_err(E::retryable)?; // styles from the API carry no font files
            let burn = BurnIn { input: &info, ass: &ass, fonts: &fonts, output: &output, preset, crf: p.crf, threads: container_cpus(), limits: &self.limits, compositor: &self.compositor, standby, chunk: None };
            let progress = ctx.clone();
            // The span of the render proper (the compositor child process or FFmpeg's filter).
            let span = tracing::info_span!("burn", preset = preset.name(), compositor = tracing::field::Empty, frames = tracing::field::Empty, fps = tracing::field::Empty);
            let stats = burn.run(move |b| progress.progress(b.fraction * 0.97), &ctx.cancel).instrument(span.clone()).await.map_err(|e| job_error(e.into()))?;
            span.record("compositor", stats.compositor).record("frames", stats.frames as i64).record("fps", stats.fps);
            metrics::histogram!("render_frames_per_second", "compositor" => stats.compositor, "preset" => preset.name()).record(stats.fps);
            split.store(&output).await
        }
        .await;
        let _ = tokio::fs::remove_file(&output).await;
        result
    }
}

impl RenderHandler {
    /// The chunks to split this render into, or `None` for one piece (short media, a single
    /// keyframe, or media only FFmpeg's filter draws on).
    async fn plan(
        &self,
        info: &MediaInfo,
        ctx: &JobContext,
    ) -> Result<Option<Vec<Chunk>>, JobError> {
        if !self.chunking.applies(info.duration_secs)
            || !cofee_media::can_split(info, &self.compositor)
        {
            return Ok(None);
        }
        let keyframes = cofee_media::keyframes(info, &self.limits, &ctx.cancel)
            .instrument(tracing::info_span!("list keyframes"))
            .await
            .map_err(|e| job_error(e.into()))?;
        let plan =
            cofee_media::plan_chunks(&keyframes, info.duration_secs, self.chunking.chunk_secs);
        Ok((plan.len() > 1).then_some(plan))
    }
}

/// A render split into chunks, from its job's side.
struct Split<'a> {
    handler: &'a RenderHandler,
    job: &'a Job,
    render: &'a RenderJob,
    project: uuid::Uuid,
}

impl Split<'_> {
    /// Stores the captions every chunk draws, then enqueues the chunks (once).
    async fn start(&self, ass: &str, plan: &[Chunk]) -> Result<(), JobError> {
        let h = self.handler;
        let key = RenderJob::captions_key(self.project, self.render.render_id);
        h.objects.put_bytes(&key, ass.as_bytes().to_vec()).await.map_err(E::retryable)?;
        let origin = JobOrigin {
            owner: self.job.owner_id,
            project: self.job.project_id,
            request_id: self.job.trace_context.clone(),
            traceparent: trace::current_traceparent(),
        };
        let jobs: Vec<_> = plan
            .iter()
            .enumerate()
            .map(|(index, c)| {
                let chunk = RenderChunkJob {
                    render_id: self.render.render_id,
                    index: index as u32,
                    from_pts: c.from_pts,
                    to_pts: c.to_pts,
                    from_secs: c.from_secs,
                    to_secs: c.to_secs,
                    preset: self.render.preset.clone(),
                    crf: self.render.crf,
                };
                new_job(&chunk, origin.clone())
            })
            .collect();
        h.media.split_render(self.render.render_id, &jobs).await.map_err(E::retryable)?;
        tracing::info!(chunks = plan.len(), "render split into chunks");
        Ok(())
    }

    /// Waits for every chunk, then joins them and stores the render.
    async fn wait_and_join(&self, info: &MediaInfo, ctx: &JobContext) -> Result<(), JobError> {
        let chunks = self.wait(ctx).await?;
        let h = self.handler;
        let mut local = Vec::with_capacity(chunks.len());
        let mut files = Vec::with_capacity(chunks.len());
        for c in &chunks {
            let key = RenderJob::chunk_key(self.project, self.render.render_id, c.index);
            let download = h.scratch.join(format!("{}.chunk-{}.mp4", self.job.id, c.index));
            let file = LocalSource::fetch_to(&h.objects, &key, download).await?;
            let chunk = Chunk {
                from_pts: c.from_pts,
                to_pts: c.to_pts,
                from_secs: c.from_secs,
                to_secs: c.to_secs,
            };
            local.push((chunk, file.path.clone()));
            files.push(file);
        }
        let output = h.scratch.join(format!("{}.mp4", self.render.render_id));
        let result = async {
            let join = JoinChunks {
                input: info,
                chunks: &local,
                output: &output,
                limits: &h.limits,
                compositor: &h.compositor,
            };
            let progress = ctx.clone();
            let span = tracing::info_span!(
                "join chunks",
                chunks = local.len(),
                frames = tracing::field::Empty
            );
            let stats = join
                .run(move |b| progress.progress(CHUNKS_SHARE + b.fraction * 0.03), &ctx.cancel)
                .instrument(span.clone())
                .await
                .map_err(|e| job_error(e.into()))?;
            span.record("frames", stats.frames as i64);
            self.store(&output).await
        }
        .await;
        let _ = tokio::fs::remove_file(&output).await;
        drop(files);
        if result.is_ok() {
            // The chunks and their captions go with a maintenance job (retried until gone).
            let prefix = RenderJob::pieces_prefix(self.project, self.render.render_id);
            let cleanup = new_job(&DeleteObjects { prefixes: vec![prefix] }, JobOrigin::default());
            if let Err(e) = h.queue.enqueue(cleanup).await {
                tracing::warn!(error = %e, "could not schedule removing the render's chunks");
            }
        }
        result
    }

    /// The chunks once all have succeeded; progress meanwhile is theirs, weighted by length.
    async fn wait(&self, ctx: &JobContext) -> Result<Vec<RenderChunkJob>, JobError> {
        let h = self.handler;
        // A chunk that runs again starts from nothing; the render's progress does not go back.
        let mut shown = self.job.progress;
        loop {
            let jobs = h.media.render_chunks(self.render.render_id).await.map_err(E::retryable)?;
            let chunks: Vec<RenderChunkJob> = jobs
                .iter()
                .map(cofee_jobs::payload::<RenderChunkJob>)
                .collect::<Result<_, _>>()
                .map_err(E::permanent)?;
            let total: f64 = chunks.iter().map(|c| (c.to_secs - c.from_secs).max(0.0)).sum();
            let done: f64 = jobs
                .iter()
                .zip(&chunks)
                .map(|(j, c)| {
                    let share = if j.state == JobState::Succeeded { 1.0 } else { j.progress };
                    share * (c.to_secs - c.from_secs).max(0.0)
                })
                .sum();
            shown = shown.max(CHUNKS_SHARE * done / total.max(1e-9));
            ctx.progress(shown);
            if let Some((i, failed)) = jobs
                .iter()
                .enumerate()
                .find(|(_, j)| matches!(j.state, JobState::Dead | JobState::Cancelled))
            {
                self.cancel_chunks(&jobs).await;
                let why = failed.error.as_deref().unwrap_or("no reason given");
                return Err(E::permanent(format!(
                    "chunk {} of {} {}: {why}",
                    i + 1,
                    jobs.len(),
                    if failed.state == JobState::Dead { "failed" } else { "was cancelled" }
                )));
            }
            if jobs.iter().all(|j| j.state == JobState::Succeeded) {
                return Ok(chunks);
            }
            tokio::select! {
                () = ctx.cancel.cancelled() => {
                    // Cancelled: so are the chunks. Shutting down or lost: the job runs again
                    // elsewhere and waits for the same chunks.
                    if ctx.cancel_requested() {
                        self.cancel_chunks(&jobs).await;
                    }
                    return Err(E::retryable("the render stopped"));
                }
                () = tokio::time::sleep(CHUNK_POLL) => {}
            }
        }
    }

    async fn cancel_chunks(&self, jobs: &[Job]) {
        for j in jobs.iter().filter(|j| !j.state.is_final()) {
            if let Err(e) = self.handler.queue.cancel(j.id).await {
                tracing::warn!(chunk = %j.id, error = %e, "could not cancel a chunk of the render");
            }
        }
    }

    /// Stores the finished render and records it.
    async fn store(&self, output: &std::path::Path) -> Result<(), JobError> {
        let h = self.handler;
        let key = format!("projects/{}/renders/{}.mp4", self.project, self.render.render_id);
        let size = h
            .objects
            .put_file(&key, output)
            .instrument(tracing::info_span!("store render"))
            .await
            .map_err(E::retryable)?;
        h.media.finish_render(self.render.render_id, &key, size).await.map_err(E::retryable)?;
        Ok(())
    }
}

/// `render_chunk` jobs: one chunk of a split render, drawn with the captions its render stored.
pub struct RenderChunkHandler {
    pub media: Arc<dyn MediaStore>,
    pub objects: Objects,
    pub limits: MediaLimits,
    pub scratch: PathBuf,
    pub compositor: Compositor,
}

#[async_trait]
impl Perform<RenderChunkJob> for RenderChunkHandler {
    async fn perform(&self, p: RenderChunkJob, job: &Job, ctx: JobContext) -> Result<(), JobError> {
        let project = project_of(job)?;
        let preset: X264Preset = p.preset.parse().map_err(E::permanent)?;
        let media = self.media.media_of_project(project).await.map_err(E::permanent)?;
        tokio::fs::create_dir_all(&self.scratch).await.map_err(E::retryable)?;
        let mut standby = self.compositor.standby();
        let captions_key = RenderJob::captions_key(project, p.render_id);
        let captions = LocalSource::fetch_to(
            &self.objects,
            &captions_key,
            self.scratch.join(format!("{}.ass", job.id)),
        )
        .await?;
        let ass = tokio::fs::read_to_string(&captions.path).await.map_err(E::retryable)?;
        let source =
            LocalSource::fetch(&self.objects, &media.object_key, &self.scratch, job).await?;
        let output = self.scratch.join(format!("{}.chunk.mp4", job.id));
        let result = async {
            let info = cofee_pipeline::probe(&source.path, &self.limits, standby.as_mut(), &Silent, &ctx.cancel).await.map_err(job_error)?;
            let fonts = FontDir::with_bundled().map_err(E::retryable)?;
            let chunk = Chunk { from_pts: p.from_pts, to_pts: p.to_pts, from_secs: p.from_secs, to_secs: p.to_secs };
            let burn = BurnIn { input: &info, ass: &ass, fonts: &fonts, output: &output, preset, crf: p.crf, threads: container_cpus(), limits: &self.limits, compositor: &self.compositor, standby, chunk: Some(chunk) };
            let progress = ctx.clone();
            let span = tracing::info_span!("burn chunk", index = p.index, frames = tracing::field::Empty, fps = tracing::field::Empty);
            let stats = burn.run(move |b| progress.progress(b.fraction), &ctx.cancel).instrument(span.clone()).await.map_err(|e| job_error(e.into()))?;
            span.record("frames", stats.frames as i64).record("fps", stats.fps);
            metrics::histogram!("render_frames_per_second", "compositor" => "cofee chunk", "preset" => preset.name()).record(stats.fps);
            let key = RenderJob::chunk_key(project, p.render_id, p.index);
            self.objects.put_file(&key, &output).instrument(tracing::info_span!("store chunk")).await.map_err(E::retryable)?;
            Ok(())
        }
        .await;
        let _ = tokio::fs::remove_file(&output).await;
        result
    }
}
