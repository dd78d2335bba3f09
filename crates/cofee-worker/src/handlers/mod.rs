//! The job handlers: the same pipeline `cofee caption` drives, fed from storage.

mod notify;
mod render;
mod transcribe;

pub use notify::{EVENTS, NotifyHandler, NotifyPayload, WebhookFanout, sign};
pub use render::{DEFAULT_STYLE, RenderHandler, RenderPayload};
pub use transcribe::{TranscribeHandler, TranscribePayload};

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
    if e.is_bad_input() { JobError::Permanent(e.to_string()) } else { JobError::Retryable(e.to_string()) }
}
