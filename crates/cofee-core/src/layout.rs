//! Caption layout: turns a run of timed words into pages (what is on screen at once) made of
//! lines.
//!
//! Pages break at pauses, at sentence ends, at clause ends once a page is half full, and when the
//! next word would not fit. Within a page, lines are balanced: the fewest lines that fit, then
//! the split whose line widths are most even, preferring breaks after punctuation. Widths are in
//! Latin-character columns (full-width scripts count double, see [`crate::text::width`]).
//!
//! A word a person marked with a page break ([`Word::page_break`]) starts a page, or stays on the
//! page before, whatever the rules say; a page merged that way takes the lines it needs, up to
//! [`MAX_LINES_PER_PAGE`] (beyond, a new page starts: a merge cannot make one page of everything).

use std::ops::Range;

use crate::limits::MAX_LINES_PER_PAGE;
use crate::text;
use crate::transcript::Word;

/// Limits a layout must respect.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutRules {
    /// Maximum width of a line in columns; a single word wider than this gets a line of its own.
    pub max_chars_per_line: usize,
    pub max_lines: usize,
    pub max_words_per_line: Option<usize>,
    pub max_words_per_page: Option<usize>,
    /// A page stays on screen at least this long (unless the next page starts sooner).
    pub min_page_ms: u64,
    /// A page is closed before it would span longer than this.
    pub max_page_ms: u64,
    /// Silence at least this long between two words starts a new page.
    pub pause_ms: u64,
    /// A page stays up through a following gap shorter than this, so captions do not flicker.
    pub linger_ms: u64,
    pub break_at_punctuation: bool,
}

impl Default for LayoutRules {
    fn default() -> Self {
        Self {
            max_chars_per_line: 42,
            max_lines: 2,
            max_words_per_line: None,
            max_words_per_page: None,
            min_page_ms: 700,
            max_page_ms: 7000,
            pause_ms: 700,
            linger_ms: 500,
            break_at_punctuation: true,
        }
    }
}

/// A line: a contiguous range of indices into the word list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub words: Range<usize>,
}

/// What is on screen at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub start_ms: u64,
    pub end_ms: u64,
    pub lines: Vec<Line>,
}

impl Page {
    /// All word indices on the page.
    pub fn words(&self) -> Range<usize> {
        self.lines.first().map_or(0, |l| l.words.start)
            ..self.lines.last().map_or(0, |l| l.words.end)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaptionLayout {
    pub pages: Vec<Page>,
}

impl CaptionLayout {
    /// Lays out `words` (in time order) under `rules`.
    pub fn build(words: &[Word], rules: &LayoutRules) -> Self {
        let tokens: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        let mut pages = Vec::new();
        for range in page_ranges(words, &tokens, rules) {
            let lines = break_lines(&tokens[range.clone()], rules)
                .into_iter()
                .map(|r| Line { words: r.start + range.start..r.end + range.start })
                .collect();
            let start_ms = words[range.start].start_ms;
            let end_ms = words[range.clone()]
                .iter()
                .map(|w| w.end_ms)
                .max()
                .unwrap_or(start_ms)
                .max(start_ms);
            pages.push(Page { start_ms, end_ms, lines });
        }
        settle_times(&mut pages, words, rules);
        Self { pages }
    }

    /// Text of a line, joined by script rules.
    pub fn line_text(words: &[Word], line: &Line) -> String {
        Word::join(&words[line.words.clone()])
    }

    /// Lines of a page as display strings.
    pub fn page_lines(words: &[Word], page: &Page) -> Vec<String> {
        page.lines.iter().map(|l| Self::line_text(words, l)).collect()
    }
}

/// Prefix sums so any line's width is O(1): `width(i..j) = pre[j] - pre[i] - sep[i]`.
struct Widths {
    pre: Vec<usize>,
    sep: Vec<usize>, // sep[i] = 1 when a space precedes token i (in a run that includes i-1)
}

impl Widths {
    fn new(tokens: &[&str]) -> Self {
        let mut pre = vec![0];
        let mut sep = vec![0; tokens.len() + 1];
        for (i, t) in tokens.iter().enumerate() {
            if i > 0 && text::needs_space(tokens[i - 1], t) {
                sep[i] = 1;
            }
            pre.push(pre[i] + sep[i] + text::width(t));
        }
        Self { pre, sep }
    }

    fn line(&self, r: Range<usize>) -> usize {
        self.pre[r.end] - self.pre[r.start] - self.sep[r.start]
    }
}

fn line_fits(w: &Widths, r: Range<usize>, rules: &LayoutRules) -> bool {
    let n = r.len();
    n >= 1
        && (n == 1 || w.line(r) <= rules.max_chars_per_line)
        && rules.max_words_per_line.is_none_or(|m| n <= m)
}

/// Fewest lines the tokens can be broken into.
fn min_lines(tokens: &[&str], rules: &LayoutRules) -> usize {
    let w = Widths::new(tokens);
    let n = tokens.len();
    let mut best = vec![usize::MAX; n + 1];
    best[0] = 0;
    for j in 1..=n {
        for i in (0..j).rev() {
            if !line_fits(&w, i..j, rules) {
                break; // lines only get wider as i decreases
            }
            if best[i] != usize::MAX {
                best[j] = best[j].min(best[i] + 1);
            }
        }
    }
    best[n]
}

/// Balanced breaking: fewest lines, then the most even widths, preferring breaks at punctuation.
fn break_lines(tokens: &[&str], rules: &LayoutRules) -> Vec<Range<usize>> {
    let n = tokens.len();
    let k = min_lines(tokens, rules);
    let w = Widths::new(tokens);
    // cost[l][j]: best cost of breaking tokens[..j] into l lines.
    let inf = u64::MAX;
    let mut cost = vec![vec![inf; n + 1]; k + 1];
    let mut from = vec![vec![0usize; n + 1]; k + 1];
    cost[0][0] = 0;
    let bonus = (rules.max_chars_per_line as u64).pow(2) / 8;
    for l in 1..=k {
        for j in l..=n {
            for i in (l - 1..j).rev() {
                if !line_fits(&w, i..j, rules) {
                    break;
                }
                if cost[l - 1][i] == inf {
                    continue;
                }
                let width = w.line(i..j) as u64;
                let last = tokens[j - 1];
                let at_punct = j < n && (text::ends_clause(last) || text::ends_sentence(last));
                let c = cost[l - 1][i] + width * width + if at_punct { 0 } else { bonus };
                if c < cost[l][j] {
                    cost[l][j] = c;
                    from[l][j] = i;
                }
            }
        }
    }
    let mut out = Vec::with_capacity(k);
    let mut j = n;
    for l in (1..=k).rev() {
        let i = from[l][j];
        out.push(i..j);
        j = i;
    }
    out.reverse();
    out
}

/// Groups word indices into pages.
fn page_ranges(words: &[Word], tokens: &[&str], rules: &LayoutRules) -> Vec<Range<usize>> {
    let capacity = rules.max_chars_per_line * rules.max_lines;
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=words.len() {
        // A person's page break wins over the rules: split there, or keep the word on the page
        // — up to the largest page any style may have, so a merge never grows without bound.
        let ends = i == words.len()
            || match words[i].page_break {
                Some(split) => {
                    split || min_lines(&tokens[start..=i], rules) > MAX_LINES_PER_PAGE as usize
                }
                None => breaks_before(words, tokens, start, i, capacity, rules),
            };
        if ends {
            out.push(start..i);
            start = i;
        }
    }
    out
}

/// Whether word `i` must start a new page, given the page so far is `start..i`.
fn breaks_before(
    words: &[Word],
    tokens: &[&str],
    start: usize,
    i: usize,
    capacity: usize,
    rules: &LayoutRules,
) -> bool {
    let (prev, word) = (&words[i - 1], &words[i]);
    let count = i - start;
    let page_width = text::joined_width(tokens[start..i].iter().copied());
    word.start_ms.saturating_sub(prev.end_ms) >= rules.pause_ms
        || rules.max_words_per_page.is_some_and(|m| count >= m)
        || word.end_ms.saturating_sub(words[start].start_ms) > rules.max_page_ms
        || (rules.break_at_punctuation && text::ends_sentence(&prev.text))
        || (rules.break_at_punctuation
            && text::ends_clause(&prev.text)
            && page_width * 2 >= capacity)
        || min_lines(&tokens[start..=i], rules) > rules.max_lines
}

/// Stretches pages to their minimum duration and across short gaps, never into the next page.
/// A caption file's cue kept whole (`formats::keep_as_page`) keeps the times its words have: an
/// imported cue ends where the file ends it. A page a person split off is held like any other.
fn settle_times(pages: &mut [Page], words: &[Word], rules: &LayoutRules) {
    for i in 0..pages.len() {
        let next_start = pages.get(i + 1).map_or(u64::MAX, |p| p.start_ms);
        let p = &mut pages[i];
        // A cue kept whole: its first word starts the page and every other word is set to stay.
        let kept = words[p.words()].iter().enumerate().all(|(k, w)| w.page_break == Some(k == 0));
        if kept {
            continue;
        }
        let mut end = p.end_ms.max(p.start_ms + rules.min_page_ms);
        if next_start != u64::MAX && next_start.saturating_sub(p.end_ms) < rules.linger_ms {
            end = end.max(next_start);
        }
        p.end_ms = end.min(next_start).max(p.start_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(spec: &[(&str, u64, u64)]) -> Vec<Word> {
        spec.iter().map(|(t, s, e)| Word::new(*t, *s, *e)).collect()
    }

    fn flow(text: &str, step: u64) -> Vec<Word> {
        text.split_whitespace()
            .enumerate()
            .map(|(i, t)| Word::new(t, i as u64 * step, i as u64 * step + step - 20))
            .collect()
    }

    fn texts(ws: &[Word], l: &CaptionLayout) -> Vec<Vec<String>> {
        l.pages.iter().map(|p| CaptionLayout::page_lines(ws, p)).collect()
    }

    #[test]
    fn balances_two_lines() {
        let ws = flow("the quick brown fox jumps over the lazy dog again", 200);
        let rules = LayoutRules { max_chars_per_line: 30, ..Default::default() };
        let l = CaptionLayout::build(&ws, &rules);
        assert_eq!(texts(&ws, &l), [["the quick brown fox jumps", "over the lazy dog again"]]);
    }

    #[test]
    fn breaks_at_pause_and_sentence_end() {
        let ws = words(&[
            ("Hello", 0, 300),
            ("there.", 300, 600),
            ("New", 700, 900),
            ("thought", 900, 1200),
            ("after", 3000, 3300),
            ("pause", 3300, 3600),
        ]);
        let l = CaptionLayout::build(&ws, &LayoutRules::default());
        assert_eq!(
            texts(&ws, &l),
            [vec!["Hello there."], vec!["New thought"], vec!["after pause"]]
        );
        // The second page lingers over no gap it does not own: it ends before the pause page.
        assert!(l.pages[1].end_ms <= l.pages[2].start_ms);
    }

    #[test]
    fn respects_word_limits() {
        let ws = flow("one two three four five six seven", 300);
        let rules = LayoutRules {
            max_words_per_line: Some(3),
            max_lines: 1,
            max_words_per_page: Some(3),
            ..Default::default()
        };
        let l = CaptionLayout::build(&ws, &rules);
        assert_eq!(texts(&ws, &l), [vec!["one two three"], vec!["four five six"], vec!["seven"]]);
    }

    #[test]
    fn overlong_word_gets_its_own_line() {
        let ws = flow("a supercalifragilisticexpialidocious b", 300);
        let rules = LayoutRules { max_chars_per_line: 10, max_lines: 3, ..Default::default() };
        let l = CaptionLayout::build(&ws, &rules);
        assert_eq!(texts(&ws, &l), [vec!["a", "supercalifragilisticexpialidocious", "b"]]);
    }

    #[test]
    fn cjk_lines_have_no_spaces_and_count_double() {
        let ws: Vec<Word> = crate::text::tokenize("今天天气很好我们去公园散步吧")
            .into_iter()
            .enumerate()
            .map(|(i, t)| Word::new(t, i as u64 * 200, i as u64 * 200 + 180))
            .collect();
        let rules = LayoutRules { max_chars_per_line: 16, max_lines: 2, ..Default::default() };
        let l = CaptionLayout::build(&ws, &rules);
        let t = texts(&ws, &l);
        assert_eq!(t[0], ["今天天气很好我", "们去公园散步吧"]);
    }

    #[test]
    fn a_persons_page_breaks_win_over_the_rules() {
        let mut ws = words(&[
            ("Hello", 0, 300),
            ("there.", 300, 600),
            ("New", 700, 900),
            ("thought", 900, 1200),
            ("here", 1200, 1500),
        ]);
        ws[2].page_break = Some(false); // merge across the sentence end
        ws[3].page_break = Some(true); // split mid-sentence
        let l = CaptionLayout::build(&ws, &LayoutRules::default());
        assert_eq!(texts(&ws, &l), [vec!["Hello there. New"], vec!["thought here"]]);
        // A merge that does not fit the lines takes more of them rather than being refused.
        let mut ws = flow("one two three four five six", 200);
        let rules = LayoutRules { max_chars_per_line: 9, max_lines: 1, ..Default::default() };
        assert_eq!(CaptionLayout::build(&ws, &rules).pages.len(), 4);
        for w in &mut ws[1..] {
            w.page_break = Some(false);
        }
        let merged = CaptionLayout::build(&ws, &rules);
        assert_eq!(texts(&ws, &merged), [vec!["one two", "three", "four", "five six"]]);
        // But not past the largest page a style may have: 200 joined words make several pages.
        let mut ws = flow(&"word ".repeat(200), 200);
        ws.iter_mut().skip(1).for_each(|w| w.page_break = Some(false));
        let l = CaptionLayout::build(&ws, &LayoutRules::default());
        assert!(l.pages.len() > 1, "{}", l.pages.len());
        assert!(l.pages.iter().all(|p| p.lines.len() <= MAX_LINES_PER_PAGE as usize));
    }

    #[test]
    fn short_page_is_held_for_min_duration_unless_next_starts() {
        let ws = words(&[("Hi.", 0, 100), ("Then", 2000, 2200)]);
        let l = CaptionLayout::build(&ws, &LayoutRules::default());
        assert_eq!((l.pages[0].start_ms, l.pages[0].end_ms), (0, 700));
        let ws = words(&[("Hi.", 0, 100), ("Then", 300, 500)]);
        let l = CaptionLayout::build(&ws, &LayoutRules::default());
        assert_eq!(
            l.pages[0].end_ms, 300,
            "capped at the next page and lingers over the short gap"
        );
        // A cue from a file (kept whole) keeps its times: neither held nor stretched.
        let mut ws = words(&[("Hi.", 0, 100), ("Then", 300, 500)]);
        ws[0].page_break = Some(true);
        ws[1].page_break = Some(true);
        let l = CaptionLayout::build(&ws, &LayoutRules::default());
        assert_eq!(
            l.pages.iter().map(|p| (p.start_ms, p.end_ms)).collect::<Vec<_>>(),
            [(0, 100), (300, 500)]
        );
        // A page a person split off (a break on its first word only) is held as any page.
        let mut ws =
            words(&[("Hi", 0, 100), ("there", 100, 200), ("now.", 200, 300), ("Then", 2000, 2200)]);
        ws[1].page_break = Some(true);
        let l = CaptionLayout::build(&ws, &LayoutRules::default());
        assert_eq!(
            l.pages.iter().map(|p| (p.start_ms, p.end_ms)).collect::<Vec<_>>(),
            [(0, 100), (100, 800), (2000, 2700)]
        );
    }
}
