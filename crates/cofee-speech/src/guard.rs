//! Guards against what recognisers do on silence and noise: repeat a phrase over and over
//! ("thank you. thank you. thank you. …"), a known whisper failure.

use cofee_core::Word;
use cofee_core::text::normalize_word;

/// Collapses a phrase of 1–`max_len` words repeated more than `keep` times in a row down to
/// `keep` repetitions. Returns how many words were dropped.
pub fn collapse_repetitions(words: &mut Vec<Word>, max_len: usize, keep: usize) -> usize {
    let norm: Vec<String> = words.iter().map(|w| normalize_word(&w.text)).collect();
    let mut drop = vec![false; words.len()];
    let mut i = 0;
    while i < words.len() {
        let mut advanced = false;
        for len in 1..=max_len.min((words.len() - i) / 2) {
            let phrase = &norm[i..i + len];
            if phrase.iter().all(String::is_empty) {
                continue;
            }
            let mut reps = 1;
            while i + (reps + 1) * len <= words.len()
                && &norm[i + reps * len..i + (reps + 1) * len] == phrase
            {
                reps += 1;
            }
            if reps > keep {
                for d in &mut drop[i + keep * len..i + reps * len] {
                    *d = true;
                }
                i += reps * len;
                advanced = true;
                break;
            }
        }
        if !advanced {
            i += 1;
        }
    }
    let before = words.len();
    let mut it = drop.iter();
    words.retain(|_| !*it.next().expect("same length"));
    before - words.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<Word> {
        s.split_whitespace()
            .enumerate()
            .map(|(i, t)| Word::new(t, i as u64 * 100, i as u64 * 100 + 90))
            .collect()
    }

    fn text(w: &[Word]) -> String {
        w.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn collapses_loops_and_keeps_real_repetition() {
        let mut w = words("so thank you. thank you. thank you. thank you. thank you. bye");
        assert_eq!(collapse_repetitions(&mut w, 4, 2), 6);
        assert_eq!(text(&w), "so thank you. thank you. bye");
        let mut w = words("very very good no no no no no no");
        collapse_repetitions(&mut w, 4, 2);
        assert_eq!(text(&w), "very very good no no");
        let mut w = words("the cat sat on the mat");
        assert_eq!(collapse_repetitions(&mut w, 4, 2), 0);
    }
}
