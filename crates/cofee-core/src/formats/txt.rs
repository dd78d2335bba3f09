//! Plain text: the words as prose, a new paragraph after each long pause.

use crate::text;
use crate::transcript::Transcript;

/// A pause at least this long starts a new paragraph.
const PARAGRAPH_PAUSE_MS: u64 = 2000;

pub fn write(transcript: &Transcript) -> String {
    let mut out = String::new();
    let mut para: Vec<&str> = Vec::new();
    let mut prev_end = None;
    for w in &transcript.words {
        if prev_end.is_some_and(|e: u64| w.start_ms.saturating_sub(e) >= PARAGRAPH_PAUSE_MS)
            && !para.is_empty()
        {
            out.push_str(&text::join(para.drain(..)));
            out.push_str("\n\n");
        }
        para.push(&w.text);
        prev_end = Some(w.end_ms);
    }
    if !para.is_empty() {
        out.push_str(&text::join(para));
        out.push('\n');
    }
    out
}
