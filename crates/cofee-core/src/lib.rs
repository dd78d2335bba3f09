//! Cofee's pure core.
//!
//! Everything a caption is made of, with no I/O: the [`Transcript`] of timed words, the
//! [`CaptionLayout`] that groups words into pages and lines, the [`Style`] that says how they
//! look, and the subtitle formats (ASS for burn-in and preview, SRT/WebVTT/JSON/TXT for export
//! and import). Adapters (media, speech engines, storage) and delivery (CLI, HTTP, worker) depend
//! on this crate; it depends on nothing of theirs.

pub mod align;
pub mod ass;
pub mod emoji;
pub mod formats;
pub mod layout;
pub mod limits;
pub mod redact;
pub mod replace;
pub mod style;
pub mod text;
pub mod time;
pub mod transcript;
pub mod voicing;
pub mod waveform;
pub mod wer;

pub use ass::{AssDocument, VideoSize};
pub use layout::{CaptionLayout, LayoutRules, Line, Page};
pub use style::{Color, Style, StyleError};
pub use transcript::{Transcript, TranscriptError, Word};
