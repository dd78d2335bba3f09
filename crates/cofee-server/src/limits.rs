//! How large a request body read whole may be: the router applies these limits, and the problem
//! for a body over them names them.

/// The most a request body read whole (JSON, captions text) may hold. Uploads stream, are not
/// read whole, and are bounded by the media limits instead.
pub const WHOLE_BODY_LIMIT: usize = 4 << 20;

/// The most the small JSON bodies (sign-in, projects, styles, webhooks, jobs) may hold; only
/// captions need the larger [`WHOLE_BODY_LIMIT`].
pub const SMALL_BODY_LIMIT: usize = 64 << 10;

/// Webhooks one account may have (each job's end is delivered to every one of them).
pub const MAX_WEBHOOKS_PER_USER: usize = 20;

/// What one user may hold at once; `None` is no limit. Configured per deployment
/// (`COFEE_QUOTA_*`), reported at `GET /api/me/usage`, and checked before a request adds to
/// it (requests racing each other can pass it by their number, which rate limits keep small).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    pub projects: Option<u64>,
    /// Media, renders and the declared length of unfinished uploads, in bytes.
    pub stored_bytes: Option<u64>,
    /// tus uploads started and not finished.
    pub open_uploads: Option<u64>,
    /// Transcriptions and renders queued or running.
    pub active_jobs: Option<u64>,
}

impl Default for Quotas {
    /// Room for a busy creator; a script gone wrong meets them quickly.
    fn default() -> Self {
        Self {
            projects: Some(500),
            stored_bytes: Some(50 << 30),
            open_uploads: Some(10),
            active_jobs: Some(100),
        }
    }
}

/// Style frames (`POST …/style/frame`) drawn at once by one API process: each decodes video.
pub const MAX_CONCURRENT_STILLS: usize = 2;

/// How long a style frame waits for its turn before the answer is `503` (try again); with
/// [`STILL_TIMEOUT`] within the request deadline, so the frame's own answer is the one given.
pub const STILL_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The most one style frame may take to draw (seeking in a long video included).
pub const STILL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// The widths a style frame may be drawn at, and the width when none is asked for.
pub const STILL_WIDTHS: std::ops::RangeInclusive<u32> = 64..=1080;
pub const STILL_WIDTH_DEFAULT: u32 = 360;

/// Styles one account may keep (`/api/me/styles`; the gallery draws each).
pub const MAX_SAVED_STYLES: usize = 50;

/// The longest name of a saved style, in characters.
pub const MAX_STYLE_NAME_CHARS: usize = 80;
