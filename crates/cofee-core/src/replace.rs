//! Replacements a person keeps on a project ("cofee" → "Cofee", "gonna" → "going to"), which
//! later transcriptions of the project apply: the same whole-word rule as the editor's find and
//! replace (`web/src/editor/store.ts`, `replaceAll`), so a word fixed by hand is fixed the same
//! way by the next transcription.
//!
//! A replacement matches a whole word once the punctuation and symbols at its edges are set
//! aside ("Cofee," matches `cofee` and keeps its comma; a word of punctuation alone is compared
//! whole), ignoring case unless it asks not to. A
//! replacement with spaces makes several words sharing the word's time in proportion to their
//! length; an empty one deletes the word.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::limits::{MAX_REPLACEMENTS, MAX_WORD_CHARS};
use crate::transcript::Word;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replacement {
    /// One word (no spaces), compared without the punctuation at its edges.
    pub find: String,
    /// What it becomes: a word, several, or nothing.
    pub replace: String,
    #[serde(default)]
    pub match_case: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replacements {
    pub replacements: Vec<Replacement>,
}

#[derive(Debug, Error, PartialEq)]
pub enum ReplacementsError {
    #[error("{count} replacements; a project keeps at most {max}")]
    TooMany { count: usize, max: usize },
    #[error("replacement {index}: `{field}` {message}")]
    Field { index: usize, field: &'static str, message: String },
}

/// The part of a word replacements compare: the word without the non-letters, non-digits at its
/// edges, or the whole word when nothing is left.
pub fn core_of(text: &str) -> &str {
    match text.trim_matches(|c: char| !c.is_alphanumeric()) {
        "" => text,
        core => core,
    }
}

impl Replacements {
    /// Checks the sizes of [`crate::limits`], that each `find` is one word (no spaces), and that
    /// neither side has control characters.
    pub fn validate(&self) -> Result<(), ReplacementsError> {
        let count = self.replacements.len();
        if count > MAX_REPLACEMENTS {
            return Err(ReplacementsError::TooMany { count, max: MAX_REPLACEMENTS });
        }
        for (index, r) in self.replacements.iter().enumerate() {
            let err = |field, message: String| ReplacementsError::Field { index, field, message };
            let chars = r.find.chars().count();
            if chars == 0 || chars > MAX_WORD_CHARS {
                return Err(err("find", format!("has {chars} characters; 1 to {MAX_WORD_CHARS}")));
            }
            if r.find.chars().any(char::is_whitespace) {
                return Err(err("find", "is one word: it may not contain spaces".into()));
            }
            let chars = r.replace.chars().count();
            if chars > MAX_WORD_CHARS {
                return Err(err(
                    "replace",
                    format!("has {chars} characters; at most {MAX_WORD_CHARS}"),
                ));
            }
            if r.find.chars().chain(r.replace.chars()).any(char::is_control) {
                return Err(err("find", "and `replace` may not contain control characters".into()));
            }
        }
        Ok(())
    }

    /// `words` with every replacement applied (the first in the list that matches a word wins),
    /// and how many words were replaced. Linear in the words: each is looked up in two maps.
    pub fn apply(&self, words: Vec<Word>) -> (Vec<Word>, usize) {
        // Each key maps to the first replacement (in list order) with it; a word looks up both
        // maps and takes whichever of the two comes first in the list.
        let mut exact = HashMap::new();
        let mut folded = HashMap::new();
        for (order, r) in self.replacements.iter().enumerate() {
            let find = core_of(&r.find);
            if r.match_case {
                exact.entry(find.to_string()).or_insert((order, r));
            } else {
                folded.entry(find.to_lowercase()).or_insert((order, r));
            }
        }
        if exact.is_empty() && folded.is_empty() {
            return (words, 0);
        }
        let mut out = Vec::with_capacity(words.len());
        let mut count = 0;
        // The page break of a word replaced by nothing goes to the next word.
        let mut carried = None;
        for mut w in words {
            let core = core_of(&w.text);
            let hit = [exact.get(core), folded.get(&core.to_lowercase())]
                .into_iter()
                .flatten()
                .min_by_key(|(order, _)| *order)
                .map(|(_, r)| *r);
            let text = hit.map(|r| w.text.replacen(core, r.replace.trim(), 1));
            let parts: Vec<&str> =
                text.as_deref().map_or(vec![], |t| t.split_whitespace().collect());
            if hit.is_none() || parts.iter().any(|p| p.chars().count() > MAX_WORD_CHARS) {
                // Unchanged (or the replacement with the word's punctuation would be too long).
                w.page_break = w.page_break.or(carried.take());
                out.push(w);
                continue;
            }
            count += 1;
            if parts.is_empty() {
                carried = carried.or(w.page_break);
                continue;
            }
            let spans = spans(&parts, w.start_ms, w.end_ms);
            let first_break = w.page_break.or(carried.take());
            for (k, (part, (start_ms, end_ms))) in parts.iter().zip(spans).enumerate() {
                out.push(Word {
                    text: (*part).to_string(),
                    start_ms,
                    end_ms,
                    // The first part keeps the word's page break; the rest continue its page.
                    page_break: if k == 0 { first_break } else { None },
                    space_before: if k == 0 { w.space_before } else { None },
                    emoji: if k == 0 { w.emoji.clone() } else { None },
                    ..w.clone()
                });
            }
        }
        (out, count)
    }
}

/// Splits `[from, to)` among `texts` in proportion to their length plus one (the editor's rule).
fn spans(texts: &[&str], from: u64, to: u64) -> Vec<(u64, u64)> {
    let weights: Vec<u64> = texts.iter().map(|t| t.chars().count() as u64 + 1).collect();
    let total: u64 = weights.iter().sum();
    let at = |acc: u64| from + ((to - from) as f64 * acc as f64 / total as f64).round() as u64;
    let mut acc = 0;
    weights
        .iter()
        .map(|w| {
            let s = at(acc);
            acc += w;
            (s, at(acc))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[(&str, &str, bool)]) -> Replacements {
        Replacements {
            replacements: items
                .iter()
                .map(|(f, r, c)| Replacement {
                    find: (*f).into(),
                    replace: (*r).into(),
                    match_case: *c,
                })
                .collect(),
        }
    }

    fn words(spec: &[(&str, u64, u64)]) -> Vec<Word> {
        spec.iter().map(|(t, s, e)| Word::new(*t, *s, *e)).collect()
    }

    fn shown(ws: &[Word]) -> Vec<(&str, u64, u64)> {
        ws.iter().map(|w| (w.text.as_str(), w.start_ms, w.end_ms)).collect()
    }

    #[test]
    fn whole_words_ignoring_case_keeping_punctuation_and_times() {
        let r = list(&[("cofee", "Cofee", false), ("US", "USA", true)]);
        let ws = words(&[
            ("Coffee", 0, 300),
            ("COFEE,", 300, 700),
            ("cofees", 700, 900),
            ("us", 900, 1000),
            ("US.", 1000, 1200),
        ]);
        let (out, n) = r.apply(ws);
        assert_eq!(n, 2);
        assert_eq!(
            shown(&out),
            [
                ("Coffee", 0, 300),
                ("Cofee,", 300, 700),
                ("cofees", 700, 900),
                ("us", 900, 1000),
                ("USA.", 1000, 1200)
            ]
        );
    }

    #[test]
    fn several_words_share_the_time_and_nothing_deletes() {
        let r = list(&[("gonna", "going to", false), ("um", "", false)]);
        let mut ws = words(&[("um", 0, 200), ("Gonna", 200, 800), ("go.", 800, 1000)]);
        ws[1].page_break = Some(true);
        let (out, n) = r.apply(ws.clone());
        assert_eq!(n, 2);
        assert_eq!(shown(&out), [("going", 200, 600), ("to", 600, 800), ("go.", 800, 1000)]);
        assert_eq!((out[0].page_break, out[1].page_break), (Some(true), None));
        // A page that starts at a deleted word starts at the next one.
        ws[0].page_break = Some(true);
        ws[1].page_break = None;
        assert_eq!(r.apply(ws).0[0].page_break, Some(true));
    }

    #[test]
    fn punctuation_alone_is_compared_whole_and_no_word_grows_too_long() {
        let long = "y".repeat(MAX_WORD_CHARS);
        let r = list(&[("--", "—", false), ("x", &long, false)]);
        let (out, n) = r.apply(words(&[("--", 0, 100), ("x", 100, 200), ("x,", 200, 300)]));
        assert_eq!(n, 2);
        let texts: Vec<&str> = out.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["—", long.as_str(), "x,"]);
    }

    #[test]
    fn the_first_replacement_in_the_list_wins() {
        let r = list(&[("Cofee", "first", true), ("cofee", "second", false)]);
        assert_eq!(r.apply(words(&[("Cofee", 0, 100)])).0[0].text, "first");
        let r = list(&[("cofee", "first", false), ("Cofee", "second", true)]);
        assert_eq!(r.apply(words(&[("Cofee", 0, 100)])).0[0].text, "first");
    }

    #[test]
    fn the_list_is_checked() {
        assert!(list(&[("a", "b", false)]).validate().is_ok());
        let two_words = list(&[("two words", "x", false)]).validate().unwrap_err();
        assert!(two_words.to_string().contains("spaces"), "{two_words}");
        assert!(list(&[("", "x", false)]).validate().is_err());
        assert!(list(&[("a", "b\u{7}", false)]).validate().is_err());
        let long = "x".repeat(MAX_WORD_CHARS + 1);
        assert!(list(&[("a", &long, false)]).validate().is_err());
        let many: Vec<_> = (0..=MAX_REPLACEMENTS).map(|_| ("a", "b", false)).collect();
        assert!(matches!(list(&many).validate(), Err(ReplacementsError::TooMany { .. })));
        assert!(serde_json::from_str::<Replacements>(r#"{"replacements":[],"x":1}"#).is_err());
    }
}
