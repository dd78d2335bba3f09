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

use crate::limits::{MAX_ALIGNMENT_CELLS, MAX_SPELLING_STEPS};
use crate::text::{normalize_word, width};
use crate::transcript::Word;

/// An edit too large to re-time by alignment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditTooLarge {
    /// The stretch it rewrites is longer than one alignment may be.
    #[error(
        "the edit rewrites {old} words into {new} in one stretch, an alignment of {cells} cells; one edit may take {max} (send the words as JSON instead)"
    )]
    Stretch { old: usize, new: usize, cells: usize, max: usize },
    /// Comparing the spellings of its words would take too long (many long, alike words).
    #[error(
        "comparing the spellings of the {old} rewritten words with the {new} new ones takes more than {max} steps; edit a shorter stretch at once (or send the words as JSON instead)"
    )]
    Spelling { old: usize, new: usize, max: u64 },
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
        return Err(EditTooLarge::Stretch {
            old: o.len(),
            new: n.len(),
            cells,
            max: MAX_ALIGNMENT_CELLS,
        });
    }
    let shift = |op: Op| match op {
        Op::Keep(i, j) => Op::Keep(i + prefix, j + prefix),
        Op::Replace(i, j) => Op::Replace(i + prefix, j + prefix),
        Op::Insert(j) => Op::Insert(j + prefix),
        Op::Delete(i) => Op::Delete(i + prefix),
    };
    let mut ops: Vec<Op> = (0..prefix).map(|k| Op::Keep(k, k)).collect();
    let mut costs = Costs::new(o, n);
    let mut middle = Vec::new();
    costs.align(0..o.len(), 0..n.len(), &mut middle).map_err(|OutOfSteps| {
        EditTooLarge::Spelling { old: o.len(), new: n.len(), max: MAX_SPELLING_STEPS }
    })?;
    ops.extend(middle.into_iter().map(shift));
    ops.extend((0..suffix).map(|k| Op::Keep(old.len() - suffix + k, new.len() - suffix + k)));
    Ok(ops)
}

/// Above this many cells a stretch is cut in two (Hirschberg's method) instead of aligned in one
/// matrix, so an alignment's memory grows with the edit's length, not its square.
const WHOLE_MATRIX_CELLS: usize = 1 << 16;

/// The spelling comparisons ran past [`MAX_SPELLING_STEPS`].
struct OutOfSteps;

/// The costs of aligning `old` with `new`, and what is left of the spelling-comparison budget.
///
/// Costs: a gap (insert or delete) is G, replacing with a different word 2G (no cheaper than
/// deleting and inserting), replacing with a near spelling 2G − 1. With G above n + m, the
/// cheapest script keeps the most words unchanged (a longest common subsequence), so a word a
/// person did not touch is never traded away; among those, near spellings pair up ("brown" →
/// "browner" rather than "brown" → "red").
struct Costs<'a> {
    old: &'a [String],
    new: &'a [String],
    gap: u64,
    steps_left: u64,
}

impl<'a> Costs<'a> {
    fn new(old: &'a [String], new: &'a [String]) -> Self {
        let gap = (old.len() + new.len() + 1) as u64;
        Self { old, new, gap, steps_left: MAX_SPELLING_STEPS }
    }

    fn replace(&mut self, i: usize, j: usize) -> Result<u64, OutOfSteps> {
        let (a, b) = (&self.old[i], &self.new[j]);
        if a == b {
            return Ok(0);
        }
        Ok(if similar_within(a, b, &mut self.steps_left)? {
            2 * self.gap - 1
        } else {
            2 * self.gap
        })
    }

    /// The script of `old[rows]` into `new[cols]`, appended to `ops`: one matrix when it is
    /// small, else cut at the middle row where the best script crosses it.
    fn align(
        &mut self,
        rows: std::ops::Range<usize>,
        cols: std::ops::Range<usize>,
        ops: &mut Vec<Op>,
    ) -> Result<(), OutOfSteps> {
        let cells = (rows.len() + 1) * (cols.len() + 1);
        if rows.len() <= 1 || cells <= WHOLE_MATRIX_CELLS {
            return self.align_whole(rows, cols, ops);
        }
        let mid = rows.start + rows.len() / 2;
        let top = self.last_row(rows.start..mid, cols.clone(), false)?;
        let bottom = self.last_row(mid..rows.end, cols.clone(), true)?;
        let k = (0..=cols.len())
            .min_by_key(|&k| top[k] + bottom[cols.len() - k])
            .expect("at least one column");
        let split = cols.start + k;
        self.align(rows.start..mid, cols.start..split, ops)?;
        self.align(mid..rows.end, split..cols.end, ops)
    }

    /// The costs of aligning `old[rows]` with each prefix of `new[cols]` (`reversed`: each
    /// suffix, both read backwards), in one row of memory.
    fn last_row(
        &mut self,
        rows: std::ops::Range<usize>,
        cols: std::ops::Range<usize>,
        reversed: bool,
    ) -> Result<Vec<u64>, OutOfSteps> {
        let gap = self.gap;
        let at = |r: &std::ops::Range<usize>, k: usize| {
            if reversed { r.end - 1 - k } else { r.start + k }
        };
        let mut prev: Vec<u64> = (0..=cols.len() as u64).map(|j| j * gap).collect();
        let mut cur = vec![0u64; cols.len() + 1];
        for i in 0..rows.len() {
            cur[0] = (i as u64 + 1) * gap;
            for j in 1..=cols.len() {
                let sub = prev[j - 1] + self.replace(at(&rows, i), at(&cols, j - 1))?;
                cur[j] = sub.min(prev[j] + gap).min(cur[j - 1] + gap);
            }
            std::mem::swap(&mut prev, &mut cur);
        }
        Ok(prev)
    }

    fn align_whole(
        &mut self,
        rows: std::ops::Range<usize>,
        cols: std::ops::Range<usize>,
        ops: &mut Vec<Op>,
    ) -> Result<(), OutOfSteps> {
        let (n, m, gap) = (rows.len(), cols.len(), self.gap);
        let (old, new) = (&self.old[rows.clone()], &self.new[cols.clone()]);
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
                let sub = cells[(i - 1) * w + j - 1]
                    + self.replace(rows.start + i - 1, cols.start + j - 1)?;
                cells[i * w + j] =
                    sub.min(cells[(i - 1) * w + j] + gap).min(cells[i * w + j - 1] + gap);
            }
        }
        let d = |i: usize, j: usize| cells[i * w + j];
        // Walk back preferring keep, then insert, then delete, then replace: ties then come out
        // as "replace, then insert" for a split word and "replace, then delete" for merged words.
        let (mut i, mut j, mut back) = (n, m, Vec::new());
        while i > 0 || j > 0 {
            if i > 0 && j > 0 && old[i - 1] == new[j - 1] && d(i, j) == d(i - 1, j - 1) {
                back.push(Op::Keep(rows.start + i - 1, cols.start + j - 1));
                (i, j) = (i - 1, j - 1);
            } else if j > 0 && d(i, j) == d(i, j - 1) + gap {
                back.push(Op::Insert(cols.start + j - 1));
                j -= 1;
            } else if i > 0 && d(i, j) == d(i - 1, j) + gap {
                back.push(Op::Delete(rows.start + i - 1));
                i -= 1;
            } else {
                back.push(Op::Replace(rows.start + i - 1, cols.start + j - 1));
                (i, j) = (i - 1, j - 1);
            }
        }
        ops.extend(back.into_iter().rev());
        Ok(())
    }
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
    let mut unbounded = u64::MAX;
    similar_within(a, b, &mut unbounded).unwrap_or(false)
}

/// [`similar`], charging the character comparisons it makes to `steps_left`.
fn similar_within(a: &str, b: &str, steps_left: &mut u64) -> Result<bool, OutOfSteps> {
    if !a.is_empty() && !b.is_empty() && (a.contains(b) || b.contains(a)) {
        return Ok(true);
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    let allowed = (la.max(lb) / 3).max(1);
    // The distance is at least the difference in length: no need to compute it then.
    if la.abs_diff(lb) > allowed {
        return Ok(false);
    }
    let cost = (la.min(lb) * (2 * allowed + 1)) as u64;
    *steps_left = steps_left.checked_sub(cost).ok_or(OutOfSteps)?;
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    Ok(within_distance(&a, &b, allowed))
}

/// Whether the edit distance of `a` and `b` is at most `k`: only the band of cells within `k`
/// of the diagonal can lead there (Ukkonen), and a row whose band is all above `k` ends it.
fn within_distance(a: &[char], b: &[char], k: usize) -> bool {
    let over = k + 1;
    let mut prev: Vec<usize> = (0..=b.len()).map(|j| j.min(over)).collect();
    let mut cur = vec![over; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        let row = i + 1;
        let (from, to) = (row.saturating_sub(k), (row + k).min(b.len()));
        cur.fill(over);
        if from == 0 {
            cur[0] = row.min(over);
        }
        let mut best = cur[0];
        for j in from.max(1)..=to {
            let sub = prev[j - 1] + usize::from(*ca != b[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1).min(over);
            best = best.min(cur[j]);
        }
        if best > k {
            return false;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()] <= k
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
        let EditTooLarge::Stretch { old, new, max, .. } = e.clone() else { panic!("{e}") };
        assert_eq!((old, new, max), (3_000, 3_000, crate::limits::MAX_ALIGNMENT_CELLS));
        assert!(e.to_string().contains("send the words as JSON"), "{e}");
    }

    /// What a script costs under the alignment's costs.
    fn cost(c: &mut Costs, ops: &[Op]) -> u64 {
        ops.iter()
            .map(|op| match *op {
                Op::Keep(..) => 0,
                Op::Replace(i, j) => c.replace(i, j).ok().unwrap(),
                Op::Insert(_) | Op::Delete(_) => c.gap,
            })
            .sum()
    }

    /// Cut in two and aligned half by half (linear memory), a stretch gets a script as cheap as
    /// the one matrix's, covering every word once, in order.
    #[test]
    fn the_linear_memory_alignment_is_as_good_as_the_whole_matrix() {
        let vocab = ["the", "cat", "cats", "sat", "on", "mat", "a", "hat", "that", "ran"];
        let mut seed = 7u64;
        let mut pick = |n: usize| -> Vec<String> {
            (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    vocab[(seed >> 33) as usize % vocab.len()].to_string()
                })
                .collect()
        };
        for (n, m) in [(400, 380), (300, 500), (1, 900)] {
            let (old, new) = (pick(n), pick(m));
            assert!((n + 1) * (m + 1) > WHOLE_MATRIX_CELLS || n == 1);
            let mut c = Costs::new(&old, &new);
            let (mut split, mut whole) = (Vec::new(), Vec::new());
            c.align(0..n, 0..m, &mut split).ok().unwrap();
            c.align_whole(0..n, 0..m, &mut whole).ok().unwrap();
            assert_eq!(cost(&mut c, &split), cost(&mut c, &whole), "{n}×{m}");
            let (mut i, mut j) = (0, 0);
            for op in &split {
                match *op {
                    Op::Keep(a, b) | Op::Replace(a, b) => {
                        assert_eq!((a, b), (i, j));
                        (i, j) = (i + 1, j + 1);
                    }
                    Op::Insert(b) => {
                        assert_eq!(b, j);
                        j += 1;
                    }
                    Op::Delete(a) => {
                        assert_eq!(a, i);
                        i += 1;
                    }
                }
            }
            assert_eq!((i, j), (n, m));
        }
    }

    /// Near spellings are told apart in a band around the diagonal, exactly.
    #[test]
    fn the_banded_distance_agrees_with_the_full_one() {
        fn full(a: &[char], b: &[char]) -> usize {
            let mut prev: Vec<usize> = (0..=b.len()).collect();
            for (i, ca) in a.iter().enumerate() {
                let mut cur = vec![i + 1; b.len() + 1];
                for (k, cb) in b.iter().enumerate() {
                    cur[k + 1] =
                        (prev[k] + usize::from(ca != cb)).min(prev[k + 1] + 1).min(cur[k] + 1);
                }
                prev = cur;
            }
            prev[b.len()]
        }
        let words = [
            "kitten", "sitting", "saturday", "sunday", "brown", "browner", "a", "ab", "abc",
            "xyzzy", "", "colour", "color",
        ];
        for a in words {
            for b in words {
                let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                for k in 0..5 {
                    assert_eq!(within_distance(&a, &b, k), full(&a, &b) <= k, "{a:?} {b:?} {k}");
                }
            }
        }
    }

    /// Many long words alike but not near enough: comparing them would take long, and the edit
    /// is refused by the spelling budget instead.
    #[test]
    fn comparing_many_long_alike_words_is_bounded() {
        let long = |tag: char, i: usize| format!("{}{tag}{i:0>32}", "a".repeat(66));
        let old: Vec<Word> =
            (0..1_000).map(|i| Word::new(long('o', i), i as u64 * 10, i as u64 * 10 + 5)).collect();
        let new: Vec<String> = (0..1_000).map(|i| long('n', i * 7 + 1)).collect();
        let started = std::time::Instant::now();
        let e = retime(&old, &new).unwrap_err();
        assert!(matches!(e, EditTooLarge::Spelling { old: 1_000, new: 1_000, .. }), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "{:?}", started.elapsed());
    }
}
