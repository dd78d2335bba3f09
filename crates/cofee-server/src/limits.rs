//! How large a request body read whole may be: the router applies these limits, and the problem
//! for a body over them names them.

/// The most a request body read whole (JSON, captions text) may hold. Uploads stream, are not
/// read whole, and are bounded by the media limits instead.
pub const WHOLE_BODY_LIMIT: usize = 4 << 20;

/// The most the small JSON bodies (sign-in, projects, styles, webhooks, jobs) may hold; only
/// captions need the larger [`WHOLE_BODY_LIMIT`].
pub const SMALL_BODY_LIMIT: usize = 64 << 10;
