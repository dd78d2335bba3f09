//! Checking a fully received file and making it a project's media: what a raw `PUT`, a tus
//! upload and a direct upload all end with.

use cofee_jobs::{JobOrigin, WaveformJob, new_job};
use cofee_media::MediaError;
use cofee_store::media::MediaRecord;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::problem::{ApiError, ProblemType};
use crate::state::AppState;

fn media_problem(e: MediaError) -> ApiError {
    if e.is_bad_input() {
        tracing::info!(error = %e, "an upload was refused");
        // What is wrong with the file, never where the server keeps it (L7).
        ApiError::new(
            ProblemType::UnacceptableMedia,
            cofee_core::redact::without_paths(&e.to_string()),
        )
    } else {
        tracing::error!(error = %e, "probing an upload failed");
        ApiError::internal()
    }
}

/// Checks a fully received file with ffprobe and, if it is acceptable media, stores it as the
/// project's media and queues the computing of its waveform (for the job's log lines, the
/// request's id: `request_id`). Used by the raw `PUT`, by tus uploads and by direct uploads.
pub async fn attach(
    s: &AppState,
    user: Uuid,
    project: Uuid,
    file: &std::path::Path,
    size: u64,
    file_name: Option<String>,
    request_id: Option<String>,
) -> Result<MediaRecord, ApiError> {
    let info = cofee_media::probe(file, &s.limits, &CancellationToken::new())
        .await
        .map_err(media_problem)?;
    let video = info.require_video().map_err(media_problem)?;
    let record = MediaRecord {
        object_key: format!("projects/{project}/source"),
        file_name: file_name.map(|n| n.chars().filter(|c| !c.is_control()).take(255).collect()),
        size_bytes: size,
        duration_secs: info.duration_secs,
        width: Some(video.width),
        height: Some(video.height),
        fps: Some(video.fps),
        has_audio: info.audio.is_some(),
    };
    s.objects.put_file(&record.object_key, file).await?;
    // A still for the project list; a video we cannot take one from is still a video.
    let thumb = s.scratch.join(format!("thumb-{}.jpg", Uuid::now_v7()));
    match cofee_media::thumbnail::thumbnail(
        &info,
        &thumb,
        320,
        &s.limits,
        &CancellationToken::new(),
    )
    .await
    {
        Ok(()) => {
            s.objects.put_file(&format!("projects/{project}/thumbnail.jpg"), &thumb).await?;
        }
        Err(e) => tracing::warn!(error = %e, "no thumbnail for an upload"),
    }
    let _ = tokio::fs::remove_file(&thumb).await;
    // The waveform of the media this replaces is not this media's.
    s.objects.delete(&WaveformJob::object_key(project)).await?;
    s.media.set_media(user, project, &record).await?;
    // Off the request path; should this fail, the first `GET …/waveform` queues it.
    let job = new_job(&WaveformJob {}, JobOrigin::project(user, project, request_id));
    if let Err(e) = s.queue.enqueue(job).await {
        tracing::warn!(error = %e, "the waveform of new media was not queued");
    }
    Ok(record)
}
