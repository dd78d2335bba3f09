//! Plain text: the words as prose, a new paragraph after each long pause.

use crate::transcript::{Transcript, Word};

/// A pause at least this long starts a new paragraph.
const PARAGRAPH_PAUSE_MS: u64 = 2000;

pub fn write(transcript: &Transcript) -> String {
    let mut out = String::new();
    let mut para: Vec<Word> = Vec::new();
    let mut prev_end = None;
    for w in &transcript.words {
        if prev_end.is_some_and(|e: u64| w.start_ms.saturating_sub(e) >= PARAGRAPH_PAUSE_MS)
            && !para.is_empty()
        {
            out.push_str(&Word::join(&para));
            para.clear();
            out.push_str("\n\n");
        }
        para.push(w.clone());
        prev_end = Some(w.end_ms);
    }
    if !para.is_empty() {
        out.push_str(&Word::join(&para));
        out.push('\n');
    }
    out
}
