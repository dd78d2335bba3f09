//! How much one transcript or one edit may hold: the bounds that keep the work of any request
//! (re-timing an edit, building captions) small. Defined here once; the API answers a problem
//! naming the limit, the command line an error.

/// Words in one transcript: about five hours of fast speech (170 words a minute).
pub const MAX_WORDS: usize = 50_000;

/// Characters in one word. The longest words of dictionaries are about 45 letters; this leaves
/// room for URLs and compounds, and bounds the character comparison of re-timing.
pub const MAX_WORD_CHARS: usize = 100;

/// Words in one text edit (`{"text": …}`), the same bound as a transcript's.
pub const MAX_EDIT_WORDS: usize = MAX_WORDS;

/// Cells of the word alignment an edit may need (the changed stretch of old words times the
/// changed stretch of new ones, once the words common to both ends are set aside): a rewrite of
/// 1,000 words in one go. The alignment's memory is linear in the stretch (Hirschberg), so this
/// bounds its time. Larger rewrites are sent as word JSON, which needs no alignment.
pub const MAX_ALIGNMENT_CELLS: usize = 1 << 20;

/// Character comparisons an edit's alignment may spend telling near spellings apart (banded
/// edit distances of words of similar length): about a quarter of a second.
pub const MAX_SPELLING_STEPS: u64 = 1 << 27;

/// The size of a caption page (style fields): characters per line, words per line and lines.
/// A page is built once per word it shows when the active word is highlighted, so its size
/// bounds that work (at most 80 × 4 / 2 = 160 one-letter words).
pub const MAX_CHARS_PER_LINE: u32 = 80;
pub const MAX_WORDS_PER_LINE: u32 = 20;
pub const MAX_LINES_PER_PAGE: u32 = 4;

/// Emphasis keywords in one style (each at most [`MAX_WORD_CHARS`]).
pub const MAX_EMPHASIS_KEYWORDS: usize = 200;

/// Replacements kept on one project (each side at most [`MAX_WORD_CHARS`]); every word of a
/// transcription is looked up once in all of them, through a map.
pub const MAX_REPLACEMENTS: usize = 200;

/// Words one alignment times at once (the edited words and the words around them that anchor
/// it): whisper decodes them as one segment of at most 218 text tokens (an engine refuses words
/// that make more).
pub const MAX_ALIGN_WORDS: usize = 64;

/// The shortest stretch of audio one alignment reads (whisper hears nothing in less).
pub const MIN_ALIGN_MS: u64 = 100;

/// The longest stretch of audio one alignment reads: one whisper window (30 s) less room for
/// the last timestamp token.
pub const MAX_ALIGN_MS: u64 = 28_000;
