//! Word error rate, for judging recognisers against a known transcription.

use crate::text::normalize_word;

/// Words of a text in normal form (lowercase, punctuation dropped, hyphenated words as their
/// parts: "ill-disposed" is "ill disposed", as Whisper's own text normaliser has it).
pub fn normalize(text: &str) -> Vec<String> {
    text.split(|c: char| {
        c.is_whitespace() || matches!(c, '-' | '\u{2010}' | '\u{2013}' | '\u{2014}')
    })
    .map(normalize_word)
    .filter(|w| !w.is_empty())
    .collect()
}

/// (substitutions + deletions + insertions) / reference length, by Levenshtein distance over
/// words. An empty reference gives 0 for an empty hypothesis and 1 otherwise.
pub fn word_error_rate(reference: &[String], hypothesis: &[String]) -> f64 {
    if reference.is_empty() {
        return if hypothesis.is_empty() { 0.0 } else { 1.0 };
    }
    let mut prev: Vec<usize> = (0..=hypothesis.len()).collect();
    for (i, r) in reference.iter().enumerate() {
        let mut cur = vec![i + 1; hypothesis.len() + 1];
        for (j, h) in hypothesis.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(r != h)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[hypothesis.len()] as f64 / reference.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_edits() {
        let r = normalize("the cat sat on the mat");
        assert_eq!(word_error_rate(&r, &normalize("The cat sat on the mat.")), 0.0);
        assert!((word_error_rate(&r, &normalize("the cat on a mat")) - 2.0 / 6.0).abs() < 1e-9);
        assert_eq!(word_error_rate(&r, &[]), 1.0);
    }

    #[test]
    fn hyphenated_words_count_as_their_parts() {
        assert_eq!(
            normalize("He was not an ill-disposed man — no."),
            ["he", "was", "not", "an", "ill", "disposed", "man", "no"]
        );
    }
}
