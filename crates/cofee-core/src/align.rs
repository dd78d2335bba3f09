//! Re-timing edited text. A person fixes words in a transcript; the words they did not touch
//! must keep their times, and new or changed words must get times from where they stand in the
//! old sequence — not from spreading the whole segment evenly.
//!
//! The old and new word sequences are aligned with a minimum edit script (Levenshtein over
//! words, compared case- and punctuation-insensitively). Then:
//! - a kept word keeps its old times (its new spelling or punctuation is taken);
//! - a replaced word takes the times of the word it replaces;
//! - a word split in two (a replacement and insertions that together spell the old word) shares
//!   the old word's span in proportion to length; other inserted words share the pause between their neighbours, or,
//!   when there is none, the span of a changed neighbour — never the time of a word the person
//!   left alone (with no pause and no changed neighbour they get an instant at the boundary);
//! - a deleted word's time goes to the replaced word before it when they were adjacent (two words
//!   merged into one), else it becomes a pause.

use crate::limits::MAX_ALIGNMENT_CELLS;
use crate::text::{normalize_word, width};
use crate::transcript::Word;

/// An edit too large to re-time by alignment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the edit rewrites {old} words into {new} in one stretch, an alignment of {cells} cells; one edit may take {max} (send the words as JSON instead)"
)]
pub struct EditTooLarge {
    pub old: usize,
    pub new: usize,
    pub cells: usize,
    pub max: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Keep(usize, usize),
    Replace(usize, usize),
    Insert(usize),
    Delete(usize),
}

/// The edit script of `old` into `new`. Words common to both ends are kept as they are (what the
/// full alignment would keep too) and only the stretch between them is aligned, so an edit's
/// cost follows what it changed, bounded by [`MAX_ALIGNMENT_CELLS`].
fn edit_script(old: &[String], new: &[String]) -> Result<Vec<Op>, EditTooLarge> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (o, n) = (&old[prefix..old.len() - suffix], &new[prefix..new.len() - suffix]);
    let cells = (o.len() + 1) * (n.len() + 1);
    if cells > MAX_ALIGNMENT_CELLS {
        return Err(EditTooLarge { old: o.len(), new: n.len(), cells, max: MAX_ALIGNMENT_CELLS });
    }
    let shift = |op: Op| match op {
        Op::Keep(i, j) => Op::Keep(i + prefix, j + prefix),
        Op::Replace(i, j) => Op::Replace(i + prefix, j + prefix),
        Op::Insert(j) => Op::Insert(j + prefix),
        Op::Delete(i) => Op::Delete(i + prefix),
    };
    let mut ops: Vec<Op> = (0..prefix).map(|k| Op::Keep(k, k)).collect();
    ops.extend(aligned(o, n).into_iter().map(shift));
    ops.extend((0..suffix).map(|k| Op::Keep(old.len() - suffix + k, new.len() - suffix + k)));
    Ok(ops)
}

fn aligned(old: &[String], new: &[String]) -> Vec<Op> {
    // Costs: a gap (insert or delete) is G, replacing with a different word 2G (no cheaper than
    // deleting and inserting), replacing with a near spelling 2G − 1. With G above n + m, the
    // cheapest script keeps the most words unchanged (a longest common subsequence), so a word a
    // person did not touch is never traded away; among those, near spellings pair up ("brown" →
    // "browner" rather than "brown" → "red").
    let (n, m) = (old.len(), new.len());
    let gap = (n + m + 1) as u64;
    let replace = |a: &str, b: &str| {
        if a == b {
            0
        } else if similar(a, b) {
            2 * gap - 1
        } else {
            2 * gap
        }
    };
    // One allocation, row by row (`d[i][j]` is `d[i * w + j]`).
    let w = m + 1;
    let mut cells = vec![0u64; (n + 1) * w];
    for i in 0..=n {
        cells[i * w] = i as u64 * gap;
    }
    for (j, cell) in cells[..w].iter_mut().enumerate() {
        *cell = j as u64 * gap;
    }
    for i in 1..=n {
        for j in 1..=m {
            let sub = cells[(i - 1) * w + j - 1] + replace(&old[i - 1], &new[j - 1]);
            cells[i * w + j] =
                sub.min(cells[(i - 1) * w + j] + gap).min(cells[i * w + j - 1] + gap);
        }
    }
    let d = |i: usize, j: usize| cells[i * w + j];
    // Walk back preferring keep, then insert, then delete, then replace: ties then come out as
    // "replace, then insert" for a split word and "replace, then delete" for merged words.
    let (mut i, mut j, mut ops) = (n, m, Vec::new());
    while i > 0 || j > 0 {
        if i > 0 && j > 0 && old[i - 1] == new[j - 1] && d(i, j) == d(i - 1, j - 1) {
            ops.push(Op::Keep(i - 1, j - 1));
            (i, j) = (i - 1, j - 1);
        } else if j > 0 && d(i, j) == d(i, j - 1) + gap {
            ops.push(Op::Insert(j - 1));
            j -= 1;
        } else if i > 0 && d(i, j) == d(i - 1, j) + gap {
            ops.push(Op::Delete(i - 1));
            i -= 1;
        } else {
            ops.push(Op::Replace(i - 1, j - 1));
            (i, j) = (i - 1, j - 1);
        }
    }
    ops.reverse();
    ops
}

/// New words for `new_text` tokens, timed against `old`; refused when the stretch the edit
/// rewrites is too large to align ([`MAX_ALIGNMENT_CELLS`]).
pub fn retime(old: &[Word], new_text: &[String]) -> Result<Vec<Word>, EditTooLarge> {
    let key = |t: &str| {
        let n = normalize_word(t);
        if n.is_empty() { t.to_string() } else { n }
    };
    let old_keys: Vec<String> = old.iter().map(|w| key(&w.text)).collect();
    let new_keys: Vec<String> = new_text.iter().map(|t| key(t)).collect();
    let mut out: Vec<Option<Word>> = vec![None; new_text.len()];
    let mut split = vec![false; new_text.len()];
    let mut replaced = vec![false; new_text.len()];
    let mut replaced_old: Vec<Option<usize>> = vec![None; new_text.len()];
    let mut last_timed: Option<usize> = None; // index into `out` of the last word given times
    let mut last_op_replaced = false;
    let mut deleted_from: Option<u64> = None; // start of words deleted just before this point
    for op in edit_script(&old_keys, &new_keys)? {
        match op {
            Op::Keep(i, j) => {
                out[j] = Some(Word { text: new_text[j].clone(), ..old[i].clone() });
                last_timed = Some(j);
                last_op_replaced = false;
                deleted_from = None;
            }
            Op::Replace(i, j) => {
                // Words deleted right before a replaced one were merged into it.
                let start = deleted_from.take().unwrap_or(old[i].start_ms).min(old[i].start_ms);
                out[j] = Some(Word {
                    text: new_text[j].clone(),
                    confidence: 1.0,
                    emphasis: old[i].emphasis,
                    start_ms: start,
                    ..old[i].clone()
                });
                replaced[j] = true;
                replaced_old[j] = Some(i);
                last_timed = Some(j);
                last_op_replaced = true;
            }
            Op::Delete(i) => {
                // Merged into the replaced word just before it: that word now spans both.
                if let (true, Some(j)) = (last_op_replaced, last_timed)
                    && let Some(w) = out[j].as_mut()
                {
                    w.end_ms = w.end_ms.max(old[i].end_ms);
                } else {
                    deleted_from.get_or_insert(old[i].start_ms);
                }
            }
            Op::Insert(_) => {
                last_op_replaced = false;
                deleted_from = None;
            }
        }
    }
    // A replaced word followed by inserted words that together spell the old word ("brown" →
    // "brow n") is that word split in two.
    let mut j = 1;
    while j < new_text.len() {
        if out[j].is_none()
            && let Some(i) = replaced_old[j - 1]
        {
            let run_end = (j..new_text.len()).find(|&k| out[k].is_some()).unwrap_or(new_text.len());
            let joined: String = new_keys[j - 1..run_end].concat();
            split[j] = similar(&joined, &old_keys[i]);
            j = run_end;
        }
        j += 1;
    }
    Ok(fill_inserted(out, &split, &replaced, new_text))
}

/// Whether two spellings are the same word give or take a typo (edit distance ≤ a third), or one
/// is part of the other (a word split or merged).
fn similar(a: &str, b: &str) -> bool {
    if !a.is_empty() && !b.is_empty() && (a.contains(b) || b.contains(a)) {
        return true;
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    let allowed = (la.max(lb) / 3).max(1);
    // The distance is at least the difference in length: no need to compute it then.
    if la.abs_diff(lb) > allowed {
        return false;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (k, cb) in b.iter().enumerate() {
            cur[k + 1] = (prev[k] + usize::from(ca != cb)).min(prev[k + 1] + 1).min(cur[k] + 1);
        }
        prev = cur;
    }
    prev[b.len()] <= allowed
}

/// Gives times to runs of inserted words (the `None`s), between their timed neighbours.
fn fill_inserted(
    mut out: Vec<Option<Word>>,
    split: &[bool],
    replaced: &[bool],
    new_text: &[String],
) -> Vec<Word> {
    let mut j = 0;
    while j < out.len() {
        if out[j].is_some() {
            j += 1;
            continue;
        }
        let run_end = (j..out.len()).find(|&k| out[k].is_some()).unwrap_or(out.len());
        let prev = j.checked_sub(1).and_then(|p| out[p].clone());
        let next_start = out.get(run_end).and_then(|w| w.as_ref()).map(|w| w.start_ms);
        let from = prev.as_ref().map_or(0, |p| p.end_ms);
        let to = next_start.unwrap_or(from + 400 * (run_end - j) as u64).max(from);
        let run: Vec<String> = new_text[j..run_end].to_vec();
        let needed = 60 * run.len() as u64;
        let prev_changed = j > 0 && replaced[j - 1];
        let next_changed = run_end < out.len() && replaced[run_end];
        let Some(p) = prev else {
            share(&mut out, j, &run, from, to);
            j = run_end;
            continue;
        };
        if !split[j] && to - from >= needed {
            share(&mut out, j, &run, from, to);
        } else if split[j] || prev_changed {
            // A word split in two, or squeezed in after a changed word: they share its span.
            let end = if split[j] { p.end_ms } else { to.max(p.end_ms) };
            let mut texts = vec![p.text.clone()];
            texts.extend(run);
            share(&mut out, j - 1, &texts, p.start_ms, end);
            if let Some(w) = out[j - 1].as_mut() {
                w.confidence = p.confidence;
                w.emphasis = p.emphasis;
            }
        } else if next_changed {
            // Squeezed in before a changed word: they share that word's span.
            let n = out[run_end].clone().expect("timed");
            let mut texts = run.clone();
            texts.push(n.text.clone());
            share(&mut out, j, &texts, from.min(n.start_ms), n.end_ms);
            if let Some(w) = out[run_end].as_mut() {
                w.confidence = n.confidence;
                w.emphasis = n.emphasis;
            }
        } else {
            // Between two words the person did not change, with no pause between them: their
            // times stay as they were, so the new words get an instant at the boundary.
            share(&mut out, j, &run, from, from);
        }
        j = run_end;
    }
    out.into_iter().map(|w| w.expect("every word timed")).collect()
}

/// Times `texts` (written from `out[at]` on) across `from..to` in proportion to their length.
fn share(out: &mut [Option<Word>], at: usize, texts: &[String], from: u64, to: u64) {
    let weights: Vec<u64> = texts.iter().map(|t| width(t) as u64 + 1).collect();
    let total = weights.iter().sum::<u64>().max(1);
    let mut acc = 0;
    for (k, (t, w)) in texts.iter().zip(&weights).enumerate() {
        let s = from + (to - from) * acc / total;
        acc += w;
        let e = from + (to - from) * acc / total;
        out[at + k] = Some(Word::new(t.clone(), s, e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(spec: &[(&str, u64, u64)]) -> Vec<Word> {
        spec.iter().map(|(t, s, e)| Word::new(*t, *s, *e)).collect()
    }

    fn toks(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn times(w: &[Word]) -> Vec<(&str, u64, u64)> {
        w.iter().map(|w| (w.text.as_str(), w.start_ms, w.end_ms)).collect()
    }

    const OLD: &[(&str, u64, u64)] =
        &[("the", 0, 200), ("quick", 200, 500), ("brown", 500, 800), ("fox", 1500, 1800)];

    #[test]
    fn unchanged_words_keep_their_times_and_a_fix_takes_the_old_slot() {
        let t = retime(&words(OLD), &toks("The quick brown fax.")).unwrap();
        assert_eq!(
            times(&t),
            [("The", 0, 200), ("quick", 200, 500), ("brown", 500, 800), ("fax.", 1500, 1800)]
        );
    }

    #[test]
    fn inserted_words_fill_the_pause_they_stand_in() {
        let t = retime(&words(OLD), &toks("the quick brown lazy fox")).unwrap();
        assert_eq!(times(&t)[3], ("lazy", 800, 1500));
        assert_eq!(times(&t)[4], ("fox", 1500, 1800));
    }

    #[test]
    fn a_split_word_shares_its_span_and_a_merge_takes_both() {
        let t = retime(&words(OLD), &toks("the quick brow n fox")).unwrap();
        assert_eq!(times(&t)[2..4], [("brow", 500, 714), ("n", 714, 800)]);
        let t = retime(&words(OLD), &toks("the quickbrown fox")).unwrap();
        assert_eq!(times(&t), [("the", 0, 200), ("quickbrown", 200, 800), ("fox", 1500, 1800)]);
    }

    #[test]
    fn words_left_alone_are_never_retimed_to_make_room() {
        // "quick" and "brown" touch: a word put between them gets an instant, they keep theirs.
        let t = retime(&words(OLD), &toks("the quick red brown fox")).unwrap();
        assert_eq!(times(&t)[1..4], [("quick", 200, 500), ("red", 500, 500), ("brown", 500, 800)]);
        // Next to a changed word, the new word shares that word's time instead.
        let t = retime(&words(OLD), &toks("the quick red browner fox")).unwrap();
        assert_eq!(
            times(&t)[1..4],
            [("quick", 200, 500), ("red", 500, 600), ("browner", 600, 800)]
        );
    }

    #[test]
    fn a_changed_word_then_new_words_is_not_a_split() {
        let t = retime(&words(OLD), &toks("the quick brown fax jumping")).unwrap();
        assert_eq!(times(&t)[3], ("fax", 1500, 1800));
        assert!(t[4].start_ms >= 1800);
    }

    #[test]
    fn deleting_leaves_a_pause_and_everything_else_alone() {
        let t = retime(&words(OLD), &toks("the brown fox")).unwrap();
        assert_eq!(times(&t), [("the", 0, 200), ("brown", 500, 800), ("fox", 1500, 1800)]);
    }

    /// An edit's work follows what it changed: one word fixed in a long transcript aligns only
    /// that word; a rewrite too large to align is refused with the limit named.
    #[test]
    fn only_the_changed_stretch_is_aligned_and_its_size_is_bounded() {
        let long: Vec<Word> = (0..crate::limits::MAX_WORDS as u64)
            .map(|i| Word::new(format!("w{i}"), i * 300, i * 300 + 250))
            .collect();
        let mut edited: Vec<String> = long.iter().map(|w| w.text.clone()).collect();
        edited[25_000] = "fixed".into();
        let t = retime(&long, &edited).unwrap();
        assert_eq!(
            times(&t[..25_000]),
            times(&long[..25_000]),
            "the words before keep their times"
        );
        assert_eq!(times(&t[25_001..]), times(&long[25_001..]), "the words after keep theirs");
        assert_eq!(t[25_000].text, "fixed");
        assert!(t[25_000].start_ms >= t[24_999].end_ms && t[25_000].end_ms <= t[25_001].start_ms);

        let rewrite: Vec<String> = (0..3_000).map(|i| format!("x{i}")).collect();
        let e = retime(&long[..3_000], &rewrite).unwrap_err();
        assert_eq!((e.old, e.new, e.max), (3_000, 3_000, crate::limits::MAX_ALIGNMENT_CELLS));
        assert!(e.to_string().contains("send the words as JSON"), "{e}");
    }
}
