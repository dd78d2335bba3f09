//! The job contract: what the API enqueues and the workers run. Each queue, job kind and payload
//! is defined here once; enqueueing ([`new_job`]) and dispatch ([`payload`]) go through these
//! types, so no queue or kind is spelled anywhere else. The model is crates.io's
//! `BackgroundJob`: a payload type names its kind and queue.
//!
//! A job row also carries, outside the payload, whom it acts for (`owner_id`), the project it
//! works on (`project_id`, indexed: a project's event stream lists its jobs by it) and where it
//! came from (request id and trace context, see [`trace`]).

pub mod trace;

use cofee_store::queue::{Job, NewJob};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// The queues workers take jobs from (`cofee worker --queues …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Queue {
    Transcribe,
    Render,
    /// The chunks of renders split across workers (the render's own job waits on the render
    /// queue meanwhile, and joins them).
    RenderChunk,
    Notify,
    /// Housekeeping: deleting a deleted project's objects, expiring abandoned uploads.
    Maintenance,
}

impl Queue {
    pub const ALL: [Queue; 5] =
        [Queue::Transcribe, Queue::Render, Queue::RenderChunk, Queue::Notify, Queue::Maintenance];

    /// The queue's name in the `jobs` table, in metrics and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Transcribe => "transcribe",
            Self::Render => "render",
            Self::RenderChunk => "render_chunk",
            Self::Notify => "notify",
            Self::Maintenance => "maintenance",
        }
    }
}

impl std::fmt::Display for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Queue {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|q| q.name() == s).ok_or_else(|| {
            let names: Vec<_> = Self::ALL.iter().map(|q| q.name()).collect();
            format!("unknown queue {s:?} (queues: {})", names.join(", "))
        })
    }
}

/// A kind of job: its payload type, with the kind's name and the queue it runs on.
pub trait BackgroundJob: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The `kind` column.
    const KIND: &'static str;
    const QUEUE: Queue;
    /// Attempts before the job is `dead`.
    const MAX_ATTEMPTS: u32 = 5;
}

/// Recognise the speech of the project's media and store the words as its captions.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct TranscribeJob {
    #[serde(default)]
    pub language: Option<String>,
    /// `sphinx`, `whisper` or `openai`; the worker's default when absent.
    #[serde(default)]
    pub engine: Option<String>,
    /// The version of the captions this transcription replaces (0: none yet), when it was
    /// asked for; the words are saved only if the captions are still at it, so an edit or an
    /// import made while it ran is not overwritten. Absent (jobs from before): saved whatever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces_version: Option<i64>,
}

impl BackgroundJob for TranscribeJob {
    const KIND: &'static str = "transcribe";
    const QUEUE: Queue = Queue::Transcribe;
}

/// Compute the waveform peaks of the project's media (audiowaveform's `.dat` format, see
/// `cofee_core::waveform`) and store them at [`WaveformJob::object_key`]. Enqueued whenever
/// media is attached; on the transcribe queue, whose workers decode audio already. Idempotent:
/// running it again writes the same object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct WaveformJob {}

impl BackgroundJob for WaveformJob {
    const KIND: &'static str = "waveform";
    const QUEUE: Queue = Queue::Transcribe;
    const MAX_ATTEMPTS: u32 = 3;
}

impl WaveformJob {
    /// Where a project's waveform is stored (under the project's folder, so it goes with it).
    pub fn object_key(project: Uuid) -> String {
        format!("projects/{project}/waveform.dat")
    }
}

/// Time words a person wrote from the audio they stand in (forced alignment): the words of
/// `words`, said in this order between `from_ms` and `to_ms` of the project's media. The result
/// is stored at [`AlignJob::object_key`] as an [`Alignment`]. On the transcribe queue, whose
/// workers have the speech engines. Idempotent: running it again writes the same times.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct AlignJob {
    pub from_ms: u64,
    pub to_ms: u64,
    pub words: Vec<String>,
    #[serde(default)]
    pub language: Option<String>,
}

impl BackgroundJob for AlignJob {
    const KIND: &'static str = "align";
    const QUEUE: Queue = Queue::Transcribe;
    const MAX_ATTEMPTS: u32 = 3;
}

impl AlignJob {
    /// Where the result of alignment job `job` of `project` is stored (with the project).
    pub fn object_key(project: Uuid, job: Uuid) -> String {
        format!("projects/{project}/alignments/{job}.json")
    }
}

/// What an [`AlignJob`] found: the words with their times, or why there are none.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Alignment {
    /// The engine that aligned (or could not).
    pub engine: String,
    /// The words in the order given, timed from the start of the media; `None` when the engine
    /// cannot align text (then `reason` says so).
    pub words: Option<Vec<AlignedWord>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct AlignedWord {
    pub text: String,
    pub start_ms: u64,
    pub end_ms: u64,
}

/// Kinds of job nobody asked for by name (made along the way, such as a new video's waveform,
/// or the chunks of a render, whose own job is announced): they are not announced to webhooks.
/// Alignments are asked for by the editor as a person types, and answered to it directly.
pub const UNANNOUNCED_KINDS: &[&str] = &[WaveformJob::KIND, AlignJob::KIND, RenderChunkJob::KIND];

/// Burn the project's captions, in its style, into its video, as render `render_id`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct RenderJob {
    pub render_id: Uuid,
    /// An x264 preset name.
    pub preset: String,
    pub crf: u8,
}

impl BackgroundJob for RenderJob {
    const KIND: &'static str = "render";
    const QUEUE: Queue = Queue::Render;
}

impl RenderJob {
    /// Where a split render keeps the captions every chunk draws (written once, so an edit
    /// made while the chunks run cannot give them different words).
    pub fn captions_key(project: Uuid, render: Uuid) -> String {
        format!("projects/{project}/renders/{render}/captions.ass")
    }

    /// Where a split render's chunk `index` is kept until the join.
    pub fn chunk_key(project: Uuid, render: Uuid, index: u32) -> String {
        format!("projects/{project}/renders/{render}/chunks/{index}.mp4")
    }

    /// Everything a split render keeps until its join (a folder).
    pub fn pieces_prefix(project: Uuid, render: Uuid) -> String {
        format!("projects/{project}/renders/{render}")
    }
}

/// Render one chunk of a render split across workers: the frames from keyframe `from_pts` up
/// to `to_pts` (the video stream's time base; `from_secs`..`to_secs` on the output's timeline)
/// with the captions at [`RenderJob::captions_key`], to [`RenderJob::chunk_key`]. Enqueued by
/// the render's own job, which joins the chunks. Idempotent: running it again replaces the
/// chunk.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct RenderChunkJob {
    pub render_id: Uuid,
    pub index: u32,
    pub from_pts: i64,
    #[serde(default)]
    pub to_pts: Option<i64>,
    pub from_secs: f64,
    pub to_secs: f64,
    pub preset: String,
    pub crf: u8,
}

impl BackgroundJob for RenderChunkJob {
    const KIND: &'static str = "render_chunk";
    const QUEUE: Queue = Queue::RenderChunk;
}

/// Deliver one event to one webhook (a signed POST, retried with the queue's backoff).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct WebhookDelivery {
    pub webhook_id: Uuid,
    /// One of [`WEBHOOK_EVENTS`], or [`TEST_EVENT`].
    pub event: String,
    pub data: serde_json::Value,
}

impl BackgroundJob for WebhookDelivery {
    const KIND: &'static str = "webhook";
    const QUEUE: Queue = Queue::Notify;
    /// Receivers are often down for a while; eight attempts span about ten minutes.
    const MAX_ATTEMPTS: u32 = 8;
}

/// Delete every object under each prefix (a folder: `projects/ID`). Enqueued in the
/// transaction that deletes the rows the objects belonged to, so once the rows are gone the
/// objects go too, however often the job has to be run again (deleting is idempotent).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct DeleteObjects {
    pub prefixes: Vec<String>,
}

impl BackgroundJob for DeleteObjects {
    const KIND: &'static str = "delete_objects";
    const QUEUE: Queue = Queue::Maintenance;
    /// Storage outages pass; keep trying for about an hour.
    const MAX_ATTEMPTS: u32 = 12;
}

impl DeleteObjects {
    /// Everything a deleted project kept in storage: its media, thumbnail and renders, its
    /// direct uploads, and the pieces of its resumable uploads.
    pub fn project(project: Uuid, uploads: &[Uuid]) -> Self {
        let mut prefixes = vec![format!("projects/{project}"), format!("uploads/direct/{project}")];
        prefixes.extend(uploads.iter().map(|u| format!("uploads/{u}")));
        Self { prefixes }
    }

    /// The pieces of expired resumable uploads.
    pub fn uploads(uploads: &[Uuid]) -> Self {
        Self { prefixes: uploads.iter().map(|u| format!("uploads/{u}")).collect() }
    }
}

/// Expire uploads nobody finished: resumable uploads untouched for longer than the configured
/// age (their rows, then their pieces through [`DeleteObjects`]) and direct-upload objects
/// never completed. Runs again by itself every so often (the worker enqueues the next run).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct ExpireUploads {}

impl BackgroundJob for ExpireUploads {
    const KIND: &'static str = "expire_uploads";
    const QUEUE: Queue = Queue::Maintenance;
    const MAX_ATTEMPTS: u32 = 3;
}

/// The events a webhook can subscribe to: a job of the user's ended so.
pub const WEBHOOK_EVENTS: &[&str] = &["job.succeeded", "job.dead", "job.cancelled"];

/// The event of a delivery its owner asked for to try a webhook (every webhook gets it, whatever
/// it subscribed to). It is tried once: the person is waiting for the answer.
pub const TEST_EVENT: &str = "webhook.test";

impl WebhookDelivery {
    /// A test delivery to `webhook_id`, tried once.
    pub fn test(webhook_id: Uuid, origin: JobOrigin) -> NewJob {
        let data = serde_json::json!({ "webhook_id": webhook_id, "test": true });
        let job = Self { webhook_id, event: TEST_EVENT.into(), data };
        NewJob { max_attempts: 1, ..new_job(&job, origin) }
    }
}

/// Whom a job acts for, what it works on, and what caused it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobOrigin {
    pub owner: Option<Uuid>,
    pub project: Option<Uuid>,
    /// The id of the request that caused the job (log correlation).
    pub request_id: Option<String>,
    /// The W3C `traceparent` of the span that enqueued it.
    pub traceparent: Option<String>,
}

impl JobOrigin {
    /// A job for `owner`'s `project`, caused by request `request_id`, in the current trace.
    pub fn project(owner: Uuid, project: Uuid, request_id: Option<String>) -> Self {
        Self {
            owner: Some(owner),
            project: Some(project),
            request_id,
            traceparent: trace::current_traceparent(),
        }
    }
}

/// The row to enqueue for `job`.
pub fn new_job<J: BackgroundJob>(job: &J, origin: JobOrigin) -> NewJob {
    let mut payload =
        serde_json::to_value(job).expect("job payloads are plain data and always serialize");
    // For the workers of the previous release, which read the project from the payload (this
    // release's read the `project_id` column): goes with the contracting migration.
    if let (Some(project), serde_json::Value::Object(fields)) = (origin.project, &mut payload) {
        fields.insert("project_id".into(), serde_json::Value::String(project.to_string()));
    }
    NewJob {
        owner_id: origin.owner,
        project_id: origin.project,
        max_attempts: J::MAX_ATTEMPTS,
        trace_context: origin.request_id,
        traceparent: origin.traceparent,
        ..NewJob::new(J::QUEUE.name(), J::KIND, payload)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("a {found:?} job reached the handler of {expected:?} jobs")]
    WrongKind { expected: &'static str, found: String },
    #[error("the payload of a {kind:?} job is not valid: {source}")]
    Payload {
        kind: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

/// The payload of a claimed `job`, read as a `J`.
pub fn payload<J: BackgroundJob>(job: &Job) -> Result<J, ContractError> {
    if job.kind != J::KIND || job.queue != J::QUEUE.name() {
        return Err(ContractError::WrongKind { expected: J::KIND, found: job.kind.clone() });
    }
    J::deserialize(&job.payload).map_err(|source| ContractError::Payload { kind: J::KIND, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_enqueued_on_its_queue_and_read_back_as_its_type() {
        let (owner, project) = (Uuid::now_v7(), Uuid::now_v7());
        let render = RenderJob { render_id: Uuid::now_v7(), preset: "veryfast".into(), crf: 20 };
        let new = new_job(&render, JobOrigin::project(owner, project, Some("req-1".into())));
        assert_eq!(
            (new.queue.as_str(), new.kind.as_str(), new.owner_id, new.project_id),
            ("render", "render", Some(owner), Some(project))
        );
        assert_eq!(new.trace_context.as_deref(), Some("req-1"));
        assert_eq!(
            new.payload["project_id"],
            project.to_string(),
            "what the previous release reads"
        );
        assert_eq!(payload::<RenderJob>(&Job::claimed(new)).unwrap(), render);
    }

    #[test]
    fn a_payload_of_another_kind_or_shape_is_refused() {
        let hook = WebhookDelivery {
            webhook_id: Uuid::now_v7(),
            event: WEBHOOK_EVENTS[0].into(),
            data: serde_json::json!({}),
        };
        let new = new_job(&hook, JobOrigin::default());
        assert_eq!((new.queue.as_str(), new.max_attempts), ("notify", 8));
        assert!(matches!(
            payload::<RenderJob>(&Job::claimed(new.clone())),
            Err(ContractError::WrongKind { expected: "render", .. })
        ));
        let broken = NewJob { payload: serde_json::json!({"webhook_id": "not a uuid"}), ..new };
        assert!(matches!(
            payload::<WebhookDelivery>(&Job::claimed(broken)),
            Err(ContractError::Payload { kind: "webhook", .. })
        ));
    }

    #[test]
    fn a_waveform_runs_where_audio_is_decoded_and_is_deleted_with_its_project() {
        let (owner, project) = (Uuid::now_v7(), Uuid::now_v7());
        let new = new_job(&WaveformJob {}, JobOrigin::project(owner, project, None));
        assert_eq!((new.queue.as_str(), new.kind.as_str()), ("transcribe", "waveform"));
        assert_eq!(payload::<WaveformJob>(&Job::claimed(new)).unwrap(), WaveformJob {});
        let key = WaveformJob::object_key(project);
        let prefixes = DeleteObjects::project(project, &[]).prefixes;
        assert!(prefixes.iter().any(|p| key.starts_with(&format!("{p}/"))), "{key} {prefixes:?}");
        assert!(UNANNOUNCED_KINDS.contains(&WaveformJob::KIND));
    }

    #[test]
    fn queues_are_named_once_and_parsed_back() {
        for q in Queue::ALL {
            assert_eq!(q.name().parse::<Queue>(), Ok(q));
        }
        assert!(
            "nope"
                .parse::<Queue>()
                .unwrap_err()
                .contains("transcribe, render, render_chunk, notify")
        );
    }
}
