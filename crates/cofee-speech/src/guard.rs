//! Guards against what recognisers do on silence, noise and music: repeat a phrase over and over
//! ("thank you. thank you. thank you. …"), a known whisper failure, and string together words
//! the model itself hardly believes (over music, whisper writes names, stray syllables and
//! other scripts, each at a token probability of a few in a thousand).

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

/// A word at this confidence or more is speech whatever surrounds it (read speech runs at
/// 0.7–1; whisper's inventions over music at 0.000 01–0.2, a few up to 0.77).
pub const SURE: f32 = 0.8;

/// Words the model doubts, in company it doubts as much: each word under [`SURE`] whose
/// neighbourhood (itself and `reach` words either side) has a median confidence under
/// `min_median` is dropped. Returns how many. A doubtful word among confident ones (a name, a
/// mumble) stays, and so does any word the model is sure of; a run of doubt is what whisper
/// invents where nobody speaks.
pub fn drop_doubted_runs(words: &mut Vec<Word>, reach: usize, min_median: f32) -> usize {
    let doubted: Vec<bool> = (0..words.len())
        .map(|i| {
            if words[i].confidence >= SURE {
                return false;
            }
            let around = &words[i.saturating_sub(reach)..(i + reach + 1).min(words.len())];
            let mut c: Vec<f32> = around.iter().map(|w| w.confidence).collect();
            c.sort_by(f32::total_cmp);
            c[(c.len() - 1) / 2] < min_median // the lower median: doubt wins a tie
        })
        .collect();
    let before = words.len();
    let mut it = doubted.iter();
    words.retain(|_| !it.next().copied().unwrap_or(false));
    before - words.len()
}

/// Scripts a word is classed by: the ones whisper writes where a language does not use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Han,
    Kana,
    Hangul,
    Cyrillic,
    Arabic,
    Hebrew,
    Devanagari,
    Thai,
    Greek,
}

fn script_of(c: char) -> Option<Script> {
    use Script::*;
    Some(match c as u32 {
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF => Han,
        0x3040..=0x30FF | 0x31F0..=0x31FF => Kana,
        0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => Hangul,
        0x0400..=0x052F => Cyrillic,
        0x0600..=0x06FF | 0x0750..=0x077F => Arabic,
        0x0590..=0x05FF => Hebrew,
        0x0900..=0x097F => Devanagari,
        0x0E00..=0x0E7F => Thai,
        0x0370..=0x03FF => Greek,
        _ => return None,
    })
}

/// The scripts of those above that `language` (whisper's code) is written in; any language may
/// mix in Latin (names, brands), and the scripts not classed above are never judged.
fn scripts_of(language: &str) -> &'static [Script] {
    use Script::*;
    match language {
        "zh" | "yue" => &[Han],
        "ja" => &[Han, Kana],
        "ko" => &[Hangul, Han],
        "ru" | "uk" | "be" | "bg" | "mk" | "sr" | "kk" | "tg" | "mn" | "tt" | "ba" => &[Cyrillic],
        "ar" | "fa" | "ur" | "ps" | "sd" => &[Arabic],
        "he" | "yi" => &[Hebrew],
        "hi" | "mr" | "ne" | "sa" => &[Devanagari],
        "th" => &[Thai],
        "el" => &[Greek],
        _ => &[],
    }
}

/// Words written in a script `language` does not use: whisper, hearing speech where there is
/// none, often writes another language's stock phrases with full confidence (over chords it
/// heard Shona and wrote "5分钟", "five minutes" in Chinese, at a token probability of 0.99).
/// Returns how many were dropped; nothing is dropped when the language is unknown.
pub fn drop_foreign_script(words: &mut Vec<Word>, language: Option<&str>) -> usize {
    let Some(language) = language else { return 0 };
    let own = scripts_of(language);
    let before = words.len();
    words.retain(|w| w.text.chars().filter_map(script_of).all(|s| own.contains(&s)));
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

    #[test]
    fn a_run_of_doubted_words_goes_and_a_doubted_word_among_sure_ones_stays() {
        let word = |text: &str, confidence: f32| Word { confidence, ..Word::new(text, 0, 100) };
        let texts = |w: &[Word]| w.iter().map(|w| w.text.clone()).collect::<Vec<_>>();
        // A name the model was unsure of, among sure words, stays.
        let mut speech =
            vec![word("the", 0.9), word("Dashwood", 0.05), word("family", 0.95), word("had", 0.9)];
        assert_eq!(drop_doubted_runs(&mut speech, 2, 0.2), 0);
        assert_eq!(texts(&speech), ["the", "Dashwood", "family", "had"]);
        // Over music: stray text at tiny probabilities, one of them at 0.7, all go.
        let mut music = vec![
            word("levar", 0.000_004),
            word("Spray", 0.17),
            word("çуそä", 0.7),
            word("2种", 0.06),
            word("too", 0.000_2),
            word("Aaron", 0.000_006),
        ];
        assert_eq!(drop_doubted_runs(&mut music, 2, 0.2), 6);
        // Right after speech: the run goes, the sure words before it stay.
        let mut both: Vec<Word> = speech.iter().cloned().chain(music.iter().cloned()).collect();
        both.extend(["levar", "Spray", "2种", "too", "Aaron"].iter().map(|t| word(t, 0.000_01)));
        let dropped = drop_doubted_runs(&mut both, 2, 0.2);
        assert_eq!(texts(&both), ["the", "Dashwood", "family", "had"], "sure words stay");
        assert_eq!(dropped, 5);
    }

    #[test]
    fn words_in_a_script_the_language_does_not_use_go() {
        let mut w = words("5 分钟 hello 分钟");
        assert_eq!(drop_foreign_script(&mut w, Some("sn")), 2);
        assert_eq!(text(&w), "5 hello");
        // A language's own script stays, Latin within it too, and so does everything when the
        // language is not known.
        let mut w = words("用 iPhone 拍 кот");
        assert_eq!(drop_foreign_script(&mut w, Some("zh")), 1);
        assert_eq!(text(&w), "用 iPhone 拍");
        let mut w = words("東京 に いる");
        assert_eq!(drop_foreign_script(&mut w, Some("ja")), 0);
        let mut w = words("Привет world");
        assert_eq!(drop_foreign_script(&mut w, Some("ru")), 0);
        assert_eq!(drop_foreign_script(&mut words("分钟"), None), 0);
    }
}
